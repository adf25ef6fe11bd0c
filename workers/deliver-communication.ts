import { Type } from '@sinclair/typebox';
import { communicationRepository } from '../storage/communications.js';
import { communicationDisputeHold } from '../storage/disputes.js';
import { portalInboxRepository } from '../storage/portal-inbox.js';
import { communicationFacts, release } from '../services/controls.js';
import { bpmnError, complete, defineWorker, fail } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/**
 * Before anything leaves the building, the release is decided again from the database: the
 * approvals the policy requires for this communication's kind, amount and customer risk, against
 * the approvals on the audit trail (distinct people, none of them its initiator). Process
 * variables are not consulted. Then the communication is queued for its channel, once.
 */
export default defineWorker({
  type: 'deliver-communication',
  variables: Type.Object({
    communicationId: Type.String({ minLength: 1 }),
    channel: Type.Union([Type.Literal('email'), Type.Literal('sms'), Type.Literal('portal'), Type.Literal('crm')]),
    invoiceId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    if (!deps.delivery) return fail('no delivery service is configured in this process (HERALD_ROLE=api?)');
    const communication = await communicationRepository(deps.db).get(v.communicationId);
    if (!communication?.subject) return { fail: `communication ${v.communicationId} is not rendered`, retries: 0 };
    // a demand for payment on an invoice disputed since it was approved is withheld, never sent
    const held = await communicationDisputeHold(deps.db, v.communicationId, v.invoiceId);
    if (held) {
      const comms = communicationRepository(deps.db);
      if (communication.status !== 'withheld') {
        await comms.setStatus(v.communicationId, 'withheld');
        await comms.addEvent(v.communicationId, 'withheld', deps.now(), { reason: held, ...(v.invoiceId ? { invoiceId: v.invoiceId } : {}) }, 'withheld');
      }
      return bpmnError('INVOICE_DISPUTED', held, { withheldReason: held });
    }
    const facts = await communicationFacts(deps.db, v.communicationId);
    if (!facts) return { fail: `communication ${v.communicationId} is not recorded`, retries: 0 };
    const verdict = await release(deps.db, { facts, action: 'communication.release' }, async () => undefined);
    if (!verdict.allowed) return bpmnError('SOD_VIOLATION', `${verdict.decision.rule}: ${verdict.decision.reason}`, { sodViolation: verdict.decision.reason });
    const queued = await deps.delivery.enqueue(v.communicationId, v.channel);
    // a message about the customer's request goes on their channel, with a copy in their portal inbox
    if (v.channel !== 'portal' && typeof communication.data.reference === 'string' && communication.data.reference) {
      await portalInboxRepository(deps.db).put({ communicationId: v.communicationId, customerId: communication.customerId, subject: communication.subject, html: communication.html ?? '', text: communication.text ?? '', createdAt: deps.now() });
    }
    return complete({ deliveryQueued: queued });
  },
});
