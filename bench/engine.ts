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
 *     transactions, settles, and the snapshots among them with their size.
 * (a) and (b) alternate in ROUNDS rounds (each side warmed up first with WARM_UP instances): this
 * machine's speed drifts, so each round's ratios are taken against that round's raw loop, and the
 * median is reported with every round's ratio beside it.
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
const DURABLE_N = Number(process.env.BENCH_DURABLE_N ?? 1000);
/** Instances run before measuring, on each side: until then the JIT is still warming up (500 measured after 50 read 20% slow). */
const WARM_UP = Number(process.env.BENCH_WARM_UP ?? 200);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

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

async function rawLoop(n: number, warmUp: boolean): Promise<number> {
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
  if (warmUp) for (let i = 0; i < WARM_UP; i++) await runOne();
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
  /** Times an instance settled and was saved: by a snapshot, or else by a journal line. */
  settles: number;
  /** Snapshots whose size was taken (a sample, so measuring stays out of the timed path). */
  sampled: number;
  snapshotBytes: number;
  instances: number;
  wallMs: number;
}

interface Rig {
  /** Runs `n` instances straight through and measures them. */
  measure(n: number): Promise<DurableStats>;
  stop(): Promise<void>;
}

/**
 * An engine on `db` with the 5-task process deployed and workers completing at once, warmed up
 * (WARM_UP instances). `measure(n)` runs `n` instances of it with `inFlight` in flight.
 */
async function durableRig(db: Db, inFlight: number, label: string): Promise<Rig> {
  // in-process workers get their jobs handed over; a long poll interval keeps an idle rig quiet while the other measures
  const engine = new EmbeddedEngine({ db, pollInterval: 1000 });
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
  await runBatch(WARM_UP); // models cached, connections open, code optimized

  const measure = async (n: number): Promise<DurableStats> => {
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
    let settles = 0;
    const proto = EmbeddedEngine.prototype as unknown as { flush: (...args: unknown[]) => Promise<void> };
    const flush = proto.flush;
    proto.flush = function (this: unknown, ...args: unknown[]) {
      settles++;
      return flush.apply(this, args);
    };
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
      proto.flush = flush;
      db.removeListener('query', onQuery);
    }
    const wallMs = performance.now() - t0;
    return { perSecond: n / (wallMs / 1000), queries, transactions, snapshots, settles, sampled, snapshotBytes, instances: n, wallMs };
  };
  return { measure, stop: () => engine.stop() };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** One kind's rounds: the median throughput and ratio, each round's ratio, and what an instance costs. */
function durableResults(label: string, rounds: DurableStats[], raws: number[]): Result[] {
  const ratios = rounds.map((r, i) => r.perSecond / raws[i]);
  const all = rounds.reduce((t, r) => ({ ...t, queries: t.queries + r.queries, transactions: t.transactions + r.transactions, snapshots: t.snapshots + r.snapshots, settles: t.settles + r.settles, sampled: t.sampled + r.sampled, snapshotBytes: t.snapshotBytes + r.snapshotBytes, instances: t.instances + r.instances, wallMs: t.wallMs + r.wallMs }));
  const per = (x: number) => Math.round((x / all.instances) * 10) / 10;
  return [
    {
      name: `embedded engine, durable, ${label} (5 service tasks)`,
      value: round(median(rounds.map((r) => r.perSecond))),
      unit: 'instances/s',
      baseline: round(median(raws)),
      ratio: round(median(ratios), 2),
      note: `target >= 0.6x the raw loop; median of ${rounds.length} rounds, each against the raw loop run just before it: ${ratios.map((x) => `${round(x, 2)}x`).join(', ')}`,
    },
    {
      name: `  ${label}: cost per instance`,
      value: round(all.wallMs / all.instances, 2),
      unit: 'ms wall',
      // (time inside the async snapshot() includes waiting behind other instances, so it is not shown as a cost)
      note: `${per(all.queries)} queries, ${per(all.transactions)} transactions; ${per(all.settles)} settles saved by ${per(all.snapshots)} snapshots of ${Math.round(all.snapshotBytes / Math.max(1, all.sampled))} B, the rest by journal lines`,
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
  // This machine's speed drifts over seconds to minutes, so the sides alternate: each round runs
  // the raw loop, then each durable store, and each store's ratio is taken against that round's loop.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-'));
  const rigs: { label: string; rig: Rig; rounds: DurableStats[]; close(): Promise<void> }[] = [];
  try {
    progress(`durable on PGlite (${dir}): warming up`);
    const lite = createDb({ dataDir: dir });
    await migrate(lite);
    rigs.push({ label: 'PGlite', rig: await durableRig(lite, IN_FLIGHT, 'PGlite'), rounds: [], close: () => lite.destroy() });
    const schema = `bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    if (await reachable(POSTGRES_URL)) {
      progress(`durable on Postgres (schema ${schema}): warming up`);
      const pg = createDb({ url: POSTGRES_URL, schema, pool: { min: 0, max: 10 } });
      await migrate(pg, schema);
      rigs.push({
        label: 'Postgres',
        rig: await durableRig(pg, IN_FLIGHT, 'Postgres'),
        rounds: [],
        close: async () => {
          await pg.raw('drop schema if exists ?? cascade', [schema]);
          await pg.destroy();
        },
      });
    }
    const raws: number[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      progress(`round ${r}/${ROUNDS}: raw bpmn-engine loop, ${RAW_N} instances`);
      raws.push(await rawLoop(RAW_N, r === 1));
      for (const rig of rigs) {
        progress(`round ${r}/${ROUNDS}: durable on ${rig.label}, ${DURABLE_N} instances, ${IN_FLIGHT} in flight`);
        rig.rounds.push(await rig.rig.measure(DURABLE_N));
      }
    }
    const raw = median(raws);
    results.push({ name: 'raw bpmn-engine loop, in memory (5 service tasks)', value: round(raw), unit: 'instances/s', note: `${round(1000 / raw, 2)} ms/instance, definition parsed once; median of ${ROUNDS} rounds: ${raws.map((x) => round(x)).join(', ')}` });
    for (const rig of rigs) results.push(...durableResults(rig.label, rig.rounds, raws));
    if (rigs.length === 1) results.push({ name: 'embedded engine, durable, Postgres', value: NaN, unit: 'instances/s', note: `skipped: ${POSTGRES_URL} not reachable` });
  } finally {
    for (const rig of rigs) {
      await rig.rig.stop();
      await rig.close();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }

  progress('memory: 10,000 instances parked on a message (child process, --expose-gc)');
  results.push(...(await memoryChild()));
  return results;
}
