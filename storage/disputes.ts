import type { Knex } from 'knex';
import type { DisputeState } from '../domain/communications/dispute-hold.js';

/** An invoice's dispute state as the database has it now: its status and the requests open on it. */
export async function disputeState(db: Knex, invoiceId: string): Promise<DisputeState | undefined> {
  const invoice = await db('invoices').where({ id: invoiceId }).first('id', 'number', 'status');
  const open = await db('customer_requests').where({ invoice_id: invoiceId }).whereNotIn('status', ['resolved', 'closed']).orderBy('created_at').select('reference');
  if (!invoice && open.length === 0) return undefined;
  return { invoiceId, invoiceNumber: invoice?.number ?? undefined, invoiceStatus: invoice?.status ?? undefined, openRequests: open.map((r) => r.reference as string) };
}
