/**
 * What an operator points Prometheus and a load balancer at:
 *
 * - `GET /metrics`: Prometheus text (see api/observability/metrics.ts for the series);
 * - `GET /health/live`: the process answers (restart it when this fails);
 * - `GET /health/ready`: the database answers, every migration ran, Redis answers (when
 *   REDIS_URL is set) and the event loop, which the embedded engine runs on, lags less than
 *   HERALD_READY_MAX_LAG_MS (send it traffic only while this is 200); 503 while shutting down.
 *
 * Event-loop lag is measured by @fastify/under-pressure, which also sheds load (503 with
 * Retry-After) above HERALD_SHED_LOAD_LAG_MS when that is set. Every request is logged at debug,
 * with its latency in the route histogram; the request id comes from a sane `x-request-id`
 * header (else a new UUID) and is echoed in the response.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import underPressure from '@fastify/under-pressure';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { repeatedErrors, type Logger } from '../../config/log.js';
import type { Db } from '../../storage/db.js';
import { observabilityRepository } from '../../storage/repositories/observability.js';
import type { Observability } from '../observability/metrics.js';
import { global } from './global.js';

/** Letters, digits and `._:-`, at most 128: what a proxy or a client sends as an id, and nothing that could forge a log line. */
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestId(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  const value = Array.isArray(header) ? header[0] : header;
  return value && SANE_ID.test(value) ? value : randomUUID();
}

export interface ObservabilityPluginOptions {
  observability: Observability;
  db: Db;
  logger: Logger;
  redisUrl?: string;
  /** /health/ready fails above this event-loop lag (ms). */
  readyMaxLagMs?: number;
  /** Shed load (503) above this event-loop lag (ms); 0 never. */
  shedLoadLagMs?: number;
  /** Postgres schema the migrations ran in (tests). */
  schema?: string;
}

const Check = Type.Object({ ok: Type.Boolean(), ms: Type.Optional(Type.Number()), detail: Type.Optional(Type.String()) });
const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Record(Type.String(), Check),
});
type CheckResult = { ok: boolean; ms?: number; detail?: string };

const timed = async (ms: number, what: string, run: () => Promise<string | undefined | void>): Promise<CheckResult> => {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
    return { ok: true, ms: Math.round(performance.now() - started), ...(detail ? { detail } : {}) };
  } catch (err) {
    return { ok: false, ms: Math.round(performance.now() - started), detail: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
};

export const observabilityPlugin = global(async (app: FastifyInstance, opts: ObservabilityPluginOptions) => {
  const { observability } = opts;
  const repo = observabilityRepository(opts.db);
  const readyMaxLagMs = opts.readyMaxLagMs ?? 1000;

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    observability.metrics.http.observe({ method: request.method, route, status_code: String(reply.statusCode) }, seconds);
    // request logs at debug: at info they bury incidents and failures (LOG_LEVEL=debug shows them)
    request.log.debug({ method: request.method, url: request.url, route, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  await app.register(underPressure, {
    maxEventLoopDelay: opts.shedLoadLagMs ?? 0,
    sampleInterval: 500,
    retryAfter: 5,
  });

  // Redis for readiness only: no offline queue, so a dead Redis answers at once instead of
  // queueing the PING; its reconnect errors are collapsed, not logged one by one
  let redis: Redis | undefined;
  const redisErrors = repeatedErrors(opts.logger.child({ component: 'health' }), 'redis');
  if (opts.redisUrl) {
    redis = new Redis(opts.redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, retryStrategy: (times) => Math.min(times * 500, 5_000) });
    redis.on('error', (err) => redisErrors.error(err));
    redis.on('ready', () => redisErrors.ok());
    redis.connect().catch(() => undefined);
  }
  app.addHook('onClose', async () => {
    redisErrors.close();
    redis?.disconnect();
  });

  // under-pressure's lag is a histogram mean per interval, and Infinity when the interval had no
  // sample at all (the loop was blocked throughout, or simply busy at start-up): beside it, the
  // drift of a 500 ms timer gives a finite reading, and readiness takes the larger finite one
  const TICK = 500;
  let drift = 0;
  let expected = performance.now() + TICK;
  const ticker = setInterval(() => {
    const now = performance.now();
    drift = Math.max(0, now - expected);
    expected = now + TICK;
  }, TICK);
  ticker.unref();
  app.addHook('onClose', async () => clearInterval(ticker));

  let migrationsCurrentAt = 0;
  const checks = async (): Promise<Record<string, CheckResult>> => {
    const out: Record<string, CheckResult> = {};
    const sampled = app.memoryUsage().eventLoopDelay;
    const lag = Math.max(drift, Number.isFinite(sampled) ? sampled : 0);
    const [database, migrations, redisCheck] = await Promise.all([
      timed(2_000, 'database', () => repo.ping()),
      // a database that was current stays current for a minute (a `herald migrate down` shows within it)
      Date.now() - migrationsCurrentAt < 60_000
        ? Promise.resolve<CheckResult>({ ok: true, ms: 0 })
        : timed(5_000, 'migrations', async () => {
            const { pending } = await repo.migrations(opts.schema);
            if (pending.length) throw new Error(`${pending.length} pending: ${pending.join(', ')} (run herald migrate up)`);
            migrationsCurrentAt = Date.now();
          }),
      redis ? timed(1_000, 'redis', async () => void (await redis.ping())) : Promise.resolve(undefined),
    ]);
    out.database = database;
    out.migrations = migrations;
    if (redisCheck) out.redis = redisCheck;
    out.eventLoop = lag <= readyMaxLagMs ? { ok: true, ms: Math.round(lag) } : { ok: false, ms: Math.round(lag), detail: `event loop lags ${Math.round(lag)} ms (limit ${readyMaxLagMs} ms)` };
    return out;
  };

  app.get(
    '/metrics',
    {
      config: { auth: 'none', rateLimit: false },
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics: engine, delivery, HTTP and Node',
        description: 'Text exposition format 0.0.4. Unauthenticated, like /health: bind to an internal interface or filter at the proxy.',
        security: [],
        produces: ['text/plain'],
        response: { 200: { description: 'Prometheus text', content: { 'text/plain': { schema: Type.String() } } } },
      },
    },
    async (_request, reply) => reply.type(observability.registry.contentType).send(await observability.scrape()),
  );

  app.get(
    '/health/live',
    { config: { auth: 'none', rateLimit: false }, schema: { tags: ['health'], summary: 'Liveness: the process answers', security: [], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      config: { auth: 'none', rateLimit: false },
      schema: {
        tags: ['health'],
        summary: 'Readiness: database, migrations, Redis (when configured) and event-loop lag',
        security: [],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const result = await checks();
      const ready = Object.values(result).every((c) => c.ok);
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks: result });
    },
  );
});
