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
      if (!r) return undefined;
      return { id: r.id, customerId: r.customer_id, number: r.number, amount: String(r.amount), currency: r.currency, issuedAt: day(r.issued_at)!, dueAt: day(r.due_at)!, status: r.status };
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
