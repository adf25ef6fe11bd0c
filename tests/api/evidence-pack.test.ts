/**
 * GET /api/communications/:id/evidence over a real run: a $19,600 dunning notice on the embedded
 * engine with the communication workers, approved by Alice through the tasklist, sent to a real
 * SMTP server, reported delivered by a signed provider webhook and archived. The pack is
 * downloaded and unzipped with the system's unzip: the .eml is byte for byte what the SMTP server
 * received, every manifest hash holds, the approvals are the audit trail's rows, and a row edited
 * behind the chain's back shows in the next pack's verification. Agents get 403, unknown ids 404.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/herald.js';
import { silentLogger } from '../../config/log.js';
import { signWebhook } from '../../domain/channels/index.js';
import type { JobWorker } from '../../engine/types.js';
import { APPROVAL_RECORDED } from '../../services/controls.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { seedTemplateLibrary } from '../../storage/templates.js';
import archiveCommunication from '../../workers/archive-communication.js';
import deliverCommunication from '../../workers/deliver-communication.js';
import { createMemoryQueue } from '../../workers/delivery/queue.js';
import { createChannelAdapters, createDeliveryService, type DeliveryService } from '../../workers/delivery/service.js';
import recordCommunicationRejection from '../../workers/record-communication-rejection.js';
import renderCommunication from '../../workers/render-communication.js';
import { runWorker } from '../../workers/runtime.js';
import validateCustomerData from '../../workers/validate-customer-data.js';
import { migrationSource } from '../../migrations/index.js';
import { dbKinds } from '../support/db.js';
import { SECRET, startApi, type Api } from './harness.js';

const processes = path.resolve(import.meta.dirname, '../../processes');
// real Postgres when it is there (CI always), else PGlite: one run keeps the suite lean
const kind = (await dbKinds()).at(-1)!;
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe(`evidence pack on ${kind}`, () => {
  let api: Api;
  let delivery: DeliveryService;
  let workers: JobWorker[];
  let smtp: SMTPServer;
  let tmp: string;
  const arrivals: { raw: Buffer; messageId: string }[] = [];
  const communicationId = `EV-${randomUUID().slice(0, 8)}`;
  const messageId = `<${communicationId}@herald.local>`;

  const download = (user: string | undefined, id = communicationId) => api.app.inject({ method: 'GET', url: `/api/communications/${id}/evidence`, headers: user ? api.as(user) : {} });
  /** Unzips the pack with the system's unzip into a fresh folder; answers the pack's folder. */
  const unzip = (zip: Buffer): string => {
    const dir = fs.mkdtempSync(path.join(tmp, 'pack-'));
    fs.writeFileSync(path.join(dir, 'pack.zip'), zip);
    execFileSync('unzip', ['-q', 'pack.zip'], { cwd: dir });
    return path.join(dir, `evidence-${communicationId}`);
  };
  const readJson = (dir: string, name: string) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
  const until = async (what: string, check: () => Promise<unknown> | unknown, ms = 30_000) => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-evidence-'));
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          arrivals.push({ raw, messageId: /^Message-ID: (.+)$/im.exec(raw.toString('latin1'))?.[1].trim() ?? '' });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    api = await startApi(kind);
    await seedDemoData(api.t.db);
    await seedTemplateLibrary(api.t.db);
    await api.engine.deploy(['customer-communication.bpmn'].map((name) => ({ name, content: fs.readFileSync(path.join(processes, name)) })));
    const settings = {
      from: { name: 'Herald Receivables', address: 'receivables@herald.example' },
      outboxDir: path.join(tmp, 'outbox'),
      smtpUrl: `smtp://127.0.0.1:${(smtp.server.address() as { port: number }).port}`,
      secret: SECRET,
      baseUrl: 'https://herald.example',
      backoffMs: 10,
    };
    const now = () => new Date();
    delivery = createDeliveryService({ db: api.t.db, engine: api.engine, queue: createMemoryQueue(), adapters: createChannelAdapters(api.t.db, settings), settings, now, log: silentLogger });
    delivery.start();
    workers = [validateCustomerData, renderCommunication, deliverCommunication, archiveCommunication, recordCommunicationRejection].map((d) =>
      runWorker(api.engine, d as any, { db: api.t.db, engine: api.engine, now, delivery, baseUrl: settings.baseUrl }, silentLogger),
    );

    // a $19,600 dunning notice initiated by Sam: the policy asks for one approval, Alice gives it in the tasklist
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
    expect((await api.app.inject({ method: 'POST', url: `/api/tasks/${task.key}/claim`, headers: api.as('alice') })).statusCode).toBe(200);
    expect((await api.app.inject({ method: 'POST', url: `/api/tasks/${task.key}/completion`, headers: api.as('alice'), payload: { variables: { approved: true } } })).statusCode).toBe(200);
    await until('the SMTP server to receive it', () => arrivals.some((a) => a.messageId === messageId));
    await until('the archive', async () => api.t.db('communication_archive').where({ communication_id: communicationId }).first());
    // the provider reports it delivered (a signed webhook)
    const raw = JSON.stringify({ id: `evt-${communicationId}`, type: 'delivered', messageId });
    const hook = await api.app.inject({ method: 'POST', url: '/api/webhooks/delivery/postmark', headers: { 'content-type': 'application/json', 'x-herald-signature': signWebhook(SECRET, raw, Math.floor(Date.now() / 1000)) }, payload: raw });
    expect(hook.statusCode).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.all((workers ?? []).map((w) => w.close()));
    await delivery?.close();
    await api?.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('packs the exact bytes the SMTP server received, every hash in the manifest, the approvals as the audit trail holds them, and audits the export', async () => {
    const res = await download('carl');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="evidence-${communicationId}.zip"`);
    const dir = unzip(res.rawPayload);
    const manifest = readJson(dir, 'manifest.json');
    expect(res.headers['x-evidence-audit-rows']).toBe('verified');
    expect(res.headers['x-evidence-manifest-sha256']).toBe(sha256(fs.readFileSync(path.join(dir, 'manifest.json'))));

    // the .eml is byte for byte what the SMTP server took, and its hash is the one recorded at sending
    const eml = fs.readFileSync(path.join(dir, 'message.eml'));
    const arrival = arrivals.find((a) => a.messageId === messageId)!;
    expect(eml.equals(arrival.raw)).toBe(true);
    const d = await api.t.db('deliveries').where({ communication_id: communicationId }).first();
    expect(manifest.message).toEqual({ file: 'message.eml', sha256: sha256(arrival.raw), recordedAtSending: d.raw_sha256, archived: d.raw_sha256, sent: true, matches: true });
    expect(fs.readFileSync(path.join(dir, 'message.sha256'), 'utf8')).toBe(`${sha256(arrival.raw)}  message.eml\n`);

    // every file is in the manifest with its hash and size, and nothing else is in the pack
    const names = fs.readdirSync(dir).filter((n) => n !== 'manifest.json').sort();
    expect(manifest.files.map((f: { name: string }) => f.name).sort()).toEqual(names);
    expect(names).toEqual(['README.txt', 'approvals.json', 'audit.json', 'consent.json', 'data.json', 'delivery.json', 'events.json', 'message.eml', 'message.sha256', 'template.json']);
    for (const f of manifest.files as { name: string; sha256: string; bytes: number }[]) {
      const bytes = fs.readFileSync(path.join(dir, f.name));
      expect({ name: f.name, sha256: sha256(bytes), bytes: bytes.length }).toEqual({ name: f.name, sha256: f.sha256, bytes: f.bytes });
    }

    // the approvals are the audit trail's rows, ids and hashes included, and each row verifies
    const audit = createAuditRepository(api.t.db);
    const trail = await audit.list({ subjectType: 'communication', subjectId: communicationId, action: APPROVAL_RECORDED });
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({ actor: 'alice', detail: { level: 1, approved: true } });
    expect(readJson(dir, 'approvals.json')).toEqual(trail);
    const { rows, verification } = readJson(dir, 'audit.json');
    expect(rows.map((r: { id: number }) => r.id)).toContain(trail[0].id);
    expect(manifest.audit.ok).toBe(true);
    expect(manifest.audit.rows).toEqual(verification);
    expect(verification).toContainEqual({ id: trail[0].id, hash: trail[0].hash, ok: true });

    // the template version and its approval, the data it was rendered from, consent, provider ids and events
    const c = await api.t.db('communications').where({ id: communicationId }).first();
    const tv = await api.t.db('template_versions').where({ template_id: 'invoice-notice', version: c.template_version, locale: 'en' }).first();
    expect(readJson(dir, 'template.json')).toMatchObject({ templateId: 'invoice-notice', version: c.template_version, locale: 'en', status: 'approved', approval: { approvedBy: 'carl', approvedAt: new Date(tv.approved_at).toISOString() } });
    const asJson = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
    const data = readJson(dir, 'data.json');
    expect(data).toEqual({ renderedWith: asJson(c.rendered_data), processData: asJson(c.data) });
    // the data the template was filled with: the invoice's number and amount as the message shows them
    expect(JSON.stringify(data.renderedWith)).toContain('2026-0142');
    expect(eml.toString('latin1')).toContain('Acme Industrial Supplies Ltd');
    expect(JSON.stringify(data.renderedWith)).toContain('Acme Industrial Supplies Ltd');
    expect(readJson(dir, 'consent.json')).toMatchObject({ channel: 'email', address: 'accounts.payable@acme.example', atSend: { consent: true } });
    expect(readJson(dir, 'delivery.json')).toMatchObject({ state: 'sent', providerMessageId: messageId, messageId, rawSha256: d.raw_sha256, attempts: [{ attempt: 1, outcome: 'sent', messageId }] });
    const events = readJson(dir, 'events.json') as { kind: string; providerEventId: string | null }[];
    expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['queued', 'sent', 'delivered']));
    expect(events.find((e) => e.kind === 'delivered')!.providerEventId).toContain(`evt-${communicationId}`);
    expect(fs.readFileSync(path.join(dir, 'README.txt'), 'utf8')).toContain('sha256sum -c message.sha256');
    expect(execFileSync('sha256sum', ['-c', 'message.sha256'], { cwd: dir, encoding: 'utf8' })).toBe('message.eml: OK\n');

    // the export is itself on the audit chain, with the hash of the manifest handed out
    const [exported] = await audit.list({ subjectType: 'communication', subjectId: communicationId, action: 'evidence.export' });
    expect(exported).toMatchObject({ actor: 'carl', outcome: 'allowed', detail: { manifestSha256: sha256(fs.readFileSync(path.join(dir, 'manifest.json'))), messageSha256: sha256(arrival.raw), auditRowsOk: true } });
    // an admin may export too
    expect((await download('root')).statusCode).toBe(200);
  });

  it('refuses an agent (403) and a caller without credentials (401), and answers 404 for an unknown communication', async () => {
    const agent = await download('sam');
    expect(agent.statusCode).toBe(403);
    expect(agent.headers['content-type']).toContain('application/problem+json');
    expect((await download(undefined)).statusCode).toBe(401);
    const none = await download('carl', `EV-nope-${randomUUID().slice(0, 8)}`);
    expect(none.statusCode).toBe(404);
    expect(none.json()).toMatchObject({ status: 404, title: 'no such communication' });
    // neither refusal left an export row
    expect(await createAuditRepository(api.t.db).list({ subjectId: communicationId, action: 'evidence.export', actor: 'sam' })).toEqual([]);
  });

  it('downloads the same pack with `herald evidence <id> --out FILE`, and exits 1 naming the problem for an unknown id', async () => {
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const saved = { url: process.env.HERALD_URL, token: process.env.HERALD_TOKEN };
    process.env.HERALD_URL = `http://127.0.0.1:${(api.app.server.address() as { port: number }).port}`;
    process.env.HERALD_TOKEN = api.tokens.carl;
    const herald = async (...argv: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await main(argv, { out: (x) => (stdout += x), err: (x) => (stderr += x) });
      return { code, stdout, stderr };
    };
    try {
      const out = path.join(tmp, 'cli.zip');
      const run = await herald('evidence', communicationId, '--out', out);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`written to ${out}`);
      expect(run.stdout).toContain('its audit rows verified at export');
      const dir = unzip(fs.readFileSync(out));
      expect(fs.readFileSync(path.join(dir, 'message.eml')).equals(arrivals.find((a) => a.messageId === messageId)!.raw)).toBe(true);
      expect(readJson(dir, 'manifest.json')).toMatchObject({ exportedBy: 'carl', audit: { ok: true } });
      const unknown = await herald('evidence', 'EV-nope');
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('no such communication');
      expect((await herald('evidence')).code).toBe(2);
      const json = await herald('evidence', communicationId, '--out', path.join(tmp, 'cli2.zip'), '--json');
      expect(JSON.parse(json.stdout)).toMatchObject({ communicationId, bytes: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), manifestSha256: expect.stringMatching(/^[0-9a-f]{64}$/), auditRows: 'verified' });
    } finally {
      for (const [k, v] of Object.entries({ HERALD_URL: saved.url, HERALD_TOKEN: saved.token })) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('packs a message never sent as its rendered content, and answers 409 for one sent but not archived yet', async () => {
    const comms = api.t.db('communications');
    const unsent = `EV-unsent-${randomUUID().slice(0, 8)}`;
    await comms.insert({ id: unsent, customer_id: 'C-ACME', template_id: 'invoice-notice', channel: 'email', kind: 'dunning', status: 'rendered', data: JSON.stringify({ invoiceId: 'INV-2026-0142' }), subject: 'S', html: '<p>H</p>', text: 'T' });
    const res = await download('carl', unsent);
    expect(res.statusCode).toBe(200);
    const dir = fs.mkdtempSync(path.join(tmp, 'unsent-'));
    fs.writeFileSync(path.join(dir, 'pack.zip'), res.rawPayload);
    execFileSync('unzip', ['-q', 'pack.zip'], { cwd: dir });
    const pack = path.join(dir, `evidence-${unsent}`);
    expect(readJson(pack, 'message.json')).toEqual({ subject: 'S', html: '<p>H</p>', text: 'T' });
    expect(readJson(pack, 'manifest.json').message).toMatchObject({ file: 'message.json', sent: false, recordedAtSending: null });
    expect(readJson(pack, 'delivery.json')).toBeNull();

    const pending = `EV-pending-${randomUUID().slice(0, 8)}`;
    await api.t.db('communications').insert({ id: pending, customer_id: 'C-ACME', template_id: 'invoice-notice', channel: 'email', kind: 'dunning', status: 'sent', data: '{}', subject: 'S', html: '<p>H</p>', text: 'T' });
    await api.t.db('deliveries').insert({ communication_id: pending, channel: 'email', state: 'sent', raw_sha256: 'a'.repeat(64), sent_at: new Date() });
    const early = await download('carl', pending);
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ status: 409, rule: 'archived' });
    expect(early.json().title).toContain('not archived yet');
  });

  it('names an approval row edited behind the chain in the next pack', async () => {
    const [approval] = await createAuditRepository(api.t.db).list({ subjectType: 'communication', subjectId: communicationId, action: APPROVAL_RECORDED });
    await api.t.db.raw('alter table audit_log disable trigger audit_log_append_only');
    try {
      await api.t.db('audit_log').where({ id: approval.id }).update({ actor: 'mallory' });
    } finally {
      await api.t.db.raw('alter table audit_log enable trigger audit_log_append_only');
    }
    const res = await download('carl');
    expect(res.headers['x-evidence-audit-rows']).toBe('broken');
    const manifest = readJson(unzip(res.rawPayload), 'manifest.json');
    expect(manifest.audit.ok).toBe(false);
    expect(manifest.audit.rows).toContainEqual(expect.objectContaining({ id: approval.id, ok: false, kind: 'changed' }));
  });

  it('the rendered_data migration goes up, down and up again', async () => {
    const migration = await migrationSource.getMigration('20261207224500_add_communication_rendered_data');
    expect(await api.t.db.schema.hasColumn('communications', 'rendered_data')).toBe(true);
    await migration.down!(api.t.db);
    expect(await api.t.db.schema.hasColumn('communications', 'rendered_data')).toBe(false);
    await migration.up(api.t.db);
    expect(await api.t.db.schema.hasColumn('communications', 'rendered_data')).toBe(true);
  });
});
