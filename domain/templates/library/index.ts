/**
 * The shipped templates: one folder per template id, one MJML file per locale. Files are read
 * when asked for, never at import time. Sample data is what previews and tests fill them with;
 * the invoice is the seed documents' $19,600 example.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TemplateKind, TemplateVersion } from '../types.js';

export interface LibraryTemplate {
  templateId: string;
  kind: TemplateKind;
  description: string;
  /** Subject per locale (the first locale is the default). */
  subjects: Record<string, string>;
  sampleData: Record<string, unknown>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

// the default sender's brand (HERALD_FROM): what production fills in, so a sample reads like a real message
const company = { name: 'Herald Receivables', email: 'receivables@herald.example', phone: '+1 555 0100' };
const customer = { name: 'Contoso Retail Inc.', contactName: 'Dana Whitfield', number: 'C-10042' };
const invoice = {
  number: 'INV-2025-0142',
  amount: '19600.00',
  openAmount: '19600.00',
  currency: 'USD',
  issueDate: '2025-03-01',
  dueDate: '2025-03-31',
  terms: 'net 30 days',
  daysOverdue: 21,
  daysUntilDue: 0,
};
const reminder = { number: 1, previous: 0, payBy: '2025-04-30' };
const links = {
  portal: 'https://herald.example/portal/',
  invoice: 'https://herald.example/portal/invoices/INV-2025-0142',
  pay: 'https://herald.example/portal/pay/INV-2025-0142',
};
const base = { company, customer, invoice, links, reminder };

export const library: LibraryTemplate[] = [
  {
    templateId: 'invoice-notice',
    kind: 'transactional',
    description: 'Notice of a newly issued invoice with amount, due date and payment terms.',
    subjects: { en: 'Invoice {{invoice.number}}: {{invoice.amount | money invoice.currency}} due {{invoice.dueDate | date}}', de: 'Rechnung {{invoice.number}}: {{invoice.amount | money invoice.currency}} fällig am {{invoice.dueDate | date}}' },
    sampleData: { ...base, invoice: { ...invoice, daysOverdue: 0 } },
  },
  {
    templateId: 'payment-reminder-1',
    kind: 'dunning',
    description: 'First, friendly reminder: the invoice is open, maybe the payment crossed.',
    subjects: { en: 'Reminder {{reminder.number}}: invoice {{invoice.number}} is overdue', de: '{{reminder.number}}. Zahlungserinnerung: Rechnung {{invoice.number}} ist überfällig' },
    sampleData: base,
  },
  {
    templateId: 'payment-reminder-upcoming',
    kind: 'dunning',
    description: 'A reminder for an invoice not yet due: states the due date, never "overdue" (rendered in place of a reminder whose invoice is not yet due).',
    subjects: { en: 'Reminder {{reminder.number}}: invoice {{invoice.number}} is due on {{invoice.dueDate | date}}', de: 'Erinnerung {{reminder.number}}: Rechnung {{invoice.number}} ist am {{invoice.dueDate | date}} fällig' },
    sampleData: { ...base, invoice: { ...invoice, daysOverdue: 0, daysUntilDue: 9 } },
  },
  {
    templateId: 'payment-reminder-2',
    kind: 'dunning',
    description: 'Firmer reminder: overdue, pay by a date or promise to pay (its number is the reminders actually sent).',
    subjects: { en: 'Reminder {{reminder.number}}: invoice {{invoice.number}} is {{invoice.daysOverdue | days}} overdue', de: '{{reminder.number}}. Mahnung: Rechnung {{invoice.number}} ist {{invoice.daysOverdue | days}} überfällig' },
    sampleData: { ...base, reminder: { number: 2, previous: 1, lastSentDate: '2025-04-14', payBy: '2025-04-30' } },
  },
  {
    templateId: 'payment-reminder-3',
    kind: 'dunning',
    description: 'Final reminder: pay by a date or the account goes to collections.',
    subjects: { en: 'Final reminder: invoice {{invoice.number}}, payment required by {{reminder.payBy | date}}', de: 'Letzte Mahnung: Rechnung {{invoice.number}}, Zahlung bis {{reminder.payBy | date}}' },
    sampleData: { ...base, invoice: { ...invoice, daysOverdue: 45 }, reminder: { number: 3, previous: 2, lastSentDate: '2025-05-01', payBy: '2025-05-22' } },
  },
  {
    templateId: 'dunning-escalation',
    kind: 'dunning',
    description: 'The account is passed to a collections agent; credit orders on hold.',
    subjects: { en: 'Invoice {{invoice.number}} has been passed to collections', de: 'Rechnung {{invoice.number}} wurde an das Inkasso übergeben' },
    sampleData: { ...base, invoice: { ...invoice, daysOverdue: 60 }, collections: { agentName: 'Marcus Lee', phone: '+1 555 0142' }, escalation: { respondBy: '2025-06-06' } },
  },
  {
    templateId: 'payment-digest',
    kind: 'dunning',
    description: 'Several reminders or notices for one contact within the digest window, sent as one message listing each invoice (number, amount, due date, days overdue); the row marked data-repeat is repeated per invoice.',
    subjects: { en: '{{digest.count}} open invoices on your account', de: '{{digest.count}} offene Rechnungen auf Ihrem Konto' },
    sampleData: {
      company,
      customer,
      links,
      digest: { count: 2 },
      invoices: [
        { number: 'INV-2025-0142', amount: '19600.00', currency: 'USD', dueDate: '2025-03-31', daysOverdue: 21, standing: '21 days overdue' },
        { number: 'INV-2025-0150', amount: '4250.50', currency: 'USD', dueDate: '2025-04-07', daysOverdue: 14, standing: '14 days overdue' },
      ],
    },
  },
  {
    templateId: 'payment-confirmation',
    kind: 'transactional',
    description: 'Confirms a payment applied to an invoice (cash application).',
    subjects: { en: 'Payment received for invoice {{invoice.number}}', de: 'Zahlung für Rechnung {{invoice.number}} erhalten' },
    sampleData: { ...base, invoice: { ...invoice, openAmount: '0.00' }, payment: { amount: '19600.00', currency: 'USD', receivedDate: '2025-03-28', reference: 'PAY-88213' } },
  },
  {
    templateId: 'credit-approval',
    kind: 'transactional',
    description: 'Trade credit approved: limit, terms, effective date.',
    subjects: { en: 'Your credit application has been approved' },
    sampleData: { ...base, credit: { limit: '50000.00', currency: 'USD', terms: 'net 30', effectiveDate: '2025-02-01', reviewDate: '2026-02-01' } },
  },
  {
    templateId: 'credit-limit-change',
    kind: 'transactional',
    description: 'A credit limit raised or lowered after a review, with the reason.',
    subjects: { en: 'Your credit limit changes on {{credit.effectiveDate | date}}' },
    sampleData: { ...base, credit: { previousLimit: '50000.00', newLimit: '75000.00', currency: 'USD', effectiveDate: '2025-07-01', reason: 'twelve months of on-time payments and higher order volumes' } },
  },
  {
    templateId: 'welcome',
    kind: 'transactional',
    description: 'Onboarding: account open after KYC, portal and account manager.',
    subjects: { en: 'Welcome to {{company.name}}, {{customer.name}}' },
    sampleData: { ...base, accountManager: { name: 'Priya Raman', email: 'priya.raman@herald.example' } },
  },
  {
    templateId: 'account-setup',
    kind: 'transactional',
    description: 'Onboarding: the steps left before trading on credit.',
    subjects: { en: 'Finish setting up your account by {{setup.deadline | date}}' },
    sampleData: { ...base, setup: { deadline: '2025-02-14' }, links: { ...links, setup: 'https://herald.example/portal/setup/C-10042' } },
  },
  {
    templateId: 'restructuring-terms',
    kind: 'legal',
    description: 'Legal notice of the terms of a debt restructuring agreement.',
    subjects: { en: 'Terms of your payment restructuring agreement {{restructuring.reference}}' },
    sampleData: {
      ...base,
      restructuring: { reference: 'RST-2025-007', agreementDate: '2025-06-10', totalAmount: '19600.00', currency: 'USD', installments: 4, installmentAmount: '4900.00', finalInstallmentAmount: '4900.00', firstDueDate: '2025-07-01', finalDueDate: '2025-10-01', acceptBy: '2025-06-24', graceDays: 10 },
      links: { ...links, agreement: 'https://herald.example/portal/agreements/RST-2025-007' },
    },
  },
  {
    templateId: 'request-acknowledgement',
    kind: 'transactional',
    description: 'A customer request (dispute, refund, clarification) was received and routed.',
    subjects: { en: 'We received your request {{request.reference}}', de: 'Wir haben Ihre Anfrage {{request.reference}} erhalten' },
    // sent before classification: what is known then (render-communication fills `request` from the request's row)
    sampleData: { ...base, request: { reference: 'REQ-5531', subject: 'Freight charged twice on INV-2025-0142', receivedDate: '2025-04-02' }, links: { ...links, request: 'https://herald.example/portal/requests/REQ-5531' } },
  },
  {
    templateId: 'request-information-needed',
    kind: 'transactional',
    description: 'A customer request waits on the customer: asks for the missing data (customer-request, "Ask customer for data").',
    subjects: { en: 'Your request {{reference}}: we need more information', de: 'Ihre Anfrage {{reference}}: wir benötigen weitere Angaben' },
    // the shape customer-request's ask-customer call sends: { reference, infoNeeded, question }, the rest filled in by render-communication
    sampleData: { company, customer, links, reference: 'REQ-5531', infoNeeded: ['invoiceNumber'], question: 'Which invoice does this concern?' },
  },
  {
    templateId: 'request-resolution',
    kind: 'transactional',
    description: 'A customer request was closed, with its outcome.',
    subjects: { en: 'Your request {{request.reference}} has been resolved', de: 'Ihre Anfrage {{request.reference}} ist erledigt' },
    sampleData: {
      ...base,
      request: { reference: 'REQ-5531', type: 'billing dispute', receivedDate: '2025-04-02', resolution: 'the freight charge was billed twice; we issued a corrected invoice.' },
      links: { ...links, request: 'https://herald.example/portal/requests/REQ-5531' },
    },
  },
  {
    templateId: 'corrected-invoice',
    kind: 'transactional',
    description: 'A corrected invoice replacing a cancelled one, after a request.',
    subjects: { en: 'Corrected invoice {{invoice.number}} replaces {{originalInvoice.number}}', de: 'Korrigierte Rechnung {{invoice.number}} ersetzt {{originalInvoice.number}}' },
    sampleData: {
      ...base,
      invoice: { ...invoice, number: 'INV-2025-0187', amount: '18950.00', dueDate: '2025-05-02' },
      originalInvoice: { number: 'INV-2025-0142', amount: '19600.00' },
      correction: { reason: 'a freight charge of $650.00 was billed twice' },
      request: { reference: 'REQ-5531' },
    },
  },
  {
    templateId: 'portal-feature-update',
    kind: 'marketing',
    description: 'Product news for customers who opted in; one-click unsubscribe.',
    subjects: { en: 'New in your customer portal: statements and payment plans' },
    sampleData: { ...base, links: { ...links, unsubscribe: 'https://herald.example/u/sample-token' } },
  },
];

export function libraryTemplate(templateId: string): LibraryTemplate {
  const t = library.find((l) => l.templateId === templateId);
  if (!t) throw new Error(`no library template "${templateId}"; known: ${library.map((l) => l.templateId).join(', ')}`);
  return t;
}

export function libraryLocales(templateId: string): string[] {
  return Object.keys(libraryTemplate(templateId).subjects);
}

/**
 * A library template as a version object (status draft, by the given author) ready to be
 * stored, approved and compiled.
 */
export async function loadLibraryVersion(
  templateId: string,
  locale: string,
  meta: Partial<Pick<TemplateVersion, 'version' | 'status' | 'author' | 'approvedBy'>> = {},
): Promise<TemplateVersion> {
  const t = libraryTemplate(templateId);
  const subject = t.subjects[locale];
  if (subject === undefined) throw new Error(`library template ${templateId} has no "${locale}" variant; it has ${Object.keys(t.subjects).join(', ')}`);
  const mjml = await readFile(path.join(here, templateId, `${locale}.mjml`), 'utf8');
  return { templateId, version: meta.version ?? 1, locale, subject, mjml, kind: t.kind, status: meta.status ?? 'draft', author: meta.author ?? 'herald-library', ...(meta.approvedBy ? { approvedBy: meta.approvedBy } : {}) };
}
