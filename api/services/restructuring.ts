/**
 * Restructuring agreements: the one door that records them (the ERP's `restructuring.agreed`)
 * and the one that takes the customer's acceptance (the portal). Each writes its audit row in the
 * same transaction. Refusals name the event field (`body.data.installments.2.dueDate`).
 */
import { AgreementError, checkAgreement, type AgreementInput } from '../../domain/restructuring/agreement.js';
import { HttpProblem } from '../plugins/problem.js';
import type { Db } from '../../storage/db.js';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { restructuringRepository } from '../../storage/restructuring.js';

/** A restructuring.agreed event's data (already checked against its schema) as the agreement it records. */
export function agreementFromEvent(d: Record<string, unknown>): AgreementInput {
  const s = (k: string) => String(d[k]);
  return {
    agreementId: s('agreementId'),
    customerId: s('customerId'),
    reference: s('reference'),
    agreementDate: s('agreementDate'),
    totalAmount: s('totalAmount'),
    currency: s('currency'),
    installments: (d.installments as { dueDate: string; amount: string }[]).map((i) => ({ dueDate: i.dueDate, amount: i.amount })),
    acceptBy: s('acceptBy'),
    graceDays: Number(d.graceDays),
    invoiceIds: (d.invoiceIds as string[]).map(String),
  };
}

export function restructuringService(db: Db) {
  return {
    /** Checks the agreement's facts against themselves and the customer master; 400 naming the field. */
    async check(a: AgreementInput, prefix = 'body.data'): Promise<void> {
      try {
        checkAgreement(a);
      } catch (err) {
        if (err instanceof AgreementError) throw new HttpProblem(400, `${prefix}.${err.message}`, { field: `${prefix}.${err.field}` });
        throw err;
      }
      if (!(await db('customers').where({ id: a.customerId }).first('id'))) throw new HttpProblem(400, `${prefix}.customerId: customer ${a.customerId} is not in the customer master; send customer.updated first`, { field: `${prefix}.customerId` });
      const invoices = (await db('invoices').whereIn('id', a.invoiceIds).select('id', 'customer_id', 'currency')) as { id: string; customer_id: string; currency: string }[];
      for (const [n, id] of a.invoiceIds.entries()) {
        const invoice = invoices.find((i) => i.id === id);
        if (!invoice) throw new HttpProblem(400, `${prefix}.invoiceIds.${n}: invoice ${id} is not recorded; send invoice.issued first`, { field: `${prefix}.invoiceIds.${n}` });
        if (invoice.customer_id !== a.customerId) throw new HttpProblem(400, `${prefix}.invoiceIds.${n}: invoice ${id} belongs to another customer`, { field: `${prefix}.invoiceIds.${n}` });
        if (invoice.currency !== a.currency) throw new HttpProblem(400, `${prefix}.currency: the agreement is in ${a.currency}, invoice ${id} in ${invoice.currency}`, { field: `${prefix}.currency` });
      }
    },
    /** Records the agreement as agreed, audited; the same agreement again is unchanged, other facts under its id are refused. */
    async record(a: AgreementInput, actor: string): Promise<'created' | 'unchanged'> {
      return db.transaction(async (tx) => {
        const outcome = await restructuringRepository(tx).record(a, actor);
        if (outcome === 'conflict') throw new HttpProblem(400, `body.data.agreementId: agreement ${a.agreementId} was recorded before with other terms; an agreement is not rewritten (agree a new one)`, { field: 'body.data.agreementId' });
        if (outcome === 'created') await createAuditRepository(tx).append({ actor, action: 'restructuring.recorded', subjectType: 'restructuring-agreement', subjectId: a.agreementId, detail: { ...a } });
        return outcome;
      });
    },
    /** The customer accepts their agreement (only their own, only before acceptBy has passed). */
    async accept(input: { agreementId: string; customerId: string; actor: string; at: Date }): Promise<{ accepted: boolean }> {
      return db.transaction(async (tx) => {
        const repo = restructuringRepository(tx);
        const a = await repo.get(input.agreementId);
        // refusals are thrown, and the problem handler puts them on the audit trail (this transaction rolls back)
        if (!a || a.customerId !== input.customerId) throw new HttpProblem(404, `agreement ${input.agreementId} was not found`, { rule: 'not-yours' });
        if (a.status === 'accepted') return { accepted: false };
        if (input.at.toISOString().slice(0, 10) > a.acceptBy) throw new HttpProblem(409, `agreement ${a.reference} had to be accepted by ${a.acceptBy}; ask us for new terms`, { rule: 'accept-by-passed' });
        await repo.accept(a.agreementId, input.actor, input.at);
        await createAuditRepository(tx).append({ actor: input.actor, action: 'restructuring.accept', subjectType: 'restructuring-agreement', subjectId: a.agreementId, detail: { reference: a.reference, acceptBy: a.acceptBy } });
        return { accepted: true };
      });
    },
  };
}
