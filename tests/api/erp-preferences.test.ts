/**
 * Preference changes from the ERP (#19): customer.updated may carry `preferences` (with or without
 * master-data changes), applied through the same preference repository as the portal and the API,
 * audited as system:erp with via erp-event; delivery then honours them; an ERP cannot give an
 * opt-in that needs the customer's confirmation (SMS, marketing); bad entries are named by field.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sign } from '../../api/services/signature.js';
import { preferenceVerdict } from '../../domain/channels/preferences.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { preferenceRepository } from '../../storage/preferences.js';
import { dbKinds } from '../support/db.js';
import { SECRET, startApi, type Api } from './harness.js';

describe.each(await dbKinds())('ERP preference changes on %s', (kind) => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(kind);
    await seedDemoData(api.t.db);
  }, 120_000);
  afterAll(async () => api?.close());

  let n = 0;
  const send = (body: unknown) => {
    const raw = JSON.stringify(body);
    return request(api.app.server).post('/api/events').set('Content-Type', 'application/json').set('Idempotency-Key', `erp-pref-${kind}-${Date.now()}-${n++}`).set('X-Herald-Signature', sign(SECRET, raw)).send(raw);
  };
  const detailOf = (row: { detail: unknown }) => (typeof row.detail === 'string' ? JSON.parse(row.detail) : row.detail) as Record<string, unknown>;

  it('an opt-out recorded in the ERP is applied, audited as system:erp via erp-event, and delivery honours it', async () => {
    const res = await send({ type: 'customer.updated', source: 'erp', data: { customerId: 'C-ACME', preferences: [{ channel: 'email', topic: 'reminders', optedIn: false }] } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const view = await request(api.app.server).get('/api/customers/C-ACME/preferences').set(api.as('dora'));
    expect(view.body.preferences.find((p: { channel: string; topic: string }) => p.channel === 'email' && p.topic === 'reminders')).toMatchObject({ optedIn: false, via: 'erp-event', updatedBy: 'system:erp' });
    const audit = await api.t.db('audit_log').where({ action: 'customer.preferences-changed', subject_id: 'C-ACME' }).orderBy('id', 'desc').first();
    expect(audit.actor).toBe('system:erp');
    expect(detailOf(audit)).toMatchObject({ via: 'erp-event', preferences: [{ channel: 'email', topic: 'reminders', from: true, to: false }], reason: expect.stringContaining('customer.updated event erp-pref-') });
    // at send time, a reminder by email is not consented any more
    const verdict = preferenceVerdict(await preferenceRepository(api.t.db).rows('C-ACME'), 'email', 'dunning');
    expect(verdict).toMatchObject({ send: false, reason: 'the customer opted out of reminders on email' });
  });

  it('with master-data changes in the same event, both are applied; the process hears the preferences', async () => {
    const publish = vi.spyOn(api.engine, 'publishMessage');
    const res = await send({ type: 'customer.updated', source: 'erp', data: { customerId: 'C-NORTHWIND', changes: { locale: 'de-DE' }, preferences: [{ channel: 'portal', topic: 'account-updates', optedIn: false }, { channel: 'sms', topic: 'marketing', optedIn: false }] } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect((await api.t.db('customers').where({ id: 'C-NORTHWIND' }).first()).locale).toBe('de-DE');
    expect(publish.mock.calls.at(-1)?.[0]).toMatchObject({ name: 'customer-updated', variables: { customerId: 'C-NORTHWIND', changes: { locale: 'de-DE' }, preferences: [{ channel: 'portal', topic: 'account-updates', optedIn: false }, { channel: 'sms', topic: 'marketing', optedIn: false }] } });
    publish.mockRestore();
    const rows = await preferenceRepository(api.t.db).rows('C-NORTHWIND');
    expect(rows.filter((r) => !r.optedIn).map((r) => `${r.channel}/${r.topic}`).sort()).toEqual(['portal/account-updates', 'sms/marketing']);
  });

  it('refuses an opt-in that needs the customer confirmation, a repeated entry, an unknown customer and an empty event, naming the field; nothing is applied', async () => {
    const optIn = await send({ type: 'customer.updated', source: 'erp', data: { customerId: 'C-ACME', preferences: [{ channel: 'email', topic: 'invoices', optedIn: false }, { channel: 'email', topic: 'marketing', optedIn: true }] } });
    expect([optIn.status, optIn.body.field]).toEqual([422, 'body.data.preferences.1']);
    expect(optIn.body.title ?? optIn.body.detail).toContain('double opt-in');
    expect((await preferenceRepository(api.t.db).rows('C-ACME')).find((r) => r.channel === 'email' && r.topic === 'invoices')).toBeUndefined();
    const twice = await send({ type: 'customer.updated', source: 'erp', data: { customerId: 'C-ACME', preferences: [{ channel: 'sms', topic: 'reminders', optedIn: false }, { channel: 'sms', topic: 'reminders', optedIn: false }] } });
    expect([twice.status, twice.body.field]).toEqual([400, 'body.data.preferences.1']);
    const nobody = await send({ type: 'customer.updated', source: 'erp', data: { customerId: 'C-NOBODY', preferences: [{ channel: 'sms', topic: 'reminders', optedIn: false }] } });
    expect([nobody.status, nobody.body.field]).toEqual([422, 'body.data.customerId']);
    const badTopic = await send({ type: 'customer.updated', source: 'erp', data: { customerId: 'C-ACME', preferences: [{ channel: 'sms', topic: 'gossip', optedIn: false }] } });
    expect(badTopic.status).toBe(400);
    expect(badTopic.body.field).toMatch(/^body\.data\.preferences\.0/);
    const empty = await send({ type: 'customer.updated', source: 'erp', data: { customerId: 'C-ACME' } });
    expect(empty.status).toBe(400);
  });
});
