/**
 * The archive keeps the bytes that were sent (#15, #19): when Herald restarts on another base URL
 * (its tracking links), with another sender, and the customer's address changed since, the bytes
 * read for the archive and the evidence pack are still exactly those that left, and match the
 * hash recorded at sending. Rebuilding them from today's settings would not.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/log.js';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { communicationRepository } from '../../storage/communications.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { createChannelAdapters, createDeliveryService, type DeliveryService } from '../../workers/delivery/service.js';
import { createMemoryQueue } from '../../workers/delivery/queue.js';
import { dbKinds, openTestDb, type TestDb } from '../support/db.js';

describe.each(await dbKinds())('the archive reads the bytes sent, on %s', (kind) => {
  let t: TestDb;
  let engine: EmbeddedEngine;
  const services: DeliveryService[] = [];
  let outboxDir: string;
  const service = (baseUrl: string, from: string) => {
    const settings = { from: { name: from, address: 'billing@herald.example' }, outboxDir, secret: 'archive-bytes', baseUrl, backoffMs: 10 };
    const s = createDeliveryService({ db: t.db, engine, queue: createMemoryQueue(), adapters: createChannelAdapters(t.db, settings), settings, now: () => new Date(), log: silentLogger });
    services.push(s);
    return s;
  };

  beforeAll(async () => {
    t = await openTestDb(kind);
    await seedDemoData(t.db);
    engine = new EmbeddedEngine({ db: t.db, virtualClock: true, pollInterval: 20 });
    await engine.start();
    outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-archive-bytes-'));
  });
  afterAll(async () => {
    for (const s of services) await s.close();
    await engine?.stop();
    await t?.close();
  });

  it('after a restart on another base URL and sender, and a new address, the archive gets the sent bytes', async () => {
    const id = `archive-bytes-${kind}`;
    const comms = communicationRepository(t.db);
    await comms.ensure({ id, customerId: 'C-ACME', templateId: 'payment-confirmation', channel: 'email', kind: 'transactional', data: {} });
    await comms.saveRendered(id, { templateVersion: 1, subject: 'Payment received', html: '<p>Thank you. <a href="http://127.0.0.1:3000/portal/">Your portal</a></p>', text: 'Thank you.', data: {} });
    const before = service('http://127.0.0.1:3000', 'Herald Finance Operations');
    expect(await before.enqueue(id, 'email')).toBe('queued');
    before.start();
    const end = Date.now() + 60_000;
    const row = async () => (await t.db('deliveries').where({ communication_id: id }).first()) as { state: string; raw_sha256: string | null };
    while ((await row()).state !== 'sent' && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect((await row()).state).toBe('sent');
    const [file] = fs.readdirSync(outboxDir).filter((f) => f.endsWith('.eml'));
    const sent = fs.readFileSync(path.join(outboxDir, file));
    expect(sent.toString()).toContain('http://127.0.0.1:3000/');
    await before.close();

    // Herald comes back on another port under another brand, and Acme has a new address
    await t.db('customer_contacts').where({ customer_id: 'C-ACME', channel: 'email' }).update({ address: 'new-ap@acme.example' });
    const after = service('http://herald.example:8443', 'Herald Receivables');
    const archived = await after.rawBytes(id);
    expect(archived.equals(sent), 'the archive reads the bytes that left, not a rebuild').toBe(true);
    expect(createHash('sha256').update(archived).digest('hex')).toBe((await row()).raw_sha256);
  });
});
