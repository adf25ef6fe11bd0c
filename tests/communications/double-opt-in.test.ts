/**
 * Double opt-in with evidence (#19): opting in to SMS or to marketing (portal or API) leaves the
 * preference off and pending and sends a confirmation through delivery (an SMS code to a real local
 * SMS endpoint, an email link); delivery treats pending as no consent; only the code or the signed,
 * single-use, expiring link turns it on; the evidence is kept and on the audit trail.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/log.js';
import { communicationRepository } from '../../storage/communications.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { createMemoryQueue } from '../../workers/delivery/queue.js';
import { createChannelAdapters, createDeliveryService, type DeliveryService } from '../../workers/delivery/service.js';
import { startConsentOutbox, type ConsentOutbox } from '../../workers/consent-outbox.js';
import { startApi, type Api } from '../api/harness.js';
import { migrate, rollbackAll } from '../../storage/db.js';
import { dbKinds, openTestDb } from '../support/db.js';

/** An SMS endpoint that keeps what it was sent. */
async function smsInbox() {
  const received: { to: string; text: string; key: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const m = JSON.parse(body) as { to: string; text: string };
      received.push({ to: m.to, text: m.text, key: String(req.headers['idempotency-key']) });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `sms-${received.length}` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/messages`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const detailOf = (row: { detail: unknown }) => (typeof row.detail === 'string' ? JSON.parse(row.detail) : row.detail) as Record<string, unknown>;

describe.each(await dbKinds())('double opt-in on %s', (kind) => {
  let api: Api;
  let sms: Awaited<ReturnType<typeof smsInbox>>;
  let delivery: DeliveryService;
  let outbox: ConsentOutbox;

  beforeAll(async () => {
    api = await startApi(kind, { messages: { baseUrl: 'https://herald.example', company: { name: 'Acme Billing', email: 'billing@herald.example', phone: '+1 555 0100' } } });
    await seedDemoData(api.t.db);
    await api.t.db('customer_contacts').insert({ customer_id: 'C-ACME', channel: 'sms', address: '+15550100123', display_name: 'Acme AP', consent: true, marketing_consent: false });
    sms = await smsInbox();
    const settings = { from: { name: 'Herald', address: 'receivables@herald.example' }, outboxDir: fs.mkdtempSync(path.join(os.tmpdir(), 'herald-doi-')), smsUrl: sms.url, secret: 'doi-secret', baseUrl: 'https://herald.example', backoffMs: 50 };
    delivery = createDeliveryService({ db: api.t.db, engine: api.engine, queue: createMemoryQueue(), adapters: createChannelAdapters(api.t.db, settings), settings, now: () => new Date(), log: silentLogger });
    delivery.start();
    outbox = startConsentOutbox({ db: api.t.db, delivery, log: silentLogger, now: () => new Date(), intervalMs: 50 });
  }, 120_000);
  afterAll(async () => {
    outbox?.close();
    await delivery?.close();
    await sms?.close();
    await api?.close();
  });
  const client = () => request(api.app.server);
  type Pref = { channel: string; topic: string; optedIn: boolean; pending: boolean; pendingExpiresAt: string | null };
  const pref = (body: { preferences: Pref[] }, channel: string, topic: string) => body.preferences.find((p) => p.channel === channel && p.topic === topic)!;
  const deliveryState = async (id: string) => (await api.t.db('deliveries').where({ communication_id: id }).first())?.state as string | undefined;

  it('an opt-in to SMS or marketing in the portal is pending, confirmed by the SMS code; delivery holds back until then; the evidence is audited', async () => {
    // given Acme opted out of SMS reminders once
    await client().put('/api/portal/preferences').set(api.as('acme')).send({ preferences: [{ channel: 'sms', topic: 'reminders', optedIn: false }] }).expect(200);
    // when it opts in again, and in to marketing by email
    const put = await client()
      .put('/api/portal/preferences')
      .set(api.as('acme'))
      .set('User-Agent', 'doi-browser/1.0')
      .send({ preferences: [{ channel: 'sms', topic: 'reminders', optedIn: true }, { channel: 'email', topic: 'marketing', optedIn: true }] });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    // then neither is on yet: both wait, one SMS code and one email link are on their way
    expect(pref(put.body, 'sms', 'reminders')).toMatchObject({ optedIn: false, pending: true });
    expect(pref(put.body, 'email', 'marketing')).toMatchObject({ optedIn: false, pending: true });
    expect(put.body.confirmationsSent.map((c: { method: string }) => c.method).sort()).toEqual(['email-link', 'sms-code']);
    expect(put.body.confirmationsSent.find((c: { method: string }) => c.method === 'sms-code').sentTo).toBe('***123');
    const requested = await api.t.db('audit_log').where({ action: 'customer.consent-requested', subject_id: 'C-ACME' });
    expect(requested).toHaveLength(2);
    expect(detailOf(requested[0])).toMatchObject({ via: 'portal', userAgent: 'doi-browser/1.0' });
    expect(detailOf(requested[0]).tokenHash).toMatch(/^[0-9a-f]{64}$/);

    // the code arrives at the SMS endpoint, through delivery
    await expect.poll(() => sms.received.length, { timeout: 30_000 }).toBe(1);
    expect(sms.received[0].to).toBe('+15550100123');
    const code = /code is (\d{6})/.exec(sms.received[0].text)![1];
    expect(JSON.stringify(requested.map(detailOf))).not.toContain(code);

    // while pending, a reminder by SMS is not sent: not consented
    const comms = communicationRepository(api.t.db);
    await comms.ensure({ id: 'doi-reminder-1', customerId: 'C-ACME', templateId: 'payment-reminder', channel: 'sms', kind: 'dunning', data: {} });
    await comms.saveRendered('doi-reminder-1', { templateVersion: 1, subject: 'Reminder', html: '<p>Due</p>', text: 'Due' });
    await delivery.enqueue('doi-reminder-1', 'sms');
    await expect.poll(() => deliveryState('doi-reminder-1'), { timeout: 30_000 }).toBe('suppressed');
    expect((await api.t.db('deliveries').where({ communication_id: 'doi-reminder-1' }).first()).error).toBe("reminders on sms awaits the customer's confirmation (double opt-in)");

    // a wrong code is refused, naming the field and the tries left
    const wrong = await client().post('/api/portal/preferences/confirm').set(api.as('acme')).send({ code: code === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ field: 'body.code' });
    expect(wrong.body.title ?? wrong.body.detail).toContain('4 tries left');

    // the right one turns it on, once
    const ok = await client().post('/api/portal/preferences/confirm').set(api.as('acme')).set('User-Agent', 'doi-phone/2.0').send({ code });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(pref(ok.body, 'sms', 'reminders')).toMatchObject({ optedIn: true, pending: false });
    expect(pref(ok.body, 'email', 'marketing')).toMatchObject({ optedIn: false, pending: true });
    expect((await client().post('/api/portal/preferences/confirm').set(api.as('acme')).send({ code })).status).toBe(404);
    const confirmed = await api.t.db('audit_log').where({ action: 'customer.consent-confirmed', subject_id: 'C-ACME' }).first();
    expect(confirmed.actor).toBe('acme');
    expect(detailOf(confirmed)).toMatchObject({ method: 'sms-code', sentTo: '+15550100123', requestedBy: 'acme', requestedVia: 'portal', requestedUserAgent: 'doi-browser/1.0', confirmedUserAgent: 'doi-phone/2.0', activated: [{ channel: 'sms', topic: 'reminders' }] });
    expect(detailOf(confirmed).tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(detailOf(confirmed).confirmedAt).toBeTruthy();
    expect(detailOf(confirmed).confirmedIp).toBeTruthy();

    // and now the reminder goes
    await comms.ensure({ id: 'doi-reminder-2', customerId: 'C-ACME', templateId: 'payment-reminder', channel: 'sms', kind: 'dunning', data: {} });
    await comms.saveRendered('doi-reminder-2', { templateVersion: 1, subject: 'Reminder', html: '<p>Due</p>', text: 'Due' });
    await delivery.enqueue('doi-reminder-2', 'sms');
    await expect.poll(() => deliveryState('doi-reminder-2'), { timeout: 30_000 }).toBe('sent');
  });

  it('the email link: opening it confirms nothing, the button does, once; an altered or expired link is refused', async () => {
    const row = await api.t.db('consent_confirmations').where({ customer_id: 'C-ACME', method: 'email-link', state: 'pending' }).first();
    await expect.poll(() => deliveryState(row.communication_id), { timeout: 30_000 }).toBe('sent');
    const sent = await communicationRepository(api.t.db).get(row.communication_id);
    const link = /https:\/\/herald\.example(\/api\/consent\/confirm\?token=[^\s"<]+)/.exec(sent!.text!)![1];

    const opened = await client().get(link);
    expect(opened.status).toBe(200);
    expect(opened.text).toContain('marketing on email');
    expect(opened.text).toContain('method="post"');
    expect((await api.t.db('consent_confirmations').where({ id: row.id }).first()).state).toBe('pending');

    const token = decodeURIComponent(link.split('token=')[1]);
    const altered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    const forged = await client().post(`/api/consent/confirm?token=${encodeURIComponent(altered)}`);
    expect(forged.status).toBe(400);
    expect(forged.body.field).toBe('querystring.token');

    const confirmed = await client().post(link).set('Accept', 'application/json').set('User-Agent', 'doi-mail/3.0');
    expect(confirmed.status, confirmed.text).toBe(200);
    expect(JSON.parse(confirmed.text).activated).toEqual([{ channel: 'email', topic: 'marketing' }]);
    expect((await client().post(link)).status).toBe(409);
    const view = await client().get('/api/portal/preferences').set(api.as('acme'));
    expect(pref(view.body, 'email', 'marketing')).toMatchObject({ optedIn: true, pending: false });
    const evidence = await api.t.db('audit_log').where({ action: 'customer.consent-confirmed', subject_id: 'C-ACME' }).orderBy('id', 'desc').first();
    expect(evidence.actor).toBe('recipient:accounts.payable@acme.example');
    expect(detailOf(evidence)).toMatchObject({ method: 'email-link', confirmedUserAgent: 'doi-mail/3.0' });

    // an expired link: opted out and in again, and the new link left past its time
    await client().put('/api/portal/preferences').set(api.as('acme')).send({ preferences: [{ channel: 'email', topic: 'marketing', optedIn: false }] }).expect(200);
    const again = await client().put('/api/portal/preferences').set(api.as('acme')).send({ preferences: [{ channel: 'email', topic: 'marketing', optedIn: true }] });
    const id = again.body.confirmationsSent[0].id;
    await api.t.db('consent_confirmations').where({ id }).update({ expires_at: new Date(Date.now() - 1000) });
    const late = await communicationRepository(api.t.db).get(`consent-${id}`);
    const lateLink = /https:\/\/herald\.example(\/api\/consent\/confirm\?token=[^\s"<]+)/.exec(late!.text!)![1];
    const expired = await client().post(lateLink);
    expect(expired.status).toBe(410);
    expect(expired.body.title ?? expired.body.detail).toContain('expired');
  });

  it('an opt-out while pending wins over a later confirmation; a steward opt-in through the API is pending too; no number, no SMS opt-in', async () => {
    // Northwind's data steward opts it in to marketing by email: pending, audited as via api
    const put = await client().put('/api/customers/C-NORTHWIND/preferences').set(api.as('dora')).send({ preferences: [{ channel: 'email', topic: 'marketing', optedIn: true }] });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(pref(put.body, 'email', 'marketing')).toMatchObject({ optedIn: false, pending: true });
    const id = put.body.confirmationsSent[0].id;
    expect(await api.t.db('consent_confirmations').where({ id }).first()).toMatchObject({ requested_by: 'dora', requested_via: 'api', address: 'buchhaltung@northwind.example' });
    // the customer opts out before clicking
    await client().put('/api/portal/preferences').set(api.as('northwind')).send({ preferences: [{ channel: 'email', topic: 'marketing', optedIn: false }] }).expect(200);
    const msg = await communicationRepository(api.t.db).get(`consent-${id}`);
    const link = /https:\/\/herald\.example(\/api\/consent\/confirm\?token=[^\s"<]+)/.exec(msg!.text!)![1];
    const late = await client().post(link).set('Accept', 'application/json');
    expect(late.status).toBe(200);
    expect(JSON.parse(late.text).activated).toEqual([]);
    const view = await client().get('/api/portal/preferences').set(api.as('northwind'));
    expect(pref(view.body, 'email', 'marketing')).toMatchObject({ optedIn: false, pending: false });

    // Northwind has no SMS number: the opt-in is refused, naming the field, and nothing changes
    const noNumber = await client().put('/api/portal/preferences').set(api.as('northwind')).send({ preferences: [{ channel: 'email', topic: 'reminders', optedIn: false }, { channel: 'sms', topic: 'marketing', optedIn: true }] });
    expect(noNumber.status).toBe(400);
    expect(noNumber.body.field).toBe('body.preferences.1');
    const after = await client().get('/api/portal/preferences').set(api.as('northwind'));
    expect(pref(after.body, 'email', 'reminders')).toMatchObject({ optedIn: true });
  });
});

describe.each(await dbKinds())('the consent confirmations migration on %s', (kind) => {
  it('goes down and up again', async () => {
    const t = await openTestDb(kind);
    try {
      const shape = async () => [await t.db.schema.hasTable('consent_confirmations'), (await t.db.schema.hasTable('customer_preferences')) && (await t.db.schema.hasColumn('customer_preferences', 'pending_confirmation'))];
      expect(await shape()).toEqual([true, true]);
      await rollbackAll(t.db, t.schema);
      expect(await shape()).toEqual([false, false]);
      await migrate(t.db, t.schema);
      expect(await shape()).toEqual([true, true]);
    } finally {
      await t.close();
    }
  }, 120_000);
});
