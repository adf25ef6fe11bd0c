/**
 * Dashboard metrics: given hand-made communications, invoices and requests with known dates,
 * the SQL gives the numbers worked out by hand below, on PGlite and on Postgres; the routes are
 * for staff only and check their window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { metricsRepository } from '../../storage/metrics.js';
import { dbKinds, openTestDb, type TestDb } from '../support/db.js';
import { startApi, type Api } from './harness.js';

const at = (s: string) => new Date(s);
const window30 = (end: string) => ({ from: new Date(at(end).getTime() - 30 * 86_400_000), to: at(end) });

async function seedCustomers(db: Knex) {
  await db('customers').insert([
    { id: 'M-C1', legal_name: 'Metrics One', status: 'active', kyc_status: 'verified' },
    { id: 'M-C2', legal_name: 'Metrics Two', status: 'active', kyc_status: 'verified' },
  ]);
}

const comm = (id: string, createdAt: string, channel = 'email', status = 'delivered', templateId = 'invoice-notice') => ({
  id,
  customer_id: 'M-C1',
  template_id: templateId,
  channel,
  kind: 'dunning',
  status,
  data: '{}',
  created_at: at(createdAt),
});

describe.each(await dbKinds())('metrics SQL on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(kind);
    await seedCustomers(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('counts communications in the window by status, by channel and per UTC day', async () => {
    // window: 2026-03-01T12:00Z .. 2026-03-31T12:00Z
    await t.db('communications').insert([
      comm('mc-1', '2026-03-10T09:00:00Z', 'email', 'delivered'),
      comm('mc-2', '2026-03-10T15:00:00Z', 'email', 'delivered'),
      comm('mc-3', '2026-03-10T23:30:00Z', 'sms', 'failed'),
      comm('mc-4', '2026-03-11T00:30:00Z', 'email', 'bounced'),
      comm('mc-5', '2026-03-20T10:00:00Z', 'portal', 'sent'),
      comm('mc-6', '2026-02-01T10:00:00Z', 'email', 'delivered'), // before the window
      comm('mc-7', '2026-03-31T12:00:00Z', 'email', 'delivered'), // at its end, excluded
    ]);
    const m = await metricsRepository(t.db).communications(window30('2026-03-31T12:00:00Z'));
    expect(m.total).toBe(5);
    expect(m.byStatus).toEqual([
      { status: 'delivered', count: 2 },
      { status: 'bounced', count: 1 },
      { status: 'failed', count: 1 },
      { status: 'sent', count: 1 },
    ]);
    expect(m.byChannel).toEqual([
      { channel: 'email', count: 3 },
      { channel: 'portal', count: 1 },
      { channel: 'sms', count: 1 },
    ]);
    expect(m.daily).toEqual([
      { day: '2026-03-10', channel: 'email', status: 'delivered', count: 2 },
      { day: '2026-03-10', channel: 'sms', status: 'failed', count: 1 },
      { day: '2026-03-11', channel: 'email', status: 'bounced', count: 1 },
      { day: '2026-03-20', channel: 'portal', status: 'sent', count: 1 },
    ]);
  });

  it('follows invoices noticed in the window through reminders to paid or escalated, with days to payment', async () => {
    // window: 2026-01-01T12:00Z .. 2026-01-31T12:00Z
    const invoice = (id: string, status: string, paidAt?: string) => ({ id, customer_id: 'M-C2', number: id, amount: '100.00', currency: 'USD', issued_at: '2025-12-01', due_at: '2025-12-31', status, paid_at: paidAt ? at(paidAt) : null });
    await t.db('invoices').insert([
      invoice('MI-A', 'paid', '2026-01-14T09:00:00Z'), // notice Jan 2 10:00, one reminder, paid after 11 d 23 h → 11 days
      invoice('MI-B', 'open'), // three reminders, escalated, unpaid
      invoice('MI-C', 'paid', '2026-01-08T00:00:00Z'), // paid 3 days after its notice
      invoice('MI-D', 'open'), // two reminders, still open
      invoice('MI-E', 'paid', '2026-02-20T00:00:00Z'), // noticed Jan 7, paid after the window: 44 days
      invoice('MI-F', 'paid', '2025-12-10T00:00:00Z'), // noticed before the window
      invoice('MI-G', 'open'), // never noticed
    ]);
    await t.db('communications').insert([
      comm('MI-A-notice', '2026-01-02T10:00:00Z'),
      comm('MI-A-reminder-1', '2026-01-12T10:00:00Z', 'email', 'delivered', 'payment-reminder-1'),
      comm('MI-B-notice', '2026-01-03T00:00:00Z'),
      comm('MI-B-reminder-1', '2026-01-10T00:00:00Z', 'email', 'delivered', 'payment-reminder-1'),
      comm('MI-B-reminder-2', '2026-01-17T00:00:00Z', 'email', 'delivered', 'payment-reminder-2'),
      comm('MI-B-reminder-3', '2026-01-24T00:00:00Z', 'email', 'delivered', 'payment-reminder-3'),
      comm('MI-B-escalation', '2026-01-30T00:00:00Z', 'email', 'delivered', 'dunning-escalation'),
      comm('MI-C-notice', '2026-01-05T00:00:00Z'),
      comm('MI-D-notice', '2026-01-06T00:00:00Z'),
      comm('MI-D-reminder-1', '2026-01-13T00:00:00Z', 'email', 'delivered', 'payment-reminder-1'),
      comm('MI-D-reminder-2', '2026-01-20T00:00:00Z', 'email', 'delivered', 'payment-reminder-2'),
      comm('MI-E-notice', '2026-01-07T00:00:00Z'),
      comm('MI-F-notice', '2025-12-01T00:00:00Z'),
    ]);
    const m = await metricsRepository(t.db).dunning(window30('2026-01-31T12:00:00Z'));
    expect(m.funnel).toEqual([
      { stage: 'notice', invoices: 5 },
      { stage: 'reminder 1', invoices: 3 },
      { stage: 'reminder 2', invoices: 2 },
      { stage: 'reminder 3', invoices: 1 },
      { stage: 'paid', invoices: 3 },
      { stage: 'escalated', invoices: 1 },
    ]);
    expect(m.outcomes).toEqual({ paid: 3, escalated: 1, open: 1 });
    // days to payment: A 11, C 3, E 44 → median 11, average 58 / 3 = 19.3
    expect(m.daysToPayment).toEqual({
      buckets: [
        { label: '0–7 days', invoices: 1 },
        { label: '8–14 days', invoices: 1 },
        { label: '15–30 days', invoices: 0 },
        { label: '31–60 days', invoices: 1 },
        { label: 'over 60 days', invoices: 0 },
      ],
      paid: 3,
      median: 11,
      average: 19.3,
    });
  });

  it('gives the open request backlog by team and age, and the SLA breach rate of requests raised in the window', async () => {
    const req = (id: string, team: string | null, status: string, createdAt: string, breachedAt?: string) => ({
      id,
      reference: `REF-${id}`,
      customer_id: 'M-C1',
      team,
      status,
      intake_channel: 'portal',
      subject: `request ${id}`,
      created_at: at(createdAt),
      sla_breached_at: breachedAt ? at(breachedAt) : null,
    });
    await t.db('customer_requests').insert([
      req('MR-1', 'finance', 'open', '2026-03-31T06:00:00Z'), // 6 h old
      req('MR-2', 'finance', 'in_progress', '2026-03-29T12:00:00Z', '2026-03-30T12:00:00Z'), // 2 days, breached
      req('MR-3', 'finance', 'waiting_customer', '2026-03-20T12:00:00Z', '2026-03-25T12:00:00Z'), // 11 days, breached
      req('MR-4', 'triage', 'open', '2026-03-27T00:00:00Z'), // 4.5 days
      req('MR-5', null, 'open', '2026-03-31T00:00:00Z'), // 12 h, no team yet
      req('MR-6', 'finance', 'resolved', '2026-03-10T12:00:00Z', '2026-03-15T12:00:00Z'), // done: not backlog, but breached in the window
      req('MR-7', 'collections', 'closed', '2026-02-01T12:00:00Z', '2026-02-05T12:00:00Z'), // before the window
    ]);
    const now = at('2026-03-31T12:00:00Z');
    const m = await metricsRepository(t.db).requests(now, window30('2026-03-31T12:00:00Z'));
    expect(m.backlog).toEqual([
      { team: 'finance', age: 'under 1 day', requests: 1 },
      { team: 'finance', age: '1–3 days', requests: 1 },
      { team: 'finance', age: 'over 7 days', requests: 1 },
      { team: 'triage', age: '3–7 days', requests: 1 },
      { team: 'unassigned', age: 'under 1 day', requests: 1 },
    ]);
    // raised in the window: MR-1..6; breached: MR-2, MR-3, MR-6 (all finance)
    expect(m.sla).toEqual({
      total: 6,
      breached: 3,
      rate: 0.5,
      byTeam: [
        { team: 'finance', total: 4, breached: 3, rate: 0.75 },
        { team: 'triage', total: 1, breached: 0, rate: 0 },
        { team: 'unassigned', total: 1, breached: 0, rate: 0 },
      ],
    });
  });
});

describe('metrics routes', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi('pglite');
    await seedCustomers(api.t.db);
    await api.t.db('communications').insert([comm('mr-now', new Date(Date.now() - 3_600_000).toISOString(), 'sms', 'sent'), comm('mr-old', new Date(Date.now() - 40 * 86_400_000).toISOString())]);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('answers staff with the window they ask for, refuses customers and strangers, and checks the window', async () => {
    const get = (url: string, headers = api.as('ada')) => api.app.inject({ method: 'GET', url, headers });
    const recent = (await get('/api/metrics/communications')).json();
    expect(recent.total).toBe(1);
    expect(recent.byChannel).toEqual([{ channel: 'sms', count: 1 }]);
    expect((await get('/api/metrics/communications?days=60')).json().total).toBe(2);
    expect((await get('/api/metrics/dunning')).json().funnel[0]).toEqual({ stage: 'notice', invoices: 0 });
    expect((await get('/api/metrics/requests')).json().sla).toEqual({ total: 0, breached: 0, rate: 0, byTeam: [] });
    const tooLong = await get('/api/metrics/communications?days=400');
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().field).toBe('query.days');
    expect((await get('/api/metrics/requests', api.as('acme'))).statusCode).toBe(403);
    expect((await api.app.inject({ method: 'GET', url: '/api/metrics/requests' })).statusCode).toBe(401);
  });
});
