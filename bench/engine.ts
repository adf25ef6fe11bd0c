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
 * (a') beside them, the raw engine again with IN_FLIGHT instances running at a time (each service
 *     task completing on the next turn of the event loop), and (b)'s ratio to it: what running
 *     that many bpmn-engine instances side by side costs bpmn-engine itself, durability aside.
 * Each side runs in a process of its own with the same Node flags (bench/engine-side.ts), warmed
 * up with WARM_UP instances first, and measures a turn of N instances when asked; the sides take
 * turns in ROUNDS rounds, each round starting with the next side. This machine's speed drifts,
 * so each round's ratios are taken against that round's raw turns, and the median is reported
 * with every round's ratio beside it.
 * (c) memory: 10,000 instances parked on a message catch, in a child process run with
 *     --expose-gc (bench/engine-memory.ts): heap per parked instance and in total (target < 300 MB).
 *
 * No timed assertions: it reports. Progress goes to stderr.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createDb, migrate } from '../storage/db.js';
import type { SideResult } from './engine-side.js';

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
/** Instances measured on each side, each round. */
const N = Number(process.env.BENCH_N ?? 500);
/** Instances run before measuring, on each side: until then the JIT is still warming up (500 measured after 50 read 20% slow). */
export const WARM_UP = Number(process.env.BENCH_WARM_UP ?? 200);
export const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);

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

// ---------------------------------------------------------------------------------- (a), (b)

/** Runs a bench script in a child process and returns the JSON it prints after `RESULT `. */
function child<T>(script: string, nodeFlags: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', path.join(here, script)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('error', reject);
    proc.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`bench/${script} exited with ${code}: ${out}`));
      else resolve(JSON.parse(line.slice(7)) as T);
    });
  });
}

interface SideProcess {
  measure(n: number): Promise<SideResult>;
  exit(): Promise<void>;
}

/** Starts one side (bench/engine-side.ts) and waits until it has warmed up. */
function startSide(args: string[]): Promise<SideProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'engine-side.ts'), ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  const next = <T>(key: 'ready' | 'result'): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: Record<string, unknown>) => {
        if (!(key in m)) return;
        proc.off('message', onMessage);
        resolve(m[key] as T);
      };
      proc.on('message', onMessage);
      void exited.then((code) => reject(new Error(`bench/engine-side.ts ${args.join(' ')} exited with ${code}`)));
    });
  return next<true>('ready').then(() => ({
    measure: (n) => {
      proc.send({ measure: n });
      return next<SideResult>('result');
    },
    exit: async () => {
      if (proc.exitCode === null) proc.send({ exit: true });
      await exited;
    },
  }));
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * One store's rounds: the median throughput and ratio to the raw loop (the target), each round's
 * ratio, the ratio to the raw engine with as many instances in flight, and what an instance costs.
 */
function durableResults(label: string, rounds: SideResult[], raws: SideResult[], rawsInFlight: SideResult[]): Result[] {
  const ratios = rounds.map((r, i) => r.perSecond / raws[i].perSecond);
  const inFlightRatios = rounds.map((r, i) => r.perSecond / rawsInFlight[i].perSecond);
  const sum = (f: (r: SideResult) => number | undefined) => rounds.reduce((t, r) => t + (f(r) ?? 0), 0);
  const instances = sum((r) => r.instances);
  const per = (x: number) => round(x / instances);
  const list = (xs: number[]) => xs.map((x) => `${round(x, 2)}x`).join(', ');
  return [
    {
      name: `embedded engine, durable, ${label} (5 service tasks)`,
      value: round(median(rounds.map((r) => r.perSecond))),
      unit: 'instances/s',
      baseline: round(median(raws.map((r) => r.perSecond))),
      ratio: round(median(ratios), 2),
      note: `target >= 0.6x the raw loop; median of ${rounds.length} rounds, each against that round's raw loop: ${list(ratios)}`,
    },
    {
      name: `  ${label} against the raw engine, ${IN_FLIGHT} in flight`,
      value: round(median(inFlightRatios), 2),
      unit: 'x',
      note: `each round: ${list(inFlightRatios)}`,
    },
    {
      name: `  ${label}: cost per instance`,
      value: round(sum((r) => r.wallMs) / instances, 2),
      unit: 'ms wall',
      // (time inside the async snapshot() includes waiting behind other instances, so it is not shown as a cost)
      note: `${per(sum((r) => r.queries))} queries, ${per(sum((r) => r.transactions))} transactions; ${per(sum((r) => r.settles))} settles saved by ${per(sum((r) => r.snapshots))} snapshots of ${Math.round(sum((r) => r.snapshotBytes) / Math.max(1, sum((r) => r.sampled)))} B, the rest by journal lines`,
    },
  ];
}

function round(x: number, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// ------------------------------------------------------------------------------------------

export async function benchEngine(): Promise<Result[]> {
  const results: Result[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-'));
  const schema = `bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const pg = (await reachable(POSTGRES_URL)) ? createDb({ url: POSTGRES_URL, schema, pool: { min: 0, max: 2 } }) : undefined;
  const sides: { label: string; args: string[]; process?: SideProcess; turns: SideResult[] }[] = [
    { label: 'raw loop', args: ['raw'], turns: [] },
    { label: `raw, ${IN_FLIGHT} in flight`, args: ['raw-in-flight'], turns: [] },
    { label: 'PGlite', args: ['pglite', dir], turns: [] },
  ];
  if (pg) sides.push({ label: 'Postgres', args: ['postgres', schema], turns: [] });
  try {
    progress(`migrating PGlite (${dir})${pg ? ` and Postgres (schema ${schema})` : ''}`);
    const lite = createDb({ dataDir: dir });
    await migrate(lite);
    await lite.destroy(); // its side's process opens the folder
    if (pg) await migrate(pg, schema);
    for (const side of sides) {
      progress(`${side.label}: starting, warming up (${WARM_UP} instances)`);
      side.process = await startSide(side.args);
    }
    for (let r = 1; r <= ROUNDS; r++) {
      progress(`round ${r}/${ROUNDS}: ${N} instances on each side, in turn`);
      // each round starts one side further on, so no side always measures first or last
      for (let i = 0; i < sides.length; i++) {
        const side = sides[(i + r - 1) % sides.length];
        side.turns.push(await side.process!.measure(N));
      }
    }
  } finally {
    for (const side of sides) await side.process?.exit();
    if (pg) {
      await pg.raw('drop schema if exists ?? cascade', [schema]);
      await pg.destroy();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const [raws, rawsInFlight] = sides.map((s) => s.turns);
  const raw = median(raws.map((r) => r.perSecond));
  results.push({ name: 'raw bpmn-engine loop, in memory (5 service tasks)', value: round(raw), unit: 'instances/s', note: `${round(1000 / raw, 2)} ms/instance, definition parsed once, one instance at a time; median of ${ROUNDS} rounds: ${raws.map((x) => round(x.perSecond)).join(', ')}` });
  const rawInFlight = median(rawsInFlight.map((r) => r.perSecond));
  results.push({ name: `raw bpmn-engine, ${IN_FLIGHT} in flight`, value: round(rawInFlight), unit: 'instances/s', note: `${round(1000 / rawInFlight, 2)} ms/instance; each service task completes on the next turn; rounds: ${rawsInFlight.map((x) => round(x.perSecond)).join(', ')}` });
  for (const store of sides.slice(2)) results.push(...durableResults(store.label, store.turns, raws, rawsInFlight));
  if (!pg) results.push({ name: 'embedded engine, durable, Postgres', value: NaN, unit: 'instances/s', note: `skipped: ${POSTGRES_URL} not reachable` });

  // (c)
  progress('memory: 10,000 instances parked on a message (child process, --expose-gc)');
  results.push(...(await child<Result[]>('engine-memory.ts', ['--expose-gc'])));
  return results;
}
