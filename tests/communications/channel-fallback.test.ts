/**
 * Cross-channel failover (#19) against real local providers (an SMTP server and two killable SMS
 * endpoints): a message whose channel cannot carry it (every SMS provider's breaker open, or a
 * hard-bounced email address) goes on another channel the customer consented to for its topic,
 * recorded as a `failover` event; never to a channel without consent; and never while a provider
 * of the first channel may have the message, so it is sent on exactly one channel.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { communicationRepository } from '../../storage/communications.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { preferenceRepository } from '../../storage/preferences.js';
import { createMemoryQueue } from '../../workers/delivery/queue.js';
import { createChannelAdapters, createDeliveryService, type DeliveryService } from '../../workers/delivery/service.js';
import { dbKinds, openTestDb, type TestDb } from '../support/db.js';
import { smsProvider, smtpProvider, type KillableProvider } from './failover/providers.js';

describe.each(await dbKinds())('cross-channel failover on %s', (kind) => {
  let t: TestDb;
  let engine: EmbeddedEngine;
  let smtp: KillableProvider;
  let smsPrimary: KillableProvider;
  let smsSecondary: KillableProvider;
  const outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-fallback-'));
  // what the delivery log said, to wait on attempts rather than on time
  const lines: { msg: string; err?: string; communicationId?: string }[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }));

  beforeAll(async () => {
    t = await openTestDb(kind);
    await seedDemoData(t.db);
    await t.db('customer_contacts').insert([
      { customer_id: 'C-ACME', channel: 'sms', address: '+15550100123', display_name: 'Acme AP', consent: true, marketing_consent: false },
      { customer_id: 'C-NORTHWIND', channel: 'sms', address: '+495550100', display_name: 'Northwind', consent: true, marketing_consent: false },
    ]);
    // Northwind takes reminders only by SMS
    await preferenceRepository(t.db).change({
      customerId: 'C-NORTHWIND',
      actor: 'northwind',
      via: 'portal',
      now: new Date(),
      preferences: [
        { channel: 'email', topic: 'reminders', optedIn: false },
        { channel: 'portal', topic: 'reminders', optedIn: false },
      ],
    });
    engine = new EmbeddedEngine({ db: t.db, pollInterval: 20 });
    await engine.start();
    smtp = await smtpProvider('mail');
    smsPrimary = await smsProvider('p');
    smsSecondary = await smsProvider('s');
  }, 120_000);
  afterAll(async () => {
    await Promise.all([smtp, smsPrimary, smsSecondary].map((p) => p?.close()));
    await engine?.stop();
    await t?.close();
  });

  /** A delivery service with fresh breakers: one failure opens a provider's breaker, and it stays open. */
  function service(attempts: number): DeliveryService {
    const settings = {
      from: { name: 'Herald', address: 'receivables@herald.example' },
      outboxDir,
      smtpUrl: smtp.url,
      smsUrl: smsPrimary.url,
      smsFallbackUrl: smsSecondary.url,
      status: { sms: smsPrimary.statusUrl, smsFallback: smsSecondary.statusUrl },
      breaker: { consecutiveFailures: 1, halfOpenAfterMs: 600_000 },
      secret: 'fallback-secret',
      baseUrl: 'https://herald.example',
      tracking: false,
      attempts,
      backoffMs: 50,
    };
    const delivery = createDeliveryService({ db: t.db, engine, queue: createMemoryQueue(), adapters: createChannelAdapters(t.db, settings, log), settings, now: () => new Date(), log });
    delivery.start();
    return delivery;
  }
  async function rendered(id: string, customerId: string, channel: string, kind: string) {
    const comms = communicationRepository(t.db);
    await comms.ensure({ id, customerId, templateId: 'payment-reminder', channel, kind: kind as never, data: {} });
    await comms.saveRendered(id, { templateVersion: 1, subject: `Message ${id}`, html: '<p>Your invoice is due</p>', text: 'Your invoice is due' });
  }
  const row = (id: string) => t.db('deliveries').where({ communication_id: id }).first();
  const events = async (id: string) => communicationRepository(t.db).events(id);
  const messageId = (id: string) => `${id}@herald.local`;

  it('a hard-bounced email address: the notice goes by SMS, which the customer consented to, once', async () => {
    const delivery = service(5);
    try {
      const id = `${kind}-fb-bounce`;
      await t.db('address_suppressions').insert({ channel: 'email', address: 'accounts.payable@acme.example', reason: 'hard-bounce', at: new Date() });
      await rendered(id, 'C-ACME', 'email', 'transactional');
      await delivery.enqueue(id, 'email');
      await expect.poll(async () => (await row(id))?.state, { timeout: 30_000 }).toBe('sent');
      expect(await row(id)).toMatchObject({ channel: 'sms', provider: 'primary' });
      expect((await communicationRepository(t.db).get(id))?.channel).toBe('sms');
      expect((await events(id)).find((e) => e.kind === 'failover')?.meta).toMatchObject({ from: 'email', to: 'sms', reason: 'accounts.payable@acme.example hard-bounced' });
      expect(smsPrimary.arrivals.filter((k) => k === id)).toHaveLength(1);
      expect(smtp.arrivals).not.toContain(messageId(id));
    } finally {
      await t.db('address_suppressions').where({ channel: 'email', address: 'accounts.payable@acme.example' }).delete();
      await delivery.close();
    }
  });

  it('both SMS providers down (breakers open): the reminder goes by email, recorded as a failover; the SMS endpoints never got it', async () => {
    await smsPrimary.kill();
    await smsSecondary.kill();
    const delivery = service(5);
    try {
      const id = `${kind}-fb-down`;
      await rendered(id, 'C-ACME', 'sms', 'dunning');
      await delivery.enqueue(id, 'sms');
      await expect.poll(async () => (await row(id))?.state, { timeout: 30_000 }).toBe('sent');
      expect(await row(id)).toMatchObject({ channel: 'email' });
      const failover = (await events(id)).find((e) => e.kind === 'failover');
      expect(failover?.meta).toMatchObject({ from: 'sms', to: 'email', reason: 'every sms provider is unavailable (circuit breakers open)' });
      expect(smtp.arrivals.filter((m) => m === messageId(id))).toHaveLength(1);
      expect([...smsPrimary.arrivals, ...smsSecondary.arrivals]).not.toContain(id);
      // the failed SMS attempts stay on record, each a certain "no"
      const attempts = await t.db('delivery_attempts').where({ communication_id: id }).orderBy('id');
      expect(attempts.filter((a: { provider: string | null }) => a.provider !== null).every((a: { ambiguous: boolean }) => !a.ambiguous)).toBe(true);
    } finally {
      await delivery.close();
    }
  });

  it('never to a channel without consent: Northwind opted out of reminders by email and portal, so its SMS reminder fails where it is', async () => {
    const delivery = service(3);
    try {
      const id = `${kind}-fb-noconsent`;
      await rendered(id, 'C-NORTHWIND', 'sms', 'dunning');
      await delivery.enqueue(id, 'sms');
      await expect.poll(async () => (await row(id))?.state, { timeout: 30_000 }).toBe('failed');
      expect(await row(id)).toMatchObject({ channel: 'sms' });
      expect((await events(id)).some((e) => e.kind === 'failover')).toBe(false);
      expect(smtp.arrivals).not.toContain(messageId(id));
      expect(lines.some((l) => l.communicationId === id && l.msg.startsWith('no other channel may carry the message'))).toBe(true);
    } finally {
      await delivery.close();
    }
  });

  it('no failover while an SMS provider may have the message: it is settled there, and email never gets it', async () => {
    await smsPrimary.start();
    await smsSecondary.start();
    const delivery = service(200);
    try {
      const id = `${kind}-fb-ambiguous`;
      // the primary stores the message and dies before it answers; the secondary is down as well
      smsPrimary.killBeforeAck(1);
      await smsSecondary.kill();
      await rendered(id, 'C-ACME', 'sms', 'dunning');
      await delivery.enqueue(id, 'sms');
      await expect.poll(() => smsPrimary.unacknowledged.includes(id), { timeout: 30_000 }).toBe(true);
      // both breakers open and the primary cannot be asked: attempt after attempt stays put
      await expect.poll(() => lines.filter((l) => l.communicationId === id && l.msg === 'delivery attempt failed' && l.err?.includes('cannot be asked now')).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
      expect(await row(id)).toMatchObject({ channel: 'sms' });
      expect((await events(id)).some((e) => e.kind === 'failover')).toBe(false);
      expect(smtp.arrivals).not.toContain(messageId(id));
      // the primary is back and says it has it: sent by SMS, once
      await smsPrimary.start();
      await expect.poll(async () => (await row(id))?.state, { timeout: 30_000 }).toBe('sent');
      expect(await row(id)).toMatchObject({ channel: 'sms', provider: 'primary' });
      expect(smsPrimary.arrivals.filter((k) => k === id)).toHaveLength(1);
      expect(smtp.arrivals).not.toContain(messageId(id));
    } finally {
      await delivery.close();
    }
  });
});
