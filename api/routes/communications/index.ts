/**
 * Communications beyond the list and the detail (api/routes/customers): the timeline and the evidence pack of each.
 * (The delivery queue board, bull-board at /admin/queues, is mounted by api/routes/system.)
 */
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../../storage/db.js';
import { evidenceRoutes } from './evidence.js';
import { timelineRoutes } from './timeline.js';

export async function communicationRoutes(app: FastifyInstance, opts: { db: Db }): Promise<void> {
  await app.register(timelineRoutes, { db: opts.db });
  await app.register(evidenceRoutes, { db: opts.db });
}
