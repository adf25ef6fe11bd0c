/**
 * Memory per parked instance (bench/engine.ts runs this with --expose-gc): 10,000 instances of a
 * process waiting on a message catch, on Postgres when reachable (so the database's own memory is
 * not in this heap), else PGlite in a temp folder. Prints `RESULT <json>` on stdout.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedEngine } from '../engine/embedded/engine.js';
import { createDb, migrate } from '../storage/db.js';
import { PARKED_BPMN, POSTGRES_URL, progress, reachable, type Result } from './engine.js';

const N = Number(process.env.BENCH_PARKED_N ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const settleGc = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  return process.memoryUsage();
};

const pg = await reachable(POSTGRES_URL);
const schema = `bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const dir = pg ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-mem-'));
const db = pg ? createDb({ url: POSTGRES_URL, schema, pool: { min: 0, max: 10 } }) : createDb({ dataDir: dir! });
try {
  await migrate(db, pg ? schema : undefined);
  const engine = new EmbeddedEngine({ db });
  await engine.start();
  await engine.deploy([{ name: 'bench.bpmn', content: fs.readFileSync(PARKED_BPMN, 'utf8') }]);
  // one instance first, so models, FEEL and the pool are warm before the baseline
  await engine.createInstance({ bpmnProcessId: 'bench-parked', variables: { cid: 'warm' } });
  await engine.settle();
  const before = await settleGc();
  const t0 = performance.now();
  const inFlight = 200;
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < N) {
        const i = next++;
        await engine.createInstance({ bpmnProcessId: 'bench-parked', variables: { cid: `c${i}`, n: i } });
        if (i % 2000 === 1999) progress(`parked ${i + 1}/${N} (${Math.round(performance.now() - t0)} ms)`);
      }
    }),
  );
  await engine.settle();
  const createMs = performance.now() - t0;
  const after = await settleGc();
  const parked = await db('engine_message_subscriptions').where({ message_name: 'bench-wake' }).count('* as n').first();
  const heapDelta = after.heapUsed - before.heapUsed;
  const mb = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;
  const results: Result[] = [
    {
      name: `memory: ${N} instances parked on a message (${pg ? 'Postgres' : 'PGlite'})`,
      value: mb(after.heapUsed),
      unit: 'MB heap used',
      note: `target < 300 MB; +${mb(heapDelta)} MB over the idle engine; rss ${mb(after.rss)} MB, external ${mb(after.external)} MB; ${Number(parked?.n)} subscriptions open; created at ${Math.round(N / (createMs / 1000))}/s`,
    },
    { name: '  heap per parked instance', value: Math.round(heapDelta / N), unit: 'bytes', note: 'heapUsed after gc, minus the idle engine, / N (the engine keeps at most cacheSize instances in memory)' },
  ];
  process.stdout.write(`RESULT ${JSON.stringify(results)}\n`);
  // no engine.stop(): nothing is in flight, and the process exits
} finally {
  if (pg) await db.raw('drop schema if exists ?? cascade', [schema]).catch(() => undefined);
  await db.destroy();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
