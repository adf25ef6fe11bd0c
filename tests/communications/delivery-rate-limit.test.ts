/**
 * Per-channel rate limits through the delivery service, on both queue backends: email limited to
 * 2 starts per second sends to a real SMTP server no faster than that, while the portal channel,
 * unlimited, delivers its messages at once beside it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/log.js';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { communicationRepository } from '../../storage/communications.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { createBullQueue, createMemoryQueue, type DeliveryQueue } from '../../workers/delivery/queue.js';
import { createChannelAdapters, createDeliveryService, type DeliveryService } from '../../workers/delivery/service.js';
import { openTestDb, type TestDb } from '../support/db.js';
import { redisUp, redisUrl } from '../support/redis.js';


describe.each(redisUp ? ['memory', 'bullmq'] : ['memory'])('per-channel rate limits (%s queue)', (queueKind) => {
  let t: TestDb;
  let smtp: SMTPServer;
  let delivery: DeliveryService;
  const arrivals: number[] = [];
  let engine: EmbeddedEngine;
  const prefix = `herald-rate-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        stream.on('data', () => undefined);
        stream.on('end', () => {
          arrivals.push(Date.now());
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    t = await openTestDb('pglite');
    await seedDemoData(t.db);
    // no process waits for the results here: the engine buffers them, and deliveries.result_at says when each went
    engine = new EmbeddedEngine({ db: t.db, pollInterval: 20 });
    await engine.start();
    const settings = {
      from: { name: 'Herald', address: 'receivables@herald.example' },
      outboxDir: fs.mkdtempSync(path.join(os.tmpdir(), 'herald-rate-')),
      smtpUrl: `smtp://127.0.0.1:${(smtp.server.address() as { port: number }).port}`,
      secret: 'rate-secret',
      baseUrl: 'https://herald.example',
      ratePerSecond: { email: 2 },
    };
    const queue: DeliveryQueue = queueKind === 'bullmq' ? createBullQueue(redisUrl, prefix) : createMemoryQueue();
    delivery = createDeliveryService({ db: t.db, engine, queue, adapters: createChannelAdapters(t.db, settings), settings, now: () => new Date(), log: silentLogger });
    delivery.start();
  });

  afterAll(async () => {
    await delivery?.close();
    await engine?.stop();
    await t?.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
    if (queueKind === 'bullmq') {
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`bull:${prefix}-*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
  });

  async function rendered(id: string, channel: 'email' | 'portal') {
    const comms = communicationRepository(t.db);
    await comms.ensure({ id, customerId: 'C-ACME', templateId: 'invoice-notice', channel, kind: 'transactional', data: {} });
    await comms.saveRendered(id, { templateVersion: 1, subject: `Message ${id}`, html: '<p>Hello</p>', text: 'Hello' });
  }

  it('sends email no faster than its limit while the portal channel is not held back', async () => {
    // given six emails and six portal messages queued at once
    const emails = Array.from({ length: 6 }, (_, i) => `rate-${queueKind}-mail-${i}`);
    const portal = Array.from({ length: 6 }, (_, i) => `rate-${queueKind}-portal-${i}`);
    for (const id of [...emails, ...portal]) await rendered(id, id.includes('mail') ? 'email' : 'portal');
    const started = Date.now();
    for (const id of emails) await delivery.enqueue(id, 'email');
    for (const id of portal) await delivery.enqueue(id, 'portal');
    // when everything went out
    const resultsIn = async () => (await t.db('deliveries').whereIn('communication_id', [...emails, ...portal]).whereNotNull('result_at').select('communication_id as id', 'result_at')).map((r) => ({ id: r.id as string, at: new Date(r.result_at).getTime() }));
    const end = Date.now() + 20_000;
    while ((await resultsIn()).length < 12 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    const results = await resultsIn();
    expect(new Set(results.map((r) => r.id))).toEqual(new Set([...emails, ...portal]));
    // then the portal was done before the email limit let the last email go (the emails take at least
    // two seconds by their limit, checked below; how much earlier the portal was depends on the machine's load)
    const doneAt = (ids: string[]) => Math.max(...results.filter((r) => ids.includes(r.id)).map((r) => r.at));
    expect(doneAt(portal)).toBeLessThan(doneAt(emails));
    // and no second saw more than two emails start (the attempt row is written as a send starts)
    const starts = (await t.db('delivery_attempts').whereIn('communication_id', emails).orderBy('started_at').select('started_at')).map((r) => new Date(r.started_at).getTime());
    expect(starts).toHaveLength(6);
    for (let i = 2; i < starts.length; i++) expect(starts[i] - starts[i - 2], `email ${i} started within a second of email ${i - 2}`).toBeGreaterThanOrEqual(800);
    expect(arrivals).toHaveLength(6);
    expect(Math.max(...arrivals) - started).toBeGreaterThanOrEqual(1800);
  });
});
