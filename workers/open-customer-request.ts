import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/** A disputed invoice becomes a customer request (once per invoice, however often this runs). */
export default defineWorker({
  type: 'open-customer-request',
  variables: Type.Object({
    invoiceId: Type.String({ minLength: 1 }),
    customerId: Type.String({ minLength: 1 }),
    disputeReason: Type.Optional(Type.String({ maxLength: 2000 })),
  }),
  async handler({ job, variables: v }, deps: WorkerDeps) {
    // a dispute already worked as a customer request is not opened twice
    const open = await deps.db('customer_requests').where({ invoice_id: v.invoiceId }).whereNotIn('status', ['resolved', 'closed']).first('id', 'reference');
    if (open) return complete({ requestId: open.id, requestReference: open.reference });
    const id = `dispute-${v.invoiceId}`;
    const reference = `REQ-${createHash('sha256').update(id).digest('hex').slice(0, 8).toUpperCase()}`;
    await deps.db('customer_requests')
      .insert({
        id,
        reference,
        customer_id: v.customerId,
        invoice_id: v.invoiceId,
        category: 'billing-dispute',
        status: 'open',
        intake_channel: 'process',
        subject: `Dispute of invoice ${v.invoiceId}`,
        body: v.disputeReason ?? null,
        process_instance_key: job.processInstanceKey,
      })
      .onConflict('id')
      .ignore();
    await deps.db('invoices').where({ id: v.invoiceId }).whereNot({ status: 'paid' }).update({ status: 'disputed' });
    return complete({ requestId: id, requestReference: reference });
  },
});
