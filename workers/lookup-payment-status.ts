import { Type } from '@sinclair/typebox';
import { requestRepository } from '../storage/requests.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/** Balance and cash application for a payment question: open invoices and the payments applied. */
export default defineWorker({
  type: 'lookup-payment-status',
  variables: Type.Object({ requestId: Type.String({ minLength: 1 }), customerId: Type.String({ minLength: 1 }) }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const open = await deps.db('invoices').where({ customer_id: v.customerId }).whereNot({ status: 'paid' }).orderBy('due_at').select('id', 'number', 'amount', 'currency', 'due_at', 'status');
    const balance = await deps.db('invoices').where({ customer_id: v.customerId }).whereNot({ status: 'paid' }).sum({ total: 'amount' }).first();
    const payments = await deps.db('payments').where({ customer_id: v.customerId }).orderBy('paid_at', 'desc').limit(5).select('invoice_id', 'amount', 'currency', 'paid_at');
    const day = (d: unknown) => (d instanceof Date ? d.toISOString().slice(0, 10) : String(d).slice(0, 10));
    const result = {
      openBalance: balance?.total == null ? '0.00' : String(balance.total),
      openInvoices: open.map((i) => ({ number: i.number, amount: String(i.amount), currency: i.currency, dueAt: day(i.due_at), status: i.status })),
      recentPayments: payments.map((p) => ({ invoiceId: p.invoice_id, amount: String(p.amount), currency: p.currency, paidAt: day(p.paid_at) })),
    };
    await requestRepository(deps.db).record(v.requestId, { action: 'payment-status-looked-up', actor: 'herald', detail: { openBalance: result.openBalance, openInvoices: result.openInvoices.length } }, deps.now());
    return complete(result);
  },
});
