/**
 * Engine benchmarks (issue 2, "Must show"), all from one run:
 *
 * (a) the raw in-memory bpmn-engine loop on a 5-service-task process: the definition is parsed and
 *     serialized once and every instance gets it as `sourceContext`; service tasks complete at once
 *     (bpmn-elements' dummy service). Instances run one after another. Instances/s.
 * (b) the durable embedded engine straight through, same diagram, in-process workers completing
 *     at once, IN_FLIGHT instances running throughout (a new one starts as one ends): on PGlite (temp
 *     folder) and on Postgres (when reachable).
 *     Instances/s, with the ratio to (a) (target >= 0.6x), and what one instance costs: queries,
 *     transactions, snapshots taken and their size.
 * (c) memory: 10,000 instances parked on a message catch, in a child process run with
 *     --expose-gc (bench/engine-memory.ts): heap per parked instance and in total (target < 300 MB).
 *
 * No timed assertions: it reports. Progress goes to stderr.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Engine } from 'bpmn-engine';
import * as Elements from 'bpmn-elements';
import { BpmnModdle } from 'bpmn-moddle';
import serializer, { TypeResolver } from 'moddle-context-serializer';
import { EmbeddedEngine } from '../engine/embedded/engine.js';
import { InstanceRuntime } from '../engine/embedded/runtime.js';
import { createDb, migrate, type Db } from '../storage/db.js';

export interface Result {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  note?: string;
}

const here = import.meta.dirname;
export const FIVE_TASKS_BPMN = path.join(here, 'fixtures', 'five-tasks.bpmn');
export const PARKED_BPMN = path.join(here, 'fixtures', 'parked.bpmn');
export const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const RAW_N = Number(process.env.BENCH_RAW_N ?? 1000);
const DURABLE_N = Number(process.env.BENCH_DURABLE_N ?? 500);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 100);

export const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

export function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 5432) });
    socket.setTimeout(500);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

// ------------------------------------------------------------------------------------------ (a)

async function rawLoop(n: number): Promise<number> {
  const require = createRequire(import.meta.url);
  const zeebe = require('zeebe-bpmn-moddle/resources/zeebe.json');
  const xml = fs.readFileSync(FIVE_TASKS_BPMN, 'utf8');
  const moddle = await new BpmnModdle({ zeebe }).fromXML(xml);
  const sourceContext = serializer(moddle, TypeResolver({ ...Elements })); // parsed once
  const runOne = async () => {
    const engine = new Engine({ sourceContext, settings: { enableDummyService: true } } as never);
    const ended = new Promise<void>((resolve, reject) => {
      engine.once('end', () => resolve());
      engine.once('error', (err: unknown) => reject(err));
    });
    await engine.execute({ listener: { emit() {} } } as never);
    await ended;
  };
  for (let i = 0; i < 50; i++) await runOne(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await runOne();
  return n / ((performance.now() - t0) / 1000);
}

// ------------------------------------------------------------------------------------------ (b)

interface DurableStats {
  perSecond: number;
  queries: number;
  transactions: number;
  snapshots: number;
  /** Snapshots whose size was taken (a sample, so measuring stays out of the timed path). */
  sampled: number;
  snapshotBytes: number;
  instances: number;
  wallMs: number;
}

/** Runs `n` instances of the 5-task process straight through with `inFlight` in flight. */
async function durable(db: Db, n: number, inFlight: number, label: string): Promise<DurableStats> {
  const engine = new EmbeddedEngine({ db, pollInterval: 20 });
  await engine.start();
  await engine.deploy([{ name: 'five-tasks.bpmn', content: fs.readFileSync(FIVE_TASKS_BPMN, 'utf8') }]);
  for (let i = 1; i <= 5; i++) engine.createWorker({ type: `bench-${i}`, maxJobsToActivate: inFlight, timeout: 60_000, handler: async () => ({ outcome: 'complete' }) });

  // `count` instances with `inFlight` of them running at any time: a new one starts as one ends
  let done = 0;
  const runBatch = async (count: number) => {
    let ended = 0;
    let started = 0;
    await new Promise<void>((resolve, reject) => {
      const off = engine.on({
        instanceEnded: () => {
          ended++;
          done++;
          if (ended === count) {
            off();
            resolve();
          } else if (started < count) launch();
        },
      });
      const launch = () => {
        started++;
        engine.createInstance({ bpmnProcessId: 'bench-five-tasks', variables: { i: started } }).catch(reject);
      };
      for (let i = 0; i < Math.min(inFlight, count); i++) launch();
    });
  };
  await runBatch(Math.min(50, n)); // warm-up: models cached, connections open

  // instrumentation for the measured batch
  let queries = 0;
  let transactions = 0;
  let snapshotBytes = 0;
  const onQuery = (q: { sql?: string; bindings?: unknown[] }) => {
    queries++;
    if (/^begin/i.test(q.sql ?? '')) transactions++;
  };
  db.on('query', onQuery);
  let snapshots = 0;
  let sampled = 0;
  const original = InstanceRuntime.prototype.snapshot;
  InstanceRuntime.prototype.snapshot = async function (this: InstanceRuntime) {
    const s = await original.call(this);
    if (snapshots++ % 50 === 0) {
      sampled++;
      snapshotBytes += JSON.stringify(s).length;
    }
    return s;
  };
  const t0 = performance.now();
  done = 0;
  const tick = setInterval(() => progress(`${label}: ${done}/${n}`), 5000);
  try {
    await runBatch(n);
  } finally {
    clearInterval(tick);
    InstanceRuntime.prototype.snapshot = original;
    db.removeListener('query', onQuery);
  }
  const wallMs = performance.now() - t0;
  await engine.stop();
  return { perSecond: n / (wallMs / 1000), queries, transactions, snapshots, sampled, snapshotBytes, instances: n, wallMs };
}

function durableResults(label: string, s: DurableStats, raw: number): Result[] {
  const per = (x: number) => Math.round((x / s.instances) * 10) / 10;
  return [
    {
      name: `embedded engine, durable, ${label} (5 service tasks)`,
      value: round(s.perSecond),
      unit: 'instances/s',
      baseline: round(raw),
      ratio: round(s.perSecond / raw, 2),
      note: 'target >= 0.6x the raw loop',
    },
    {
      name: `  ${label}: cost per instance`,
      value: round((s.wallMs / s.instances) * 1, 2),
      unit: 'ms wall',
      // (time inside the async snapshot() includes waiting behind other instances, so it is not shown as a cost)
      note: `${per(s.queries)} queries, ${per(s.transactions)} transactions, ${per(s.snapshots)} snapshots of ${Math.round(s.snapshotBytes / Math.max(1, s.sampled))} B`,
    },
  ];
}

function round(x: number, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// ------------------------------------------------------------------------------------------ (c)

function memoryChild(): Promise<Result[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(here, 'engine-memory.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`bench/engine-memory.ts exited with ${code}: ${out}`));
      else resolve(JSON.parse(line.slice(7)) as Result[]);
    });
  });
}

// ------------------------------------------------------------------------------------------

export async function benchEngine(): Promise<Result[]> {
  const results: Result[] = [];
  progress(`raw bpmn-engine loop: ${RAW_N} instances`);
  const raw = await rawLoop(RAW_N);
  results.push({ name: 'raw bpmn-engine loop, in memory (5 service tasks)', value: round(raw), unit: 'instances/s', note: `${round(1000 / raw, 2)} ms/instance, definition parsed once` });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-'));
  try {
    progress(`durable on PGlite (${dir}): ${DURABLE_N} instances, ${IN_FLIGHT} in flight`);
    const db = createDb({ dataDir: dir });
    await migrate(db);
    try {
      results.push(...durableResults('PGlite', await durable(db, DURABLE_N, IN_FLIGHT, 'PGlite'), raw));
    } finally {
      await db.destroy();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  if (await reachable(POSTGRES_URL)) {
    const schema = `bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    progress(`durable on Postgres (schema ${schema}): ${DURABLE_N} instances, ${IN_FLIGHT} in flight`);
    const db = createDb({ url: POSTGRES_URL, schema, pool: { min: 0, max: 10 } });
    try {
      await migrate(db, schema);
      results.push(...durableResults('Postgres', await durable(db, DURABLE_N, IN_FLIGHT, 'Postgres'), raw));
    } finally {
      await db.raw('drop schema if exists ?? cascade', [schema]);
      await db.destroy();
    }
  } else {
    results.push({ name: 'embedded engine, durable, Postgres', value: NaN, unit: 'instances/s', note: `skipped: ${POSTGRES_URL} not reachable` });
  }

  progress('memory: 10,000 instances parked on a message (child process, --expose-gc)');
  results.push(...(await memoryChild()));
  return results;
}
