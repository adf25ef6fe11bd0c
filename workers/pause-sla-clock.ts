import { Type } from '@sinclair/typebox';
import { informationQuestion } from '../domain/requests/policy.js';
import { requestRepository } from '../storage/requests.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/** The request now waits on the customer: the running SLA segment is banked and the clock stops. */
export default defineWorker({
  type: 'pause-sla-clock',
  variables: Type.Object({
    requestId: Type.String({ minLength: 1 }),
    infoRequests: Type.Optional(Type.Number()),
    missingData: Type.Optional(Type.Array(Type.String())),
    infoNeeded: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const repo = requestRepository(deps.db);
    const now = deps.now();
    const request = await repo.get(v.requestId);
    const running = request?.slaStartedAt ? now.getTime() - request.slaStartedAt.getTime() : 0;
    const consumed = (request?.slaConsumedMs ?? 0) + Math.max(0, running);
    await repo.update(v.requestId, { status: 'waiting_customer', waiting_since: now, sla_started_at: null, sla_consumed_ms: consumed }, now);
    const question = informationQuestion(v.missingData ?? [], v.infoNeeded);
    await repo.record(v.requestId, { action: 'waiting-on-customer', actor: 'herald', detail: { slaConsumedMs: consumed, missingData: v.missingData ?? [], infoNeeded: v.infoNeeded ?? null, question } }, now);
    return complete({ infoRequests: (v.infoRequests ?? 0) + 1, infoQuestion: question });
  },
});
