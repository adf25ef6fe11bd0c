/**
 * Which worker held each job of an instance (worker-liveness watchdog, docs/operations.md): every
 * worker that took the job, oldest first, and whether it is still heartbeating. A job whose worker
 * died shows the dead worker, then the one that took it after its timeout.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../../storage/db.js';
import { workerLivenessRepository } from '../../../storage/repositories/worker-liveness.js';
import { authProblems } from '../../schemas/common.js';

const inspect = { roles: ['engineer' as const, 'admin' as const, 'analyst' as const, 'compliance' as const] };
const KeyParams = Type.Object({ key: Type.String({ pattern: '^[0-9]{1,30}$' }) });
const Holder = Type.Object({ worker: Type.String(), activatedAt: Type.String({ format: 'date-time' }), alive: Type.Boolean() });
const JobHolders = Type.Array(Type.Object({ jobKey: Type.String(), type: Type.String(), elementId: Type.Union([Type.String(), Type.Null()]), holders: Type.Array(Holder) }));

export async function jobHolderRoutes(app: FastifyInstance, opts: { db: Db; now?: () => Date }): Promise<void> {
  const repo = workerLivenessRepository(opts.db);
  app.get(
    '/api/instances/:key/jobs',
    { config: inspect, schema: { tags: ['engine'], summary: "The instance's jobs with every worker that held each (oldest first) and whether it is still alive", params: KeyParams, response: { ...authProblems, 200: JobHolders } } },
    async (request) => {
      const holds = await repo.holdsForInstance((request.params as Static<typeof KeyParams>).key, opts.now?.() ?? new Date());
      const jobs = new Map<string, Static<typeof JobHolders>[number]>();
      for (const h of holds) {
        const job = jobs.get(h.jobKey) ?? { jobKey: h.jobKey, type: h.jobType, elementId: h.elementId, holders: [] };
        job.holders.push({ worker: h.workerId, activatedAt: h.activatedAt, alive: h.workerAlive });
        jobs.set(h.jobKey, job);
      }
      return [...jobs.values()];
    },
  );
}
