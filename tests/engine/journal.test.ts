/**
 * The instance journal (engine.ts `flush`, runtime.ts `applyCompletion`): a job completion whose
 * step only completes and creates plain jobs is saved as a journal line instead of a new snapshot,
 * and loading the instance resumes its snapshot and replays the journal. Shown here: what the row
 * holds, that a new engine on the same database carries the instance on from it (the job rows
 * written before the restart still find their waits: the replay reaches the same element instance
 * keys), that every JOURNAL_LIMIT-th step and every other kind of step writes a snapshot, and that a
 * journal that does not replay is refused with an error naming the instance, not run on wrongly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { EngineError } from '../../engine/types.js';
import type { DbKind } from '../../storage/db.js';
import { dbKinds, openTestDb, type TestDb } from '../support/db.js';

const fiveTasks = fs.readFileSync(path.join(import.meta.dirname, '../../bench/fixtures/five-tasks.bpmn'), 'utf8');
// a sequential multi-instance task over `items`, then a message catch
const loopThenMessage = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:message id="m" name="go"><bpmn:extensionElements><zeebe:subscription correlationKey="=key" /></bpmn:extensionElements></bpmn:message>
  <bpmn:process id="loop-then-message" isExecutable="true"><bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="each" />
    <bpmn:serviceTask id="each"><bpmn:extensionElements><zeebe:taskDefinition type="each" /></bpmn:extensionElements>
      <bpmn:multiInstanceLoopCharacteristics isSequential="true"><bpmn:extensionElements>
        <zeebe:loopCharacteristics inputCollection="=items" inputElement="item" outputCollection="results" outputElement="=done" />
      </bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="each" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="m" /></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="e" /><bpmn:endEvent id="e" />
  </bpmn:process>
</bpmn:definitions>`;

async function row(t: TestDb, key: string) {
  return (await t.db('engine_instances').where({ key: Number(key) }).first('snapshot', 'journal', 'state')) as { snapshot: string | null; journal: string | null; state: string };
}

async function completeOne(engine: EmbeddedEngine, type: string, variables: Record<string, unknown> = {}) {
  const [job] = await engine.activateJobs({ type, maxJobsToActivate: 1, worker: 'journal-test', timeout: 60_000 });
  expect(job, `a job of type ${type}`).toBeDefined();
  await engine.completeJob(job.key, variables);
  await engine.settle();
  return job;
}

/** An engine on a fresh database with `resource` deployed; `restart()` replaces it by a new one on the same database. */
async function withEngine(kind: DbKind, resource: { name: string; content: string }, body: (t: TestDb, rig: { engine: EmbeddedEngine; restart(): Promise<EmbeddedEngine> }) => Promise<void>) {
  const t = await openTestDb(kind);
  const open = async () => {
    const engine = new EmbeddedEngine({ db: t.db, virtualClock: true });
    await engine.start();
    return engine;
  };
  const rig = {
    engine: await open(),
    async restart() {
      await rig.engine.stop();
      rig.engine = await open();
      return rig.engine;
    },
  };
  try {
    await rig.engine.deploy([resource]);
    await body(t, rig);
  } finally {
    await rig.engine.stop();
    await t.close();
  }
}

describe.each(await dbKinds())('the instance journal on %s', (kind) => {
  it('saves job completions as journal lines and carries the instance on after a restart', { timeout: 120_000 }, () =>
    withEngine(kind, { name: 'five-tasks.bpmn', content: fiveTasks }, async (t, rig) => {
      let engine = rig.engine;
      const ref = await engine.createInstance({ bpmnProcessId: 'bench-five-tasks', variables: { n: 0 } });
      await engine.settle();
      const started = await row(t, ref.processInstanceKey);
      expect(started.snapshot).toBeTruthy();
      expect(started.journal).toBeNull();

      for (let i = 1; i <= 3; i++) await completeOne(engine, `bench-${i}`, { [`t${i}`]: i });
      const after3 = await row(t, ref.processInstanceKey);
      expect(after3.snapshot).toBe(started.snapshot); // not rewritten
      const lines = after3.journal!.trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(3);
      expect(lines.map((l) => l.v)).toEqual([{ t1: 1 }, { t2: 2 }, { t3: 3 }]);
      expect(after3.journal!.length).toBeLessThan(started.snapshot!.length / 5);

      // a new engine on the same database: job 4's row was written before, it must find its wait
      engine = await rig.restart();
      const job4 = await completeOne(engine, 'bench-4', { t4: 4 });
      const waiting = await t.db('engine_jobs').where({ instance_key: Number(ref.processInstanceKey), state: 'ACTIVATABLE' }).select('element_id');
      expect(waiting).toEqual([{ element_id: 't5' }]);
      await completeOne(engine, 'bench-5', { t5: 5 });
      const details = await engine.getInstance(ref.processInstanceKey);
      expect(details?.state).toBe('COMPLETED');
      expect(details?.variables).toEqual({ n: 0, t1: 1, t2: 2, t3: 3, t4: 4, t5: 5 });
      // one history entry per element, each activated and completed under one key
      const done = details!.elements.filter((e) => e.state === 'COMPLETED');
      expect(done.map((e) => e.elementId).sort()).toEqual(['end', 'start', 't1', 't2', 't3', 't4', 't5']);
      expect(details!.elements.filter((e) => e.state !== 'COMPLETED')).toEqual([]);
      expect(done.find((e) => e.elementId === 't4')?.elementInstanceKey).toBe(job4.elementInstanceKey);
      expect(await row(t, ref.processInstanceKey)).toMatchObject({ state: 'COMPLETED', snapshot: null, journal: null });
    }));

  it('writes a snapshot every 16 journal lines and at any other kind of step; a loop resumes half-way with its output', { timeout: 120_000 }, () =>
    withEngine(kind, { name: 'loop.bpmn', content: loopThenMessage }, async (t, rig) => {
      let engine = rig.engine;
      const items = Array.from({ length: 20 }, (_, i) => i + 1);
      const ref = await engine.createInstance({ bpmnProcessId: 'loop-then-message', variables: { items, key: 'k-1' } });
      await engine.settle();
      const snapshots = new Set<string>();
      const journalLengths: number[] = [];
      for (const item of items) {
        if (item === 11) {
          // restarted half-way through the loop: the rest of the output collection still fills in
          engine = await rig.restart();
        }
        await completeOne(engine, 'each', { done: item * 10 });
        const r = await row(t, ref.processInstanceKey);
        snapshots.add(r.snapshot!);
        journalLengths.push(r.journal ? r.journal.trim().split('\n').length : 0);
      }
      // items 1-16 journaled on the start's snapshot, the 17th saved a snapshot, 18-19 journaled,
      // the 20th ended the loop and opened a message subscription: a snapshot
      expect(journalLengths).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0, 1, 2, 0]);
      expect(snapshots.size).toBe(3);

      // and restarted between the last job and the message
      engine = await rig.restart();
      await engine.publishMessage({ name: 'go', correlationKey: 'k-1', timeToLive: 0 });
      await engine.settle();
      const details = await engine.getInstance(ref.processInstanceKey);
      expect(details?.state).toBe('COMPLETED');
      expect(details?.variables.results).toEqual(items.map((i) => i * 10));
    }));

  it('refuses to load an instance whose journal does not replay, naming the instance', { timeout: 120_000 }, () =>
    withEngine(kind, { name: 'five-tasks.bpmn', content: fiveTasks }, async (t, rig) => {
      let engine = rig.engine;
      const ref = await engine.createInstance({ bpmnProcessId: 'bench-five-tasks' });
      await engine.settle();
      await completeOne(engine, 'bench-1');
      const { journal } = await row(t, ref.processInstanceKey);
      const entry = JSON.parse(journal!.trim());
      await t.db('engine_instances').where({ key: Number(ref.processInstanceKey) }).update({ journal: `${JSON.stringify({ ...entry, w: 'no-such-wait' })}\n` });

      engine = await rig.restart();
      const [job] = await engine.activateJobs({ type: 'bench-2', maxJobsToActivate: 1, worker: 'journal-test', timeout: 60_000 });
      const err = await engine.completeJob(job.key, {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EngineError);
      expect((err as EngineError).message).toContain(`process instance ${ref.processInstanceKey} could not be restored`);
      // nothing was written over: the row still holds what it held
      expect((await row(t, ref.processInstanceKey)).state).toBe('ACTIVE');
    }));
});
