import { Type } from '@sinclair/typebox';
import { requestRepository } from '../storage/requests.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/** The SLA reminder: recorded once per request, for the assignee's tasklist and notifications. */
export default defineWorker({
  type: 'remind-request-assignee',
  variables: Type.Object({ requestId: Type.String({ minLength: 1 }), team: Type.Optional(Type.String()) }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const repo = requestRepository(deps.db);
    const now = deps.now();
    const request = await repo.get(v.requestId);
    if (request && !request.slaRemindedAt) {
      await repo.update(v.requestId, { sla_reminded_at: now }, now);
      await repo.record(v.requestId, { action: 'sla-reminder', actor: 'herald', detail: { to: request.assignee ?? v.team ?? null } }, now);
    }
    return complete();
  },
});
