import { Type } from '@sinclair/typebox';
import { leadGroup, teamFor } from '../domain/requests/policy.js';
import { requestRepository } from '../storage/requests.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/** Routes the request to its category's team; the team lead group is where escalations go. */
export default defineWorker({
  type: 'assign-request',
  variables: Type.Object({
    requestId: Type.String({ minLength: 1 }),
    category: Type.String({ minLength: 1 }),
    priority: Type.String({ minLength: 1 }),
    sla: Type.Object({ reminderAfter: Type.String(), escalateAfter: Type.String() }),
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const repo = requestRepository(deps.db);
    const now = deps.now();
    const team = teamFor(v.category);
    await repo.update(v.requestId, { category: v.category, priority: v.priority, team, status: 'in_progress', sla_reminder_after: v.sla.reminderAfter, sla_escalate_after: v.sla.escalateAfter }, now);
    await repo.record(v.requestId, { action: 'assigned', actor: 'herald', detail: { category: v.category, priority: v.priority, team, sla: v.sla } }, now);
    return complete({ team, leadGroup: leadGroup(team) });
  },
});
