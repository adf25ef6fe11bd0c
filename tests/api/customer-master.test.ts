/**
 * Invoices and customers from the ERP: invoice.issued must carry the invoice's facts and fit the
 * customer master (400 naming the field otherwise), customer.updated maintains the master with a
 * consent history, the customers API shows what Herald knows, a data steward corrects it with a
 * reason (audited) and nobody else may; portal links in messages are real routes; a template
 * version is previewed on a real customer and invoice, and approval refuses what nothing supplies.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../api/services/signature.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { seedTemplateLibrary } from '../../storage/templates.js';
import { dbKinds } from '../support/db.js';
import { SECRET, startApi, type Api } from './harness.js';

describe.each(await dbKinds())('the customer master on %s', (kind) => {
  let api: Api;
  let n = 0;
  beforeAll(async () => {
    api = await startApi(kind);
    await seedDemoData(api.t.db);
    await seedTemplateLibrary(api.t.db);
  }, 120_000);
  afterAll(async () => api?.close());

  const http = () => request(api.app.server);
  const send = (body: unknown) => {
    const raw = JSON.stringify(body);
    return http().post('/api/events').set('Content-Type', 'application/json').set('Idempotency-Key', `cm-${kind}-${Date.now()}-${n++}`).set('X-Herald-Signature', sign(SECRET, raw)).send(raw);
  };
  const invoice = (data: Record<string, unknown> = {}) => ({ type: 'invoice.issued', source: 'erp', data: { invoiceId: `INV-CM-${n}`, customerId: 'C-ACME', number: `CM-${n}`, issueDate: '2026-12-01', dueDate: '2026-12-31', paymentTerms: 'net 30 days', amount: '15800.00', currency: 'USD', ...data } });

  it('records an issued invoice with its facts; a bad one is 400 naming the field', async () => {
    const ok = await send(invoice({ invoiceId: 'INV-CM-OK' }));
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
    expect(await api.t.db('invoices').where({ id: 'INV-CM-OK' }).first()).toMatchObject({ number: expect.stringMatching(/^CM-/), payment_terms: 'net 30 days', currency: 'USD' });
    const cases: [Record<string, unknown>, string][] = [
      [{ paymentTerms: undefined }, 'body.data.paymentTerms'],
      [{ number: undefined }, 'body.data.number'],
      [{ dueDate: '2026-11-30' }, 'body.data.dueDate'],
      [{ customerId: 'C-NOBODY' }, 'body.data.customerId'],
      [{ channel: 'fax' }, 'body.data.channel'],
    ];
    for (const [change, field] of cases) {
      const body = invoice(change);
      for (const [k, v] of Object.entries(change)) if (v === undefined) delete (body.data as Record<string, unknown>)[k];
      const res = await send(body);
      expect([res.status, res.body.field], JSON.stringify(change)).toEqual([400, field]);
    }
  });

  it('customer.updated creates and maintains a customer with contacts and a consent history', async () => {
    const missing = await send({ type: 'customer.updated', source: 'erp', data: { customerId: 'C-CONTOSO', changes: { locale: 'en' } } });
    expect([missing.status, missing.body.field]).toEqual([400, 'body.data.changes.legalName']);
    const created = await send({ type: 'customer.updated', source: 'erp', data: { customerId: 'C-CONTOSO', changes: { legalName: 'Contoso Retail Inc.', locale: 'en', riskSegment: 'medium', contacts: [{ channel: 'email', address: 'ap@contoso.example', displayName: 'Contoso AP', consent: true }] } } });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const withdrawn = await send({ type: 'customer.updated', source: 'erp', data: { customerId: 'C-CONTOSO', changes: { contacts: [{ channel: 'email', address: 'ap@contoso.example', consent: false }] } } });
    expect(withdrawn.status).toBe(202);
    const detail = await http().get('/api/customers/C-CONTOSO').set(api.as('sam'));
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ legalName: 'Contoso Retail Inc.', riskSegment: 'medium', contacts: [{ channel: 'email', address: 'ap@contoso.example', consent: false }] });
    expect(detail.body.consentHistory.map((c: { consent: boolean; source: string }) => [c.consent, c.source])).toEqual([[true, 'erp'], [false, 'erp']]);
  });

  it('lists customers for staff, shows a customer only itself, and lets only a data steward correct, with a reason, audited', async () => {
    const list = await http().get('/api/customers').set(api.as('sam'));
    expect(list.body.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining(['C-ACME', 'C-NORTHWIND']));
    const acme = await http().get('/api/customers/C-ACME').set(api.as('acme'));
    expect(acme.status).toBe(200);
    expect(acme.body.invoices.find((i: { id: string }) => i.id === 'INV-CM-OK')).toMatchObject({ paymentTerms: 'net 30 days', dueDate: '2026-12-31' });
    expect((await http().get('/api/customers/C-NORTHWIND').set(api.as('acme'))).status).toBe(404);
    expect((await http().get('/api/customers').set(api.as('acme'))).body.map((c: { id: string }) => c.id)).toEqual(['C-ACME']);
    const refused = await http().patch('/api/customers/C-NORTHWIND').set(api.as('sam')).send({ changes: { locale: 'de-CH' }, reason: 'customer asked' });
    expect(refused.status).toBe(403);
    const bad = await http().patch('/api/customers/C-NORTHWIND').set(api.as('dora')).send({ changes: { riskSegment: 'extreme' }, reason: 'review' });
    expect([bad.status, bad.body.field]).toEqual([400, 'body.changes.riskSegment']);
    const fixed = await http().patch('/api/customers/C-NORTHWIND').set(api.as('dora')).send({ changes: { contacts: [{ channel: 'email', address: 'ap@northwind.example', consent: true }] }, reason: 'new AP mailbox, confirmed by phone' });
    expect(fixed.status, JSON.stringify(fixed.body)).toBe(200);
    expect(fixed.body).toEqual({ customerId: 'C-NORTHWIND', fields: [], consent: [] });
    const audit = await api.t.db('audit_log').where({ action: 'customer.corrected', subject_id: 'C-NORTHWIND' }).first();
    expect(audit?.actor).toBe('dora');
    expect(JSON.stringify(audit?.detail)).toContain('new AP mailbox');
  });

  it('portal links in messages are real routes that lead into the portal after sign-in', async () => {
    for (const [link, to] of [['/portal/', '/#/portal'], ['/portal/invoices/INV-2026-0142', '/#/portal/invoices/INV-2026-0142'], ['/portal/pay/INV-2026-0142', '/#/portal/pay/INV-2026-0142'], ['/portal/requests/REQ-1', '/#/portal/requests/REQ-1']]) {
      const res = await http().get(link);
      expect([res.status, res.headers.location]).toEqual([302, to]);
    }
  });

  it('previews a stored version on a real customer and invoice, as it would be sent', async () => {
    const res = await http().post('/api/templates/invoice-notice/versions/1/preview').set(api.as('alice')).send({ customerId: 'C-ACME', invoiceId: 'INV-CM-OK' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.subject).toMatch(/^Invoice CM-\d+: \$15,800\.00 due December 31, 2026$/);
    expect(res.body.text).toContain('(net 30 days)');
    expect(res.body.text).toContain('Herald Receivables');
    const german = await http().post('/api/templates/payment-reminder-1/versions/1/preview').set(api.as('alice')).send({ customerId: 'C-NORTHWIND', invoiceId: 'INV-2026-0157' });
    expect(german.status).toBe(200);
    const missing = await http().post('/api/templates/credit-approval/versions/1/preview').set(api.as('alice')).send({ customerId: 'C-NORTHWIND' });
    expect([missing.status, missing.body.code]).toEqual([422, 'MISSING_TRANSLATION']);
  });

  it('refuses to approve a version with a placeholder nothing supplies, naming it', async () => {
    const mjml = '<mjml><mj-body><mj-section><mj-column><mj-text>Dear {{customer.contactName}}, {{collections.mobile}}</mj-text></mj-column></mj-section></mj-body></mjml>';
    const draft = await http().post('/api/templates/cm-contract/versions').set(api.as('ada')).send({ subject: 'Hello {{customer.name}}', mjml });
    expect(draft.status, JSON.stringify(draft.body)).toBe(201);
    expect(draft.body.dataContract.paths).toEqual(['collections.mobile', 'customer.contactName', 'customer.name']);
    expect((await http().post('/api/templates/cm-contract/versions/1/submission').set(api.as('ada'))).status).toBe(200);
    const refused = await http().post('/api/templates/cm-contract/versions/1/approval').set(api.as('alice'));
    expect([refused.status, refused.body.code, refused.body.field]).toEqual([422, 'UNSUPPLIED_PLACEHOLDER', 'placeholder.collections.mobile']);
    expect(refused.body.detail ?? refused.body.title).toMatch(/nothing supplies \{\{collections\.mobile\}\}/);
  });
});
