/**
 * Clean shutdown of the real server: `npm start` runs node so that a SIGTERM reaches it (sent to
 * node, or to npm, which does not pass it on), the server stops taking work and exits 0 within
 * HERALD_SHUTDOWN_TIMEOUT, and a dead Redis never holds it past that deadline.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, freePort, running, startServer, type Server } from './server.js';

const started: Server[] = [];
let dataDir: string;

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-shutdown-'));
});
afterAll(() => {
  for (const s of started) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const track = (s: Server) => (started.push(s), s);
const answers = async (url: string) => (await fetch(url).then((r) => r.status).catch(() => 0)) === 200;

describe('shutdown (real server, PGlite)', () => {
  it('npm start: SIGTERM to the node process ends the server and npm, exit 0, port closed', async () => {
    const server = track(await startServer({ npm: true, dataDir }));
    await server.line(running);
    expect(await answers(`${server.url}/health/live`)).toBe(true);
    const node = server.nodePid();
    const sent = Date.now();
    process.kill(node, 'SIGTERM');
    const exit = await server.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - sent).toBeLessThan(10_000);
    expect(alive(node)).toBe(false);
    expect(server.lines.some((l) => typeof l === 'object' && l.msg === 'shut down')).toBe(true);
    expect(await answers(`${server.url}/health/live`)).toBe(false);
  }, 300_000);

  it('npm start: SIGTERM to npm alone also ends the node server (it notices its parent went away)', async () => {
    const server = track(await startServer({ npm: true, dataDir }));
    await server.line(running);
    const node = server.nodePid();
    process.kill(server.child.pid!, 'SIGTERM');
    await server.exited;
    const stopped = Date.now();
    while (alive(node) && Date.now() - stopped < 10_000) await new Promise((r) => setTimeout(r, 100));
    expect(alive(node)).toBe(false);
    expect(await answers(`${server.url}/health/live`)).toBe(false);
  }, 300_000);

  it('with Redis dead, SIGTERM ends the server within HERALD_SHUTDOWN_TIMEOUT, and the log holds no storm of stack traces', async () => {
    // a port that accepts nothing: every Redis client keeps reconnecting
    const dead = await freePort();
    const server = track(await startServer({ dataDir, env: { REDIS_URL: `redis://127.0.0.1:${dead}`, HERALD_SHUTDOWN_TIMEOUT: '3' } }));
    await server.line(running);
    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: { redis: { ok: boolean } } }).checks.redis.ok).toBe(false);
    const sent = Date.now();
    server.child.kill('SIGTERM');
    const exit = await server.exited;
    expect(exit.at - sent).toBeLessThan(3_000 + 2_500);
    expect(exit.code === 0 || exit.code === 1).toBe(true);
    const stackLines = server.lines.filter((l) => typeof l === 'string' && /^\s+at /.test(l));
    expect(stackLines.length).toBeLessThan(20);
  }, 300_000);
});
