import type { Knex } from 'knex';
import { disputeHold, PAYMENT_DEMANDS, type DisputeState } from '../domain/communications/dispute-hold.js';

/** An invoice's dispute state as the database has it now: its status and the requests open on it. */
export async function disputeState(db: Knex, invoiceId: string): Promise<DisputeState | undefined> {
  const invoice = await db('invoices').where({ id: invoiceId }).first('id', 'number', 'status');
  const open = await db('customer_requests').where({ invoice_id: invoiceId }).whereNotIn('status', ['resolved', 'closed']).orderBy('created_at').select('reference');
  if (!invoice && open.length === 0) return undefined;
  return { invoiceId, invoiceNumber: invoice?.number ?? undefined, invoiceStatus: invoice?.status ?? undefined, openRequests: open.map((r) => r.reference as string) };
}

/**
 * Why a communication may not go now because the invoice it demands payment for is disputed, or
 * undefined. One answer for both places that ask — the release worker before queueing and the
 * delivery service at send time: the invoice is the one the caller names, else the one in the
 * communication's data, else the invoice of its customer whose number it was rendered with.
 */
export async function communicationDisputeHold(db: Knex, communicationId: string, invoiceId?: string | null): Promise<string | undefined> {
  const row = (await db('communications').where({ id: communicationId }).first('template_id', 'customer_id', 'data', 'rendered_data')) as { template_id: string; customer_id: string; data: unknown; rendered_data: unknown } | undefined;
  if (!row || !PAYMENT_DEMANDS.has(row.template_id)) return undefined;
  const json = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as Record<string, unknown>) : ((v ?? {}) as Record<string, unknown>));
  let id = invoiceId || (typeof json(row.data).invoiceId === 'string' ? (json(row.data).invoiceId as string) : undefined);
  const number = (json(row.rendered_data).invoice as { number?: unknown } | undefined)?.number;
  if (!id && typeof number === 'string') id = ((await db('invoices').where({ customer_id: row.customer_id, number }).first('id')) as { id: string } | undefined)?.id;
  return id ? disputeHold(row.template_id, await disputeState(db, id)) : undefined;
}
