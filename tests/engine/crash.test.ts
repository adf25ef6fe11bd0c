/**
 * Crash test (issue 2, "Must show"): a child process (crash/child.ts) runs the embedded engine with
 * a mix of instances (service tasks, real-clock timers of 200-800 ms, messages, user tasks, and a
 * diagram combining them); the parent kills it with SIGKILL at random points (100-700 ms after it
 * reports `ready`) CRASH_KILLS times (20 by default), restarting it each time, then lets it run to
 * the end and checks the database and the child's fsynced journal:
 *
 * - every instance the child was told exists (createInstance resolved) completed, on the expected path;
 * - no timer fired twice: each timer catch completed once per instance and its outgoing flow was taken once;
 * - every job a worker began before a kill either completed or ran again, and ended COMPLETED;
 * - no element (so no job) completed twice in the history.
 *
 * Runs on Postgres (own schema) and on PGlite (own temp folder), concurrently. The seed of the kill
 * delays is printed; CRASH_SEED=<n> replays it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { createDb, migrate, type Db, type DbKind } from '../../storage/db.js';
import { dbKinds, postgresUrl } from '../support/db.js';
import type { ChildConfig } from './crash/child.js';

const here = import.meta.dirname;
const childScript = path.join(here, 'crash', 'child.ts');
const repoRoot = path.resolve(here, '../..');
const KILLS = Number(process.env.CRASH_KILLS ?? 20);
const PLAN: Record<string, number> = { 'crash-jobs': 20, 'crash-timer': 20, 'crash-message': 20, 'crash-user': 20, 'crash-mixed': 20 };

/** Elements each instance must have completed exactly once (the join gateway aside). */
const PATHS: Record<string, string[]> = {
  'crash-jobs': ['start', 'a', 'b', 'c', 'end'],
  'crash-timer': ['start', 'a', 'timer', 'b', 'end'],
  'crash-message': ['start', 'message', 'c', 'end'],
  'crash-user': ['start', 'review', 'a', 'end'],
  'crash-mixed': ['start', 'fork', 'a', 'timer', 'message', 'review', 'b', 'end'],
};
/** The flow leaving the timer: taken once means the timer's successor was reached once. */
const AFTER_TIMER: Record<string, string> = { 'crash-timer': 'f3', 'crash-mixed': 'f5' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Run {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** true when the child printed `line`, false on timeout; throws when the child died first. */
  waitFor(line: string, ms: number): Promise<boolean>;
}

function startChild(config: ChildConfig): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, JSON.stringify(config)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const seen = new Set<string>();
  const waiters: { line: string; resolve: (v: boolean) => void; reject: (e: Error) => void }[] = [];
  let stderr = '';
  let buffer = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i).trim();
      buffer = buffer.slice(i + 1);
      seen.add(line);
      for (const w of waiters.filter((w) => w.line === line)) w.resolve(true);
    }
  });
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const w of waiters) w.reject(new Error(`child exited (code ${code}, signal ${signal}) before printing the awaited line:\n${stderr}`));
      resolve({ code, signal });
    }),
  );
  return {
    child,
    exited,
    waitFor: (line, ms) =>
      seen.has(line)
        ? Promise.resolve(true)
        : new Promise<boolean>((resolve, reject) => {
            const timer = setTimeout(() => resolve(false), ms);
            waiters.push({ line, resolve: (v) => (clearTimeout(timer), resolve(v)), reject: (e) => (clearTimeout(timer), reject(e)) });
          }),
  };
}

async function kill(run: Run) {
  run.child.kill('SIGKILL');
  await run.exited;
}

interface Target {
  config: Omit<ChildConfig, 'plan' | 'journal'>;
  open(): Db;
  cleanup(): Promise<void>;
}

async function target(kind: DbKind): Promise<Target> {
  if (kind === 'postgres') {
    const schema = `crash_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const open = () => createDb({ url: postgresUrl, schema, pool: { min: 0, max: 4 } });
    return {
      config: { db: { url: postgresUrl, schema } },
      open,
      cleanup: async () => {
        const db = open();
        await db.raw('drop schema if exists ?? cascade', [schema]);
        await db.destroy();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-crash-'));
  return {
    config: { db: { dataDir: path.join(dir, 'db') } },
    open: () => createDb({ dataDir: path.join(dir, 'db') }),
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

function count<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const it of items) m.set(key(it), (m.get(key(it)) ?? 0) + 1);
  return m;
}

const kinds = (await dbKinds()).filter((k) => !process.env.CRASH_KINDS || process.env.CRASH_KINDS.split(',').includes(k));

describe('embedded engine crash test', () => {
  for (const kind of kinds) {
    it.concurrent(
      `survives ${KILLS} SIGKILLs at random points on ${kind}`,
      async () => {
        const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
        const rand = prng(seed);
        const t = await target(kind);
        const journalPath = path.join(os.tmpdir(), `herald-crash-${randomUUID()}.journal`);
        fs.writeFileSync(journalPath, '');
        const config: ChildConfig = { ...t.config, journal: journalPath, plan: PLAN };
        const started = performance.now();
        let kills = 0;
        let stalls = 0;
        let db: Db | undefined;
        try {
          for (let k = 0; k < KILLS; k++) {
            const run = startChild(config);
            expect(await run.waitFor('ready', 30_000), `child ready before kill ${k + 1} (CRASH_SEED=${seed} replays this run)`).toBe(true);
            await sleep(100 + rand() * 600);
            await kill(run);
            kills++;
          }
          // The last run goes to the end. A run that makes no progress for 15 s is restarted and
          // counted as a stall (see the real-clock timer test below: a fired timer can hang the scheduler).
          for (;;) {
            const run = startChild(config);
            expect(await run.waitFor('ready', 30_000), `child ready for the last run (CRASH_SEED=${seed} replays this run)`).toBe(true);
            const done = await run.waitFor('done', 15_000);
            await kill(run);
            if (done) break;
            stalls++;
            if (stalls > 6) throw new Error(`the final run stalled ${stalls} times`);
          }
          const wall = performance.now() - started;

          // ---- read the journal and the database (the child is dead: PGlite's folder is free)
          const lines = fs.readFileSync(journalPath, 'utf8').split('\n').filter(Boolean);
          const runs = lines.filter((l) => l.startsWith('run ')).map((l) => l.split(' ')[1]);
          const resumedFromJournal = lines.filter((l) => l.startsWith('run ')).reduce((n, l) => n + Number(l.split(' ')[2] ?? 0), 0);
          const createdKey = new Map<string, string>();
          for (const l of lines.filter((l) => l.startsWith('created '))) {
            const [, cid, key] = l.split(' ');
            createdKey.set(cid, key);
          }
          const execs = lines.filter((l) => l.startsWith('exec ')).map((l) => {
            const [, jobKey, elementInstanceKey, pid] = l.split(' ');
            return { jobKey, elementInstanceKey, pid };
          });

          db = t.open();
          const instances: { key: number; bpmn_process_id: string; state: string; no_snapshot: boolean; variables: unknown }[] = await db('engine_instances').select(
            'key',
            'bpmn_process_id',
            'state',
            'variables',
            db.raw('snapshot is null as no_snapshot'),
          );
          const events: { instance_key: number; element_instance_key: string; element_id: string; state: string }[] = await db('engine_element_events')
            .orderBy('seq')
            .select('instance_key', 'element_instance_key', 'element_id', 'state');
          const jobs: { key: number; element_instance_key: string; state: string }[] = await db('engine_jobs').select('key', 'element_instance_key', 'state');
          const timerRows: { instance_key: number }[] = await db('engine_timers').whereNotNull('instance_key').select('instance_key');

          const byKey = new Map(instances.map((i) => [String(i.key), i]));
          const journaled = new Set(createdKey.values());
          // An instance row whose start never committed (no snapshot): createInstance never returned.
          const orphans = instances.filter((i) => i.state === 'ACTIVE' && i.no_snapshot && !journaled.has(String(i.key)));
          // Started and committed, but the kill came before the child heard back (it created the cid again).
          const unacked = instances.filter((i) => !journaled.has(String(i.key)) && !orphans.includes(i));

          const jobByKey = new Map(jobs.map((j) => [String(j.key), j]));
          const execCount = count(execs, (e) => e.jobKey);
          const reexecuted = [...execCount.entries()].filter(([, n]) => n > 1);
          const evCount = count(events, (e) => `${e.instance_key}|${e.element_id}|${e.state}`);
          const eiCompleted = count(
            events.filter((e) => e.state === 'COMPLETED'),
            (e) => e.element_instance_key,
          );
          const timerRowsPer = count(timerRows, (r) => String(r.instance_key));

          const report = {
            kind,
            seed,
            wallSeconds: Math.round(wall / 100) / 10,
            kills,
            runs: runs.length,
            resumedFromJournal,
            finalRunStalls: stalls,
            instancesPlanned: Object.values(PLAN).reduce((a, b) => a + b, 0),
            instanceRows: instances.length,
            orphanRows: orphans.length,
            unackedDuplicates: unacked.length,
            jobExecutions: execs.length,
            distinctJobsExecuted: execCount.size,
            reexecutedJobs: reexecuted.length,
            reexecutions: reexecuted.reduce((a, [, n]) => a + n - 1, 0),
            timersFired: events.filter((e) => e.element_id === 'timer' && e.state === 'COMPLETED').length,
            maxTimerRowsPerInstance: Math.max(0, ...timerRowsPer.values()),
            jobRowsCanceledThoughCompleted: jobs.filter((j) => j.state === 'CANCELED' && (eiCompleted.get(j.element_instance_key) ?? 0) === 1).length,
          };
          console.log(`crash test ${JSON.stringify(report)}`);

          const problems: string[] = [];
          // (resumedFromJournal, in the report, counts how often a kill came while an instance had
          // journaled job completions: 0-24 times in the runs of 2026-12-05, as the random kills
          // land, so it is not required here; journal.test.ts restarts from a journal every time)
          // every instance completes (every cid was acknowledged; every committed instance ran to the end)
          for (const [proc, n] of Object.entries(PLAN)) {
            for (let i = 0; i < n; i++) if (!createdKey.has(`${proc}-${i}`)) problems.push(`${proc}-${i} was never created`);
          }
          for (const inst of instances) {
            if (orphans.includes(inst)) continue; // covered by the orphan test below
            if (inst.state !== 'COMPLETED') problems.push(`instance ${inst.key} (${inst.bpmn_process_id}) is ${inst.state}`);
            const k = inst.key;
            // each element on the path completed exactly once and was activated once
            for (const el of PATHS[inst.bpmn_process_id]) {
              for (const state of ['ACTIVATED', 'COMPLETED']) {
                const n = evCount.get(`${k}|${el}|${state}`) ?? 0;
                if (n !== 1) problems.push(`instance ${k} (${inst.bpmn_process_id}): ${el} ${state} ${n} times`);
              }
            }
            // no timer fired twice: its outgoing flow was taken once
            const flow = AFTER_TIMER[inst.bpmn_process_id];
            if (flow && (evCount.get(`${k}|${flow}|TAKEN`) ?? 0) !== 1) problems.push(`instance ${k}: flow ${flow} after the timer taken ${evCount.get(`${k}|${flow}|TAKEN`) ?? 0} times`);
          }
          for (const key of journaled) if (!byKey.has(key)) problems.push(`acknowledged instance ${key} has no row`);
          // every job a worker began either completed or ran again, and ended completed
          // (A job completed by the command that ends its instance is stored CANCELED: a defect
          // with its own test below. Such a row counts as completed when its element completed.)
          const doneRow = (job: { state: string; element_instance_key: string }) =>
            job.state === 'COMPLETED' || (job.state === 'CANCELED' && (eiCompleted.get(job.element_instance_key) ?? 0) === 1);
          for (const [jobKey] of execCount) {
            const job = jobByKey.get(jobKey);
            if (!job) problems.push(`executed job ${jobKey} has no row`);
            else if (!doneRow(job)) problems.push(`executed job ${jobKey} is ${job.state}`);
            else if ((eiCompleted.get(job.element_instance_key) ?? 0) !== 1) problems.push(`job ${jobKey}'s element completed ${eiCompleted.get(job.element_instance_key) ?? 0} times`);
          }
          for (const job of jobs) {
            if (orphans.some((o) => job.element_instance_key.startsWith(`${o.key}/`))) continue;
            if (!doneRow(job)) problems.push(`job ${job.key} is ${job.state}`);
            if (!execCount.has(String(job.key))) problems.push(`job ${job.key} completed without a worker running it`);
          }
          // no element instance (so no job) completed twice
          for (const [ei, n] of eiCompleted) if (n > 1) problems.push(`element instance ${ei} completed ${n} times`);

          if (problems.length) console.log(`crash test problems (${kind}):\n${problems.join('\n')}`);
          expect(problems.slice(0, 30), `problems (CRASH_SEED=${seed} replays this run)`).toEqual([]);
          expect(kills).toBe(KILLS);
        } finally {
          await db?.destroy();
          if (process.env.CRASH_KEEP) console.log(`kept: ${JSON.stringify(config)}`);
          else {
            await t.cleanup();
            fs.rmSync(journalPath, { force: true });
          }
        }
      },
      400_000, // ~45 s (Postgres) and ~85 s (PGlite, slower to open) on an idle 2-core machine; several times that under load
    );
  }

  // Found by the crash test; each reproduced one defect deterministically and now guards its fix.
  it('a job completed by the command that ends its instance is stored COMPLETED, not CANCELED', async () => {
    // apply() cancels the open jobs of an ended instance before it marks the completed ones,
    // so the last job of every instance ends up CANCELED.
    const db = createDb({});
    await migrate(db);
    const engine = new EmbeddedEngine({ db, virtualClock: true });
    try {
      await engine.start();
      await engine.deploy([{ name: 'crash-jobs.bpmn', content: fs.readFileSync(path.join(here, 'crash/fixtures/crash-jobs.bpmn'), 'utf8') }]);
      const ref = await engine.createInstance({ bpmnProcessId: 'crash-jobs' });
      for (const type of ['crash-a', 'crash-b', 'crash-c']) {
        const [job] = await engine.activateJobs({ type, worker: 't', maxJobsToActivate: 1, timeout: 10_000 });
        await engine.completeJob(job.key);
        await engine.settle();
      }
      expect((await engine.getInstance(ref.processInstanceKey))?.state).toBe('COMPLETED');
      expect(await db('engine_jobs').orderBy('key').pluck('state')).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    } finally {
      await engine.stop();
      await db.destroy();
    }
  });

  it(
    'an instance whose start was cut off by a kill is not left ACTIVE without a state (orphan row)',
    async () => {
      // The instance row is inserted (autocommit) before the started instance is saved in a
      // later transaction; a kill in between leaves an ACTIVE row with no snapshot, forever.
      const t = await target(kinds.includes('postgres') ? 'postgres' : 'pglite');
      const journal = path.join(os.tmpdir(), `herald-crash-${randomUUID()}.journal`);
      fs.writeFileSync(journal, '');
      const config: ChildConfig = { ...t.config, journal, plan: { 'crash-jobs': 1 } };
      const db = () => t.open();
      let d: Db | undefined;
      try {
        const first = startChild({ ...config, killAfterInstanceInsert: true });
        const exit = await first.exited;
        expect(exit.signal).toBe('SIGKILL');
        const second = startChild(config); // restarts the engine; the client creates the instance again
        expect(await second.waitFor('done', 30_000)).toBe(true);
        await kill(second);
        d = db();
        const stuck = await d('engine_instances').where({ state: 'ACTIVE' }).select('key');
        expect(stuck).toEqual([]);
      } finally {
        await d?.destroy();
        await t.cleanup();
        fs.rmSync(journal, { force: true });
      }
    },
    60_000,
  );

  it(
    'on the real clock, a timer due after another timer fired still fires (scheduler must not wait on itself)',
    async () => {
      // fireDueTimers runs tracked (in `pending`) and awaits settle(), which waits for `pending`:
      // after the first timer fires, that run never ends and nothing schedules the next timer.
      const db = createDb({});
      await migrate(db);
      const engine = new EmbeddedEngine({ db });
      await engine.start();
      await engine.deploy([{ name: 'crash-timer.bpmn', content: fs.readFileSync(path.join(here, 'crash/fixtures/crash-timer.bpmn'), 'utf8') }]);
      for (const type of ['crash-a', 'crash-b']) engine.createWorker({ type, handler: async () => ({ outcome: 'complete' }) });
      const refs = await Promise.all(['PT0.2S', 'PT0.6S'].map((delay) => engine.createInstance({ bpmnProcessId: 'crash-timer', variables: { cid: 'x', delay } })));
      await sleep(2500);
      const states = await Promise.all(refs.map(async (r) => (await engine.getInstance(r.processInstanceKey))?.state));
      void engine.stop(); // hangs as well (settle() waits on the stuck timer run); not awaited
      expect(states).toEqual(['COMPLETED', 'COMPLETED']);
    },
    20_000,
  );

  it(
    'stop() returns after a timer fired on the real clock',
    async () => {
      const db = createDb({});
      await migrate(db);
      const engine = new EmbeddedEngine({ db });
      await engine.start();
      await engine.deploy([{ name: 'crash-timer.bpmn', content: fs.readFileSync(path.join(here, 'crash/fixtures/crash-timer.bpmn'), 'utf8') }]);
      for (const type of ['crash-a', 'crash-b']) engine.createWorker({ type, handler: async () => ({ outcome: 'complete' }) });
      await engine.createInstance({ bpmnProcessId: 'crash-timer', variables: { cid: 'x', delay: 'PT0.2S' } });
      await sleep(1000);
      const stopped = await Promise.race([engine.stop().then(() => true), sleep(3000).then(() => false)]);
      expect(stopped).toBe(true);
    },
    20_000,
  );
});
