/**
 * Digests and frequency caps through the real delivery service and a real SMTP server (issue
 * #19): payment demands for one customer within the digest window go as one email listing each
 * invoice, each part keeping its own record that points at the digest (and its evidence pack the
 * digest's bytes); a frequency cap defers what is over it; a legal notice is neither merged nor
 * capped; a crash in the merge, before or after its transaction commits, loses and doubles nothing.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Redis } from 'ioredis';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/log.js';
import { formatMoney } from '../../domain/money.js';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { migrationSource } from '../../migrations/index.js';
import { buildEvidencePack } from '../../services/evidence.js';
import { communicationRepository } from '../../storage/communications.js';
import { changeFrequencyCaps } from '../../storage/digests.js';
import { seedTemplateLibrary } from '../../storage/templates.js';
import { createBullQueue, createMemoryQueue, type DeliveryQueue } from '../../workers/delivery/queue.js';
import type { DigestFault } from '../../workers/delivery/digest.js';
import { createChannelAdapters, createDeliveryService, type DeliverySettings, type DeliveryService } from '../../workers/delivery/service.js';
import { dbKinds, openTestDb, type TestDb } from '../support/db.js';
import { redisUp, redisUrl } from '../support/redis.js';

interface Arrival {
  raw: Buffer;
  messageId: string;
  to: string;
  subject: string;
  text: string;
}

const WINDOW_MS = 1500;

// both queues behave the same: the in-process queue on each database, BullMQ on Postgres and the real Redis
const kinds = await dbKinds();
const combos = [...kinds.map((kind) => [kind, 'memory'] as const), ...(redisUp && kinds.includes('postgres') ? [['postgres', 'bullmq'] as const] : [])];

describe.each(combos)('digests and frequency caps on %s with the %s queue', (kind, queueKind) => {
  let t: TestDb;
  let engine: EmbeddedEngine;
  let smtp: SMTPServer;
  let settings: DeliverySettings;
  const services: DeliveryService[] = [];
  // a service left for dead by a test, closed at the end
  const closing: DeliveryService[] = [];
  const prefixes: string[] = [];
  const arrivals: Arrival[] = [];

  /**
   * A delivery service of its own for a test. The ones before it are closed once everything they
   * had is settled, so no two services work the same delivery (unless the test wants that: `restart`).
   */
  const service = async (options: { fault?: DigestFault; restart?: boolean } = {}) => {
    if (!options.restart) {
      await expect.poll(async () => Number((await t.db('deliveries').whereNull('result_at').count({ n: '*' }))[0].n), { timeout: 30_000 }).toBe(0);
      while (services.length) await services.shift()!.close();
    }
    const prefix = `herald-digest-${randomUUID().slice(0, 8)}`;
    if (queueKind === 'bullmq') prefixes.push(prefix);
    const queue: DeliveryQueue = queueKind === 'bullmq' ? createBullQueue(redisUrl, prefix) : createMemoryQueue();
    const s = createDeliveryService({ db: t.db, engine, queue, adapters: createChannelAdapters(t.db, settings), settings, now: () => new Date(), log: silentLogger, digestFault: options.fault });
    s.start();
    services.push(s);
    return { service: s, queue };
  };

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', async () => {
          const raw = Buffer.concat(chunks);
          const mail = await simpleParser(raw);
          arrivals.push({ raw, messageId: mail.messageId ?? '', to: (mail.to as { text: string }).text, subject: mail.subject ?? '', text: mail.text ?? '' });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    t = await openTestDb(kind);
    await seedTemplateLibrary(t.db);
    engine = new EmbeddedEngine({ db: t.db, pollInterval: 20 });
    await engine.start();
    settings = {
      from: { name: 'Herald Receivables', address: 'receivables@herald.example' },
      outboxDir: fs.mkdtempSync(path.join(os.tmpdir(), 'herald-digest-')),
      smtpUrl: `smtp://127.0.0.1:${(smtp.server.address() as { port: number }).port}`,
      secret: 'digest-secret',
      baseUrl: 'https://herald.example',
      backoffMs: 50,
      digestWindowMs: WINDOW_MS,
    };
  }, 120_000);

  afterAll(async () => {
    for (const s of services) await s.close();
    for (const s of closing) await s.close();
    await engine?.stop();
    await t?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    if (prefixes.length) {
      const redis = new Redis(redisUrl);
      for (const prefix of prefixes) {
        const keys = await redis.keys(`bull:${prefix}-*`);
        if (keys.length) await redis.del(...keys);
      }
      await redis.quit();
    }
  });

  /** A customer of this test with an email contact and open invoices (amounts as the ERP has them). */
  async function customer(id: string, locale: string, invoices: [string, string, string][]) {
    await t.db('customers').insert({ id, legal_name: `${id} Ltd`, status: 'active', kyc_status: 'verified', risk_segment: 'low', locale });
    await t.db('customer_contacts').insert({ customer_id: id, channel: 'email', address: `ap@${id.toLowerCase()}.example`, display_name: `${id} Accounts`, consent: true });
    for (const [number, amount, currency] of invoices) {
      await t.db('invoices').insert({ id: `${id}-${number}`, customer_id: id, number, amount, currency, issued_at: '2026-10-01', due_at: '2026-11-01', status: 'open' });
    }
  }
  /** A rendered communication, as render-communication leaves it. */
  async function rendered(id: string, customerId: string, templateId: string, kind: string, invoiceId?: string) {
    const comms = communicationRepository(t.db);
    await comms.ensure({ id, customerId, templateId, channel: 'email', kind: kind as never, data: invoiceId ? { invoiceId } : {} });
    await comms.saveRendered(id, { templateVersion: 1, subject: `${templateId} ${id}`, html: `<p>${id}</p>`, text: id });
  }
  const deliveryRow = (id: string) => t.db('deliveries').where({ communication_id: id }).first();
  const to = (customerId: string) => arrivals.filter((a) => a.to.includes(`ap@${customerId.toLowerCase()}.example`));
  const settled = async (ids: string[]) => (await Promise.all(ids.map(deliveryRow))).every((r) => r?.result_at != null);

  it('three reminders within the window go as one email listing the three invoices with their amounts; each part points at it', async () => {
    // given three reminders for one customer, queued within the digest window
    await customer('C-DIG-THREE', 'en', [['DG-101', '1250.00', 'USD'], ['DG-102', '980.40', 'USD'], ['DG-103', '15000.00', 'USD']]);
    const { service: delivery } = await service();
    const parts = ['dig-three-1', 'dig-three-2', 'dig-three-3'];
    for (const [i, id] of parts.entries()) {
      await rendered(id, 'C-DIG-THREE', `payment-reminder-${i + 1}`, 'dunning', `C-DIG-THREE-DG-10${i + 1}`);
      await delivery.enqueue(id, 'email');
    }
    // each is held for the window, none went on its own
    expect((await communicationRepository(t.db).events('dig-three-1')).map((e) => e.kind)).toContain('held');
    expect(to('C-DIG-THREE')).toHaveLength(0);

    // when the window closes: one email, and every part's process has its result
    await expect.poll(() => to('C-DIG-THREE').length, { timeout: 30_000 }).toBe(1);
    await expect.poll(() => settled(parts), { timeout: 30_000 }).toBe(true);
    const mail = to('C-DIG-THREE')[0];
    const digestId = (await deliveryRow('dig-three-1')).digest_id as string;
    expect(mail.messageId).toBe(`<${digestId}@herald.local>`);
    expect(mail.subject).toBe('3 open invoices on your account');
    // then it lists each invoice with the amount the invoices table has, in the customer's locale
    for (const inv of await t.db('invoices').where({ customer_id: 'C-DIG-THREE' })) {
      expect(mail.text).toContain(inv.number);
      expect(mail.text).toContain(formatMoney(String(inv.amount), inv.currency, 'en'));
    }
    expect(mail.text).toContain('$15,000.00');
    // and each part keeps its own record: digested, an event naming the digest, the digest's result
    for (const id of parts) {
      const row = await deliveryRow(id);
      expect(row).toMatchObject({ state: 'digested', digest_id: digestId });
      expect((await communicationRepository(t.db).get(id))?.status).toBe('digested');
      const events = await communicationRepository(t.db).events(id);
      expect(events.find((e) => e.kind === 'digested')?.meta).toMatchObject({ digestId, parts: 3 });
      expect(events.find((e) => e.kind === 'sent')?.meta).toMatchObject({ digestId });
    }
    const digest = await t.db('communications').where({ id: digestId }).first();
    expect(digest).toMatchObject({ template_id: 'payment-digest', customer_id: 'C-DIG-THREE', status: 'sent' });
    // and a part's evidence pack holds the digest's exact bytes, as the SMTP server received them
    const pack = await buildEvidencePack(t.db, 'dig-three-2', { exportedBy: 'test' });
    const eml = pack!.files.find((f) => f.name === 'message.eml')!;
    expect(pack!.manifest.message).toMatchObject({ sent: true, matches: true, recordedAtSending: (await deliveryRow(digestId)).raw_sha256 });
    expect(eml.bytes.toString('utf8').replace(/\r\n/g, '\n').trim()).toBe(mail.raw.toString('utf8').replace(/\r\n/g, '\n').trim());
    const digestDoc = JSON.parse(pack!.files.find((f) => f.name === 'digest.json')!.bytes.toString('utf8'));
    expect(digestDoc).toMatchObject({ digestId, parts: [...parts].sort(), state: 'sent' });
  });

  it('a German customer gets the digest in German, amounts formatted for de', async () => {
    await customer('C-DIG-DE', 'de', [['DG-201', '8450.50', 'EUR'], ['DG-202', '120.00', 'EUR']]);
    const { service: delivery } = await service();
    await rendered('dig-de-1', 'C-DIG-DE', 'invoice-notice', 'transactional', 'C-DIG-DE-DG-201');
    await rendered('dig-de-2', 'C-DIG-DE', 'payment-reminder-1', 'dunning', 'C-DIG-DE-DG-202');
    await delivery.enqueue('dig-de-1', 'email');
    await delivery.enqueue('dig-de-2', 'email');
    await expect.poll(() => to('C-DIG-DE').length, { timeout: 30_000 }).toBe(1);
    const mail = to('C-DIG-DE')[0];
    expect(mail.subject).toBe('2 offene Rechnungen auf Ihrem Konto');
    expect(mail.text).toContain(formatMoney('8450.50', 'EUR', 'de'));
    expect(mail.text).toContain('Tage überfällig');
  });

  it('a legal notice is never held nor merged, while the reminders beside it are', async () => {
    await customer('C-DIG-LEGAL', 'en', [['DG-301', '500.00', 'USD'], ['DG-302', '700.00', 'USD'], ['DG-303', '900.00', 'USD']]);
    const { service: delivery } = await service();
    await rendered('dig-legal-r1', 'C-DIG-LEGAL', 'payment-reminder-1', 'dunning', 'C-DIG-LEGAL-DG-301');
    await delivery.enqueue('dig-legal-r1', 'email');
    // a demand of kind legal (a statutory final notice) for the third invoice, in the same window
    await rendered('dig-legal-notice', 'C-DIG-LEGAL', 'dunning-escalation', 'legal', 'C-DIG-LEGAL-DG-303');
    await delivery.enqueue('dig-legal-notice', 'email');
    await rendered('dig-legal-r2', 'C-DIG-LEGAL', 'payment-reminder-2', 'dunning', 'C-DIG-LEGAL-DG-302');
    await delivery.enqueue('dig-legal-r2', 'email');
    // the legal notice goes at once, on its own: never held for the window
    await expect.poll(async () => (await deliveryRow('dig-legal-notice'))?.state, { timeout: 30_000 }).toBe('sent');
    expect((await communicationRepository(t.db).events('dig-legal-notice')).map((e) => e.kind)).not.toContain('held');
    expect((await communicationRepository(t.db).events('dig-legal-r1')).map((e) => e.kind)).toContain('held');
    // the two reminders go as one digest that does not list the legal notice's invoice
    await expect.poll(() => to('C-DIG-LEGAL').length, { timeout: 30_000 }).toBe(2);
    const digest = to('C-DIG-LEGAL').find((a) => a.subject.startsWith('2 open invoices'))!;
    expect(digest.text).toContain('DG-301');
    expect(digest.text).toContain('DG-302');
    expect(digest.text).not.toContain('DG-303');
    expect((await deliveryRow('dig-legal-notice')).digest_id).toBeNull();
  });

  it('a frequency cap defers the 4th message until a slot frees; a legal notice is not capped', async () => {
    await customer('C-DIG-CAP', 'en', []);
    await changeFrequencyCaps(t.db, { customerId: 'C-DIG-CAP', actor: 'dora', via: 'api', now: new Date(), caps: [{ channel: 'email', maxMessages: 3, windowSeconds: 4 }] });
    const audit = await t.db('audit_log').where({ action: 'customer.preferences-changed', subject_id: 'C-DIG-CAP' }).first();
    expect(JSON.stringify(audit.detail)).toContain('frequencyCaps');
    const { service: delivery } = await service();
    const ids = ['dig-cap-1', 'dig-cap-2', 'dig-cap-3', 'dig-cap-4'];
    for (const id of ids) {
      await rendered(id, 'C-DIG-CAP', 'payment-confirmation', 'transactional');
      await delivery.enqueue(id, 'email');
    }
    // three go; the fourth waits with the reason and the instant it may go
    await expect.poll(() => to('C-DIG-CAP').length, { timeout: 30_000 }).toBe(3);
    const deferredOne = async () => {
      for (const id of ids) if ((await communicationRepository(t.db).events(id)).some((e) => e.kind === 'deferred')) return id;
      return undefined;
    };
    await expect.poll(deferredOne, { timeout: 30_000 }).toBeDefined();
    const fourth = (await deferredOne())!;
    expect((await deliveryRow(fourth)).state).toBe('queued');
    const deferred = (await communicationRepository(t.db).events(fourth)).find((e) => e.kind === 'deferred')!;
    expect(deferred.meta.reason).toMatch(/frequency cap: 3 messages per 4 s/);
    // a legal notice meanwhile is not counted nor held
    await rendered('dig-cap-legal', 'C-DIG-CAP', 'restructuring-terms', 'legal');
    await delivery.enqueue('dig-cap-legal', 'email');
    await expect.poll(async () => (await deliveryRow('dig-cap-legal'))?.state, { timeout: 30_000 }).toBe('sent');
    expect((await communicationRepository(t.db).events('dig-cap-legal')).map((e) => e.kind)).not.toContain('deferred');
    expect((await deliveryRow('dig-cap-legal')).counted_at).toBeNull();
    // once the oldest counted message leaves the 4 s window, the fourth goes
    await expect.poll(async () => (await deliveryRow(fourth))?.state, { timeout: 30_000 }).toBe('sent');
    const counted = (await t.db('deliveries').whereIn('communication_id', ids).whereNot({ communication_id: fourth }).pluck('counted_at')).map((d) => new Date(d).getTime());
    expect(new Date((await deliveryRow(fourth)).counted_at).getTime()).toBeGreaterThanOrEqual(Math.min(...counted) + 4000);
    expect(to('C-DIG-CAP')).toHaveLength(5);
  });

  it('a merge that throws after claiming its parts, inside or after its transaction, loses and doubles nothing', async () => {
    for (const stage of ['claimed', 'committed'] as const) {
      const customerId = `C-DIG-THROW-${stage.toUpperCase()}`;
      await customer(customerId, 'en', [['DG-401', '100.00', 'USD'], ['DG-402', '200.00', 'USD'], ['DG-403', '300.00', 'USD']]);
      let thrown = 0;
      const { service: delivery } = await service({
        fault: (at) => {
          if (at === stage && thrown === 0) {
            thrown++;
            throw new Error(`injected fault: ${at}`);
          }
        },
      });
      const parts = [1, 2, 3].map((i) => `dig-throw-${stage}-${i}`);
      for (const [i, id] of parts.entries()) {
        await rendered(id, customerId, 'payment-reminder-1', 'dunning', `${customerId}-DG-40${i + 1}`);
        await delivery.enqueue(id, 'email');
      }
      await expect.poll(() => settled(parts), { timeout: 30_000 }).toBe(true);
      expect(thrown).toBe(1);
      // one email with the three invoices, one digest, every part in it
      await expect.poll(() => to(customerId).length, { timeout: 30_000 }).toBe(1);
      const digests = await t.db('communications').where({ customer_id: customerId, template_id: 'payment-digest' });
      expect(digests).toHaveLength(1);
      for (const id of parts) expect(await deliveryRow(id)).toMatchObject({ state: 'digested', digest_id: digests[0].id });
      for (const n of ['DG-401', 'DG-402', 'DG-403']) expect(to(customerId)[0].text).toContain(n);
    }
  });

  it('a service that dies once the merge committed leaves a digest the next start sends once', async () => {
    await customer('C-DIG-KILL', 'en', [['DG-501', '10.00', 'USD'], ['DG-502', '20.00', 'USD']]);
    // the first service stops dead at the commit: its queue takes no more work and the merge never returns
    let dead: (() => void) | undefined;
    const first = await service({
      fault: (at) => {
        if (at !== 'committed') return;
        void first.queue.close();
        return new Promise<void>((resolve) => (dead = resolve));
      },
    });
    const parts = ['dig-kill-1', 'dig-kill-2'];
    for (const [i, id] of parts.entries()) {
      await rendered(id, 'C-DIG-KILL', 'payment-reminder-1', 'dunning', `C-DIG-KILL-DG-50${i + 1}`);
      await first.service.enqueue(id, 'email');
    }
    await expect.poll(() => dead !== undefined, { timeout: 30_000 }).toBe(true);
    const digestId = (await deliveryRow('dig-kill-1')).digest_id as string;
    expect(await deliveryRow(digestId)).toMatchObject({ state: 'queued' });
    await new Promise((r) => setTimeout(r, 300));
    expect(to('C-DIG-KILL')).toHaveLength(0);
    // when a new service starts on the same database, the digest goes once and each part hears it
    closing.push(services.shift()!);
    await service({ restart: true });
    await expect.poll(() => settled(parts), { timeout: 30_000 }).toBe(true);
    await expect.poll(() => to('C-DIG-KILL').length, { timeout: 30_000 }).toBe(1);
    expect(to('C-DIG-KILL')[0].messageId).toBe(`<${digestId}@herald.local>`);
    dead?.();
    await new Promise((r) => setTimeout(r, 300));
    expect(to('C-DIG-KILL')).toHaveLength(1);
  });
});

describe.each(await dbKinds())('the digests migration on %s', (kind) => {
  it('goes down and up again', async () => {
    const t = await openTestDb(kind);
    const name = '20261208010000_add_digests_and_frequency_caps';
    const options = { migrationSource, schemaName: t.schema, name };
    try {
      const shape = async () => [await t.db.schema.hasTable('customer_frequency_caps'), await t.db.schema.hasColumn('deliveries', 'digest_id'), await t.db.schema.hasColumn('deliveries', 'counted_at')];
      expect(await shape()).toEqual([true, true, true]);
      await t.db.migrate.down(options);
      expect(await shape()).toEqual([false, false, false]);
      await t.db.migrate.up(options);
      expect(await shape()).toEqual([true, true, true]);
    } finally {
      await t.close();
    }
  }, 120_000);
});
