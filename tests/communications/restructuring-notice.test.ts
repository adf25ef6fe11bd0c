/**
 * A restructuring notice states the agreement as the ERP agreed it (issue 15): the ERP's signed
 * `restructuring.agreed` records the schedule (refused, naming the field, when its facts do not
 * hold), starts restructuring-notice, and the notice's balance, instalments, dates and grace days
 * come from that record — whatever the process's variables say. Its link opens the agreement in
 * the portal, where only its customer sees it and accepts it by the accept-by date.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../api/services/signature.js';
import { formatMoney } from '../../domain/money.js';
import { compileTemplate, renderMessage } from '../../domain/templates/index.js';
import { checkContract, dataContract } from '../../domain/templates/contract.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { seedTemplateLibrary, templateRepository } from '../../storage/templates.js';
import { buildMessageData } from '../../workers/message-data.js';
import { SECRET, startApi, type Api } from '../api/harness.js';
import { dbKinds } from '../support/db.js';

const BASE = 'http://herald.test';
const NOW = new Date('2026-12-04T09:00:00Z');
const long = (d: string) => new Intl.DateTimeFormat('en', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${d}T00:00:00Z`));

describe.each(await dbKinds())('restructuring notices from the recorded agreement on %s', (kind) => {
  let api: Api;
  let n = 0;
  const http = () => request(api.app.server);
  const event = (data: Record<string, unknown>) => {
    const raw = JSON.stringify({ type: 'restructuring.agreed', source: 'erp', data });
    return http().post('/api/events').set('Content-Type', 'application/json').set('Idempotency-Key', `rst-${kind}-${++n}`).set('X-Herald-Signature', sign(SECRET, raw)).send(raw);
  };
  /** A day counted from the engine's clock (the day the test runs), as YYYY-MM-DD. */
  const day = (offset: number) => new Date(api.engine.clock.now() + offset * 86_400_000).toISOString().slice(0, 10);
  // $19,600 over three instalments: two of 6,533.33 and a final one of 6,533.34
  const agreement = (over: Record<string, unknown> = {}) => ({
    agreementId: `AGR-${kind}-1`,
    customerId: 'C-ACME',
    reference: 'RST-2026-011',
    agreementDate: day(-1),
    totalAmount: '19600.00',
    currency: 'USD',
    installments: [
      { dueDate: day(38), amount: '6533.33' },
      { dueDate: day(69), amount: '6533.33' },
      { dueDate: day(97), amount: '6533.34' },
    ],
    acceptBy: day(12),
    graceDays: 10,
    invoiceIds: ['INV-RST-1'],
    ...over,
  });

  beforeAll(async () => {
    api = await startApi(kind);
    await seedDemoData(api.t.db);
    await seedTemplateLibrary(api.t.db);
    await api.t.db('invoices').insert({ id: 'INV-RST-1', customer_id: 'C-ACME', number: 'RST-1', amount: '19600.00', currency: 'USD', issued_at: '2026-10-01', due_at: '2026-10-31', status: 'open', payment_terms: 'net 30 days' });
    await api.t.db('invoices').insert({ id: 'INV-RST-NW', customer_id: 'C-NORTHWIND', number: 'RST-NW', amount: '500.00', currency: 'EUR', issued_at: '2026-10-01', due_at: '2026-10-31', status: 'open', payment_terms: 'net 30 days' });
    await api.engine.deploy([{ name: 'restructuring-notice.bpmn', content: fs.readFileSync(path.resolve('processes', 'restructuring-notice.bpmn')) }]);
  }, 120_000);
  afterAll(async () => api?.close());

  it.each([
    ['instalments that do not add up to the balance', () => ({ installments: [{ dueDate: day(38), amount: '6533.33' }, { dueDate: day(69), amount: '6533.33' }] }), 'body.data.installments'],
    ['an instalment due before the one before it', () => ({ installments: [{ dueDate: day(69), amount: '9800.00' }, { dueDate: day(38), amount: '9800.00' }] }), 'body.data.installments.1.dueDate'],
    ['an instalment due before the agreement', () => ({ installments: [{ dueDate: day(-3), amount: '19600.00' }] }), 'body.data.installments.0.dueDate'],
    ['an accept-by date after the first instalment', () => ({ acceptBy: day(40) }), 'body.data.acceptBy'],
    ['cents the currency does not have', () => ({ totalAmount: '19600.001' }), 'body.data.totalAmount'],
    ["another customer's invoice", () => ({ invoiceIds: ['INV-RST-NW'] }), 'body.data.invoiceIds.0'],
    ['an invoice never issued', () => ({ invoiceIds: ['INV-NOPE'] }), 'body.data.invoiceIds.0'],
    ['a control variable slipped in', () => ({ approvalLevels: 0 }), 'body.data.approvalLevels'],
  ])('refuses an agreement with %s, naming the field, and records nothing', async (_what, over, field) => {
    const res = await event(agreement({ agreementId: `AGR-${kind}-BAD-${n}`, ...over() }));
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.field).toBe(field);
    expect(Number(((await api.t.db('restructuring_agreements').where('id', 'like', `AGR-${kind}-BAD-%`).count({ c: '*' }).first()) as { c: unknown }).c)).toBe(0);
  });

  it('records the agreement, starts restructuring-notice, and the notice states the record whatever the variables say', async () => {
    const res = await event(agreement());
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.message).toMatchObject({ name: 'restructuring-agreed', correlationKey: `AGR-${kind}-1` });
    const row = await api.t.db('restructuring_agreements').where({ id: `AGR-${kind}-1` }).first();
    expect(row).toMatchObject({ customer_id: 'C-ACME', reference: 'RST-2026-011', status: 'proposed', recorded_by: 'system:erp' });
    expect(await api.t.db('audit_log').where({ action: 'restructuring.recorded', subject_id: `AGR-${kind}-1` }).first()).toBeTruthy();
    // the same agreement again is unchanged; other terms under its id are refused
    expect((await event(agreement())).status).toBe(202);
    const rewritten = await event(agreement({ totalAmount: '100.00', installments: [{ dueDate: '2027-01-15', amount: '100.00' }] }));
    expect(rewritten.status).toBe(400);
    expect(rewritten.body.field).toBe('body.data.agreementId');

    // the message started the process, which waits for the credit team's approval
    await expect.poll(async () => (await api.engine.listUserTasks({})).filter((t) => t.elementId === 'approve-terms-credit' && t.variables?.agreementId === `AGR-${kind}-1`).length).toBe(1);

    // the process passes only the agreement's id; a variable claiming other terms changes nothing
    const built = await buildMessageData({ db: api.t.db, now: () => NOW, baseUrl: BASE }, { customerId: 'C-ACME', channel: 'email', templateId: 'restructuring-terms', communicationId: `C-ACME-restructuring-AGR-${kind}-1`, data: { agreementId: `AGR-${kind}-1`, restructuring: { totalAmount: '1.00', installments: 1, graceDays: 90 } } }, 'en');
    const compiled = await compileTemplate((await templateRepository(api.t.db).usable('restructuring-terms', 'en'))!);
    expect(checkContract(dataContract(compiled), built.data)).toEqual([]);
    const out = renderMessage(compiled, built.data, { locale: 'en' });
    const money = (a: string) => formatMoney(a, 'USD', 'en');
    expect(out.subject).toBe('Terms of your payment restructuring agreement RST-2026-011');
    for (const fact of [`Restructured balance: ${money('19600.00')}`, 'Number of instalments: 3', `Instalment amount: ${money('6533.33')}`, `First instalment due: ${long(day(38))}`, `Final instalment due: ${long(day(97))}, ${money('6533.34')}`, `Accept by: ${long(day(12))}`]) {
      expect(out.text, fact).toContain(fact);
    }
    expect(out.text).toContain('more than 10 days late');
    expect(out.text).toContain(`dated ${long(day(-1))}`);
    expect(out.text).not.toContain(money('1.00'));

    // its link opens the agreement in the portal, for its customer only
    const link = [...out.html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]).find((l) => l.includes('/portal/agreements/'))!;
    expect(link).toBe(`${BASE}/portal/agreements/AGR-${kind}-1`);
    const landing = await http().get(link.slice(BASE.length));
    expect(landing.status).toBe(302);
    expect(landing.headers.location).toBe(`/#/portal/agreements/AGR-${kind}-1`);
    const mine = await http().get(`/api/portal/agreements/AGR-${kind}-1`).set(api.as('acme'));
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ reference: 'RST-2026-011', totalAmount: '19600.00', status: 'proposed', installments: [{ number: 1, amount: '6533.33' }, { number: 2 }, { number: 3, dueDate: day(97), amount: '6533.34' }] });
    expect((await http().get(`/api/portal/agreements/AGR-${kind}-1`).set(api.as('northwind'))).status).toBe(404);
    expect((await http().post(`/api/portal/agreements/AGR-${kind}-1/acceptance`).set(api.as('northwind'))).status).toBe(404);
    expect(await api.t.db('audit_log').where({ actor: 'northwind', outcome: 'refused' }).first(), "another customer's try is on the audit trail").toBeTruthy();
  });

  it('takes the customer’s acceptance by the accept-by date, once, on the audit trail; after it, refuses', async () => {
    expect((await event(agreement({ agreementId: `AGR-${kind}-2`, reference: 'RST-2026-012' }))).status).toBe(202);
    const accepted = await http().post(`/api/portal/agreements/AGR-${kind}-2/acceptance`).set(api.as('acme'));
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body).toMatchObject({ status: 'accepted', acceptedAt: expect.any(String) });
    expect(await api.t.db('audit_log').where({ action: 'restructuring.accept', subject_id: `AGR-${kind}-2`, actor: 'acme' }).whereNot({ outcome: 'refused' }).first()).toBeTruthy();
    expect((await http().post(`/api/portal/agreements/AGR-${kind}-2/acceptance`).set(api.as('acme'))).status).toBe(200);
    expect(Number(((await api.t.db('audit_log').where({ action: 'restructuring.accept', subject_id: `AGR-${kind}-2` }).count({ c: '*' }).first()) as { c: unknown }).c)).toBe(1);

    expect((await event(agreement({ agreementId: `AGR-${kind}-3`, reference: 'RST-2026-013', acceptBy: day(1) }))).status).toBe(202);
    await api.engine.clock.advance(3 * 86_400_000);
    const late = await http().post(`/api/portal/agreements/AGR-${kind}-3/acceptance`).set(api.as('acme'));
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ rule: 'accept-by-passed' });
    expect(await api.t.db('audit_log').where({ actor: 'acme', outcome: 'refused', rule: 'accept-by-passed' }).first()).toBeTruthy();
    expect((await api.t.db('restructuring_agreements').where({ id: `AGR-${kind}-3` }).first()).status).toBe('proposed');
  });
});
