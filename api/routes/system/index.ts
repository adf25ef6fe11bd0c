/**
 * GET /api/system: which engine and queue backend run, so the UI links to the queue board only
 * when there is one. With Redis, bull-board is mounted at /admin/queues over the delivery queues,
 * for engineers and admins (the session cookie or an API token, like every /api route).
 */
import type { createBullBoard as CreateBullBoard } from '@bull-board/api';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { loadConfig } from '../../../config/index.js';
import type { Role } from '../../../domain/identity/index.js';
import type { Engine } from '../../../engine/types.js';
import { principal } from '../../plugins/app/auth.js';
import { HttpProblem } from '../../plugins/problem.js';
import { authProblems } from '../../schemas/common.js';
import { SystemInfo } from '../../schemas/system.js';

export const QUEUE_BOARD = '/admin/queues';
const BOARD_ROLES: Role[] = ['engineer', 'admin'];
// the delivery queues workers/delivery/queue.ts creates: `${prefix}-delivery-${channel}`
const DELIVERY_QUEUES = ['email', 'sms', 'portal', 'crm'].map((channel) => `herald-delivery-${channel}`);

export interface SystemOptions {
  engine: Engine;
  /** REDIS_URL; read from the configuration when not given. */
  redisUrl?: string;
}

export async function systemRoutes(app: FastifyInstance, opts: SystemOptions): Promise<void> {
  const redisUrl = 'redisUrl' in opts ? opts.redisUrl : loadConfig({ REDIS_URL: process.env.REDIS_URL }).redisUrl;

  app.get(
    '/api/system',
    { schema: { tags: ['system'], summary: 'Which engine and queue backend run; the queue board when there is one', response: { 200: SystemInfo, ...authProblems } } },
    async (request): Promise<SystemInfo> => {
      const who = principal(request);
      const board = redisUrl && BOARD_ROLES.some((r) => who.roles.includes(r)) ? QUEUE_BOARD : undefined;
      return { engine: opts.engine.kind, queues: { backend: redisUrl ? 'redis' : 'memory', ...(board ? { board } : {}) } };
    },
  );

  if (redisUrl) await app.register(queueBoard, { redisUrl });
}

/** bull-board in its own encapsulated context, so its routes (and only they) demand an engineer. */
async function queueBoard(app: FastifyInstance, opts: { redisUrl: string }): Promise<void> {
  // bull-board (about 25 MB) loads only where a queue board is served: with Redis
  const [{ createBullBoard }, { BullMQAdapter }, { FastifyAdapter }] = await Promise.all([import('@bull-board/api'), import('@bull-board/api/bullMQAdapter'), import('@bull-board/fastify')]);
  const connection = new Redis(opts.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
  const queues = DELIVERY_QUEUES.map((name) => new Queue(name, { connection }));
  app.addHook('onClose', async () => {
    await Promise.all(queues.map((q) => q.close()));
    await connection.quit().catch(() => undefined);
  });
  // the auth hook reads each route's config: bull-board's pages and its JSON API are not under /api.
  // bull-board sets its own error handler, which would turn a refusal into a 500: answer those here
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), auth: 'user', roles: BOARD_ROLES } as typeof route.config;
    route.errorHandler = (err, _request, reply) => {
      const status = err instanceof HttpProblem ? err.status : 500;
      const title = status < 500 ? err.message : 'the queue board failed; see the server log';
      if (status >= 500) app.log.error({ err }, 'queue board');
      return reply.status(status).type('application/problem+json').send({ type: 'about:blank', status, title, ...(err instanceof HttpProblem ? err.extra : {}) });
    };
  });
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD);
  // @bull-board/fastify pins its own patch release of @bull-board/api; the adapter contract is the same
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: serverAdapter as unknown as Parameters<typeof CreateBullBoard>[0]['serverAdapter'], options: { uiConfig: { boardTitle: 'Herald queues' } } });
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD });
}
