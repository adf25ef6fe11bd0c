/**
 * The customer portal API: customers only, each seeing only their own inbox, requests and
 * invoices (another customer's invoice is 404); raising a request; promising to pay.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoData } from '../../storage/demo-data.js';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { REQUEST_RESOURCES, resource } from '../requests/harness.js';
import { dbKinds } from '../support/db.js';
import { startApi, type Api } from './harness.js';

/** Waits for promise-to-pay by invoice id, as invoice-dunning does, and keeps what arrived. */
const PROMISE_CATCHER = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="portal-promise-defs" targetNamespace="http://herald.example/tests">
  <bpmn:message id="promise" name="promise-to-pay">
    <bpmn:extensionElements><zeebe:subscription correlationKey="=invoiceId" /></bpmn:extensionElements>
  </bpmn:message>
  <bpmn:process id="portal-promise-catcher" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="promised"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:messageEventDefinition messageRef="promise" /></bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="promised" />
    <bpmn:sequenceFlow id="f2" sourceRef="promised" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>`;

describe.each(await dbKinds())('portal API on %s', (kind) => {
  let api: Api;
  const http = () => request(api.app.server);

  beforeAll(async () => {
    api = await startApi(kind);
    await seedDemoData(api.t.db);
    await api.engine.deploy([...REQUEST_RESOURCES.map(resource), { name: 'portal-promise-catcher.bpmn', content: PROMISE_CATCHER }]);
    const at = new Date('2026-12-02T08:00:00Z');
    await api.t.db('portal_messages').insert([
      { communication_id: 'portal-api-acme-1', customer_id: 'C-ACME', subject: 'Invoice 2026-0142', html: '<p>Your invoice</p>', text: 'Your invoice', created_at: at },
      { communication_id: 'portal-api-nw-1', customer_id: 'C-NORTHWIND', subject: 'Rechnung 2026-0157', html: '<p>Ihre Rechnung</p>', text: 'Ihre Rechnung', created_at: at },
    ]);
    await api.t.db('invoices').insert([
      { id: 'PORTAL-API-ACME-2', customer_id: 'C-ACME', number: 'P-2', amount: '1200.10', currency: 'USD', issued_at: '2026-11-20', due_at: '2026-12-20', status: 'open' },
      { id: 'PORTAL-API-ACME-PAID', customer_id: 'C-ACME', number: 'P-3', amount: '50.00', currency: 'USD', issued_at: '2026-10-01', due_at: '2026-10-31', status: 'paid', paid_at: new Date('2026-10-20T10:00:00Z') },
    ]);
  });
  afterAll(async () => {
    await api?.close();
  });

  describe('who may use it', () => {
    it('is for customers only', async () => {
      for (const path of ['/api/portal/messages', '/api/portal/requests', '/api/portal/invoices', '/api/portal/profile']) {
        const staff = await http().get(path).set(api.as('sam'));
        expect(staff.status, path).toBe(403);
        expect(staff.body.rule).toBe('role');
        expect((await http().get(path)).status, path).toBe(401);
      }
    });
  });

  describe('a customer sees only their own', () => {
    it('inbox: acme reads its message, not northwind’s', async () => {
      const res = await http().get('/api/portal/messages').set(api.as('acme'));
      expect(res.status).toBe(200);
      expect(res.body.map((m: { communicationId: string }) => m.communicationId)).toEqual(['portal-api-acme-1']);
      expect(res.body[0]).toMatchObject({ subject: 'Invoice 2026-0142', html: '<p>Your invoice</p>', readAt: null, created_at: '2026-12-02T08:00:00.000Z' });
    });

    it('profile: the customer’s name and locale, for money in their own format', async () => {
      expect((await http().get('/api/portal/profile').set(api.as('acme'))).body).toMatchObject({ customerId: 'C-ACME', name: 'Acme Industrial Supplies Ltd', locale: 'en' });
      expect((await http().get('/api/portal/profile').set(api.as('northwind'))).body).toMatchObject({ customerId: 'C-NORTHWIND', locale: expect.stringMatching(/^de/) });
    });

    it('invoices: amounts as decimal strings, dates as days; another customer’s invoice is 404', async () => {
      const res = await http().get('/api/portal/invoices').set(api.as('acme'));
      expect(res.status).toBe(200);
      expect(res.body.map((i: { id: string }) => i.id).sort()).toEqual(['INV-2026-0142', 'PORTAL-API-ACME-2', 'PORTAL-API-ACME-PAID']);
      expect(res.body.find((i: { id: string }) => i.id === 'PORTAL-API-ACME-2')).toMatchObject({ amount: '1200.10', currency: 'USD', dueAt: '2026-12-20', due_at: '2026-12-20', paid_at: null, status: 'open' });
      const northwinds = await http().post('/api/portal/invoices/INV-2026-0157/promise-to-pay').set(api.as('acme')).send({ date: '2099-01-31' });
      expect(northwinds.status).toBe(404);
      expect(northwinds.body.title).toBe('no such invoice');
      expect((await http().post('/api/portal/invoices/NO-SUCH/promise-to-pay').set(api.as('acme')).send({ date: '2099-01-31' })).body).toEqual(northwinds.body);
    });
  });

  describe('raising a request', () => {
    it('gives a reference, lists it for the customer only, and an agent sees it among all requests', async () => {
      const raised = await http().post('/api/portal/requests').set(api.as('acme')).send({ subject: 'Invoice 2026-0142 discrepancy', body: 'Contract price, please.', invoiceId: 'INV-2026-0142', amount: '19600.00' });
      expect(raised.status).toBe(201);
      expect(raised.body.reference).toMatch(/^REQ-[0-9A-F]{8}$/);
      const mine = await http().get('/api/portal/requests').set(api.as('acme'));
      expect(mine.body.find((r: { reference: string }) => r.reference === raised.body.reference)).toMatchObject({ subject: 'Invoice 2026-0142 discrepancy', invoiceId: 'INV-2026-0142', amount: '19600.00' });
      expect((await http().get('/api/portal/requests').set(api.as('northwind'))).body.map((r: { reference: string }) => r.reference)).not.toContain(raised.body.reference);
      const agent = await http().get('/api/requests').query({ customerId: 'C-ACME' }).set(api.as('sam'));
      expect(agent.status).toBe(200);
      expect(agent.body.find((r: { reference: string }) => r.reference === raised.body.reference)).toMatchObject({ customerId: 'C-ACME', status: expect.any(String) });
      // through the portal, as the customer, with a running customer-request instance
      const row = await api.t.db('customer_requests').where({ reference: raised.body.reference }).first();
      expect(row).toMatchObject({ intake_channel: 'portal', requested_by: 'acme', customer_id: 'C-ACME' });
      expect(row.process_instance_key).toBeTruthy();
    });

    it('refuses another customer’s invoice, bad amounts and unknown fields, naming the field', async () => {
      const foreign = await http().post('/api/portal/requests').set(api.as('acme')).send({ subject: 'x', invoiceId: 'INV-2026-0157' });
      expect(foreign.status).toBe(422);
      expect(foreign.body.field).toBe('body.invoiceId');
      const amount = await http().post('/api/portal/requests').set(api.as('acme')).send({ subject: 'x', amount: '1,000' });
      expect(amount.status).toBe(400);
      expect(amount.body.field).toBe('body.amount');
      const customer = await http().post('/api/portal/requests').set(api.as('acme')).send({ subject: 'x', customerId: 'C-NORTHWIND' });
      expect(customer.status).toBe(400);
      expect(customer.body.field).toBe('body.customerId');
      expect((await http().post('/api/portal/requests').set(api.as('acme')).send({ subject: '' })).body.field).toBe('body.subject');
      const big = await http().post('/api/portal/requests').set(api.as('acme')).send({ subject: 'x', body: 'y'.repeat(40 * 1024) });
      expect(big.status).toBe(413);
    });
  });

  describe('every message, every request', () => {
    it('the inbox holds the emails the customer was sent beside the portal messages; unsent ones are not there', async () => {
      // given an email delivered to acme, one still queued, and one delivered to northwind
      const sentAt = new Date('2026-12-03T09:00:00Z');
      await api.t.db('communications').insert([
        { id: 'portal-api-mail-1', customer_id: 'C-ACME', template_id: 'invoice-corrected', channel: 'email', kind: 'transactional', status: 'sent', subject: 'Corrected invoice 2026-0199-C1', html: '<p>$12,500.00</p>', text: '$12,500.00' },
        { id: 'portal-api-mail-queued', customer_id: 'C-ACME', template_id: 'invoice-notice', channel: 'email', kind: 'transactional', status: 'queued', subject: 'Not yet sent', html: '<p>x</p>', text: 'x' },
        { id: 'portal-api-mail-nw', customer_id: 'C-NORTHWIND', template_id: 'invoice-notice', channel: 'email', kind: 'transactional', status: 'sent', subject: 'Northwind mail', html: '<p>y</p>', text: 'y' },
      ]);
      // its portal copy is the same message, not a second one
      await api.t.db('portal_messages').insert({ communication_id: 'portal-api-mail-1', customer_id: 'C-ACME', subject: 'Corrected invoice 2026-0199-C1', html: '<p>$12,500.00</p>', text: '$12,500.00', created_at: sentAt });
      await api.t.db('deliveries').insert([
        { communication_id: 'portal-api-mail-1', channel: 'email', state: 'sent', attempts: 1, sent_at: sentAt },
        { communication_id: 'portal-api-mail-queued', channel: 'email', state: 'queued', attempts: 0 },
        { communication_id: 'portal-api-mail-nw', channel: 'email', state: 'sent', attempts: 1, sent_at: sentAt },
      ]);
      // when acme reads its messages
      const res = await http().get('/api/portal/messages').set(api.as('acme'));
      // then the email is there, newest first, with its channel; the queued one and northwind's are not
      expect(res.status).toBe(200);
      expect(res.body.map((m: { communicationId: string; channel: string }) => `${m.communicationId}:${m.channel}`)).toEqual(['portal-api-mail-1:email', 'portal-api-acme-1:portal']);
      expect(res.body[0]).toMatchObject({ subject: 'Corrected invoice 2026-0199-C1', html: '<p>$12,500.00</p>', createdAt: sentAt.toISOString() });
    });

    it('a request with its progress in the customer’s words and a reply box: a reply on a request not waiting joins its trail', async () => {
      const raised = (await http().post('/api/portal/requests').set(api.as('acme')).send({ subject: 'Where is my credit note?', body: 'Please send it.' })).body;
      // when acme opens it
      const res = await http().get(`/api/portal/requests/${raised.reference}`).set(api.as('acme'));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ reference: raised.reference, subject: 'Where is my credit note?', body: 'Please send it.' });
      expect(res.body.steps[0]).toMatchObject({ what: 'Request received', by: 'you' });
      // the internal trail is not shown: no staff names, no checks
      expect(JSON.stringify(res.body.steps)).not.toMatch(/herald|enriched|registered/);
      // northwind cannot open it, nor reply on it: 404 like one that does not exist
      expect((await http().get(`/api/portal/requests/${raised.reference}`).set(api.as('northwind'))).status).toBe(404);
      expect((await http().post(`/api/portal/requests/${raised.reference}/replies`).set(api.as('northwind')).send({ text: 'x' })).status).toBe(404);
      // when acme replies while the team works it
      const status = (await api.t.db('customer_requests').where({ id: raised.id }).first()).status;
      const reply = await http().post(`/api/portal/requests/${raised.reference}/replies`).set(api.as('acme')).send({ text: 'Thank you, we will wait for it.' });
      expect(reply.status).toBe(202);
      expect(reply.body).toMatchObject({ reference: raised.reference, resumed: status === 'waiting_customer' });
      // then it is on the request's trail and among its steps
      const after = await http().get(`/api/portal/requests/${raised.reference}`).set(api.as('acme'));
      expect(after.body.steps.map((s: { what: string }) => s.what)).toContain('You wrote: Thank you, we will wait for it.');
      // bad input names the field
      const empty = await http().post(`/api/portal/requests/${raised.reference}/replies`).set(api.as('acme')).send({ text: '' });
      expect(empty.status).toBe(400);
      expect(empty.body.field).toBe('body.text');
      expect((await http().get(`/api/portal/requests/${raised.reference}`).set(api.as('sam'))).status).toBe(403);
    });
  });

  describe('promise to pay', () => {
    it('publishes promise-to-pay correlated by the invoice id, records it and audits it', async () => {
      const waiting = (await api.engine.createInstance({ bpmnProcessId: 'portal-promise-catcher', variables: { invoiceId: 'PORTAL-API-ACME-2' } })).processInstanceKey;
      const res = await http().post('/api/portal/invoices/PORTAL-API-ACME-2/promise-to-pay').set(api.as('acme')).send({ date: '2099-01-31', amount: '1200.10' });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ invoiceId: 'PORTAL-API-ACME-2', promisedDate: '2099-01-31', promisedAmount: '1200.10' });
      let instance = await api.engine.getInstance(waiting);
      for (let i = 0; i < 200 && instance?.state === 'ACTIVE'; i++) {
        await new Promise((r) => setTimeout(r, 10));
        instance = await api.engine.getInstance(waiting);
      }
      expect(instance?.state).toBe('COMPLETED');
      expect(instance?.variables).toMatchObject({ promisedDate: '2099-01-31', promisedBy: '2099-01-31T23:59:59Z', promisedAmount: '1200.10' });
      const invoice = (await http().get('/api/portal/invoices').set(api.as('acme'))).body.find((i: { id: string }) => i.id === 'PORTAL-API-ACME-2');
      expect(invoice).toMatchObject({ status: 'promised', promisedAt: '2099-01-31' });
      const trail = await createAuditRepository(api.t.db).list({ subjectType: 'invoice', subjectId: 'PORTAL-API-ACME-2' });
      expect(trail.map((r) => `${r.action}:${r.actor}`)).toEqual(['invoice.promise-to-pay:acme']);
      // the same promise twice is one promise
      const again = await http().post('/api/portal/invoices/PORTAL-API-ACME-2/promise-to-pay').set(api.as('acme')).send({ date: '2099-01-31', amount: '1200.10' });
      expect(again.status).toBe(409);
      expect(await createAuditRepository(api.t.db).list({ subjectType: 'invoice', subjectId: 'PORTAL-API-ACME-2' })).toHaveLength(1);
    });

    it('wants a future date, a decimal amount, and an unpaid invoice', async () => {
      const past = await http().post('/api/portal/invoices/INV-2026-0142/promise-to-pay').set(api.as('acme')).send({ date: '2020-01-01' });
      expect(past.status).toBe(422);
      expect(past.body).toMatchObject({ field: 'body.date' });
      expect(past.body.title).toMatch(/not in the future/);
      const notADate = await http().post('/api/portal/invoices/INV-2026-0142/promise-to-pay').set(api.as('acme')).send({ date: 'next friday' });
      expect(notADate.status).toBe(400);
      expect(notADate.body.field).toBe('body.date');
      for (const amount of ['12.5.0', '1e3', '-5.00']) {
        const bad = await http().post('/api/portal/invoices/INV-2026-0142/promise-to-pay').set(api.as('acme')).send({ date: '2099-01-31', amount });
        expect(bad.status, String(amount)).toBe(400);
        expect(bad.body.field).toBe('body.amount');
      }
      const paid = await http().post('/api/portal/invoices/PORTAL-API-ACME-PAID/promise-to-pay').set(api.as('acme')).send({ date: '2099-01-31' });
      expect(paid.status).toBe(409);
      expect((await http().post('/api/portal/invoices/INV-2026-0142/promise-to-pay').set(api.as('sam')).send({ date: '2099-01-31' })).status).toBe(403);
    });
  });
});
