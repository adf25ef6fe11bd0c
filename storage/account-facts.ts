/**
 * Recorded facts a credit or onboarding message states, read where they were recorded: the limit
 * as booked on the customer, the limit before it and the day it was booked from the booking's
 * release on the audit trail, the terms as printed on the customer's latest invoice, the KYC
 * verification from the customer master.
 */
import type { Knex } from 'knex';

export interface CreditFacts {
  limit: string | null;
  currency: string | null;
  /** The limit before the last booking (its release recorded the limit it replaced). */
  previousLimit: string | null;
  /** When the last change was booked (ISO). */
  bookedAt: string | null;
  /** Terms as printed on the customer's latest invoice, if any. */
  invoiceTerms: string | null;
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : (v ?? {})) as Record<string, any>;

export async function creditFacts(db: Knex, customerId: string): Promise<CreditFacts> {
  const customer = await db('customers').where({ id: customerId }).first('credit_limit', 'credit_currency');
  const bookings = await db('audit_log').where({ action: 'credit-change.book', outcome: 'allowed', subject_type: 'credit-change' }).orderBy('id', 'desc').limit(500).select('at', 'detail');
  const booking = bookings.map((b) => ({ at: b.at, facts: json(b.detail).facts ?? {} })).find((b) => b.facts.customerId === customerId);
  const invoice = await db('invoices').where({ customer_id: customerId }).whereNotNull('payment_terms').orderBy('issued_at', 'desc').first('payment_terms');
  return {
    limit: customer?.credit_limit == null ? null : String(customer.credit_limit),
    currency: customer?.credit_currency ?? null,
    previousLimit: booking?.facts.currentLimit == null ? null : String(booking.facts.currentLimit),
    bookedAt: booking ? new Date(booking.at).toISOString() : null,
    invoiceTerms: invoice?.payment_terms ?? null,
  };
}
