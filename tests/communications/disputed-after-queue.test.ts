/**
 * A demand for payment queued before its invoice was disputed is withheld at send time (issue 15:
 * a disputed invoice gets no notice or reminder). The delivery service's queue holds two approved
 * notices; Acme disputes one invoice before the queue runs; only the other is sent (the outbox
 * holds its message), the disputed one is `withheld` with its reason on its timeline, and its
 * process hears `deliveryStatus: withheld`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../config/log.js';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { communicationRepository } from '../../storage/communications.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { createChannelAdapters, createDeliveryService, type DeliveryService } from '../../workers/delivery/service.js';
import { createMemoryQueue } from '../../workers/delivery/queue.js';
import { dbKinds, openTestDb, type TestDb } from '../support/db.js';

describe.each(await dbKinds())('a notice queued before its invoice was disputed, on %s', (kind) => {
  let t: TestDb;
  let engine: EmbeddedEngine;
  let delivery: DeliveryService;
  let outboxDir: string;

  beforeAll(async () => {
    t = await openTestDb(kind);
    await seedDemoData(t.db);
    engine = new EmbeddedEngine({ db: t.db, virtualClock: true, pollInterval: 20 });
    await engine.start();
    outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-disputed-queue-'));
    const settings = { from: { name: 'Herald Finance Operations', address: 'billing@herald.example' }, outboxDir, secret: 'disputed-after-queue', baseUrl: 'http://herald.test', backoffMs: 10 };
    delivery = createDeliveryService({ db: t.db, engine, queue: createMemoryQueue(), adapters: createChannelAdapters(t.db, settings), settings, now: () => new Date(), log: silentLogger });
  });
  afterAll(async () => {
    await delivery?.close();
    await engine?.stop();
    await t?.close();
  });

  it('withholds the disputed invoice’s notice at send time and sends the other', async () => {
    const comms = communicationRepository(t.db);
    const notices = { disputed: 'INV-2026-0142-notice', other: 'INV-2026-0157-notice' };
    // as the dunning renders them: the invoice known by the number the message was rendered with
    for (const [id, invoiceId, number, customerId] of [
      [notices.disputed, 'INV-2026-0142', '2026-0142', 'C-ACME'],
      [notices.other, 'INV-2026-0157', '2026-0157', 'C-NORTHWIND'],
    ]) {
      await comms.ensure({ id, customerId, templateId: 'invoice-notice', channel: 'email', kind: 'transactional', data: {} });
      await comms.saveRendered(id, { templateVersion: 1, subject: `Invoice ${invoiceId}`, html: '<p>Please pay</p>', text: 'Please pay', data: { invoice: { number } } });
    }
    const published = vi.spyOn(engine, 'publishMessage');
    // given both approved and queued while the queue is not yet running
    expect(await delivery.enqueue(notices.disputed, 'email')).toBe('queued');
    expect(await delivery.enqueue(notices.other, 'email')).toBe('queued');
    // when Acme disputes its invoice before the queue sends
    await t.db('invoices').where({ id: 'INV-2026-0142' }).update({ status: 'disputed' });
    delivery.start();

    // then the other notice is sent and the disputed one is withheld, never written to the outbox
    const end = Date.now() + 60_000;
    const state = async (id: string) => (await t.db('deliveries').where({ communication_id: id }).first('state'))?.state as string | undefined;
    while ((!['sent', 'failed'].includes((await state(notices.other)) ?? '') || (await state(notices.disputed)) === 'queued') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(await state(notices.other)).toBe('sent');
    expect(await state(notices.disputed)).toBe('withheld');
    expect((await comms.get(notices.disputed))?.status).toBe('withheld');
    const events = await t.db('tracking_events').where({ communication_id: notices.disputed, kind: 'withheld' });
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events[0])).toContain('invoice 2026-0142 is disputed');
    const emails = fs.readdirSync(outboxDir).filter((f) => f.endsWith('.eml')).map((f) => fs.readFileSync(path.join(outboxDir, f), 'utf8'));
    expect(emails.some((e) => e.includes('INV-2026-0157'))).toBe(true);
    expect(emails.some((e) => e.includes('INV-2026-0142'))).toBe(false);
    // and its process hears why
    const results = published.mock.calls.map(([m]) => m).filter((m) => m.name === 'delivery-result');
    expect(results.find((m) => m.correlationKey === notices.disputed)?.variables).toMatchObject({ deliveryStatus: 'withheld' });
    expect(results.find((m) => m.correlationKey === notices.other)?.variables).toMatchObject({ deliveryStatus: 'sent' });
  });
});
