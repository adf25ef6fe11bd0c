/**
 * Paying from the portal (issue #18): given Acme's open invoice and a process waiting for its
 * payment-received message, when Acme starts a checkout and pays on the test provider's hosted
 * page, then the provider's signed webhook publishes the payment through the same door as the
 * ERP's payment.received and the waiting process hears it; a webhook with a bad signature, or for
 * another amount, publishes nothing and is refused on the audit trail; a cancel publishes nothing.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { seedDemoData } from '../../storage/demo-data.js';
import { createTestProvider, TEST_SIGNATURE_HEADER } from '../../services/payments/test-provider.js';
import { dbKinds } from '../support/db.js';
import { SECRET, startApi, type Api } from './harness.js';

/** A process that only waits for its invoice's payment, as invoice-dunning does at wait-for-payment. */
const WAITS_FOR_PAYMENT = Buffer.from(
  `<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="payments-test-defs" targetNamespace="http://herald.example/tests"><bpmn:message id="m" name="payment-received"><bpmn:extensionElements><zeebe:subscription correlationKey="=invoiceId" /></bpmn:extensionElements></bpmn:message><bpmn:process id="payments-test-wait" isExecutable="true"><bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent><bpmn:intermediateCatchEvent id="paid"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:messageEventDefinition messageRef="m" /></bpmn:intermediateCatchEvent><bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="paid" /><bpmn:sequenceFlow id="f2" sourceRef="paid" targetRef="end" /></bpmn:process></bpmn:definitions>`,
);

describe.each(await dbKinds())('portal payments on %s', (kind) => {
  let api: Api;
  const http = () => request(api.app.server);
  // the provider as the app builds it (its secret derived from the app's): the test plays its server side
  const providerSecret = createHmac('sha256', SECRET).update('herald-test-payment-provider').digest('hex');
  const provider = createTestProvider({ secret: providerSecret });
  const signAsProvider = (body: string, t = Math.floor(Date.now() / 1000)) => `t=${t},v1=${createHmac('sha256', providerSecret).update(`${t}.${body}`).digest('hex')}`;
  let n = 0;
  beforeAll(async () => {
    api = await startApi(kind);
    await seedDemoData(api.t.db);
    await api.engine.deploy([{ name: 'payments-test-wait.bpmn', content: WAITS_FOR_PAYMENT }]);
  }, 180_000);
  afterAll(async () => {
    await api?.close();
  });

  /** A fresh open Acme invoice and an instance waiting for its payment. */
  async function openInvoice(amount = '980.00') {
    const id = `INV-PAY-${kind}-${++n}`;
    await api.t.db('invoices').insert({ id, customer_id: 'C-ACME', number: `PAY-${n}`, amount, currency: 'USD', issued_at: '2026-11-20', due_at: '2026-12-20', status: 'open' });
    const pik = (await api.engine.createInstance({ bpmnProcessId: 'payments-test-wait', variables: { invoiceId: id } })).processInstanceKey;
    return { id, pik };
  }
  const state = async (pik: string) => (await api.engine.getInstance(pik))?.state;
  const auditOf = async (invoiceId: string) => (await api.t.db('audit_log').where({ subject_type: 'invoice', subject_id: invoiceId }).orderBy('at')).map((r) => `${r.actor}:${r.action}:${r.outcome}${r.rule ? `:${r.rule}` : ''}`);

  it("pays on the provider's page; its signed webhook publishes payment-received, once", async () => {
    const { id, pik } = await openInvoice();
    const started = await http().post(`/api/portal/invoices/${id}/checkout`).set(api.as('acme')).send({});
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ provider: 'test', sessionId: expect.stringMatching(/^tcs_/) });
    const url = started.body.url as string;
    expect(url).toMatch(/^\/payments\/test-checkout\?checkout=/);

    // the hosted page shows what is paid; a tampered link is not the provider's
    const page = await http().get(url);
    expect(page.status).toBe(200);
    expect(page.text).toContain('$980.00');
    expect(page.text).toContain('PAY-');
    expect((await http().get(`${url.slice(0, -4)}abcd`)).status).toBe(404);

    // nothing is paid by the browser coming back: only the webhook the click makes the provider send
    expect(await state(pik)).toBe('ACTIVE');
    const paid = await http().post(url).type('form').send({ outcome: 'pay' });
    expect(paid.status).toBe(303);
    expect(paid.headers.location).toMatch(new RegExp(`/#/portal/invoices/${id}\\?payment=returned$`));
    await expect.poll(() => state(pik), { timeout: 10_000 }).toBe('COMPLETED');
    const received = await api.t.db('audit_log').where({ action: 'payment.received', subject_id: id }).first();
    expect(received).toMatchObject({ actor: 'provider:test', outcome: 'done' });
    const detail = typeof received.detail === 'string' ? JSON.parse(received.detail) : received.detail;
    expect(detail).toMatchObject({ status: 'paid', amount: '980.00', currency: 'USD', paymentId: expect.stringMatching(/^tpay_/) });

    // the provider sends the same webhook again: nothing is paid twice
    const body = JSON.stringify({ type: 'checkout.completed', data: { status: 'paid', sessionId: started.body.sessionId, invoiceId: id, paymentId: detail.paymentId, amount: '980.00', currency: 'USD' } });
    const again = await http().post('/api/webhooks/payments/test').set('content-type', 'application/json').set(TEST_SIGNATURE_HEADER, signAsProvider(body)).send(body);
    expect(again.status).toBe(200);
    expect(again.body.state).toBe('duplicate');
    expect(await auditOf(id)).toEqual(['acme:payment.checkout-started:done', 'provider:test:payment.received:done']);
  });

  it('refuses a webhook with a bad signature or another amount, publishing nothing (audited)', async () => {
    const { id, pik } = await openInvoice();
    const checkout = await provider.createCheckout({ invoiceId: id, invoiceNumber: 'x', customerId: 'C-ACME', amount: '980.00', currency: 'USD', successUrl: '/ok', cancelUrl: '/no' });
    const token = checkout.url.split('checkout=').pop()!;
    const read = provider.readCheckout(token);
    if (!read.ok) throw new Error(read.reason);

    const good = provider.settle(read.checkout, 'paid');
    const forged = await http().post('/api/webhooks/payments/test').set('content-type', 'application/json').set(TEST_SIGNATURE_HEADER, good.signature).send(good.body.replace('980.00', '1.00'));
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ rule: 'signature', field: 'header.signature' });
    expect(forged.body.title).toContain('does not match the body');
    expect((await http().post('/api/webhooks/payments/test').set('content-type', 'application/json').send(good.body)).status).toBe(401);
    expect((await http().post('/api/webhooks/payments/stripe').set('content-type', 'application/json').send(good.body)).status).toBe(404);

    // correctly signed, but for less than the invoice: for people to look at, not to close the invoice
    const less = provider.settle({ ...read.checkout, amount: '98.00' }, 'paid');
    const short = await http().post('/api/webhooks/payments/test').set('content-type', 'application/json').set(TEST_SIGNATURE_HEADER, less.signature).send(less.body);
    expect(short.status).toBe(422);
    expect(short.body).toMatchObject({ rule: 'amount-mismatch', field: 'body.data.amount' });
    expect(short.body.title).toContain('98.00 USD');

    // a cancel on the page sends the browser back and publishes nothing
    const canceled = await http().post(checkout.url).type('form').send({ outcome: 'cancel' });
    expect(canceled.status).toBe(303);
    expect(canceled.headers.location).toBe('/no');

    expect(await state(pik)).toBe('ACTIVE');
    expect(await auditOf(id)).toEqual(['provider:test:payment.received:refused:amount-mismatch', 'provider:test:payment.checkout-canceled:done']);
    expect(await api.t.db('audit_log').where({ action: 'payment.webhook', outcome: 'refused', rule: 'signature' })).toHaveLength(2);
  });

  it("checks out only the customer's own open invoices", async () => {
    const { id } = await openInvoice();
    expect((await http().post(`/api/portal/invoices/${id}/checkout`).set(api.as('northwind')).send({})).status).toBe(404);
    expect((await http().post(`/api/portal/invoices/${id}/checkout`).set(api.as('sam')).send({})).status).toBe(403);
    await api.t.db('invoices').where({ id }).update({ status: 'disputed' });
    const disputed = await http().post(`/api/portal/invoices/${id}/checkout`).set(api.as('acme')).send({});
    expect(disputed.status).toBe(409);
    expect(disputed.body.title).toContain('under dispute');
    await api.t.db('invoices').where({ id }).update({ status: 'paid' });
    expect((await http().post(`/api/portal/invoices/${id}/checkout`).set(api.as('acme')).send({})).body.title).toContain('already paid');
  });
});
