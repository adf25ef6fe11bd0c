/**
 * Start-up: how long the server takes until it listens, as `npm start` runs it (compiled,
 * `node dist/api/main.js`) and as `npm run dev` does (`node --import tsx api/main.ts`), on a fresh
 * PGlite folder (first start) and on the same folder again (restart), without and with the demo,
 * beside a bare Fastify + PGlite process (open the folder, one query, listen) started the same way
 * in the same run (and once more with Herald's PGlite buffer pool, storage/db.ts); and the server's
 * resident memory once it listens and after 5 s idle. Each start
 * is a new process, as an operator's is. Where the time goes is in the `phases` of the server's
 * "Herald is running" line, shown in the notes.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Result } from './engine.js';
import { PGLITE_SHARED_BUFFERS } from '../storage/db.js';

const root = path.resolve(import.meta.dirname, '..');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The bare baseline: Fastify and PGlite, nothing of Herald. */
const BARE = `
import Fastify from 'fastify';
import { PGlite } from '@electric-sql/pglite';
const pool = process.env.BARE_SHARED_BUFFERS;
const db = new PGlite(process.env.BARE_DIR, pool ? { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=' + pool] } : {});
await db.query('select 1');
const app = Fastify();
app.get('/', async () => ({ ok: true }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
console.log('listening');
`;

interface Started {
  ms: number;
  rssMb: number;
  idleRssMb: number;
  phases: string;
  /** CPU seconds (user + system) the process used until it listened: steadier than the wall clock on a busy machine. */
  cpuS: number;
}

/** utime + stime from /proc/<pid>/stat, in seconds (clock ticks of 1/100 s). */
const cpuOf = (pid: number) => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** Spawns, waits for the line that says it listens, reads its RSS, stops it with SIGTERM. */
async function timeStart(args: string[], env: Record<string, string>, ready: RegExp): Promise<Started> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const ms = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 600 s:\n${output.slice(-2000)}`)), 600_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve(performance.now() - started);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before it listened:\n${output.slice(-2000)}`));
    });
  });
  const rssMb = rssOf(child.pid!);
  const cpuS = cpuOf(child.pid!);
  // idle: what it holds once the start's garbage is collected and nothing is asked of it
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const idleRssMb = rssOf(child.pid!);
  const line = output.split('\n').find((l) => ready.test(l)) ?? '';
  let phases = '';
  try {
    const parsed = JSON.parse(line) as { phases?: Record<string, number> };
    phases = Object.entries(parsed.phases ?? {}).map(([k, v]) => `${k} ${v}`).join(', ');
  } catch {
    // the bare process prints a plain line
  }
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return { ms, rssMb, idleRssMb, phases, cpuS };
}

export async function benchStart(): Promise<Result[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-start-'));
  const herald = (dataDir: string, demo: boolean) => ({ PORT: '', HOST: '127.0.0.1', HERALD_DATA_DIR: dataDir, HERALD_DEMO: String(demo), DATABASE_URL: '', REDIS_URL: '', SMTP_URL: '', LOG_LEVEL: 'info' });
  const compiled = ['dist/api/main.js'];
  const source = ['--import', 'tsx', 'api/main.ts'];
  const running = /Herald is running/;
  try {
    // what npm start runs: the compiled server (scripts/build-server.mjs, as npm install does)
    const build = spawnSync(process.execPath, ['scripts/build-server.mjs', '--if-stale'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('the server did not compile (scripts/build-server.mjs)');
    // the bare process imports from Herald's node_modules: its file sits in the repository
    fs.writeFileSync(path.join(root, 'bench', '.bare-start.mjs'), BARE);
    const bareArgs = [path.join(root, 'bench', '.bare-start.mjs')];
    const bareFirst = await timeStart(bareArgs, { PORT: String(await freePort()), BARE_DIR: path.join(dir, 'bare') }, /listening/);
    const bareAgain = await timeStart(bareArgs, { PORT: String(await freePort()), BARE_DIR: path.join(dir, 'bare') }, /listening/);
    // the same bare process with Herald's PGlite buffer pool (storage/db.ts): what Herald adds to it
    const barePool = await timeStart(bareArgs, { PORT: String(await freePort()), BARE_DIR: path.join(dir, 'bare'), BARE_SHARED_BUFFERS: PGLITE_SHARED_BUFFERS }, /listening/);
    const first = await timeStart(compiled, { ...herald(path.join(dir, 'herald'), false), PORT: String(await freePort()) }, running);
    const again = await timeStart(compiled, { ...herald(path.join(dir, 'herald'), false), PORT: String(await freePort()) }, running);
    const fromSource = await timeStart(source, { ...herald(path.join(dir, 'herald'), false), PORT: String(await freePort()) }, running);
    const demoFirst = await timeStart(compiled, { ...herald(path.join(dir, 'demo'), true), PORT: String(await freePort()) }, running);
    const demoAgain = await timeStart(compiled, { ...herald(path.join(dir, 'demo'), true), PORT: String(await freePort()) }, running);
    const s = (x: Started) => x.ms / 1000;
    return [
      { name: 'start: bare Fastify + PGlite, fresh folder', value: s(bareFirst), unit: 's' },
      { name: 'start: bare Fastify + PGlite, same folder again', value: s(bareAgain), unit: 's' },
      { name: 'start: Herald first start (npm start, HERALD_DEMO=false)', value: s(first), unit: 's', baseline: s(bareFirst), ratio: first.ms / bareFirst.ms, note: `until it listens; target ≤ 2x; ${first.phases}` },
      { name: 'start: Herald restart (npm start, HERALD_DEMO=false)', value: s(again), unit: 's', baseline: s(bareAgain), ratio: again.ms / bareAgain.ms, note: `target ≤ 3 s; ${again.phases}` },
      { name: 'start: Herald restart from source (npm run dev, tsx)', value: s(fromSource), unit: 's', baseline: s(bareAgain), ratio: fromSource.ms / bareAgain.ms, note: fromSource.phases },
      { name: 'start: Herald first start with the demo', value: s(demoFirst), unit: 's', baseline: s(bareFirst), ratio: demoFirst.ms / bareFirst.ms },
      { name: 'start: Herald restart with the demo', value: s(demoAgain), unit: 's', baseline: s(bareAgain), ratio: demoAgain.ms / bareAgain.ms },
      { name: 'start: CPU until it listens, Herald first start vs bare', value: first.cpuS, unit: 'CPU s', baseline: bareFirst.cpuS, ratio: first.cpuS / bareFirst.cpuS, note: 'user + system; the wall clock above depends on what else runs' },
      { name: 'start: CPU until it listens, Herald restart vs bare', value: again.cpuS, unit: 'CPU s', baseline: bareAgain.cpuS, ratio: again.cpuS / bareAgain.cpuS },
      { name: 'start: CPU until it listens, Herald restart from source (tsx)', value: fromSource.cpuS, unit: 'CPU s', baseline: bareAgain.cpuS, ratio: fromSource.cpuS / bareAgain.cpuS },
      { name: 'start: Herald RSS once listening (restart, no demo)', value: again.rssMb, unit: 'MB', baseline: bareAgain.rssMb, ratio: again.rssMb / bareAgain.rssMb },
      { name: 'start: Herald RSS idle, 5 s after it listens (restart, no demo)', value: again.idleRssMb, unit: 'MB', baseline: bareAgain.idleRssMb, ratio: again.idleRssMb / bareAgain.idleRssMb, note: "target ≤ 300 MB; baseline: the bare process on PGlite's default 128 MB pool" },
      { name: `start: Herald RSS idle vs bare with the same ${PGLITE_SHARED_BUFFERS} PGlite pool`, value: again.idleRssMb, unit: 'MB', baseline: barePool.idleRssMb, ratio: again.idleRssMb / barePool.idleRssMb, note: 'what Herald itself holds beside PGlite' },
      { name: `start: CPU until it listens, Herald restart vs bare with the same ${PGLITE_SHARED_BUFFERS} pool`, value: again.cpuS, unit: 'CPU s', baseline: barePool.cpuS, ratio: again.cpuS / barePool.cpuS },
    ];
  } finally {
    fs.rmSync(path.join(root, 'bench', '.bare-start.mjs'), { force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
