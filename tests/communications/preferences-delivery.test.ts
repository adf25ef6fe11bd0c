/**
 * Delivery honours the customer's word at send time: a reminder on a channel the customer opted
 * out of is not sent (recorded as suppressed with the reason; the process hears the result); a
 * message outside the recipient's sending window waits for the next allowed instant; a legal
 * notice goes out regardless, and the override is audited.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/log.js';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { communicationRepository } from '../../storage/communications.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { preferenceRepository } from '../../storage/preferences.js';
import { createMemoryQueue } from '../../workers/delivery/queue.js';
import { createChannelAdapters, createDeliveryService, type DeliveryService } from '../../workers/delivery/service.js';
import { openTestDb, type TestDb } from '../support/db.js';

describe('preferences and quiet hours at send time', () => {
  let t: TestDb;
  let engine: EmbeddedEngine;
  let delivery: DeliveryService;
  // the delivery clock: the tests set it to fixed instants
  let clock = new Date('2026-12-09T16:00:00Z');

  beforeAll(async () => {
    t = await openTestDb('pglite');
    await seedDemoData(t.db);
    engine = new EmbeddedEngine({ db: t.db, pollInterval: 20 });
    await engine.start();
    const settings = { from: { name: 'Herald', address: 'receivables@herald.example' }, outboxDir: fs.mkdtempSync(path.join(os.tmpdir(), 'herald-prefs-')), secret: 'prefs-secret', baseUrl: 'https://herald.example', backoffMs: 50 };
    delivery = createDeliveryService({ db: t.db, engine, queue: createMemoryQueue(), adapters: createChannelAdapters(t.db, settings), settings, now: () => clock, log: silentLogger });
    delivery.start();
    const prefs = preferenceRepository(t.db);
    await prefs.change({ customerId: 'C-ACME', actor: 'acme', via: 'portal', now: clock, preferences: [{ channel: 'portal', topic: 'reminders', optedIn: false }] });
    await prefs.change({ customerId: 'C-NORTHWIND', actor: 'dora', via: 'api', now: clock, sendWindows: [{ channel: 'portal', timeZone: 'Australia/Sydney', start: '09:00', end: '20:00' }] });
  }, 120_000);

  afterAll(async () => {
    await delivery?.close();
    await engine?.stop();
    await t?.close();
  });

  async function rendered(id: string, customerId: string, kind: string, data: Record<string, unknown> = {}) {
    const comms = communicationRepository(t.db);
    await comms.ensure({ id, customerId, templateId: 'payment-reminder', channel: 'portal', kind: kind as never, data });
    await comms.saveRendered(id, { templateVersion: 1, subject: `Message ${id}`, html: '<p>Hello</p>', text: 'Hello' });
  }
  const deliveryRow = (id: string) => t.db('deliveries').where({ communication_id: id }).first();
  const events = async (id: string) => (await communicationRepository(t.db).events(id)).map((e) => e.kind);

  it('a reminder on a channel the customer opted out of is not sent: suppressed with the reason, and the process hears it', async () => {
    await rendered('pref-reminder-1', 'C-ACME', 'dunning', { invoiceId: 'INV-1' });
    await delivery.enqueue('pref-reminder-1', 'portal');
    await expect.poll(async () => (await deliveryRow('pref-reminder-1'))?.state, { timeout: 30_000 }).toBe('suppressed');
    const row = await deliveryRow('pref-reminder-1');
    expect(row.error).toBe('the customer opted out of reminders on portal');
    await expect.poll(async () => (await deliveryRow('pref-reminder-1'))?.result_at, { timeout: 30_000 }).not.toBeNull();
    expect((await communicationRepository(t.db).get('pref-reminder-1'))?.status).toBe('suppressed');
    expect(await events('pref-reminder-1')).toContain('suppressed');
    expect(await t.db('portal_messages').where({ communication_id: 'pref-reminder-1' }).first()).toBeUndefined();
    // an invoice notice on the same channel is another topic, and goes
    await rendered('pref-invoice-1', 'C-ACME', 'transactional', { invoiceId: 'INV-1' });
    await delivery.enqueue('pref-invoice-1', 'portal');
    await expect.poll(async () => (await deliveryRow('pref-invoice-1'))?.state, { timeout: 30_000 }).toBe('sent');
  });

  it('a legal notice is sent despite the opt-out, and the override is audited', async () => {
    await rendered('pref-legal-1', 'C-ACME', 'legal', { topic: 'reminders' });
    await delivery.enqueue('pref-legal-1', 'portal');
    await expect.poll(async () => (await deliveryRow('pref-legal-1'))?.state, { timeout: 30_000 }).toBe('sent');
    const audit = await t.db('audit_log').where({ action: 'communication.legal-override', subject_id: 'pref-legal-1' }).first();
    expect(audit).toBeDefined();
  });

  it('at 03:00 in Sydney a reminder waits for 09:00 local; one due a moment before the window opens goes when it opens', async () => {
    // 2026-12-10 03:00 AEDT
    clock = new Date('2026-12-09T16:00:00Z');
    await rendered('pref-sydney-night', 'C-NORTHWIND', 'dunning');
    await delivery.enqueue('pref-sydney-night', 'portal');
    const deferred = (await communicationRepository(t.db).events('pref-sydney-night')).find((e) => e.kind === 'deferred');
    expect(deferred?.meta).toMatchObject({ until: '2026-12-09T22:00:00.000Z', timeZone: 'Australia/Sydney' });
    expect((await deliveryRow('pref-sydney-night')).state).toBe('queued');
    // 08:59:58 local: the window opens in two seconds
    clock = new Date('2026-12-09T21:59:58Z');
    await rendered('pref-sydney-morning', 'C-NORTHWIND', 'dunning');
    await delivery.enqueue('pref-sydney-morning', 'portal');
    expect(await events('pref-sydney-morning')).toContain('deferred');
    clock = new Date('2026-12-09T22:00:01Z');
    await expect.poll(async () => (await deliveryRow('pref-sydney-morning'))?.state, { timeout: 30_000 }).toBe('sent');
    expect((await deliveryRow('pref-sydney-night')).state).toBe('queued');
  });

  it('a legal notice in quiet hours goes at once, audited', async () => {
    clock = new Date('2026-12-09T16:00:00Z');
    await rendered('pref-legal-night', 'C-NORTHWIND', 'legal');
    await delivery.enqueue('pref-legal-night', 'portal');
    await expect.poll(async () => (await deliveryRow('pref-legal-night'))?.state, { timeout: 30_000 }).toBe('sent');
    const audit = await t.db('audit_log').where({ action: 'communication.legal-override', subject_id: 'pref-legal-night' }).first();
    expect(JSON.stringify(audit.detail)).toContain('quiet hours');
  });
});
