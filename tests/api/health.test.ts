/**
 * /health/live and /health/ready: readiness names each dependency (database, migrations, Redis
 * when configured, event-loop lag) and turns 503 when one fails; /health keeps answering.
 */
import net from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import { silentLogger } from '../../config/log.js';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { migrationSource } from '../../migrations/index.js';
import { openTestDb, type TestDb } from '../support/db.js';
import { redisUp, redisUrl } from '../support/redis.js';

/** A port nothing listens on: bound, then closed. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('health (PGlite)', () => {
  let t: TestDb;
  let engine: EmbeddedEngine;
  const apps: Awaited<ReturnType<typeof buildApp>>[] = [];
  // a loaded CI machine can lag a second right after PGlite's start-up work: the lag limit is tested
  // on its own below, and left out of the way of the other checks
  const app = async (options: { redisUrl?: string; readyMaxLagMs?: number } = {}) => {
    const a = await buildApp({ engine, db: t.db, logger: silentLogger, followTasks: false, redisUrl: undefined, readyMaxLagMs: 60_000, ...options });
    await a.ready();
    apps.push(a);
    return a;
  };

  beforeAll(async () => {
    t = await openTestDb('pglite');
    engine = new EmbeddedEngine({ db: t.db, virtualClock: true });
    await engine.start();
  }, 180_000);
  afterAll(async () => {
    for (const a of apps) await a.close();
    await engine?.stop();
    await t?.close();
  });

  it('is live and ready on a migrated database without Redis; /health still answers', async () => {
    const a = await app();
    expect((await request(a.server).get('/health/live')).body).toEqual({ status: 'ok' });
    const ready = await request(a.server).get('/health/ready');
    expect(ready.body.checks).toMatchObject({ database: { ok: true }, migrations: { ok: true }, eventLoop: { ok: true } });
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
    expect(Object.keys(ready.body.checks).sort()).toEqual(['database', 'eventLoop', 'migrations']);
    expect(ready.body.checks.database.ok).toBe(true);
    expect((await request(a.server).get('/health')).body).toEqual({ status: 'ok', engine: 'embedded' });
  });

  it('is not ready while Redis refuses connections, and answers at once instead of hanging', async () => {
    const a = await app({ redisUrl: `redis://127.0.0.1:${await deadPort()}` });
    const started = Date.now();
    const ready = await request(a.server).get('/health/ready');
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe('unavailable');
    expect(ready.body.checks.redis.ok).toBe(false);
    expect(ready.body.checks.database.ok).toBe(true);
    expect((await request(a.server).get('/health/live')).status).toBe(200);
  });

  it.runIf(redisUp)('is ready with a Redis that answers', async () => {
    const a = await app({ redisUrl });
    let ready = await request(a.server).get('/health/ready');
    // the client connects in the background; the first probe may come before it did
    for (let i = 0; i < 200 && ready.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 10));
      ready = await request(a.server).get('/health/ready');
    }
    expect(ready.body.checks.redis.ok).toBe(true);
    expect(ready.status).toBe(200);
  });

  it('is not ready when the event loop lags more than the limit', async () => {
    const a = await app({ readyMaxLagMs: 10 });
    // block the loop long enough that under-pressure's sampler (every 500 ms) sees it
    let ready = await request(a.server).get('/health/ready');
    for (let i = 0; i < 20 && ready.status === 200; i++) {
      const until = Date.now() + 120;
      while (Date.now() < until);
      await new Promise((r) => setTimeout(r, 200));
      ready = await request(a.server).get('/health/ready');
    }
    expect(ready.status).toBe(503);
    expect(ready.body.checks.eventLoop.detail).toMatch(/^event loop lags \d+ ms \(limit 10 ms\)$/);
  });

  it('is not ready with a migration pending, and says which', async () => {
    const other = await openTestDb('pglite');
    try {
      const last = (await migrationSource.getMigrations([])).at(-1)!;
      await other.db.migrate.down({ migrationSource });
      const a = await buildApp({ engine, db: other.db, logger: silentLogger, followTasks: false, redisUrl: undefined, readyMaxLagMs: 60_000 });
      apps.push(a);
      await a.ready();
      const ready = await request(a.server).get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.checks.migrations).toMatchObject({ ok: false, detail: expect.stringContaining(last) });
      await a.close();
      apps.pop();
    } finally {
      await other.close();
    }
  });
});
