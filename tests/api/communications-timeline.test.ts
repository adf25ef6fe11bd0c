/**
 * GET /api/communications/:id/timeline over a real run: a dunning notice on the embedded engine
 * with the communication workers, approved through the tasklist, sent to a real SMTP server,
 * reported delivered by a signed provider webhook, opened, clicked, answered by the customer
 * over SMTP (inbound email), and archived. Staff see every step; the customer sees their own
 * without the internals; anyone else gets 404.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/log.js';
import { signWebhook } from '../../domain/channels/index.js';
import type { JobWorker } from '../../engine/types.js';
import { migrationSource } from '../../migrations/index.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { requestService } from '../../services/requests.js';
import { seedTemplateLibrary } from '../../storage/templates.js';
import archiveCommunication from '../../workers/archive-communication.js';
import deliverCommunication from '../../workers/deliver-communication.js';
import { createMemoryQueue } from '../../workers/delivery/queue.js';
import { createChannelAdapters, createDeliveryService, type DeliveryService } from '../../workers/delivery/service.js';
import { startInboundEmail } from '../../workers/inbound-email/index.js';
import recordCommunicationRejection from '../../workers/record-communication-rejection.js';
import renderCommunication from '../../workers/render-communication.js';
import { runWorker } from '../../workers/runtime.js';
import validateCustomerData from '../../workers/validate-customer-data.js';
import { dbKinds, openTestDb } from '../support/db.js';
import { SECRET, startApi, type Api } from './harness.js';

const processes = path.resolve(import.meta.dirname, '../../processes');

describe.each(await dbKinds())('communication timeline on %s', (kind) => {
  let api: Api;
  let delivery: DeliveryService;
  let workers: JobWorker[];
  let smtp: SMTPServer;
  let inbound: Awaited<ReturnType<typeof startInboundEmail>>;
  const arrivals: { messageId: string; html: string }[] = [];
  const communicationId = `TL-${kind}-${randomUUID().slice(0, 8)}`;
  const http = () => request(api.app.server);

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        simpleParser(stream).then((mail) => {
          arrivals.push({ messageId: mail.messageId ?? '', html: String(mail.html ?? '') });
          callback();
        }, callback);
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    api = await startApi(kind);
    await seedDemoData(api.t.db);
    await seedTemplateLibrary(api.t.db);
    const names = ['customer-communication.bpmn', 'customer-request.bpmn', 'customer-request-classification.dmn', 'customer-request-priority.dmn'];
    await api.engine.deploy(names.map((name) => ({ name, content: fs.readFileSync(path.join(processes, name)) })));
    const settings = {
      from: { name: 'Herald Receivables', address: 'receivables@herald.example' },
      outboxDir: fs.mkdtempSync(path.join(os.tmpdir(), 'herald-timeline-')),
      smtpUrl: `smtp://127.0.0.1:${(smtp.server.address() as { port: number }).port}`,
      secret: SECRET,
      baseUrl: 'https://herald.example',
      backoffMs: 10,
    };
    const now = () => new Date();
    delivery = createDeliveryService({ db: api.t.db, engine: api.engine, queue: createMemoryQueue(), adapters: createChannelAdapters(api.t.db, settings), settings, now, log: silentLogger });
    delivery.start();
    // the communication workers only: the request a reply opens waits at its first job
    workers = [validateCustomerData, renderCommunication, deliverCommunication, archiveCommunication, recordCommunicationRejection].map((d) =>
      runWorker(api.engine, d as any, { db: api.t.db, engine: api.engine, now, delivery, baseUrl: settings.baseUrl }, silentLogger),
    );
    inbound = await startInboundEmail({ db: api.t.db, service: requestService({ db: api.t.db, engine: api.engine, now }), log: silentLogger, port: 0 });
  }, 60_000);

  afterAll(async () => {
    await Promise.all((workers ?? []).map((w) => w.close()));
    await delivery?.close();
    await inbound?.close();
    await api?.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  });

  const until = async (what: string, check: () => Promise<unknown> | unknown, ms = 20_000) => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  it('shows a dunning notice from creation through approval, sending, delivery, open, click and reply to the archive', async () => {
    // given a $19,600 dunning notice, initiated by Sam: the policy asks for one approval
    const key = await api.start('customer-communication', {
      communicationId,
      customerId: 'C-ACME',
      templateId: 'invoice-notice',
      invoiceId: 'INV-2026-0142',
      channel: 'email',
      kind: 'dunning',
      amount: '19600.00',
      initiatedBy: 'sam',
    });
    const task = await api.task(key, 'approve-level-1');
    // when Alice approves it through the tasklist
    expect((await http().post(`/api/tasks/${task.key}/claim`).set(api.as('alice'))).status).toBe(200);
    expect((await http().post(`/api/tasks/${task.key}/completion`).set(api.as('alice')).send({ variables: { approved: true } })).status).toBe(200);
    // and it arrives, the provider reports it delivered, the customer opens it and clicks its link
    await until('the SMTP server to receive it', () => arrivals.some((a) => a.messageId === `<${communicationId}@herald.local>`));
    await until('the archive', async () => api.t.db('communication_archive').where({ communication_id: communicationId }).first());
    const html = arrivals.find((a) => a.messageId === `<${communicationId}@herald.local>`)!.html;
    const raw = JSON.stringify({ id: `evt-${communicationId}`, type: 'delivered', messageId: `<${communicationId}@herald.local>` });
    const hook = await http().post('/api/webhooks/delivery/postmark').set('Content-Type', 'application/json').set('X-Herald-Signature', signWebhook(SECRET, raw, Math.floor(Date.now() / 1000))).send(raw);
    expect(hook.status).toBe(200);
    const pixel = /src="https:\/\/herald\.example(\/t\/o\/[^"]+)"/.exec(html)![1];
    expect((await http().get(pixel)).status).toBe(200);
    const click = /href="https:\/\/herald\.example(\/t\/c\/[^"]+)"/.exec(html)![1];
    const redirect = await http().get(click);
    expect(redirect.status).toBe(302);
    // and the customer replies to it
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: inbound.port, secure: false, ignoreTLS: true });
    await transport.sendMail({ from: 'accounts.payable@acme.example', to: 'receivables@herald.local', subject: 'Re: Invoice 2026-0142', text: 'We will pay on Friday.', inReplyTo: `<${communicationId}@herald.local>` });
    const reply = inbound.received.at(-1)!;
    expect(reply.communicationId).toBe(communicationId);

    // then staff see each step, in order, from where it was recorded
    const res = await http().get(`/api/communications/${communicationId}/timeline`).set(api.as('sam'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ communicationId, customerId: 'C-ACME', channel: 'email', kind: 'dunning', status: 'archived', trackingStatus: 'clicked' });
    const entries = res.body.entries as { at: string; kind: string; source: string; actor?: string; detail: Record<string, unknown> }[];
    const kinds = entries.map((e) => e.kind);
    const order = ['created', 'approved', 'rendered', 'queued', 'attempt', 'sent'];
    expect(kinds.filter((k) => order.includes(k))).toEqual(order);
    for (const k of ['delivered', 'opened', 'clicked', 'replied', 'archived']) expect(kinds, k).toContain(k);
    expect(kinds.indexOf('archived')).toBeGreaterThan(kinds.indexOf('sent'));
    expect(entries.map((e) => e.at)).toEqual([...entries.map((e) => e.at)].sort());
    const byKind = (k: string) => entries.find((e) => e.kind === k)!;
    expect(byKind('created')).toMatchObject({ source: 'communications', actor: 'sam' });
    expect(byKind('approved')).toMatchObject({ source: 'audit_log', actor: 'alice', detail: { task: task.key, elementId: 'approve-level-1', level: 1 } });
    expect(byKind('rendered').detail).toMatchObject({ templateId: 'invoice-notice', templateVersion: expect.any(Number) });
    expect(byKind('attempt').detail).toMatchObject({ attempt: 1, messageId: `<${communicationId}@herald.local>`, outcome: 'sent' });
    expect(byKind('delivered')).toMatchObject({ source: 'tracking_events', detail: { provider: 'postmark' } });
    expect(byKind('clicked').detail.url).toMatch(/^https:\/\/herald\.example\/portal\//);
    expect(byKind('replied')).toMatchObject({ source: 'customer_requests', detail: { reference: reply.reference } });
    expect(byKind('archived').detail.contentSha256).toMatch(/^[0-9a-f]{64}$/);

    // and the customer sees what reached them and what they did, not who approved it or how often it was tried
    const own = await http().get(`/api/communications/${communicationId}/timeline`).set(api.as('acme'));
    expect(own.status).toBe(200);
    const theirs = own.body.entries as { kind: string; actor?: string; detail: Record<string, unknown> }[];
    expect(theirs.map((e) => e.kind)).toEqual(expect.arrayContaining(['created', 'sent', 'delivered', 'opened', 'clicked', 'replied', 'archived']));
    expect(theirs.map((e) => e.kind)).not.toEqual(expect.arrayContaining(['approved']));
    expect(theirs.some((e) => ['approved', 'attempt', 'rendered', 'queued'].includes(e.kind) || e.actor)).toBe(false);
    expect(theirs.find((e) => e.kind === 'opened')!.detail).toEqual({});
  });

  it("answers 404 for another customer's communication and for one that does not exist", async () => {
    const other = await http().get(`/api/communications/${communicationId}/timeline`).set(api.as('northwind'));
    expect(other.status).toBe(404);
    const none = await http().get(`/api/communications/TL-nope-${randomUUID().slice(0, 8)}/timeline`).set(api.as('sam'));
    expect(none.status).toBe(404);
    expect(other.body.title).toBe(none.body.title);
    expect((await http().get(`/api/communications/${communicationId}/timeline`)).status).toBe(401);
  });

  it('keeps the archive record: exact bytes sent, content hash, template version, data snapshot, approvals and delivery events', async () => {
    const archive = await api.t.db('communication_archive').where({ communication_id: communicationId }).first();
    const raw = Buffer.from(archive.raw, 'base64');
    const c = await api.t.db('communications').where({ id: communicationId }).first();
    const d = await api.t.db('deliveries').where({ communication_id: communicationId }).first();
    const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
    // the bytes are the message the SMTP server took (its hash recorded at sending) and carry its Message-ID
    expect(archive.content_sha256).toBe(d.raw_sha256);
    expect(raw.toString('latin1')).toContain(`Message-ID: <${communicationId}@herald.local>`);
    expect(archive.template_id).toBe('invoice-notice');
    expect(archive.template_version).toBe(c.template_version);
    expect(json(archive.data_snapshot)).toEqual(json(c.data));
    expect(json(archive.approvals)).toEqual([expect.objectContaining({ by: 'alice', level: 1 })]);
    expect(json(archive.delivery_events).map((e: { kind: string }) => e.kind)).toEqual(expect.arrayContaining(['queued', 'sent']));
  });
});

describe.each(await dbKinds())('rendered_at migration on %s', (kind) => {
  it('goes up, down and up again', async () => {
    const t = await openTestDb(kind);
    try {
      const migration = await migrationSource.getMigration('20261205120000_add_communication_rendered_at');
      expect(await t.db.schema.hasColumn('communications', 'rendered_at')).toBe(true);
      await migration.down!(t.db);
      expect(await t.db.schema.hasColumn('communications', 'rendered_at')).toBe(false);
      await migration.up(t.db);
      expect(await t.db.schema.hasColumn('communications', 'rendered_at')).toBe(true);
    } finally {
      await t.close();
    }
  });
});
