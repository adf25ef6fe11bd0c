/**
 * Quiet hours for diagrams (#19): the job type next-allowed-instant answers the next instant a
 * message may reach a customer on a channel (their window, zone and business days), now for a
 * customer without a window or for a legal notice; and the communications API tells the instance
 * view which message of an instance waits for its recipient's window, until when, in their zone.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { communicationRepository } from '../../storage/communications.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { preferenceRepository } from '../../storage/preferences.js';
import nextAllowedInstant from '../../workers/next-allowed-instant.js';
import { startApi, type Api } from '../api/harness.js';

describe('next-allowed-instant and the quiet-hours wait', () => {
  let api: Api;
  let now = new Date('2026-12-09T16:00:00Z'); // 03:00 on the 10th in Sydney
  beforeAll(async () => {
    api = await startApi('pglite');
    await seedDemoData(api.t.db);
    await preferenceRepository(api.t.db).change({ customerId: 'C-NORTHWIND', actor: 'dora', via: 'api', now, sendWindows: [{ channel: 'sms', timeZone: 'Australia/Sydney', start: '09:00', end: '20:00' }, { channel: 'email', timeZone: 'Europe/Berlin', start: '08:00', end: '18:00', businessDaysOf: 'DE' }] });
  }, 120_000);
  afterAll(async () => api?.close());

  const run = (variables: Record<string, unknown>) => nextAllowedInstant.handler({ variables } as never, { db: api.t.db, now: () => now } as never);

  it('at 03:00 in Sydney an SMS may go at 09:00 local; the email window skips Christmas in Germany', async () => {
    expect(await run({ customerId: 'C-NORTHWIND', channel: 'sms', topic: 'reminders' })).toEqual({
      complete: { nextAllowedAt: '2026-12-09T22:00:00.000Z', waitsForQuietHours: true, nextAllowedLocal: '2026-12-10 09:00', timeZone: 'Australia/Sydney', consented: true },
    });
    // 24 December 19:00 Berlin: after hours; the 25th and 26th are holidays, the 27th a Sunday
    now = new Date('2026-12-24T18:00:00Z');
    const email = (await run({ customerId: 'C-NORTHWIND', channel: 'email', topic: 'reminders' })) as { complete: Record<string, unknown> };
    expect(email.complete).toMatchObject({ nextAllowedAt: '2026-12-28T07:00:00.000Z', nextAllowedLocal: '2026-12-28 08:00', timeZone: 'Europe/Berlin' });
    // notBefore later than now counts from there
    const later = (await run({ customerId: 'C-NORTHWIND', channel: 'sms', notBefore: '2027-01-04T00:00:00Z' })) as { complete: Record<string, unknown> };
    expect(later.complete).toMatchObject({ nextAllowedLocal: '2027-01-04 11:00', waitsForQuietHours: false });
  });

  it('now for a customer without a window and for a legal notice; marketing is not consented by default; unknown customer is a BPMN error', async () => {
    now = new Date('2026-12-09T16:00:00Z');
    expect(await run({ customerId: 'C-ACME', channel: 'email', topic: 'marketing' })).toEqual({ complete: { nextAllowedAt: now.toISOString(), waitsForQuietHours: false, nextAllowedLocal: null, timeZone: null, consented: false } });
    expect(((await run({ customerId: 'C-NORTHWIND', channel: 'sms', kind: 'legal' })) as { complete: Record<string, unknown> }).complete).toMatchObject({ nextAllowedAt: now.toISOString(), waitsForQuietHours: false });
    expect(await run({ customerId: 'C-NOBODY', channel: 'sms' })).toMatchObject({ error: 'CUSTOMER_NOT_FOUND' });
    expect(await run({ customerId: 'C-ACME', channel: 'sms', notBefore: 'tomorrow' })).toMatchObject({ error: 'INVALID_INSTANT' });
  });

  it('the communications of an instance say which waits for quiet hours, until when, in the recipient zone', async () => {
    const comms = communicationRepository(api.t.db);
    await comms.ensure({ id: 'qh-wait-1', customerId: 'C-NORTHWIND', templateId: 'payment-reminder', channel: 'sms', kind: 'dunning', data: {}, processInstanceKey: '4242' });
    await comms.ensure({ id: 'qh-sent-1', customerId: 'C-NORTHWIND', templateId: 'payment-reminder', channel: 'email', kind: 'dunning', data: {}, processInstanceKey: '4242' });
    const until = new Date(Date.now() + 3_600_000);
    await api.t.db('deliveries').insert([
      { communication_id: 'qh-wait-1', channel: 'sms', state: 'queued' },
      { communication_id: 'qh-sent-1', channel: 'email', state: 'sent' },
    ]);
    await comms.addEvent('qh-wait-1', 'deferred', new Date(), { until: until.toISOString(), timeZone: 'Australia/Sydney', reason: 'quiet hours' }, 'deferred');
    await comms.addEvent('qh-sent-1', 'deferred', new Date(), { until: until.toISOString(), timeZone: 'Europe/Berlin', reason: 'quiet hours' }, 'deferred');
    const res = await request(api.app.server).get('/api/communications?processInstanceKey=4242').set(api.as('sam'));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const byId = Object.fromEntries((res.body as { id: string; waitingForQuietHours: unknown }[]).map((c) => [c.id, c.waitingForQuietHours]));
    expect(Object.keys(byId).sort()).toEqual(['qh-sent-1', 'qh-wait-1']);
    expect(byId['qh-wait-1']).toEqual({ until: until.toISOString(), timeZone: 'Australia/Sydney', localUntil: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/) });
    expect(byId['qh-sent-1']).toBeNull();
  });
});
