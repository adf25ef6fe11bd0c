import { Type } from '@sinclair/typebox';
import { requestRepository } from '../storage/requests.js';
import { createTaskRepository } from '../storage/repositories/tasks.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/**
 * The SLA reminder, once per request: on the request's trail, and as a comment by Herald on each
 * of its open tasks, so whoever works it (or, unclaimed, its team) reads it in the tasklist.
 */
export default defineWorker({
  type: 'remind-request-assignee',
  variables: Type.Object({ requestId: Type.String({ minLength: 1 }), team: Type.Optional(Type.String()) }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const repo = requestRepository(deps.db);
    const now = deps.now();
    const request = await repo.get(v.requestId);
    if (request && !request.slaRemindedAt) {
      const tasks = createTaskRepository(deps.db);
      const open = request.processInstanceKey ? await tasks.list({ processInstanceKey: request.processInstanceKey }) : [];
      await repo.update(v.requestId, { sla_reminded_at: now }, now);
      await repo.record(v.requestId, { action: 'sla-reminder', actor: 'herald', detail: { to: request.assignee ?? v.team ?? null, tasks: open.map((t) => t.key) } }, now);
      for (const t of open) {
        await tasks.addComment(t.key, 'herald', `SLA reminder: request ${request.reference} is due for a reply${t.assignee ? ` (${t.assignee})` : ''}; without progress it escalates to the ${v.team ?? request.team ?? 'team'} lead.`);
      }
    }
    return complete();
  },
});
