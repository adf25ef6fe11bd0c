import { Type } from '@sinclair/typebox';
import { slaDeadlines } from '../domain/requests/policy.js';
import { requestRepository } from '../storage/requests.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/** Starts (or resumes) the SLA clock: the deadlines count only time not spent waiting on the customer. */
export default defineWorker({
  type: 'start-sla-clock',
  variables: Type.Object({
    requestId: Type.String({ minLength: 1 }),
    sla: Type.Object({ reminderAfter: Type.String(), escalateAfter: Type.String() }),
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const repo = requestRepository(deps.db);
    const now = deps.now();
    const request = await repo.get(v.requestId);
    const consumedMs = request?.slaConsumedMs ?? 0;
    const { reminderAt, escalateAt } = slaDeadlines({ now, consumedMs, reminderAfter: v.sla.reminderAfter, escalateAfter: v.sla.escalateAfter });
    // a retried job must not restart a clock that is already running
    if (!request?.slaStartedAt) await repo.update(v.requestId, { sla_started_at: now }, now);
    await repo.record(v.requestId, { action: 'sla-started', actor: 'herald', detail: { consumedMs, reminderAt, escalateAt } }, now);
    return complete({ slaReminderAt: reminderAt, slaEscalateAt: escalateAt });
  },
});
