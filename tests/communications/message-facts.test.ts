/**
 * The message facts suite: every template × locale × process path of the specs is rendered
 * through the production data builder (workers/message-data.ts, as render-communication does)
 * and checked against the data it came from: amounts, dates, terms, reminder numbers, days
 * overdue, the sender, the language of every sentence that comes from the template, the
 * unsubscribe rule; and every link in it is requested as its recipient would (no session) and
 * must answer below 400. The shipped processes must satisfy every contract of what they send.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerMaster } from '../../api/services/customer-master.js';
import { deploymentProblems } from '../../api/services/template-contracts.js';
import { formatMoney } from '../../domain/money.js';
import { compileTemplate, renderMessage, type RenderedMessage } from '../../domain/templates/index.js';
import { checkContract, dataContract } from '../../domain/templates/contract.js';
import { language } from '../../domain/templates/facts.js';
import { library } from '../../domain/templates/library/index.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { requestRepository } from '../../storage/requests.js';
import { templateRepository } from '../../storage/templates.js';
import { buildMessageData, type Brand } from '../../workers/message-data.js';
import { dbKinds } from '../support/db.js';
import { startApi, type Api } from '../api/harness.js';
import { seedTemplateLibrary } from '../../storage/templates.js';

const BASE = 'http://herald.test';
const BRAND: Brand = { name: 'Herald Receivables', email: 'receivables@herald.example', phone: '+1 555 0100' };
const day = (s: string) => new Date(`${s}T09:00:00Z`);
const longDate = (iso: string, locale: string) => new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${iso}T00:00:00Z`));

/** The literal sentences of a template (its text between placeholders and tags), for the language check. */
function sentences(mjml: string): string[] {
  return mjml
    .replace(/<mj-head>[\s\S]*?<\/mj-head>/, '')
    .replace(/<[^>]+>/g, '\n')
    .split(/\{\{[^}]*\}\}|\n/)
    .map((s) => s.trim())
    .filter((s) => s.length >= 12 && /[a-z]{3}/.test(s));
}

describe.each(await dbKinds())('message facts on %s', (kind) => {
  let api: Api;
  let now = day('2026-11-02');
  const render = async (m: { customerId: string; templateId: string; invoiceId?: string; communicationId?: string; channel?: string; data?: Record<string, unknown> }, locale: string) => {
    const built = await buildMessageData({ db: api.t.db, now: () => now, baseUrl: BASE, company: BRAND }, { channel: 'email', ...m }, locale);
    const version = await templateRepository(api.t.db).usable(built.templateId, locale);
    expect(version, `${built.templateId} has a usable ${locale} variant`).toBeDefined();
    expect(language(version!.locale)).toBe(language(locale));
    const compiled = await compileTemplate(version!);
    expect(checkContract(dataContract(compiled), built.data)).toEqual([]);
    return { ...renderMessage(compiled, built.data, { locale: version!.locale }), templateId: built.templateId, mjml: version!.mjml };
  };
  /** Every link a customer would click, requested without a session. */
  const linksWork = async (message: RenderedMessage) => {
    const links = [...message.html.matchAll(/href="([^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      if (link.startsWith('mailto:')) continue;
      expect(link.startsWith(`${BASE}/`), link).toBe(true);
      const res = await api.app.inject({ method: 'GET', url: link.slice(BASE.length) });
      expect(res.statusCode, `${link} answers ${res.statusCode}`).toBeLessThan(400);
    }
  };
  const common = (m: RenderedMessage & { mjml: string }, locale: string) => {
    // the sender is the brand the message goes out under, everywhere it is named
    expect(m.text).toContain(BRAND.name);
    expect(m.text).not.toMatch(/Northwind Trading|Herald Finance Operations/);
    // every sentence from the template is in the customer's language: none of an English variant's
    if (language(locale) !== 'en') for (const s of englishSentences) expect(m.text, `an English sentence in a ${locale} message: "${s}"`).not.toContain(s);
  };
  let englishSentences: string[] = [];

  beforeAll(async () => {
    api = await startApi(kind);
    await seedDemoData(api.t.db);
    await seedTemplateLibrary(api.t.db);
    const master = customerMaster({ db: api.t.db });
    // the ERP's invoices with their facts as printed
    await master.recordInvoice({ id: 'INV-2026-0142', customerId: 'C-ACME', number: '2026-0142', amount: '19600.00', currency: 'USD', issueDate: '2026-11-01', dueDate: '2026-12-01', paymentTerms: 'net 30 days' }, 'system:erp');
    await master.recordInvoice({ id: 'INV-2026-0157', customerId: 'C-NORTHWIND', number: '2026-0157', amount: '8450.50', currency: 'EUR', issueDate: '2026-11-03', dueDate: '2026-11-17', paymentTerms: '14 Tage netto' }, 'system:erp');
    englishSentences = (await Promise.all(library.map(async (t) => (await templateRepository(api.t.db).usable(t.templateId, 'en'))?.mjml ?? ''))).flatMap(sentences);
  }, 120_000);
  afterAll(async () => api?.close());

  it('the notice states the amount, the terms as printed and the due date, in English and in German', async () => {
    now = day('2026-11-02');
    expect(englishSentences.length).toBeGreaterThan(100);
    const en = await render({ customerId: 'C-ACME', templateId: 'invoice-notice', invoiceId: 'INV-2026-0142' }, 'en');
    expect(en.subject).toBe('Invoice 2026-0142: $19,600.00 due December 1, 2026');
    expect(en.text).toContain('Payment is due on December 1, 2026 under your payment terms (net 30 days)');
    expect(en.text).toContain('Issue date: November 1, 2026');
    common(en, 'en');
    await linksWork(en);
    const de = await render({ customerId: 'C-NORTHWIND', templateId: 'invoice-notice', invoiceId: 'INV-2026-0157' }, 'de');
    expect(de.subject).toBe(`Rechnung 2026-0157: ${formatMoney('8450.50', 'EUR', 'de')} fällig am 17. November 2026`);
    // the German notice has the German terms from the invoice and its own due date, never 'net 30 days'
    expect(de.text).toContain('(14 Tage netto) am 17. November 2026 fällig');
    expect(de.text).not.toContain('net 30 days');
    common(de, 'de');
    await linksWork(de);
  });

  it('a reminder for an invoice not yet due says "due on", never "overdue"', async () => {
    now = day('2026-11-22'); // nine days before Acme's due date
    for (const templateId of ['payment-reminder-1', 'payment-reminder-2', 'payment-reminder-3']) {
      const m = await render({ customerId: 'C-ACME', templateId, invoiceId: 'INV-2026-0142', communicationId: 'INV-2026-0142-reminder-1' }, 'en');
      expect(m.templateId).toBe('payment-reminder-upcoming');
      expect(m.subject).toBe('Reminder 1: invoice 2026-0142 is due on December 1, 2026');
      expect(m.text).toContain('in 9 days');
      expect(`${m.subject}\n${m.text}`).not.toMatch(/overdue/i);
      common(m, 'en');
      await linksWork(m);
    }
    // the same in German: a Northwind invoice not yet due
    await customerMaster({ db: api.t.db }).recordInvoice({ id: 'INV-2026-0171', customerId: 'C-NORTHWIND', number: '2026-0171', amount: '1200.00', currency: 'EUR', issueDate: '2026-11-15', dueDate: '2026-11-29', paymentTerms: '14 Tage netto' }, 'system:erp');
    const de = await render({ customerId: 'C-NORTHWIND', templateId: 'payment-reminder-2', invoiceId: 'INV-2026-0171' }, 'de');
    expect(de.subject).toBe('Erinnerung 1: Rechnung 2026-0171 ist am 29. November 2026 fällig');
    expect(`${de.subject}\n${de.text}`).not.toMatch(/überfällig|Mahnung/);
    common(de, 'de');
  });

  it("numbers reminders by the reminders actually sent and counts days overdue from the send time", async () => {
    now = day('2026-12-15'); // 14 days after Acme's due date
    const first = await render({ customerId: 'C-ACME', templateId: 'payment-reminder-1', invoiceId: 'INV-2026-0142', communicationId: 'INV-2026-0142-reminder-1' }, 'en');
    expect(first.subject).toBe('Reminder 1: invoice 2026-0142 is overdue');
    common(first, 'en');
    await linksWork(first);
    // the first reminder went out; the second says 2 and the days overdue on its own send day
    await api.t.db('communications').insert({ id: 'INV-2026-0142-reminder-1', customer_id: 'C-ACME', template_id: 'payment-reminder-1', channel: 'email', kind: 'dunning', status: 'sent', data: '{}', created_at: day('2026-12-15') });
    now = day('2026-12-29');
    const second = await render({ customerId: 'C-ACME', templateId: 'payment-reminder-2', invoiceId: 'INV-2026-0142', communicationId: 'INV-2026-0142-reminder-2' }, 'en');
    expect(second.subject).toBe('Reminder 2: invoice 2026-0142 is 28 days overdue');
    expect(second.text).toContain('is now 28 days overdue');
    expect(second.text).toContain(`by ${longDate('2027-01-08', 'en')}`);
    expect(second.text).not.toMatch(/first reminder|second reminder/i);
    await linksWork(second);
    const final = await render({ customerId: 'C-ACME', templateId: 'payment-reminder-3', invoiceId: 'INV-2026-0142', communicationId: 'INV-2026-0142-reminder-2' }, 'en');
    expect(final.text).toContain('we last wrote to you about it on December 15, 2026. This is reminder 2 and our last.');
    expect(final.text).not.toMatch(/two reminders/);
  });

  it("Northwind's first reminder is its first (1. Mahnung), in German, with the days overdue", async () => {
    now = day('2026-11-20'); // 3 days after its due date, the high-risk cadence's first reminder
    const m = await render({ customerId: 'C-NORTHWIND', templateId: 'payment-reminder-2', invoiceId: 'INV-2026-0157', communicationId: 'INV-2026-0157-reminder-1' }, 'de');
    expect(m.subject).toBe('1. Mahnung: Rechnung 2026-0157 ist 3 Tage überfällig');
    expect(m.text).not.toMatch(/Second|2\. Mahnung/);
    common(m, 'de');
    await linksWork(m);
    await api.t.db('communications').insert({ id: 'INV-2026-0157-reminder-1', customer_id: 'C-NORTHWIND', template_id: 'payment-reminder-2', channel: 'email', kind: 'dunning', status: 'archived', data: '{}', created_at: day('2026-11-20') });
    now = day('2026-11-25');
    const last = await render({ customerId: 'C-NORTHWIND', templateId: 'payment-reminder-3', invoiceId: 'INV-2026-0157', communicationId: 'INV-2026-0157-reminder-2' }, 'de');
    expect(last.text).toContain('zuletzt haben wir Ihnen am 20. November 2026 dazu geschrieben. Dies ist unsere 2. und letzte Mahnung.');
    common(last, 'de');
  });

  it('the escalation names a real collections contact (the account manager) in the customer language', async () => {
    now = day('2026-12-01');
    for (const [customerId, invoiceId, locale] of [['C-ACME', 'INV-2026-0142', 'en'], ['C-NORTHWIND', 'INV-2026-0157', 'de']] as const) {
      const m = await render({ customerId, templateId: 'dunning-escalation', invoiceId }, locale);
      expect(m.text).toContain('Sam (collections agent)');
      common(m, locale);
      await linksWork(m);
    }
  });

  it('after payment the confirmation states the payment, and the remaining balance is zero', async () => {
    now = day('2026-12-03');
    await api.t.db('invoices').whereIn('id', ['INV-2026-0142', 'INV-2026-0157']).update({ status: 'paid', paid_at: day('2026-12-03') });
    const en = await render({ customerId: 'C-ACME', templateId: 'payment-confirmation', invoiceId: 'INV-2026-0142', data: { payment: { amount: '19600.00', currency: 'USD', reference: 'PAY-88213' } } }, 'en');
    expect(en.text).toContain('we received your payment of $19,600.00 on December 3, 2026 and applied it to invoice 2026-0142');
    expect(en.text).toContain('Payment reference: PAY-88213');
    expect(en.text).toContain('Remaining balance on this invoice: $0.00');
    await linksWork(en);
    // no reference from the bank: the invoice number stands in, never a gap
    const de = await render({ customerId: 'C-NORTHWIND', templateId: 'payment-confirmation', invoiceId: 'INV-2026-0157', data: { payment: { amount: '8450.50', currency: null, reference: null } } }, 'de');
    expect(de.text).toContain(`Ihre Zahlung über ${formatMoney('8450.50', 'EUR', 'de')} ist am 3. Dezember 2026 bei uns eingegangen`);
    expect(de.text).toContain('Zahlungsreferenz: 2026-0157');
    common(de, 'de');
  });

  it('the request messages name the request from its row, with working links', async () => {
    now = day('2026-12-04');
    const repo = requestRepository(api.t.db);
    const request = await repo.create({ customerId: 'C-ACME', invoiceId: 'INV-2026-0142', subject: 'Invoice 2026-0142 discrepancy', intakeChannel: 'portal', requestedBy: 'acme', category: 'billing-dispute' }, now);
    await repo.update(request.id, { team: 'finance', resolution: 'corrected', resolution_note: 'we issued a corrected invoice' }, now);
    const data = { reference: request.reference };
    const ack = await render({ customerId: 'C-ACME', templateId: 'request-acknowledgement', invoiceId: 'INV-2026-0142', data: { ...data, subject: 'Invoice 2026-0142 discrepancy' } }, 'en');
    expect(ack.subject).toBe(`We received your request ${request.reference}`);
    expect(ack.text).toContain('“Invoice 2026-0142 discrepancy” on December 4, 2026');
    await linksWork(ack);
    const info = await render({ customerId: 'C-ACME', templateId: 'request-information-needed', data: { ...data, infoNeeded: ['invoiceNumber'], question: 'Which invoice does this concern?' } }, 'en');
    expect(info.text).toContain('Which invoice does this concern?');
    await linksWork(info);
    const done = await render({ customerId: 'C-ACME', templateId: 'request-resolution', data }, 'en');
    expect(done.text).toContain('Outcome: we issued a corrected invoice');
    await linksWork(done);
    const corrected = await render({ customerId: 'C-ACME', templateId: 'corrected-invoice', invoiceId: 'INV-2026-0142', data: { ...data, originalInvoice: { number: '2026-0142-X', amount: '25000.00' }, correction: { reason: 'list price instead of contract price' }, request: { reference: request.reference } } }, 'en');
    expect(corrected.text).toContain('Original amount: $25,000.00');
    expect(corrected.text).toContain('Corrected amount: $19,600.00');
    await linksWork(corrected);
  });

  it('the request messages in German: information request, decision and corrected invoice, with German terms, dates and money', async () => {
    now = day('2026-12-04');
    const repo = requestRepository(api.t.db);
    const request = await repo.create({ customerId: 'C-NORTHWIND', invoiceId: 'INV-2026-0157', subject: 'Rechnung 2026-0157 doppelt berechnet', intakeChannel: 'portal', requestedBy: 'northwind', category: 'billing-dispute' }, now);
    await repo.record(request.id, { action: 'waiting-on-customer', actor: 'herald', detail: { missingData: ['amount'], infoNeeded: 'Lieferschein 4711?' } }, now);
    const data = { reference: request.reference };
    // the process passes its English question; the German customer is asked in German, from the trail
    const info = await render({ customerId: 'C-NORTHWIND', templateId: 'request-information-needed', data: { ...data, infoNeeded: ['amount'], question: 'Please tell us the amount in question. Lieferschein 4711?' } }, 'de');
    expect(info.subject).toBe(`Ihre Anfrage ${request.reference}: wir benötigen weitere Angaben`);
    expect(info.text).toContain('Bitte nennen Sie uns den betreffenden Betrag. Lieferschein 4711?');
    expect(info.text).not.toContain('Please tell us');
    common(info, 'de');
    await linksWork(info);
    await repo.update(request.id, { team: 'finance', resolution: 'corrected' }, now);
    const done = await render({ customerId: 'C-NORTHWIND', templateId: 'request-resolution', data }, 'de');
    expect(done.subject).toBe(`Ihre Anfrage ${request.reference} ist erledigt`);
    expect(done.text).toContain(`Ihre Anfrage ${request.reference} (Rechnungsreklamation) vom 4. Dezember 2026 abgeschlossen`);
    expect(done.text).toContain('Ergebnis: Wir haben die Rechnung korrigiert.');
    common(done, 'de');
    await linksWork(done);
    const corrected = await render({ customerId: 'C-NORTHWIND', templateId: 'corrected-invoice', invoiceId: 'INV-2026-0157', data: { ...data, originalInvoice: { number: '2026-0157-X', amount: '9100.00' }, correction: { reason: 'Fracht doppelt berechnet' } } }, 'de');
    expect(corrected.subject).toBe('Korrigierte Rechnung 2026-0157 ersetzt 2026-0157-X');
    expect(corrected.text).toContain(`Ursprünglicher Betrag: ${formatMoney('9100.00', 'EUR', 'de')}`);
    expect(corrected.text).toContain(`Korrigierter Betrag: ${formatMoney('8450.50', 'EUR', 'de')}`);
    expect(corrected.text).toContain('Zahlungsbedingungen: 14 Tage netto');
    expect(corrected.text).toContain('Fällig am: 17. November 2026');
    expect(corrected.text).toContain('Grund der Korrektur: Fracht doppelt berechnet');
    common(corrected, 'de');
    await linksWork(corrected);
  });

  it('service messages carry no unsubscribe link; the shipped dunning, payment and request processes satisfy every contract they send', async () => {
    now = day('2026-12-05');
    const notice = await render({ customerId: 'C-ACME', templateId: 'invoice-notice', invoiceId: 'INV-2026-0142' }, 'en');
    expect(notice.html).not.toMatch(/\/u\//);
    const dir = path.resolve(import.meta.dirname, '../../processes');
    const resources = ['invoice-dunning.bpmn', 'payment-confirmation.bpmn', 'customer-request.bpmn'].map((name) => ({ name, content: fs.readFileSync(path.join(dir, name), 'utf8') }));
    expect(await deploymentProblems(api.t.db, resources)).toEqual([]);
    // and a process whose element does not pass what its template needs is named at deploy
    const broken = resources[1].content.replace(/<zeebe:input source="=\{payment:[^>]*\/>/, '');
    expect(await deploymentProblems(api.t.db, [{ name: 'payment-confirmation.bpmn', content: broken }])).toEqual(
      expect.arrayContaining([expect.objectContaining({ elementId: 'send-confirmation', rule: 'template-contract', message: expect.stringContaining('{{payment.amount}}') })]),
    );
  });
});
