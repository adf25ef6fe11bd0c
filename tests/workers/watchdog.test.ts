/**
 * The worker-liveness watchdog with a worker process that is killed: the child takes a job and is
 * SIGKILLed mid-job; its heartbeats stop, so the job type has no live worker and the watchdog
 * warns once the alert threshold passed; the engine hands the job out again (at its timeout, or
 * sooner when the dead process's engine node is swept); a new worker completes it, and the
 * job's holders show the dead worker first, then the live one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObservability } from '../../api/observability/metrics.js';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { silentLogger } from '../../config/log.js';
import { workerLivenessRepository } from '../../storage/repositories/worker-liveness.js';
import { createWorkerLiveness, type WorkerLiveness } from '../../workers/watchdog.js';
import { dbKinds, openTestDb, postgresUrl, type TestDb } from '../support/db.js';

const hasPostgres = (await dbKinds()).includes('postgres');
const repoRoot = path.resolve(import.meta.dirname, '../..');
const type = `watchdog-probe-${randomUUID().slice(0, 8)}`;
const JOB_TIMEOUT_MS = 4_000;

const diagram = (processId: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="http://herald.example">
  <bpmn:process id="${processId}" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="probe" />
    <bpmn:serviceTask id="probe"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="probe" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;

const waitFor = async <T>(what: string, get: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe.skipIf(!hasPostgres)('worker-liveness watchdog with a killed worker process', () => {
  let t: TestDb;
  let engine: EmbeddedEngine;
  let child: ChildProcess | undefined;
  let liveness: WorkerLiveness | undefined;
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) }));

  beforeAll(async () => {
    t = await openTestDb('postgres');
    engine = new EmbeddedEngine({ db: t.db, pollInterval: 50, logger: silentLogger });
    await engine.start();
  }, 60_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await liveness?.close();
    await engine?.stop();
    await t?.close();
  });

  it('warns when a job type has no live worker, hands the dead worker job on, and shows who held it', async () => {
    // given an instance waiting at a service task, and a worker process that takes its job
    const processId = `watchdog_${randomUUID().slice(0, 8)}`;
    await engine.deploy([{ name: `${processId}.bpmn`, content: diagram(processId) }]);
    const instance = await engine.createInstance({ bpmnProcessId: processId });
    const childId = `child/${randomUUID().slice(0, 6)}`;
    child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'watchdog', 'worker-child.ts'), JSON.stringify({ url: postgresUrl, schema: t.schema, type, timeoutMs: JOB_TIMEOUT_MS, workerId: childId })], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    const jobKey = await waitFor('the child to take the job', async () => /held (\d+)/.exec(out)?.[1], 90_000);
    const repo = workerLivenessRepository(t.db);
    expect((await repo.live(new Date())).get(type)).toEqual([childId]);

    // when the worker process is killed mid-job
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await waitFor('the child to exit', async () => child?.exitCode !== null || child?.signalCode !== null);

    // then, with no live worker left for the type, the watchdog raises the alert once the threshold passed
    liveness = createWorkerLiveness({ db: t.db, log, workerId: `parent/${process.pid}`, heartbeatMs: 200, staleAfterMs: 600, alertAfterMs: 1_000 });
    const alerts = await waitFor('the watchdog alert', async () => {
      const over = await liveness!.check();
      return over.some((u) => u.type === type) && over;
    });
    expect(alerts.find((u) => u.type === type)?.seconds).toBeGreaterThanOrEqual(1);
    expect(lines.filter((l) => l.jobType === type && l.level === 40)).toHaveLength(1);
    expect(String(lines.find((l) => l.jobType === type)?.msg)).toMatch(new RegExp(`no live worker for job type ${type}`));
    // and /metrics shows the type unattended, with no live worker
    const observability = createObservability({ db: t.db, logger: silentLogger });
    const text = await observability.scrape();
    expect(Number(new RegExp(`herald_worker_unattended_seconds\\{type="${type}"\\} ([0-9.]+)`).exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    expect(text).toContain(`herald_workers_live{type="${type}"} 0`);

    // when a worker for the type starts in this process
    let handedOnAt = 0;
    liveness.wrap(engine).createWorker({ type, timeout: 30_000, handler: async () => ((handedOnAt = Date.now()), { outcome: 'complete' }) });
    liveness.start();

    // then the dead worker's job is handed to it and the instance completes
    await waitFor('the instance to complete', async () => (await engine.getInstance(instance.processInstanceKey))?.state === 'COMPLETED', 90_000);
    expect(handedOnAt - killedAt).toBeLessThan(JOB_TIMEOUT_MS + 30_000);
    console.log(`[watchdog] job handed on ${handedOnAt - killedAt} ms after its worker was killed (job timeout ${JOB_TIMEOUT_MS} ms)`);
    // and the job's holders name the dead worker first (no longer alive), then this one
    const holds = await repo.holdsForInstance(instance.processInstanceKey, new Date());
    expect(holds.map((h) => ({ jobKey: h.jobKey, worker: h.workerId, alive: h.workerAlive }))).toEqual([
      { jobKey, worker: childId, alive: false },
      { jobKey, worker: `parent/${process.pid}`, alive: true },
    ]);
    // and the alert clears
    await waitFor('the alert to clear', async () => !(await liveness!.check()).some((u) => u.type === type));
    expect(lines.some((l) => l.jobType === type && /live worker again/.test(String(l.msg)))).toBe(true);
  }, 240_000);
});
