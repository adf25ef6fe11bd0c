/**
 * Demo customer master: a punctual customer whose $19,600 invoice gets paid after the notice
 * and two reminders, and a customer who pays late and goes to escalation (the seed texts'
 * example). Idempotent: seeding twice changes nothing.
 */
import type { Knex } from 'knex';

export const demoCustomers = [
  { id: 'C-ACME', legal_name: 'Acme Industrial Supplies Ltd', status: 'active', kyc_status: 'verified', kyc_expires_at: '2028-06-30', risk_segment: 'low', locale: 'en', account_manager: 'sam', portal_user: 'acme', credit_limit: '50000.00', credit_currency: 'USD' },
  { id: 'C-NORTHWIND', legal_name: 'Northwind Traders GmbH', status: 'active', kyc_status: 'verified', kyc_expires_at: '2027-12-31', risk_segment: 'high', locale: 'de', account_manager: 'sam', portal_user: 'northwind', credit_limit: '20000.00', credit_currency: 'EUR' },
];

export const demoContacts = [
  { customer_id: 'C-ACME', channel: 'email', address: 'accounts.payable@acme.example', display_name: 'Acme Accounts Payable', consent: true, marketing_consent: false },
  { customer_id: 'C-ACME', channel: 'portal', address: 'acme', display_name: 'Acme', consent: true, marketing_consent: false },
  { customer_id: 'C-NORTHWIND', channel: 'email', address: 'buchhaltung@northwind.example', display_name: 'Northwind Buchhaltung', consent: true, marketing_consent: true },
  { customer_id: 'C-NORTHWIND', channel: 'portal', address: 'northwind', display_name: 'Northwind', consent: true, marketing_consent: false },
];

export const demoInvoices = [
  { id: 'INV-2026-0142', customer_id: 'C-ACME', number: '2026-0142', amount: '19600.00', currency: 'USD', issued_at: '2026-11-01', due_at: '2026-12-01', status: 'open' },
  { id: 'INV-2026-0157', customer_id: 'C-NORTHWIND', number: '2026-0157', amount: '8450.50', currency: 'EUR', issued_at: '2026-11-03', due_at: '2026-11-17', status: 'open' },
];

function history(customerId: string, currency: string, daysLate: number[]) {
  return daysLate.map((late, i) => {
    const due = new Date(Date.UTC(2026, i, 15));
    const paid = new Date(due.getTime() + late * 86_400_000);
    return { customer_id: customerId, amount: '1000.00', currency, due_at: due.toISOString().slice(0, 10), paid_at: paid.toISOString().slice(0, 10) };
  });
}

export async function seedDemoData(db: Knex): Promise<boolean> {
  if (await db('customers').where({ id: 'C-ACME' }).first()) return false;
  await db.transaction(async (tx) => {
    await tx('customers').insert(demoCustomers);
    await tx('customer_contacts').insert(demoContacts);
    await tx('invoices').insert(demoInvoices);
    await tx('payments').insert([...history('C-ACME', 'USD', [0, 0, 2, 0, 0, 0, 0, 1, 0, 0]), ...history('C-NORTHWIND', 'EUR', [35, 20, 41, 0, 28, 60, 33, 15, 45, 30])]);
  });
  return true;
}
