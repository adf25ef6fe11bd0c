import type { Knex } from 'knex';
import { amountsEqual, roundToCurrency } from '../domain/money.js';
import type { AgreementInput } from '../domain/restructuring/agreement.js';

export interface Agreement extends AgreementInput {
  status: 'proposed' | 'accepted';
  recordedBy: string;
  acceptedAt: string | null;
  acceptedBy: string | null;
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
const day = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10));
// numeric(19,4) comes back as "19600.0000": stated with the currency's own decimals
const decimal = (v: unknown, currency: string) => roundToCurrency(String(v), currency);

function toAgreement(r: Record<string, unknown>): Agreement {
  return {
    agreementId: String(r.id),
    customerId: String(r.customer_id),
    reference: String(r.reference),
    agreementDate: day(r.agreement_date),
    totalAmount: decimal(r.total_amount, String(r.currency)),
    currency: String(r.currency),
    installments: json<AgreementInput['installments']>(r.installments),
    acceptBy: day(r.accept_by),
    graceDays: Number(r.grace_days),
    invoiceIds: json<string[]>(r.invoice_ids),
    status: r.status as Agreement['status'],
    recordedBy: String(r.recorded_by),
    acceptedAt: r.accepted_at ? new Date(r.accepted_at as string).toISOString() : null,
    acceptedBy: (r.accepted_by as string | null) ?? null,
  };
}

export function restructuringRepository(db: Knex | Knex.Transaction) {
  return {
    async get(id: string): Promise<Agreement | undefined> {
      const r = await db('restructuring_agreements').where({ id }).first();
      return r ? toAgreement(r) : undefined;
    },
    async forCustomer(customerId: string): Promise<Agreement[]> {
      return (await db('restructuring_agreements').where({ customer_id: customerId }).orderBy('recorded_at', 'desc')).map(toAgreement);
    },
    /** Records an agreement; the same id again with the same facts is unchanged, with other facts a conflict (an agreement is not rewritten). */
    async record(a: AgreementInput, by: string): Promise<'created' | 'unchanged' | 'conflict'> {
      const existing = await this.get(a.agreementId);
      if (existing) {
        const same = existing.customerId === a.customerId && existing.reference === a.reference && existing.agreementDate === a.agreementDate && amountsEqual(existing.totalAmount, a.totalAmount) && existing.currency === a.currency && JSON.stringify(existing.installments.map((i) => [i.dueDate, Number(i.amount)])) === JSON.stringify(a.installments.map((i) => [i.dueDate, Number(i.amount)])) && existing.acceptBy === a.acceptBy && existing.graceDays === a.graceDays;
        return same ? 'unchanged' : 'conflict';
      }
      await db('restructuring_agreements').insert({
        id: a.agreementId,
        customer_id: a.customerId,
        reference: a.reference,
        agreement_date: a.agreementDate,
        total_amount: a.totalAmount,
        currency: a.currency,
        installments: JSON.stringify(a.installments.map((i, n) => ({ number: n + 1, dueDate: i.dueDate, amount: i.amount }))),
        accept_by: a.acceptBy,
        grace_days: a.graceDays,
        invoice_ids: JSON.stringify(a.invoiceIds),
        recorded_by: by,
      });
      return 'created';
    },
    /** The customer accepts; true when this call accepted it (false: it was accepted before). */
    async accept(id: string, by: string, at: Date): Promise<boolean> {
      const n = await db('restructuring_agreements').where({ id, status: 'proposed' }).update({ status: 'accepted', accepted_at: at, accepted_by: by });
      return Number(n) > 0;
    },
  };
}
