/**
 * Jobs handed straight to in-process workers (engine.ts `reserveWorker` / `EmbeddedWorker.deliver`):
 * a straight-through process runs to the end without the workers polling the database after
 * every job (they poll when a job was stored for no worker, and on their interval), and each
 * settle is written by the one-statement group commit, on PGlite and on Postgres.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { oneServiceTask } from '../support/bpmn.js';
import { dbKinds, openTestDb } from '../support/db.js';

const xml = fs.readFileSync(path.join(import.meta.dirname, '../../bench/fixtures/five-tasks.bpmn'), 'utf8');
// one job, then the end: completing it stores no other job (which would poke every worker)
const oneTask = oneServiceTask('one-task', 'one-task-work');

describe.each(await dbKinds())('jobs handed to in-process workers on %s', (kind) => {
  it('run 20 instances to the end without one activation poll, and keep the history', { timeout: 120_000 }, async () => {
    const t = await openTestDb(kind);
    const engine = new EmbeddedEngine({ db: t.db, pollInterval: 60_000 });
    const sql: string[] = [];
    const onQuery = (q: { sql?: string }) => sql.push(q.sql ?? '');
    try {
      await engine.start();
      await engine.deploy([{ name: 'five-tasks.bpmn', content: xml }]);
      const handled: string[] = [];
      for (let i = 1; i <= 5; i++) {
        engine.createWorker({ type: `bench-${i}`, maxJobsToActivate: 32, timeout: 60_000, handler: async (job) => (handled.push(`${job.processInstanceKey}:${job.elementId}`), { outcome: 'complete', variables: { [`t${i}`]: true } }) });
      }
      await new Promise((r) => setTimeout(r, 200)); // the workers' first polls (nothing to take yet)
      t.db.on('query', onQuery);
      const ended = new Set<string>();
      const all = new Promise<void>((resolve) => engine.on({ instanceEnded: (ref) => (ended.add(ref.processInstanceKey), ended.size === 20 && resolve()) }));
      const refs = await Promise.all(Array.from({ length: 20 }, (_, i) => engine.createInstance({ bpmnProcessId: 'bench-five-tasks', variables: { i } })));
      await all;
      t.db.removeListener('query', onQuery);

      expect(handled).toHaveLength(100);
      expect(new Set(handled).size).toBe(100);
      const activations = sql.filter((s) => /update "engine_jobs" set "state" = (\?|\$1), "worker"/.test(s));
      expect(activations).toEqual([]); // (polling after every job made 13 or more here)
      for (const ref of refs) {
        const details = await engine.getInstance(ref.processInstanceKey);
        expect(details?.state).toBe('COMPLETED');
        expect(details?.variables).toEqual({ i: expect.any(Number), t1: true, t2: true, t3: true, t4: true, t5: true });
        expect(details?.elements.filter((e) => e.state === 'COMPLETED').map((e) => e.elementId).sort()).toEqual(['end', 'start', 't1', 't2', 't3', 't4', 't5']);
      }
      const jobs = await t.db('engine_jobs').whereIn('instance_key', refs.map((r) => Number(r.processInstanceKey))).select('state');
      expect(jobs).toHaveLength(100);
      expect(jobs.every((j) => j.state === 'COMPLETED')).toBe(true);
    } finally {
      await engine.stop();
      await t.close();
    }
  });

  it('drains a backlog of stored jobs through a worker with few slots, without waiting for its interval', { timeout: 120_000 }, async () => {
    const t = await openTestDb(kind);
    const engine = new EmbeddedEngine({ db: t.db, pollInterval: 60_000 });
    try {
      await engine.start();
      await engine.deploy([{ name: 'one-task.bpmn', content: oneTask }]);
      // 30 jobs stored with no worker to take them
      const refs = await Promise.all(Array.from({ length: 30 }, (_, i) => engine.createInstance({ bpmnProcessId: 'one-task', variables: { i } })));
      expect(await t.db('engine_jobs').where({ type: 'one-task-work', state: 'ACTIVATABLE' }).count({ n: '*' }).first()).toEqual({ n: 30 });
      const taken: string[] = [];
      engine.createWorker({ type: 'one-task-work', maxJobsToActivate: 4, timeout: 60_000, handler: async (job) => (taken.push(job.processInstanceKey), { outcome: 'complete' }) });
      // then every one is taken long before the worker's next interval poll (60 s)
      const deadline = Date.now() + 20_000;
      while (taken.length < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(new Set(taken)).toEqual(new Set(refs.map((r) => r.processInstanceKey)));
    } finally {
      await engine.stop();
      await t.close();
    }
  });
});
