/**
 * The crash test's child process: runs the embedded engine with a mix of instances until the
 * parent kills it (SIGKILL) or, in the last run, until every planned instance has completed.
 *
 * Everything the parent needs to judge a run goes to an append-only journal, fsynced line by line:
 *   run <pid> <journaled>              a run started (after engine.start()); <journaled> instances
 *                                      it found with a journal to replay (engine.ts `flush`)
 *   created <cid> <instanceKey>        createInstance resolved (the client got its ack)
 *   exec <jobKey> <elementInstanceKey> <pid>   a worker began a job, BEFORE completing it
 * stdout carries `ready` (engine started, workers open) and `done` (nothing left to do); the
 * parent ends every run with SIGKILL.
 *
 * Usage: node --import tsx child.ts '<json config>' (see ChildConfig).
 */
import fs from 'node:fs';
import path from 'node:path';
import { EmbeddedEngine } from '../../../engine/embedded/engine.js';
import { createDb, migrate } from '../../../storage/db.js';
import type { Job } from '../../../engine/types.js';

export interface ChildConfig {
  db: { url: string; schema: string } | { dataDir: string };
  journal: string;
  /** Instances to run: process id -> how many. */
  plan: Record<string, number>;
  /** Test hook for the orphan-instance reproduction: SIGKILL itself right after the instance row is inserted. */
  killAfterInstanceInsert?: boolean;
}

const cfg = JSON.parse(process.argv[2]) as ChildConfig;
const fixtures = path.join(import.meta.dirname, 'fixtures');

const fd = fs.openSync(cfg.journal, 'a');
function journal(line: string) {
  fs.writeSync(fd, line + '\n');
  fs.fsyncSync(fd);
}
const previous = fs.readFileSync(cfg.journal, 'utf8').split('\n');
const created = new Set(previous.filter((l) => l.startsWith('created ')).map((l) => l.split(' ')[1]));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const db = 'url' in cfg.db ? createDb({ url: cfg.db.url, schema: cfg.db.schema, pool: { min: 0, max: 8 } }) : createDb({ dataDir: cfg.db.dataDir });
await migrate(db, 'url' in cfg.db ? cfg.db.schema : undefined);
if (cfg.killAfterInstanceInsert) {
  db.on('query-response', (_r: unknown, q: { sql?: string }) => {
    // the row alone (knex) or inside the one-statement group commit (engine.ts applyPlain)
    if (/^(with c0 as \()?insert into "?engine_instances"?/.test(q.sql ?? '')) process.kill(process.pid, 'SIGKILL');
  });
}

// instances left with job completions journaled after their snapshot: this run resumes them by replay
const [{ n: journaled }] = await db('engine_instances').where({ state: 'ACTIVE' }).whereNotNull('journal').count('* as n');
const engine = new EmbeddedEngine({ db, pollInterval: 50 });
await engine.start();
await engine.deploy(fs.readdirSync(fixtures).filter((f) => f.endsWith('.bpmn')).map((name) => ({ name, content: fs.readFileSync(path.join(fixtures, name), 'utf8') })));
journal(`run ${process.pid} ${Number(journaled)}`);

for (const type of ['crash-a', 'crash-b', 'crash-c']) {
  engine.createWorker({
    type,
    timeout: 60_000,
    maxJobsToActivate: 16,
    handler: async (job: Job) => {
      journal(`exec ${job.key} ${job.elementInstanceKey} ${process.pid}`);
      await sleep(Math.random() * 30); // some jobs are mid-flight when the kill comes
      return { outcome: 'complete', variables: { [`done_${job.elementId}`]: true } };
    },
  });
}
process.stdout.write('ready\n');

const planned: { cid: string; process: string }[] = [];
for (const [proc, n] of Object.entries(cfg.plan)) for (let i = 0; i < n; i++) planned.push({ cid: `${proc}-${i}`, process: proc });
planned.sort((a, b) => Number(a.cid.split('-').pop()) - Number(b.cid.split('-').pop()));

const stopping = false;
const loops: Promise<void>[] = [];
function every(ms: number, body: () => Promise<void | boolean>) {
  loops.push(
    (async () => {
      while (!stopping) {
        try {
          if ((await body()) === true) return;
        } catch (err) {
          if (!stopping) process.stderr.write(`loop error: ${(err as Error).stack}\n`);
        }
        await sleep(ms);
      }
    })(),
  );
}

// Creates the planned instances a few at a time, so kills land while instances are still starting.
every(100, async () => {
  const todo = planned.filter((p) => !created.has(p.cid)).slice(0, 2);
  if (!todo.length) return true;
  await Promise.all(
    todo.map(async (p) => {
      const delay = `PT0.${2 + Math.floor(Math.random() * 7)}S`; // 200-800 ms, real clock
      const ref = await engine.createInstance({ bpmnProcessId: p.process, variables: { cid: p.cid, delay } });
      journal(`created ${p.cid} ${ref.processInstanceKey}`);
      created.add(p.cid);
    }),
  );
});

// Publishes the message every open subscription waits for (again after a kill: TTL 0, so a
// publish that was cut off is simply repeated, as a client without an ack would).
every(150, async () => {
  const subs = await db('engine_message_subscriptions').where({ message_name: 'crash-msg', state: 'OPEN' }).select('correlation_key');
  for (const s of subs) await engine.publishMessage({ name: 'crash-msg', correlationKey: s.correlation_key, variables: { paid: true }, timeToLive: 0 });
});

// Completes every open user task.
every(150, async () => {
  for (const task of await engine.listUserTasks()) {
    await engine.completeUserTask(task.userTaskKey, { reviewed: true }).catch((err) => {
      if ((err as { code?: string }).code !== 'NOT_FOUND') throw err;
    });
  }
});

// Reports `done` once every planned instance was created and none is left running.
every(200, async () => {
  if (planned.some((p) => !created.has(p.cid))) return;
  const [{ n }] = await db('engine_instances').where({ state: 'ACTIVE' }).whereNotNull('snapshot').count('* as n');
  if (Number(n) === 0) {
    process.stdout.write('done\n');
    return true;
  }
});
// No graceful stop: the parent ends every run with SIGKILL, the last one after `done`.
