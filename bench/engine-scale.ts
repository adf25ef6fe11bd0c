/**
 * Scale-out bench (issue 17): the five-task diagram's instances worked off by one engine process,
 * then by two, on one Postgres (each run its own schema). The instances are created first by a
 * client engine (its jobs wait, activatable); then the processes (bench/engine-scale-node.ts) open
 * their workers together, and the clock runs until every instance has completed. Instances/s for
 * 1 and 2 processes, and the ratio of 2 to 1: what a second process adds on this machine, with the
 * revision checks, job claims and conflicts (a job's instance may be cached by the other process)
 * that sharing one database costs. On a 2-core machine the processes also share the CPU with
 * Postgres, so the ratio says more about the coordination overhead than about real scaling.
 *
 * Postgres only (PGlite is one process's); SCALE_BENCH_N instances per run (default 400).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EmbeddedEngine } from '../engine/embedded/engine.js';
import { createDb, migrate } from '../storage/db.js';
import { FIVE_TASKS_BPMN, POSTGRES_URL, progress, reachable, type Result } from './engine.js';

const here = import.meta.dirname;
const repoRoot = path.resolve(here, '..');
const N = Number(process.env.SCALE_BENCH_N ?? 400);

async function run(processes: number): Promise<number> {
  const schema = `bench_scale_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const db = createDb({ url: POSTGRES_URL, schema, pool: { min: 0, max: 8 } });
  const children: ChildProcess[] = [];
  try {
    await migrate(db, schema);
    const client = new EmbeddedEngine({ db });
    await client.deploy([{ name: 'five-tasks.bpmn', content: fs.readFileSync(FIVE_TASKS_BPMN, 'utf8') }]);
    for (let i = 0; i < N; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, N - i) }, () => client.createInstance({ bpmnProcessId: 'bench-five-tasks', variables: {} })));
    }
    await client.stop();
    const ready: Promise<void>[] = [];
    for (let p = 0; p < processes; p++) {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'engine-scale-node.ts'), JSON.stringify({ url: POSTGRES_URL, schema })], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] });
      children.push(child);
      ready.push(
        new Promise((resolve, reject) => {
          child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
          child.once('exit', (code) => reject(new Error(`engine-scale-node exited with ${code}`)));
        }),
      );
    }
    await Promise.all(ready);
    const t0 = performance.now();
    for (const c of children) c.stdin!.write('go\n');
    for (;;) {
      const [{ n }] = await db('engine_instances').where({ state: 'COMPLETED' }).count('* as n');
      if (Number(n) >= N) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return N / ((performance.now() - t0) / 1000);
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await db.raw('drop schema if exists ?? cascade', [schema]).catch(() => undefined);
    await db.destroy();
  }
}

export async function benchEngineScale(): Promise<Result[]> {
  if (!(await reachable(POSTGRES_URL))) return [{ name: 'scale-out: Postgres not reachable', value: NaN, unit: '', note: POSTGRES_URL }];
  progress(`engine-scale: ${N} instances, 1 process`);
  const one = await run(1);
  progress(`engine-scale: ${N} instances, 2 processes`);
  const two = await run(2);
  return [
    { name: 'scale-out: 1 engine process, five-task instances', value: one, unit: 'inst/s' },
    { name: 'scale-out: 2 engine processes, same database', value: two, unit: 'inst/s', baseline: one, ratio: two / one, note: '2 processes / 1 (2-core machine: they share the CPU with Postgres)' },
  ];
}
