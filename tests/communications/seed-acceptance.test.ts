/**
 * One acceptance test per seed example, through the real doors: the ERP's signed invoice.issued
 * events for the $19,600, $15,800, $21,700 and $24,500 invoices produce a notice stating the
 * amount, the payment terms and the due date; reminders follow while they are unpaid; a signed
 * payment.received brings a payment confirmation and nothing after it. Acme's $25,000 invoice
 * discrepancy (seed 004) runs to the corrected invoice, sent by email. Approvals and the request's
 * work are done by the demo people through the tasklist. On PGlite and Postgres, on the
 * in-process queue and on BullMQ (Redis).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveCommunications } from '../../api/demo.js';
import { workTasklist } from '../../api/demo-actor.js';
import { DEMO_REQUEST_ID, seedRequestDemo } from '../../api/demo-requests.js';
import { sign } from '../../api/services/signature.js';
import { silentLogger } from '../../config/log.js';
import { addDays } from '../../domain/templates/facts.js';
import type { JobWorker } from '../../engine/types.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { seedTemplateLibrary } from '../../storage/templates.js';
import { createChannelAdapters, createDeliveryService, type DeliveryService } from '../../workers/delivery/service.js';
import { createBullQueue, createMemoryQueue } from '../../workers/delivery/queue.js';
import { startWorkers } from '../../workers/index.js';
import { DEFAULT_BRAND } from '../../workers/message-data.js';
import { SECRET, startApi, type Api } from '../api/harness.js';
import { REQUEST_RESOURCES } from '../requests/harness.js';
import { dbKinds } from '../support/db.js';
import { redisUp, redisUrl } from '../support/redis.js';

const processes = path.resolve(import.meta.dirname, '../../processes');
const SENT = ['sent', 'delivered', 'opened', 'clicked', 'archived'];
const DAY = 86_400_000;
const combos = (await dbKinds()).flatMap((kind) => (redisUp ? ['memory', 'bullmq'] : ['memory']).map((queue) => [kind, queue] as const));

describe.each(combos)('the seed examples on %s with the %s queue', (kind, queueKind) => {
  let api: Api;
  let delivery: DeliveryService;
  let workers: JobWorker[];
  const stops: (() => void)[] = [];
  const prefix = `herald-seed-${randomUUID().slice(0, 8)}`;
  let n = 0;

  const send = (body: unknown) => {
    const raw = JSON.stringify(body);
    return request(api.app.server).post('/api/events').set('Content-Type', 'application/json').set('Idempotency-Key', `seed-${kind}-${queueKind}-${n++}`).set('X-Herald-Signature', sign(SECRET, raw)).send(raw);
  };
  const until = async <T>(what: string, check: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await check();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; incidents: ${JSON.stringify((await api.engine.listIncidents()).map((i) => i.errorMessage))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const sent = async (id: string) => {
    const row = await api.t.db('communications').where({ id }).first();
    return row && SENT.includes(row.status) ? (row as { subject: string; text: string; channel: string; status: string }) : undefined;
  };
  const sentFor = async (invoiceId: string) => (await api.t.db('communications').where('id', 'like', `${invoiceId}-%`).whereIn('status', SENT).orderBy('id').select('id')).map((r) => r.id as string);

  beforeAll(async () => {
    api = await startApi(kind);
    await seedDemoData(api.t.db);
    await seedTemplateLibrary(api.t.db);
    await api.engine.deploy([...REQUEST_RESOURCES, 'invoice-dunning.bpmn'].map((name) => ({ name, content: fs.readFileSync(path.join(processes, name)) })));
    const settings = { from: { name: DEFAULT_BRAND.name, address: DEFAULT_BRAND.email }, outboxDir: fs.mkdtempSync(path.join(os.tmpdir(), 'herald-seed-')), secret: SECRET, baseUrl: 'http://herald.test', backoffMs: 10 };
    const now = () => new Date(api.engine.clock.now());
    const queue = queueKind === 'bullmq' ? createBullQueue(redisUrl, prefix) : createMemoryQueue();
    delivery = createDeliveryService({ db: api.t.db, engine: api.engine, queue, adapters: createChannelAdapters(api.t.db, settings), settings, now, log: silentLogger });
    delivery.start();
    workers = startWorkers(api.engine, { db: api.t.db, engine: api.engine, now, delivery, baseUrl: settings.baseUrl, company: DEFAULT_BRAND }, silentLogger);
    // the demo approvers work the tasklist as people would
    stops.push(workTasklist({ db: api.t.db, engine: api.engine, logger: silentLogger }, approveCommunications, { everyMs: 50 }));
  }, 120_000);

  afterAll(async () => {
    stops.forEach((s) => s());
    await Promise.all(workers?.map((w) => w.close()) ?? []);
    await delivery?.close();
    await api?.close();
    if (queueKind === 'bullmq') {
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`bull:${prefix}-*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
  });

  it('$19,600, $15,800, $21,700, $24,500: notice with amount, terms and due date; reminders while unpaid; a confirmation and nothing after payment', async () => {
    const today = new Date(api.engine.clock.now());
    const seeds = [
      { amount: '19600.00', shown: '$19,600.00', days: 10 },
      { amount: '15800.00', shown: '$15,800.00', days: 10 },
      { amount: '21700.00', shown: '$21,700.00', days: 30 },
      { amount: '24500.00', shown: '$24,500.00', days: 30 },
    ].map((s, i) => ({ ...s, id: `INV-SEED-${kind}-${queueKind}-${i}`, number: `S-${i}-${s.amount.slice(0, 2)}`, dueDate: addDays(today, s.days), terms: `net ${s.days} days` }));
    // when the ERP issues them, signed, with their facts
    for (const s of seeds) {
      const res = await send({ type: 'invoice.issued', source: 'erp', data: { invoiceId: s.id, customerId: 'C-ACME', number: s.number, issueDate: addDays(today, 0), dueDate: s.dueDate, paymentTerms: s.terms, amount: s.amount, currency: 'USD', channel: 'email' } });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
    }
    // then each notice states the amount, the terms and the due date, and went by email
    for (const s of seeds) {
      const notice = await until(`${s.id} notice`, () => sent(`${s.id}-notice`));
      const due = new Intl.DateTimeFormat('en', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${s.dueDate}T00:00:00Z`));
      expect(notice.subject).toBe(`Invoice ${s.number}: ${s.shown} due ${due}`);
      expect(notice.text).toContain(`under your payment terms (${s.terms})`);
      expect(notice.channel).toBe('email');
      expect((await api.t.db('deliveries').where({ communication_id: `${s.id}-notice` }).first())?.channel).toBe('email');
    }
    // while unpaid, the first reminder after 14 days: overdue for net 10, "due on" for net 30
    await until('every dunning waiting for payment', async () => {
      const instances = await api.engine.listInstances({ bpmnProcessId: 'invoice-dunning' });
      const waiting = await Promise.all(instances.map(async (i) => (await api.engine.getInstance(i.processInstanceKey))?.elements.some((e) => e.elementId === 'wait-for-payment' && e.state === 'ACTIVATED')));
      return instances.length === seeds.length && waiting.every(Boolean);
    });
    await api.engine.clock.advance(14 * DAY);
    for (const s of seeds) {
      const reminder = await until(`${s.id} reminder 1`, () => sent(`${s.id}-reminder-1`));
      if (s.days === 10) expect(reminder.subject).toBe(`Reminder 1: invoice ${s.number} is overdue`);
      else expect(reminder.subject).toMatch(new RegExp(`^Reminder 1: invoice ${s.number} is due on `));
      if (s.days === 30) expect(reminder.text).not.toMatch(/overdue/i);
    }
    // when each is paid (signed payment.received), a confirmation goes out
    for (const s of seeds) {
      const res = await send({ type: 'payment.received', source: 'bank', data: { invoiceId: s.id, paymentId: `PAY-${s.id}`, amount: s.amount, currency: 'USD' } });
      expect(res.status).toBe(202);
    }
    for (const s of seeds) {
      const confirmation = await until(`${s.id} confirmation`, () => sent(`${s.id}-payment-confirmation`));
      expect(confirmation.text).toContain(`we received your payment of ${s.shown}`);
      expect(confirmation.text).toContain(`Payment reference: PAY-${s.id}`);
      expect(confirmation.text).toContain('Remaining balance on this invoice: $0.00');
    }
    // and nothing after the payment: a month later, no further reminder
    await until('every dunning to end paid', async () => {
      const instances = await api.engine.listInstances({ bpmnProcessId: 'invoice-dunning' });
      return instances.length === seeds.length && instances.every((i) => i.state === 'COMPLETED');
    });
    await api.engine.clock.advance(30 * DAY);
    await new Promise((r) => setTimeout(r, 500));
    for (const s of seeds) expect(await sentFor(s.id)).toEqual([`${s.id}-notice`, `${s.id}-payment-confirmation`, `${s.id}-reminder-1`]);
    expect(await api.engine.listIncidents()).toEqual([]);
  }, 240_000);

  it("Acme's $25,000 discrepancy: no reminder while disputed, the request answered and the corrected invoice sent by email", async () => {
    const today = new Date(api.engine.clock.now());
    const res = await send({ type: 'invoice.issued', source: 'erp', data: { invoiceId: 'INV-2026-0199', customerId: 'C-ACME', number: '2026-0199', issueDate: addDays(today, -21), dueDate: addDays(today, 9), paymentTerms: 'net 30 days', amount: '25000.00', currency: 'USD', channel: 'email' } });
    expect(res.status).toBe(202);
    // Acme disputes it once its notice arrived; sam, alice and bob work it through the tasklist
    const stopRequestDemo = await seedRequestDemo({ engine: api.engine, db: api.t.db, logger: silentLogger, fresh: true, pauseMs: 0, everyMs: 50, raiseAfterMs: 50 });
    stops.push(stopRequestDemo);
    const notice = await until('the $25,000 notice', () => sent('INV-2026-0199-notice'));
    expect(notice.subject).toMatch(/^Invoice 2026-0199: \$25,000\.00 due /);
    const ack = await until('the acknowledgement', () => sent(`${DEMO_REQUEST_ID}-ack-0`), 90_000);
    expect(ack.channel).toBe('email');
    const corrected = await until('the corrected invoice', () => sent(`${DEMO_REQUEST_ID}-result-0`), 120_000);
    expect(corrected.channel).toBe('email');
    expect(corrected.subject).toBe('Corrected invoice 2026-0199-C1 replaces 2026-0199');
    expect(corrected.text).toContain('$12,500.00');
    expect((await api.t.db('deliveries').where({ communication_id: `${DEMO_REQUEST_ID}-result-0` }).first())?.channel).toBe('email');
    // no reminder went out for the disputed invoice before it was corrected
    expect(await sentFor('INV-2026-0199')).toEqual(['INV-2026-0199-notice']);
    // then dunning goes on at the corrected amount: the reminder states it, the instance carries it
    await until('the request resolved', async () => (await api.t.db('customer_requests').where({ id: DEMO_REQUEST_ID }).first('status'))?.status === 'resolved');
    stopRequestDemo();
    await api.engine.clock.advance(14 * DAY);
    const reminder = await until('the reminder of the corrected invoice', () => sent('INV-2026-0199-reminder-1'), 90_000);
    expect(reminder.subject).toBe('Reminder 1: invoice 2026-0199-C1 is overdue');
    expect(reminder.text).toContain('$12,500.00');
    expect(reminder.text).not.toContain('$25,000.00');
    const [dunning] = (await api.engine.listInstances({ bpmnProcessId: 'invoice-dunning' })).filter((i) => i.state === 'ACTIVE');
    const variables = await until('the reminder call to end', async () => {
      const v = await api.engine.getVariables(dunning.processInstanceKey);
      return v.reminderCount === 1 ? v : undefined;
    });
    expect(variables.amount).toBe('12500.00');
    expect(await api.engine.listIncidents()).toEqual([]);
  }, 240_000);
});
