import { Type } from '@sinclair/typebox';
import { requestService } from '../services/requests.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/**
 * A dispute raised in invoice-dunning becomes a customer request worked by customer-request
 * (once per invoice, however often this runs): finance reviews it like any other dispute.
 */
export default defineWorker({
  type: 'open-customer-request',
  variables: Type.Object({
    invoiceId: Type.String({ minLength: 1 }),
    customerId: Type.String({ minLength: 1 }),
    disputeReason: Type.Optional(Type.String({ maxLength: 2000 })),
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    // a dispute already worked as a customer request is not opened twice
    const open = await deps.db('customer_requests').where({ invoice_id: v.invoiceId }).whereNotIn('status', ['resolved', 'closed']).first('id', 'reference');
    if (open) return complete({ requestId: open.id, requestReference: open.reference });
    const invoice = await deps.db('invoices').where({ id: v.invoiceId, customer_id: v.customerId }).first('number');
    const submitted = await requestService({ db: deps.db, engine: deps.engine, now: deps.now }).submit({
      id: `dispute-${v.invoiceId}`,
      customerId: v.customerId,
      invoiceId: invoice ? v.invoiceId : null,
      category: 'billing-dispute',
      intakeChannel: 'process',
      replyChannel: 'email',
      subject: `Dispute of invoice ${invoice?.number ?? v.invoiceId}`,
      body: v.disputeReason ?? null,
      requestedBy: null,
    });
    return complete({ requestId: submitted.id, requestReference: submitted.reference });
  },
});
