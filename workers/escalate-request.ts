import { Type } from '@sinclair/typebox';
import { requestRepository } from '../storage/requests.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/** The SLA is breached: recorded once, and the team lead gets a review task next. */
export default defineWorker({
  type: 'escalate-request',
  variables: Type.Object({ requestId: Type.String({ minLength: 1 }), leadGroup: Type.String({ minLength: 1 }) }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const repo = requestRepository(deps.db);
    const now = deps.now();
    const request = await repo.get(v.requestId);
    if (request && !request.slaBreachedAt) {
      await repo.update(v.requestId, { sla_breached_at: now }, now);
      await repo.record(v.requestId, { action: 'sla-escalated', actor: 'herald', detail: { to: v.leadGroup, assignee: request.assignee } }, now);
    }
    return complete();
  },
});
