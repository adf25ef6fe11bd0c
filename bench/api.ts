/**
 * The API under load (issue 4, "Must show"): autocannon drives the running Herald API over
 * loopback, in this process's event loop as it would run in production, and a bare Fastify route
 * in the same run is the baseline (what the HTTP stack alone can do here).
 *
 *   - GET /api/tasks as an agent (token auth, visibility filter, one query);
 *   - claim + complete a task (segregation of duties checked twice, audit rows hash-chained in the
 *     same transactions, the engine told after the commit);
 *   - POST /api/events (HMAC verified, idempotency receipt, audit row, message published).
 *
 * Database: Postgres when reachable (the production store), else PGlite. Requests/s and p99 in
 * ms, with the ratio to the bare route. It reports; it asserts nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { buildApp } from '../api/app.js';
import { sign } from '../api/services/signature.js';
import { silentLogger } from '../config/log.js';
import { EmbeddedEngine } from '../engine/embedded/engine.js';
import { createDb, migrate, type Db } from '../storage/db.js';
import { seedDemoUsers } from '../storage/repositories/identity.js';
import { createTaskRepository } from '../storage/repositories/tasks.js';
import { POSTGRES_URL, progress, reachable, type Result } from './engine.js';

const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 10);
const TASKS = Number(process.env.BENCH_API_TASKS ?? 300);
const SECRET = 'bench-api-secret';
const FIXTURE = path.join(import.meta.dirname, '..', 'tests', 'api', 'fixtures', 'api-approval.bpmn');

interface Run {
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
}

async function cannon(opts: autocannon.Options): Promise<Run> {
  const r = await autocannon({ connections: CONNECTIONS, ...opts });
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, total: r.requests.total };
}

async function openDb(): Promise<{ db: Db; label: string; cleanup: () => Promise<void> }> {
  if (await reachable(POSTGRES_URL)) {
    const schema = `bench_api_${process.pid}`;
    // the schema is dropped from a second connection after the bench's own pool has closed: the
    // API's background work may still hold locks on it until then (dropping from the pool deadlocks)
    const admin = createDb({ url: POSTGRES_URL });
    await admin.raw(`create schema if not exists ${schema}`);
    const db = createDb({ url: POSTGRES_URL, schema });
    await migrate(db);
    return {
      db,
      label: 'Postgres',
      cleanup: async () => {
        await db.destroy();
        await admin.raw(`drop schema if exists ${schema} cascade`);
        await admin.destroy();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-api-'));
  const db = createDb({ dataDir: dir });
  await migrate(db);
  return { db, label: 'PGlite', cleanup: async () => (await db.destroy(), fs.rmSync(dir, { recursive: true, force: true })) };
}

export async function benchApi(): Promise<Result[]> {
  const { db, label, cleanup } = await openDb();
  const engine = new EmbeddedEngine({ db, pollInterval: 20 });
  await engine.start();
  await engine.deploy([{ name: 'api-approval.bpmn', content: fs.readFileSync(FIXTURE) }]);
  const people = await seedDemoUsers(db, SECRET);
  const token = (id: string) => people.find((p) => p.user.id === id)!.token;
  const app = await buildApp({ engine, db, logger: silentLogger, secret: SECRET, rateLimit: { max: 10_000_000, timeWindow: 60_000 } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const bare = Fastify();
  bare.get('/bare', async () => ({ ok: true }));
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/bare`;

  try {
    progress(`api (${label}): ${TASKS} open tasks for the tasklist`);
    for (let i = 0; i < TASKS; i++) await engine.createInstance({ bpmnProcessId: 'api-approval', variables: { dueDate: null, priority: 50, i } });
    const tasks = createTaskRepository(db);
    for (let i = 0; (await tasks.list({ bpmnProcessId: 'api-approval', limit: 500 })).length < TASKS; i++) {
      if (i > 600) throw new Error('the tasklist did not record the tasks within a minute');
      await new Promise((r) => setTimeout(r, 100));
    }
    const open = (await tasks.list({ bpmnProcessId: 'api-approval', limit: 500 })).map((t) => t.key);

    progress(`api: bare Fastify route, ${SECONDS} s`);
    const baseline = await cannon({ url: bareUrl, duration: SECONDS });

    progress(`api: GET /api/tasks, ${SECONDS} s`);
    const list = await cannon({ url: `${base}/api/tasks?limit=50`, duration: SECONDS, headers: { authorization: `Bearer ${token('sam')}` } });

    progress(`api: claim + complete ${open.length} tasks`);
    const queue = [...open];
    const auth = { authorization: `Bearer ${token('sam')}`, 'content-type': 'application/json' };
    const t0 = performance.now();
    const work = await cannon({
      url: base,
      amount: open.length * 2,
      requests: [
        {
          method: 'POST',
          headers: auth,
          body: '{}',
          setupRequest: (req, context) => {
            const key = queue.shift();
            (context as { key?: string }).key = key;
            return { ...req, path: `/api/tasks/${key}/claim` };
          },
        },
        {
          method: 'POST',
          headers: auth,
          setupRequest: (req, context) => ({ ...req, path: `/api/tasks/${(context as { key?: string }).key}/completion`, body: JSON.stringify({ variables: { prepared: true } }) }),
        },
      ],
    });
    const completedPerSecond = (work.total - work.non2xx) / 2 / ((performance.now() - t0) / 1000);

    progress(`api: POST /api/events, ${SECONDS} s`);
    let n = 0;
    const events = await cannon({
      url: `${base}/api/events`,
      duration: SECONDS,
      method: 'POST',
      setupClient: (client) => {
        client.setHeaders({ 'content-type': 'application/json' });
      },
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => {
            n++;
            const body = JSON.stringify({ type: 'payment.received', source: 'bank', data: { invoiceId: `INV-BENCH-${n}`, paymentId: `PAY-${n}`, amount: '100.00', currency: 'USD' } });
            // the event id in the signature is the Idempotency-Key, as a sender should do: a signature is single-use
            const key = `bench-${process.pid}-${n}`;
            return { ...req, body, headers: { ...req.headers, 'content-type': 'application/json', 'idempotency-key': key, 'x-herald-signature': sign(SECRET, body, undefined, key) } };
          },
        },
      ],
    });

    const row = (name: string, r: Run, note: string): Result[] => [
      { name, value: round(r.rps), unit: 'requests/s', baseline: round(baseline.rps), ratio: round(r.rps / baseline.rps, 3), note: `${note}; ${r.non2xx} non-2xx, ${r.errors} errors` },
      { name: `  ${name}: p99`, value: r.p99, unit: 'ms', baseline: baseline.p99, note: `bare route p99 ${baseline.p99} ms` },
    ];
    return [
      { name: `bare Fastify route (baseline, ${CONNECTIONS} connections)`, value: round(baseline.rps), unit: 'requests/s', note: `p99 ${baseline.p99} ms` },
      ...row(`GET /api/tasks (${label})`, list, 'token auth, visibility filter, 50 tasks'),
      ...row(`claim + complete a task (${label})`, work, `${round(completedPerSecond)} tasks/s completed; SoD and audit in each transaction`),
      ...row(`POST /api/events (${label})`, events, 'HMAC, idempotency receipt, audit row, message published'),
    ];
  } finally {
    await bare.close();
    await app.close();
    await engine.stop();
    await cleanup();
  }
}

function round(x: number, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
