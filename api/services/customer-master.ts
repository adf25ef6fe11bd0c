/**
 * The one door to the customer master: the ERP's customer.updated and invoice.issued events and a
 * data steward's corrections all change customers, contacts, consent and invoices here, each
 * change with its audit row in the same transaction. Refusals name the field.
 */
import type { Db } from '../../storage/db.js';
import { customerRepository, type CustomerChanges, type IssuedInvoice } from '../../storage/customers.js';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { HttpProblem } from '../plugins/problem.js';
import { emailLengthProblem } from '../../domain/channels/email-address.js';

/** RFC 5321's lengths, checked wherever an address enters the master (issue 14, finding 9). */
function checkContactAddresses(changes: CustomerChanges, field: string): void {
  changes.contacts?.forEach((c, i) => {
    const tooLong = c.channel === 'email' ? emailLengthProblem(c.address) : undefined;
    if (tooLong) throw new HttpProblem(400, `${field}.contacts.${i}.address ${tooLong}`, { field: `${field}.contacts.${i}.address` });
  });
}

export function customerMaster(deps: { db: Db }) {
  const { db } = deps;
  return {
    /**
     * Checks an issued invoice against the master before the event is accepted: the customer is
     * known, the due date is not before the issue date, the id is not another customer's invoice.
     * `prefix` is where the fields sit in the request ("body.data").
     */
    async checkInvoice(i: IssuedInvoice, prefix = 'body.data'): Promise<void> {
      const customers = customerRepository(db);
      if (!(await customers.get(i.customerId))) throw new HttpProblem(400, `${prefix}.customerId: customer ${i.customerId} is not in the customer master; send customer.updated first`, { field: `${prefix}.customerId` });
      if (i.dueDate < i.issueDate) throw new HttpProblem(400, `${prefix}.dueDate ${i.dueDate} is before the issue date ${i.issueDate}`, { field: `${prefix}.dueDate` });
      const existing = await customers.invoice(i.id);
      if (existing && existing.customerId !== i.customerId) throw new HttpProblem(400, `${prefix}.invoiceId: invoice ${i.id} belongs to another customer`, { field: `${prefix}.invoiceId` });
    },
    /** Checks a customer.updated before it is accepted: a new customer needs its legal name. */
    async checkChange(customerId: string, changes: CustomerChanges, prefix = 'body.data'): Promise<void> {
      checkContactAddresses(changes, `${prefix}.changes`);
      if (!changes.legalName && !(await customerRepository(db).get(customerId))) {
        throw new HttpProblem(400, `${prefix}.changes.legalName: customer ${customerId} is new, so its legal name is needed`, { field: `${prefix}.changes.legalName` });
      }
    },
    /** Records the invoice as issued (a re-issue updates an open invoice's facts), audited. */
    async recordInvoice(i: IssuedInvoice, actor: string): Promise<'created' | 'updated' | 'unchanged'> {
      return db.transaction(async (tx) => {
        const outcome = await customerRepository(tx).recordInvoice(i);
        if (outcome === 'conflict') throw new HttpProblem(400, `body.data.invoiceId: invoice ${i.id} belongs to another customer`, { field: 'body.data.invoiceId' });
        if (outcome !== 'unchanged') await createAuditRepository(tx).append({ actor, action: `invoice.${outcome === 'created' ? 'recorded' : 'updated'}`, subjectType: 'invoice', subjectId: i.id, detail: { ...i } });
        return outcome;
      });
    },
    /**
     * Changes a customer (creating it when the ERP names a new one): the ERP's customer.updated or
     * a data steward's correction, which must give a reason. Consent changes are kept as history.
     */
    async change(input: { actor: string; customerId: string; changes: CustomerChanges; reason?: string | undefined; source: 'erp' | 'steward'; field?: string }): Promise<{ created: boolean; fields: string[]; consent: string[] }> {
      const field = input.field ?? 'body.changes';
      if (input.source === 'steward' && !input.reason?.trim()) throw new HttpProblem(400, 'body.reason: a correction of the customer master needs a reason', { field: 'body.reason' });
      checkContactAddresses(input.changes, field);
      return db.transaction(async (tx) => {
        const repo = customerRepository(tx);
        if (input.source === 'steward' && !(await repo.get(input.customerId))) throw new HttpProblem(404, 'no such customer');
        let result;
        try {
          result = await repo.applyChanges(input.customerId, input.changes, input.source === 'erp' ? 'erp' : input.actor, input.reason);
        } catch (err) {
          const f = (err as { field?: string }).field;
          if (f) throw new HttpProblem(400, (err as Error).message, { field: `${field}.${f.replace(/^changes\./, '')}` });
          throw err;
        }
        await createAuditRepository(tx).append({
          actor: input.actor,
          action: input.source === 'erp' ? 'customer.updated' : 'customer.corrected',
          subjectType: 'customer',
          subjectId: input.customerId,
          detail: { changes: input.changes, fields: result.fields, consent: result.consent, created: result.created, ...(input.reason ? { reason: input.reason } : {}) },
        });
        return result;
      });
    },
  };
}
