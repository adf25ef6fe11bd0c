/**
 * Customer communications end to end on the embedded engine with the real workers: the
 * invoice-dunning process sends the notice and the reminders through customer-communication,
 * over a real SMTP server, until the payment arrives. Once with the in-process delivery queue and
 * once with BullMQ on the real Redis (TEST_REDIS_URL; CI always has it).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/log.js';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import type { JobWorker } from '../../engine/types.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { seedTemplateLibrary } from '../../storage/templates.js';
import { createChannelAdapters, createDeliveryService, type DeliveryService } from '../../workers/delivery/service.js';
import { createBullQueue, createMemoryQueue, type DeliveryQueue } from '../../workers/delivery/queue.js';
import { startWorkers } from '../../workers/index.js';
import { createTasklist, type Tasklist } from '../../api/services/tasklist.js';
import type { Principal } from '../../api/plugins/app/auth.js';
import { createTaskRepository } from '../../storage/repositories/tasks.js';
import { openTestDb, type TestDb } from '../support/db.js';
import { redisUp, redisUrl } from '../support/redis.js';

interface Arrival {
  raw: Buffer;
  messageId: string;
  subject: string;
  from: string;
  to: string;
  text: string;
  html: string;
  headers: Map<string, unknown>;
}

const queues: string[] = redisUp ? ['memory', 'bullmq'] : ['memory'];

describe.each(queues)('customer communications end to end (%s queue)', (queueKind) => {
  let t: TestDb;
  let engine: EmbeddedEngine;
  let smtp: SMTPServer;
  let workers: JobWorker[];
  let delivery: DeliveryService;
  let tasklist: Tasklist;
  let unfollow: () => void;
  const arrivals: Arrival[] = [];
  // the approver works the task in the tasklist, as a person would: approvals count only when given there
  const alice = { id: 'alice', name: 'Alice', roles: ['approver'], approverLevel: 1, teams: [], groups: ['approver', 'approver-l1'], via: 'token' } as unknown as Principal;
  const approve = async (userTaskKey: string) => {
    const tasks = createTaskRepository(t.db);
    for (let i = 0; i < 2000 && !(await tasks.get(userTaskKey)); i++) await new Promise((r) => setTimeout(r, 10));
    await tasklist.claim(userTaskKey, alice);
    await tasklist.complete(userTaskKey, alice, { approved: true });
  };
  const prefix = `herald-e2e-${randomUUID().slice(0, 8)}`;

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
          arrivals.push({ raw, messageId: mail.messageId ?? '', subject: mail.subject ?? '', from: mail.from?.text ?? '', to: (mail.to as { text: string }).text, text: mail.text ?? '', html: String(mail.html ?? ''), headers: mail.headers });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const port = (smtp.server.address() as { port: number }).port;

    t = await openTestDb('pglite');
    await seedDemoData(t.db);
    await seedTemplateLibrary(t.db);
    engine = new EmbeddedEngine({ db: t.db, virtualClock: true, clockStart: Date.parse('2026-12-02T09:00:00Z') });
    await engine.start();
    const processes = path.resolve(import.meta.dirname, '../../processes');
    await engine.deploy(['customer-communication.bpmn', 'invoice-dunning.bpmn'].map((f) => ({ name: f, content: fs.readFileSync(path.join(processes, f)) })));
    const settings = {
      from: { name: 'Herald Receivables', address: 'receivables@herald.example' },
      outboxDir: fs.mkdtempSync(path.join(os.tmpdir(), 'herald-outbox-')),
      smtpUrl: `smtp://127.0.0.1:${port}`,
      secret: 'test-secret',
      baseUrl: 'https://herald.example',
      backoffMs: 10,
    };
    const queue: DeliveryQueue = queueKind === 'bullmq' ? createBullQueue(redisUrl, prefix) : createMemoryQueue();
    delivery = createDeliveryService({ db: t.db, engine, queue, adapters: createChannelAdapters(t.db, settings), settings, now: () => new Date(engine.clock.now()), log: silentLogger });
    delivery.start();
    workers = startWorkers(engine, { db: t.db, engine, now: () => new Date(engine.clock.now()), delivery, baseUrl: settings.baseUrl }, silentLogger);
    tasklist = createTasklist({ db: t.db, engine });
    unfollow = tasklist.follow(silentLogger);
  });

  afterAll(async () => {
    unfollow?.();
    await Promise.all(workers.map((w) => w.close()));
    await engine.stop();
    await delivery.close();
    await t.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    if (queueKind === 'bullmq') {
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`bull:${prefix}-*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
  });

  const until = async (check: () => Promise<boolean> | boolean, ms = 20_000) => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const waitingForPayment = async (key: string) =>
    (await engine.getInstance(key))?.elements.some((e) => e.elementId === 'wait-for-payment' && e.state === 'ACTIVATED') ?? false;

  it('sends the $19,600 invoice notice and reminders at the cadence until the payment stops it', async () => {
    // given the invoice is issued
    await engine.publishMessage({
      name: 'invoice-issued',
      correlationKey: 'INV-2026-0142',
      variables: { invoiceId: 'INV-2026-0142', customerId: 'C-ACME', channel: 'email', amount: '19600.00', initiatedBy: 'billing-system' },
    });
    const [dunning] = await engine.listInstances({ bpmnProcessId: 'invoice-dunning' });
    // when the notice went out (one approval is needed above 10,000: the approver approves)
    await until(async () => (await engine.listUserTasks()).some((u) => u.elementId === 'approve-level-1'));
    const approval = (await engine.listUserTasks()).find((u) => u.elementId === 'approve-level-1')!;
    await approve(approval.userTaskKey);
    await until(() => waitingForPayment(dunning.processInstanceKey));
    const notice = arrivals.find((a) => a.messageId === '<INV-2026-0142-notice@herald.local>');
    expect(notice?.subject).toMatch(/^Invoice 2026-0142: \$19,600\.00 due Dec(ember)?\s1, 2026$/);
    expect(notice?.to).toContain('accounts.payable@acme.example');
    expect(notice?.text).toContain('Acme Industrial Supplies Ltd');
    // and its headers: Herald's sender, a multipart text + HTML body, no unsubscribe on a payment notice
    expect(notice?.from).toBe('"Herald Receivables" <receivables@herald.example>');
    expect(String((notice?.headers.get('content-type') as { value: string }).value)).toBe('multipart/alternative');
    expect(notice?.headers.has('list-unsubscribe')).toBe(false);
    expect(notice?.html).toContain('Acme');
    // then the reminders follow the low-risk cadence (14 days), each approved as policy asks
    for (const n of [1, 2]) {
      await engine.clock.advance(14 * 86_400_000);
      await until(async () => (await engine.listUserTasks()).some((u) => u.elementId === 'approve-level-1'));
      const task = (await engine.listUserTasks()).find((u) => u.elementId === 'approve-level-1')!;
      await approve(task.userTaskKey);
      await until(() => arrivals.some((a) => a.messageId === `<INV-2026-0142-reminder-${n}@herald.local>`));
      await until(() => waitingForPayment(dunning.processInstanceKey));
    }
    // when the payment arrives, the cadence stops and the invoice is closed
    await engine.publishMessage({ name: 'payment-received', correlationKey: 'INV-2026-0142', variables: { paidAmount: '19600.00' } });
    // and the payment confirmation goes out, approved as the policy asks for its amount
    await until(async () => (await engine.listUserTasks()).some((u) => u.elementId === 'approve-level-1'));
    await approve((await engine.listUserTasks()).find((u) => u.elementId === 'approve-level-1')!.userTaskKey);
    await until(async () => (await engine.getInstance(dunning.processInstanceKey))?.state === 'COMPLETED');
    expect((await t.db('invoices').where({ id: 'INV-2026-0142' }).first()).status).toBe('paid');
    const archived = await t.db('communication_archive').where('communication_id', 'like', 'INV-2026-0142-%').orderBy('communication_id');
    expect(archived.map((a) => a.communication_id)).toEqual(['INV-2026-0142-notice', 'INV-2026-0142-payment-confirmation', 'INV-2026-0142-reminder-1', 'INV-2026-0142-reminder-2']);
    // the archive holds exactly the bytes the SMTP server received
    const sent = arrivals.find((a) => a.messageId === '<INV-2026-0142-notice@herald.local>')!;
    expect(Buffer.from(archived[0].raw, 'base64').equals(sent.raw.subarray(0, Buffer.from(archived[0].raw, 'base64').length))).toBe(true);
    // and each communication arrived once
    const ids = arrivals.map((a) => a.messageId).filter((id) => id.startsWith('<INV-2026-0142'));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('refuses to change the archive', async () => {
    await expect(t.db('communication_archive').update({ template_id: 'x' })).rejects.toThrow(/immutable/);
    await expect(t.db('communication_archive').del()).rejects.toThrow(/immutable/);
  });
});
