/**
 * Customer master repository: customers, contacts with consent, invoices and payments.
 * Factories over a knex instance or transaction; amounts stay decimal strings.
 */
import type { Knex } from 'knex';
import type { ContactRecord, CustomerRecord } from '../domain/customers/validation.js';
import type { PaymentRecord } from '../domain/customers/risk.js';

export interface Customer extends CustomerRecord {
  riskSegment: 'low' | 'medium' | 'high';
  locale: string;
  accountManager?: string | null;
  portalUser?: string | null;
}

export interface Invoice {
  id: string;
  customerId: string;
  number: string;
  amount: string;
  currency: string;
  issuedAt: string;
  dueAt: string;
  status: 'open' | 'paid' | 'disputed' | 'promised' | 'written_off';
  /** As printed on the invoice ("net 30 days"); null for invoices recorded before the ERP sent terms. */
  paymentTerms: string | null;
  /** The channel the ERP asked the invoice to be sent on. */
  channel: string | null;
  paidAt: string | null;
}

/** An invoice as the ERP issues it (`invoice.issued`). */
export interface IssuedInvoice {
  id: string;
  customerId: string;
  number: string;
  amount: string;
  currency: string;
  issueDate: string;
  dueDate: string;
  paymentTerms: string;
  channel?: string | undefined;
}

/** What `customer.updated` and a data steward may change; absent fields stay as they are. */
export interface CustomerChanges {
  legalName?: string;
  status?: Customer['status'];
  kycStatus?: Customer['kycStatus'];
  kycExpiresAt?: string | null;
  locale?: string;
  riskSegment?: Customer['riskSegment'];
  accountManager?: string | null;
  portalUser?: string | null;
  contacts?: { channel: ContactRecord['channel']; address: string; displayName?: string | null; consent: boolean; marketingConsent?: boolean }[];
}

export interface ConsentEvent {
  channel: string;
  consent: boolean;
  marketingConsent: boolean;
  source: string;
  reason: string | null;
  at: string;
}

const CUSTOMER_COLUMNS: Record<string, string> = {
  legalName: 'legal_name',
  status: 'status',
  kycStatus: 'kyc_status',
  kycExpiresAt: 'kyc_expires_at',
  locale: 'locale',
  riskSegment: 'risk_segment',
  accountManager: 'account_manager',
  portalUser: 'portal_user',
};

function toInvoice(r: Record<string, any>): Invoice {
  return { id: r.id, customerId: r.customer_id, number: r.number, amount: String(r.amount), currency: r.currency, issuedAt: day(r.issued_at)!, dueAt: day(r.due_at)!, status: r.status, paymentTerms: r.payment_terms ?? null, channel: r.channel ?? null, paidAt: r.paid_at ? new Date(r.paid_at).toISOString() : null };
}

const day = (d: unknown) => (d instanceof Date ? d.toISOString().slice(0, 10) : d ? String(d).slice(0, 10) : null);

export function customerRepository(db: Knex | Knex.Transaction) {
  return {
    async get(id: string): Promise<Customer | undefined> {
      const r = await db('customers').where({ id }).first();
      if (!r) return undefined;
      return {
        id: r.id,
        legalName: r.legal_name,
        status: r.status,
        kycStatus: r.kyc_status,
        kycExpiresAt: day(r.kyc_expires_at),
        riskSegment: r.risk_segment,
        locale: r.locale,
        accountManager: r.account_manager,
        portalUser: r.portal_user,
      };
    },
    async contacts(customerId: string): Promise<ContactRecord[]> {
      const rows = await db('customer_contacts').where({ customer_id: customerId });
      return rows.map((r) => ({ channel: r.channel, address: r.address, displayName: r.display_name, consent: r.consent, marketingConsent: r.marketing_consent }));
    },
    async payments(customerId: string): Promise<PaymentRecord[]> {
      const rows = await db('payments').where({ customer_id: customerId }).orderBy('due_at', 'desc').limit(24);
      return rows.map((r) => ({ dueAt: day(r.due_at)!, paidAt: day(r.paid_at)! }));
    },
    async invoice(id: string): Promise<Invoice | undefined> {
      const r = await db('invoices').where({ id }).first();
      return r ? toInvoice(r) : undefined;
    },
    async invoices(customerId: string, limit = 200): Promise<Invoice[]> {
      return (await db('invoices').where({ customer_id: customerId }).orderBy([{ column: 'issued_at', order: 'desc' }, { column: 'id' }]).limit(limit)).map(toInvoice);
    },
    async list(limit = 200): Promise<(Customer & { openInvoices: number })[]> {
      const rows = await db('customers').orderBy('id').limit(limit);
      const open = (await db('invoices').whereIn('customer_id', rows.map((r) => r.id)).whereNot({ status: 'paid' }).groupBy('customer_id').select('customer_id').count({ n: '*' })) as { customer_id: string; n: string | number }[];
      const counts = new Map(open.map((o) => [o.customer_id, Number(o.n)]));
      return rows.map((r) => ({ id: r.id, legalName: r.legal_name, status: r.status, kycStatus: r.kyc_status, kycExpiresAt: day(r.kyc_expires_at), riskSegment: r.risk_segment, locale: r.locale, accountManager: r.account_manager, portalUser: r.portal_user, openInvoices: counts.get(r.id) ?? 0 }));
    },
    /** The customer master's locales in use (a template must speak every one of them). */
    async locales(): Promise<string[]> {
      return (await db('customers').whereNot({ status: 'closed' }).distinct('locale').orderBy('locale')).map((r) => r.locale as string);
    },
    async consentHistory(customerId: string): Promise<ConsentEvent[]> {
      const rows = await db('customer_consent_events').where({ customer_id: customerId }).orderBy([{ column: 'at' }, { column: 'id' }]);
      return rows.map((r) => ({ channel: r.channel, consent: r.consent, marketingConsent: r.marketing_consent, source: r.source, reason: r.reason ?? null, at: new Date(r.at).toISOString() }));
    },
    /**
     * Records an invoice as the ERP issued it. A re-sent invoice.issued for the same id updates its
     * facts while it is open (the ERP is the system of record); a paid invoice is left alone.
     * Returns false when the id belongs to another customer (the event is refused).
     */
    async recordInvoice(i: IssuedInvoice): Promise<'created' | 'updated' | 'unchanged' | 'conflict'> {
      const existing = await db('invoices').where({ id: i.id }).first();
      const facts = { number: i.number, amount: i.amount, currency: i.currency, issued_at: i.issueDate, due_at: i.dueDate, payment_terms: i.paymentTerms, channel: i.channel ?? null };
      if (!existing) {
        await db('invoices').insert({ id: i.id, customer_id: i.customerId, status: 'open', ...facts }).onConflict('id').ignore();
        return 'created';
      }
      if (existing.customer_id !== i.customerId) return 'conflict';
      if (existing.status === 'paid') return 'unchanged';
      await db('invoices').where({ id: i.id }).update(facts);
      return 'updated';
    },
    /**
     * Applies changes to the customer master (creating the customer when the ERP names a new one);
     * a contact whose consent changes leaves a consent event. Returns what changed, for the audit row.
     */
    async applyChanges(customerId: string, changes: CustomerChanges, source: string, reason?: string): Promise<{ created: boolean; fields: string[]; consent: string[] }> {
      const row = await db('customers').where({ id: customerId }).forUpdate().first();
      const update: Record<string, unknown> = {};
      for (const [key, column] of Object.entries(CUSTOMER_COLUMNS)) {
        const value = (changes as Record<string, unknown>)[key];
        if (value !== undefined && (!row || String(row[column] ?? '') !== String(value ?? ''))) update[column] = value;
      }
      let created = false;
      if (!row) {
        if (!changes.legalName) throw Object.assign(new Error(`customer ${customerId} is new: changes.legalName is needed to create it`), { field: 'changes.legalName' });
        await db('customers').insert({ id: customerId, status: 'active', kyc_status: 'pending', ...update });
        created = true;
      } else if (Object.keys(update).length) {
        await db('customers').where({ id: customerId }).update({ ...update, updated_at: db.fn.now() });
      }
      const consent: string[] = [];
      for (const c of changes.contacts ?? []) {
        const before = await db('customer_contacts').where({ customer_id: customerId, channel: c.channel }).first();
        const marketing = c.marketingConsent ?? before?.marketing_consent ?? false;
        const values = { address: c.address, display_name: c.displayName ?? before?.display_name ?? null, consent: c.consent, marketing_consent: marketing };
        if (before) await db('customer_contacts').where({ id: before.id }).update({ ...values, ...(before.consent !== c.consent || before.marketing_consent !== marketing ? { consent_at: db.fn.now() } : {}) });
        else await db('customer_contacts').insert({ customer_id: customerId, channel: c.channel, ...values, consent_at: db.fn.now() });
        if (!before || before.consent !== c.consent || before.marketing_consent !== marketing) {
          await db('customer_consent_events').insert({ customer_id: customerId, channel: c.channel, consent: c.consent, marketing_consent: marketing, source, reason: reason ?? null });
          consent.push(c.channel);
        }
      }
      return { created, fields: Object.keys(update), consent };
    },
    /** When a communication was created (its letter date), if it exists. */
    async communicationDate(id: string): Promise<string | undefined> {
      const r = await db('communications').where({ id }).first('created_at');
      return r ? new Date(r.created_at).toISOString() : undefined;
    },
    /**
     * Reminders for an invoice that actually went out before `exceptId` (the one being written):
     * the ordinal a reminder states comes from these, not from the template's name.
     */
    async remindersSent(invoiceId: string, exceptId?: string): Promise<{ id: string; sentAt: string }[]> {
      const q = db('communications')
        .where('id', 'like', `${invoiceId.replace(/[\\%_]/g, (c) => `\\${c}`)}-reminder-%`)
        .whereNotIn('status', ['created', 'rendered', 'rejected', 'failed', 'withheld'])
        .orderBy('created_at');
      if (exceptId) q.whereNot({ id: exceptId });
      return (await q.select('id', 'created_at')).map((r) => ({ id: r.id, sentAt: new Date(r.created_at).toISOString() }));
    },
    async setRiskSegment(customerId: string, segment: Customer['riskSegment']): Promise<void> {
      await db('customers').where({ id: customerId }).update({ risk_segment: segment, updated_at: db.fn.now() });
    },
    /** Marks an invoice paid once; a second call changes nothing. */
    async markPaid(invoiceId: string, at: Date): Promise<boolean> {
      const n = await db('invoices').where({ id: invoiceId }).whereNot({ status: 'paid' }).update({ status: 'paid', paid_at: at });
      return n > 0;
    },
    async setInvoiceStatus(invoiceId: string, status: Invoice['status']): Promise<void> {
      await db('invoices').where({ id: invoiceId }).whereNot({ status: 'paid' }).update({ status });
    },
  };
}

export type CustomerRepository = ReturnType<typeof customerRepository>;
