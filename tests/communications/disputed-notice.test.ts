/**
 * A disputed invoice gets no demand for payment, even one approved before the dispute came in;
 * and the messages about the customer's request go by their channel (email for Acme) with a copy
 * in their portal inbox. End to end: the ERP's $25,000 invoice waits for its notice's approval,
 * Acme disputes it meanwhile, then alice approves the notice: it is withheld at delivery with its
 * reason recorded, never emailed, while the acknowledgement and the corrected invoice reach Acme by
 * email (the outbox) and appear in its portal inbox (the portal API).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveCommunications } from '../../api/demo.js';
import { workTasklist } from '../../api/demo-actor.js';
import { DEMO_REQUEST_ID, seedRequestDemo } from '../../api/demo-requests.js';
import { silentLogger } from '../../config/log.js';
import type { JobWorker } from '../../engine/types.js';
import { requestService } from '../../services/requests.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { createTaskRepository } from '../../storage/repositories/tasks.js';
import { seedTemplateLibrary } from '../../storage/templates.js';
import { createChannelAdapters, createDeliveryService, type DeliveryService } from '../../workers/delivery/service.js';
import { createMemoryQueue } from '../../workers/delivery/queue.js';
import { startWorkers } from '../../workers/index.js';
import { DEFAULT_BRAND } from '../../workers/message-data.js';
import { SECRET, startApi, type Api } from '../api/harness.js';
import { REQUEST_RESOURCES } from '../requests/harness.js';
import { dbKinds } from '../support/db.js';

const processes = path.resolve(import.meta.dirname, '../../processes');
const SENT = ['sent', 'delivered', 'opened', 'clicked', 'archived'];
const NOTICE = 'INV-2026-0199-notice';

describe.each(await dbKinds())('a notice for a disputed invoice on %s', (kind) => {
  let api: Api;
  let delivery: DeliveryService;
  let workers: JobWorker[];
  let outboxDir: string;
  const stops: (() => void)[] = [];

  const until = async <T>(what: string, check: () => Promise<T | undefined | false>, ms = 90_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await check();
      if (v) return v;
      if (Date.now() > end) {
        const comms = await api.t.db('communications').orderBy('created_at').select('id', 'status', 'channel');
        const open = (await createTaskRepository(api.t.db).list({ state: 'CREATED' })).map((t) => `${t.bpmnProcessId}/${t.elementId}`);
        throw new Error(`timed out waiting for ${what}; communications: ${JSON.stringify(comms)}; open tasks: ${JSON.stringify(open)}; incidents: ${JSON.stringify((await api.engine.listIncidents()).map((i) => i.errorMessage))}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const row = async (id: string) => (await api.t.db('communications').where({ id }).first()) as { status: string; subject: string; text: string; channel: string } | undefined;
  const sent = async (id: string) => {
    const r = await row(id);
    return r && SENT.includes(r.status) ? r : undefined;
  };
  const outbox = () => fs.readdirSync(outboxDir).filter((f) => f.endsWith('.eml')).map((f) => ({ file: f, raw: fs.readFileSync(path.join(outboxDir, f), 'utf8') }));

  beforeAll(async () => {
    api = await startApi(kind);
    await seedDemoData(api.t.db);
    await seedTemplateLibrary(api.t.db);
    await api.engine.deploy([...REQUEST_RESOURCES, 'invoice-dunning.bpmn'].map((name) => ({ name, content: fs.readFileSync(path.join(processes, name)) })));
    outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-disputed-'));
    const settings = { from: { name: DEFAULT_BRAND.name, address: DEFAULT_BRAND.email }, outboxDir, secret: SECRET, baseUrl: 'http://herald.test', backoffMs: 10, tracking: false };
    const now = () => new Date(api.engine.clock.now());
    delivery = createDeliveryService({ db: api.t.db, engine: api.engine, queue: createMemoryQueue(), adapters: createChannelAdapters(api.t.db, settings), settings, now, log: silentLogger });
    delivery.start();
    workers = startWorkers(api.engine, { db: api.t.db, engine: api.engine, now, delivery, baseUrl: settings.baseUrl, company: DEFAULT_BRAND }, silentLogger);
  }, 120_000);

  afterAll(async () => {
    stops.forEach((s) => s());
    await Promise.all(workers?.map((w) => w.close()) ?? []);
    await delivery?.close();
    await api?.close();
    if (outboxDir) fs.rmSync(outboxDir, { recursive: true, force: true });
  });

  it('withholds the $25,000 notice approved after Acme disputed it; the acknowledgement and the corrected invoice go by email and to the portal inbox', async () => {
    // given the ERP's $25,000 invoice, whose notice waits for a finance approval (above $10,000)
    // (sam, alice and bob work the request through the tasklist once Acme raises it)
    stops.push(await seedRequestDemo({ engine: api.engine, db: api.t.db, logger: silentLogger, fresh: true, pauseMs: 0, everyMs: 50, raiseAfterMs: 50 }));
    const tasks = createTaskRepository(api.t.db);
    await until('the notice waiting for approval', async () => (await tasks.list({ state: 'CREATED' })).find((t) => t.elementId === 'approve-level-1' && t.variables.communicationId === NOTICE));
    expect((await row(NOTICE))?.status).toBe('created');

    // when Acme disputes the invoice while its notice waits, asking to be answered by email
    const raised = await requestService({ db: api.t.db, engine: api.engine, now: () => new Date(api.engine.clock.now()) }).submit({
      id: DEMO_REQUEST_ID,
      customerId: 'C-ACME',
      invoiceId: 'INV-2026-0199',
      intakeChannel: 'portal',
      replyChannel: 'email',
      requestedBy: 'acme',
      subject: 'Invoice 2026-0199 discrepancy',
      body: 'We were billed the list price for one of the two units instead of our 2026 contract price.',
    });
    // and only then alice approves the notice, as the policy asks
    stops.push(workTasklist({ db: api.t.db, engine: api.engine, logger: silentLogger }, approveCommunications, { everyMs: 50 }));

    // then the notice is withheld at delivery, with the reason on its timeline, never queued or emailed
    const withheld = await until('the notice withheld', async () => ((await row(NOTICE))?.status === 'withheld' ? row(NOTICE) : undefined));
    expect(withheld?.text).toContain('$25,000.00'); // rendered for the approver, never sent
    const events = await api.t.db('tracking_events').where({ communication_id: NOTICE }).select('kind', 'meta');
    const reason = events.find((e) => e.kind === 'withheld');
    expect(JSON.stringify(reason?.meta)).toContain('invoice 2026-0199 is disputed');
    expect(JSON.stringify(reason?.meta)).toContain(raised.reference);
    expect(await api.t.db('deliveries').where({ communication_id: NOTICE }).first()).toBeUndefined();
    const [notice] = await Promise.all(
      (await api.engine.listInstances({ bpmnProcessId: 'customer-communication' })).map(async (i) => ((await api.engine.getVariables(i.processInstanceKey)).communicationId === NOTICE ? i : undefined)),
    ).then((all) => all.filter(Boolean));
    const noticeInstance = await until('the notice instance to end withheld', async () => {
      const inst = await api.engine.getInstance(notice!.processInstanceKey);
      return inst?.state === 'COMPLETED' && inst.elements.some((e) => e.elementId === 'communication-withheld' && e.state === 'COMPLETED') ? inst : undefined;
    });
    expect(noticeInstance.elements.some((e) => e.elementId === 'await-delivery-result')).toBe(false);

    // and the request is answered by email with a copy in the portal: acknowledgement, then the corrected invoice
    const ack = await until('the acknowledgement', () => sent(`${DEMO_REQUEST_ID}-ack-0`));
    const corrected = await until('the corrected invoice', () => sent(`${DEMO_REQUEST_ID}-result-0`), 120_000);
    expect([ack.channel, corrected.channel]).toEqual(['email', 'email']);
    expect(corrected.subject).toBe('Corrected invoice 2026-0199-C1 replaces 2026-0199');
    const emails = outbox();
    expect(emails.map((e) => e.file).sort()).toEqual([`${DEMO_REQUEST_ID}-ack-0.eml`, `${DEMO_REQUEST_ID}-result-0.eml`]);
    expect(emails.some((e) => e.raw.includes('Invoice 2026-0199: $25,000.00 due'))).toBe(false);
    const inbox = await request(api.app.server).get('/api/portal/messages').set(api.as('acme'));
    expect(inbox.status).toBe(200);
    const copies = (inbox.body as { communicationId: string; subject: string }[]).map((m) => [m.communicationId, m.subject]);
    expect(copies).toEqual(expect.arrayContaining([
      [`${DEMO_REQUEST_ID}-ack-0`, ack.subject],
      [`${DEMO_REQUEST_ID}-result-0`, corrected.subject],
    ]));
    expect(copies.map(([id]) => id)).not.toContain(NOTICE);
    // the dunning goes on, its cadence paused while disputed, and nothing ended in an incident
    expect((await api.engine.listInstances({ bpmnProcessId: 'invoice-dunning' })).map((i) => i.state)).toEqual(['ACTIVE']);
    expect(await api.engine.listIncidents()).toEqual([]);
  }, 300_000);
});
