/**
 * Preferences and consent through the API: the customer's preference centre in the portal and a
 * data steward's door; every change is on the audit trail with who and how; bad input is
 * problem+json naming the field; a customer never reaches another customer's preferences.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, rollbackAll } from '../../storage/db.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { dbKinds, openTestDb } from '../support/db.js';
import { startApi, type Api } from './harness.js';

describe.each(await dbKinds())('preferences and consent on %s', (kind) => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(kind);
    await seedDemoData(api.t.db);
  }, 120_000);
  afterAll(async () => api?.close());
  const http = () => request(api.app.server);
  type Pref = { channel: string; topic: string; optedIn: boolean; default: boolean; via: string | null };
  const pref = (body: { preferences: Pref[] }, channel: string, topic: string) => body.preferences.find((p) => p.channel === channel && p.topic === topic);

  it('shows the full matrix with defaults: marketing is opt-in, the rest opt-out; legal notices cannot be suppressed', async () => {
    const res = await http().get('/api/portal/preferences').set(api.as('acme'));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.customerId).toBe('C-ACME');
    expect(res.body.preferences).toHaveLength(16);
    expect(pref(res.body, 'email', 'marketing')).toMatchObject({ optedIn: false, default: true });
    expect(pref(res.body, 'sms', 'reminders')).toMatchObject({ optedIn: true, default: true });
    expect(res.body.unsuppressibleKinds).toEqual(['legal']);
  });

  it('the customer opts out in the portal, audited with who and how', async () => {
    const res = await http()
      .put('/api/portal/preferences')
      .set(api.as('acme'))
      .send({ preferences: [{ channel: 'sms', topic: 'reminders', optedIn: false }], sendWindows: [{ channel: '*', timeZone: 'Australia/Sydney', start: '09:00', end: '20:00' }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(pref(res.body, 'sms', 'reminders')).toMatchObject({ optedIn: false, default: false, via: 'portal' });
    expect(res.body.sendWindows).toEqual([expect.objectContaining({ channel: '*', timeZone: 'Australia/Sydney', start: '09:00', end: '20:00', businessDaysOf: null, via: 'portal' })]);
    const audit = await api.t.db('audit_log').where({ action: 'customer.preferences-changed', subject_id: 'C-ACME' }).orderBy('id', 'desc').first();
    const detail = typeof audit.detail === 'string' ? JSON.parse(audit.detail) : audit.detail;
    expect(detail).toMatchObject({ via: 'portal', preferences: [{ channel: 'sms', topic: 'reminders', from: true, to: false }] });
    expect(audit.actor).not.toBe('');
  });

  it('a data steward changes them through the API (audited via api); other staff may read, not write; a customer sees only their own', async () => {
    const put = await http().put('/api/customers/C-NORTHWIND/preferences').set(api.as('dora')).send({ preferences: [{ channel: 'email', topic: 'marketing', optedIn: true }], reason: 'double opt-in confirmed' });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    // marketing is a double opt-in: pending until the customer confirms (tests/communications/double-opt-in.test.ts)
    expect(pref(put.body, 'email', 'marketing')).toMatchObject({ optedIn: false, pending: true, via: 'api' });
    const audit = await api.t.db('audit_log').where({ action: 'customer.preferences-changed', subject_id: 'C-NORTHWIND' }).first();
    const detail = typeof audit.detail === 'string' ? JSON.parse(audit.detail) : audit.detail;
    expect(detail).toMatchObject({ via: 'api', reason: 'double opt-in confirmed' });
    expect((await http().get('/api/customers/C-NORTHWIND/preferences').set(api.as('sam'))).status).toBe(200);
    expect((await http().put('/api/customers/C-NORTHWIND/preferences').set(api.as('sam')).send({ preferences: [{ channel: 'email', topic: 'marketing', optedIn: false }] })).status).toBe(403);
    expect((await http().get('/api/customers/C-NORTHWIND/preferences').set(api.as('acme'))).status).toBe(403);
    expect((await http().get('/api/customers/C-NOBODY/preferences').set(api.as('dora'))).status).toBe(404);
  });

  it('bad input is problem+json naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ preferences: [{ channel: 'fax', topic: 'reminders', optedIn: false }] }, 'body.preferences.0.channel'],
      [{ preferences: [{ channel: 'sms', topic: 'gossip', optedIn: false }] }, 'body.preferences.0.topic'],
      [{ preferences: [{ channel: 'sms', topic: 'reminders', optedIn: false }, { channel: 'sms', topic: 'reminders', optedIn: true }] }, 'body.preferences.1'],
      [{ sendWindows: [{ channel: '*', timeZone: 'Mars/Olympus' }] }, 'body.sendWindows.0.timeZone'],
      [{ sendWindows: [{ channel: '*', timeZone: 'UTC', start: '8am' }] }, 'body.sendWindows.0.start'],
      [{ sendWindows: [{ channel: '*', timeZone: 'UTC', start: '08:00', end: '08:00' }] }, 'body.sendWindows.0.end'],
      [{ sendWindows: [{ channel: '*', timeZone: 'UTC', businessDaysOf: 'XX' }] }, 'body.sendWindows.0.businessDaysOf'],
      [{}, 'body.preferences'],
    ];
    for (const [body, field] of cases) {
      const res = await http().put('/api/portal/preferences').set(api.as('acme')).send(body as object);
      expect([res.status, res.body.field, res.headers['content-type']], JSON.stringify(body)).toEqual([400, field, expect.stringContaining('application/problem+json')]);
    }
  });
});

describe('the preferences migration', () => {
  it('goes down and up again', async () => {
    const t = await openTestDb('pglite');
    try {
      const tables = async () => [await t.db.schema.hasTable('customer_preferences'), await t.db.schema.hasTable('customer_send_windows')];
      expect(await tables()).toEqual([true, true]);
      await rollbackAll(t.db);
      expect(await tables()).toEqual([false, false]);
      await migrate(t.db);
      expect(await tables()).toEqual([true, true]);
    } finally {
      await t.close();
    }
  }, 120_000);
});
