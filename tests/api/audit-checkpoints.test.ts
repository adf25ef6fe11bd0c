import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/log.js';
import { createCheckpointStore } from '../../api/routes/audit/checkpoints.js';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { dbKinds } from '../support/db.js';
import { startApi, type Api } from './harness.js';

describe.each(await dbKinds())('audit checkpoints over the API on %s', (kind) => {
  let api: Api;
  let dir: string;
  const http = () => request(api.app.server);
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-audit-checkpoints-'));
    api = await startApi(kind, { audit: { checkpointDir: dir } });
    const audit = createAuditRepository(api.t.db);
    for (let i = 0; i < 4; i++) await audit.append({ actor: 'ada', action: 'demo.checkpoint', subjectType: 'test', subjectId: `cp-${i}` });
    // PGlite and the engine take a while to start on a loaded machine
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes a signed checkpoint outside the database on demand, audits it, and verifies against it', async () => {
    const taken = await http().post('/api/audit/checkpoints').set(api.as('carl'));
    expect(taken.status).toBe(201);
    const { checkpoint, file } = taken.body;
    expect(path.dirname(file)).toBe(dir);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(checkpoint);
    expect(checkpoint).toMatchObject({ version: 1, rows: 4, legacyThroughId: 0, mac: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const [row] = await createAuditRepository(api.t.db).list({ action: 'audit.checkpoint' });
    expect(row).toMatchObject({ actor: 'carl', outcome: 'allowed', detail: { lastId: checkpoint.lastId, rows: 4, file: path.basename(file) } });

    const verdict = await http().post('/api/audit/verify').set(api.as('root')).send({ checkpoint });
    expect(verdict.status).toBe(200);
    expect(verdict.body).toMatchObject({ ok: true, checked: 5, checkpoint: { lastId: checkpoint.lastId, rows: 4 } });
    expect((await http().get('/api/audit/verify').set(api.as('carl'))).body).toMatchObject({ ok: true, checked: 5, legacyRows: 0 });
    const latest = await http().get('/api/audit/verify').query({ against: 'latest' }).set(api.as('carl'));
    expect(latest.body).toMatchObject({ ok: true, checked: 5, checkpoint: { lastId: checkpoint.lastId, rows: 4 } });
    expect((await http().get('/api/audit/verify').query({ against: 'oldest' }).set(api.as('carl'))).body).toMatchObject({ status: 400, field: 'query.against' });
  });

  it('refuses a checkpoint that was edited (422 naming the field), a malformed one (400) and callers without the role (403)', async () => {
    const { checkpoint } = (await http().post('/api/audit/checkpoints').set(api.as('carl'))).body;
    const edited = await http().post('/api/audit/verify').set(api.as('carl')).send({ checkpoint: { ...checkpoint, rows: checkpoint.rows - 1 } });
    expect(edited.status).toBe(422);
    expect(edited.body.field).toBe('body.checkpoint.mac');
    const { mac: _mac, ...unsigned } = checkpoint;
    const malformed = await http().post('/api/audit/verify').set(api.as('carl')).send({ checkpoint: unsigned });
    expect(malformed.status).toBe(400);
    expect(malformed.body.field).toBe('body.checkpoint.mac');
    expect((await http().post('/api/audit/checkpoints').set(api.as('eric'))).status).toBe(403);
    expect((await http().post('/api/audit/verify').set(api.as('sam')).send({ checkpoint })).status).toBe(403);
  });

  it('finds a truncation after the checkpoint, which the rows alone cannot show, and then refuses to checkpoint', async () => {
    const { checkpoint } = (await http().post('/api/audit/checkpoints').set(api.as('carl'))).body;
    await api.t.db.raw('alter table audit_log disable trigger audit_log_append_only');
    try {
      await api.t.db('audit_log').where('id', '>=', checkpoint.lastId - 1).delete();
    } finally {
      await api.t.db.raw('alter table audit_log enable trigger audit_log_append_only');
    }
    expect((await http().get('/api/audit/verify').set(api.as('carl'))).body).toMatchObject({ ok: true });
    const verdict = await http().post('/api/audit/verify').set(api.as('carl')).send({ checkpoint });
    expect(verdict.body).toMatchObject({ ok: false, brokenAt: { id: checkpoint.lastId, kind: 'truncated' } });
    expect(verdict.body.brokenAt.reason).toContain('tail was removed');
    const refused = await http().post('/api/audit/checkpoints').set(api.as('carl'));
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ rule: 'chain-verifies', brokenAt: { id: checkpoint.lastId, kind: 'truncated' } });
    const [row] = await createAuditRepository(api.t.db).list({ action: 'audit.checkpoint', outcome: 'refused' });
    expect(row).toMatchObject({ actor: 'carl', rule: 'chain-verifies' });
  });
});

describe.each(await dbKinds())('the periodic checkpoint writer on %s', (kind) => {
  it('writes only when the chain grew, each checkpoint one row further', { timeout: 180_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-audit-periodic-'));
    const api = await startApi(kind, { followTasks: false });
    try {
      const audit = createAuditRepository(api.t.db);
      await audit.append({ actor: 'ada', action: 'demo.periodic', subjectType: 'test', subjectId: 'p-1' });
      const store = createCheckpointStore({ db: api.t.db, dir, logger: silentLogger });
      const stop = store.every(20);
      const files = () => fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
      const until = async (ok: () => boolean) => {
        for (let i = 0; i < 1000 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
        expect(ok()).toBe(true);
      };
      await until(() => files().length === 1);
      const first = await store.latest();
      // nothing appended: further ticks write nothing
      expect(await store.take()).toMatchObject({ ok: true, unchanged: true });
      await audit.append({ actor: 'ada', action: 'demo.periodic', subjectType: 'test', subjectId: 'p-2' });
      await until(() => files().length === 2);
      await stop();
      const second = await store.latest();
      expect(second!.lastId).toBeGreaterThan(first!.lastId);
      expect(second!.rows).toBe(first!.rows + 1);
    } finally {
      await api.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
