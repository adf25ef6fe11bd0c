import { Type } from '@sinclair/typebox';
import { communicationRepository } from '../storage/communications.js';
import { bpmnError, complete, defineWorker, fail } from './runtime.js';
import type { WorkerDeps } from './deps.js';

const Approval = Type.Object({ by: Type.String(), level: Type.Optional(Type.Integer()), at: Type.Optional(Type.String()) });

/**
 * Segregation of duties is checked again before anything leaves the building (the person who
 * initiated a communication never approved it, and two levels were two people), then the
 * communication is queued for its channel, once.
 */
export default defineWorker({
  type: 'deliver-communication',
  variables: Type.Object({
    communicationId: Type.String({ minLength: 1 }),
    channel: Type.Union([Type.Literal('email'), Type.Literal('sms'), Type.Literal('portal'), Type.Literal('crm')]),
    initiatedBy: Type.Optional(Type.String()),
    approvals: Type.Optional(Type.Array(Approval)),
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const approvals = v.approvals ?? [];
    if (v.initiatedBy && approvals.some((a) => a.by === v.initiatedBy)) {
      return bpmnError('SOD_VIOLATION', `maker-checker: ${v.initiatedBy} initiated communication ${v.communicationId} and also approved it`);
    }
    if (new Set(approvals.map((a) => a.by)).size < approvals.length) {
      return bpmnError('SOD_VIOLATION', `distinct-approvers: the same person approved communication ${v.communicationId} at two levels`);
    }
    if (!deps.delivery) return fail('no delivery service is configured in this process (HERALD_ROLE=api?)');
    const communication = await communicationRepository(deps.db).get(v.communicationId);
    if (!communication?.subject) return { fail: `communication ${v.communicationId} is not rendered`, retries: 0 };
    const queued = await deps.delivery.enqueue(v.communicationId, v.channel);
    return complete({ deliveryQueued: queued });
  },
});
