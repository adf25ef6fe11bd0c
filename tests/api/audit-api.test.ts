import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds } from '../support/db.js';
import { startApi, type Api } from './harness.js';

describe.each(await dbKinds())('audit API on %s', (kind) => {
  let api: Api;
  const http = () => request(api.app.server);
  beforeAll(async () => {
    api = await startApi(kind);
    const pik = await api.start('api-approval', { initiatedBy: 'ada', amount: '10.00', level2Groups: ['approver-l2'] });
    const task = await api.task(pik, 'prepare');
    await http().post(`/api/tasks/${task.key}/claim`).set(api.as('sam'));
    await http().post(`/api/tasks/${task.key}/comments`).set(api.as('sam')).send({ body: 'one' });
    await http().post(`/api/tasks/${task.key}/comments`).set(api.as('sam')).send({ body: 'two' });
    await http().post(`/api/tasks/${task.key}/unclaim`).set(api.as('sam'));
    // PGlite and the engine take a while to start on a loaded machine
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it('lists rows for compliance and admins, filtered and paged', async () => {
    const all = await http().get('/api/audit').set(api.as('carl'));
    expect(all.status).toBe(200);
    expect(all.body.length).toBeGreaterThanOrEqual(4);
    // keyed links: the row names its key (a fingerprint of the key derived from HERALD_SECRET here), never the key itself
    expect(all.body[0]).toMatchObject({ prevHash: null, keyId: expect.stringMatching(/^fp-[0-9a-f]{12}$/), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const comments = await http().get('/api/audit').query({ action: 'task.comment' }).set(api.as('root'));
    expect(comments.body).toHaveLength(2);
    const page = await http().get('/api/audit').query({ afterId: all.body[0].id, limit: 1 }).set(api.as('carl'));
    expect(page.body.map((r: { id: number }) => r.id)).toEqual([all.body[1].id]);
  });

  it('refuses others (403), strangers (401) and bad queries (400)', async () => {
    for (const who of ['sam', 'alice', 'acme']) {
      const res = await http().get('/api/audit').set(api.as(who));
      expect(res.status).toBe(403);
      expect(res.body.rule).toBe('role');
    }
    expect((await http().get('/api/audit/verify').set(api.as('eric'))).status).toBe(403);
    expect((await http().get('/api/audit')).status).toBe(401);
    const bad = await http().get('/api/audit').query({ limit: 0 }).set(api.as('carl'));
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('query.limit');
  });

  it('verifies the chain and names the exact row a superuser tampered with', async () => {
    expect((await http().get('/api/audit/verify').set(api.as('carl'))).body).toMatchObject({ ok: true, legacyRows: 0, lastHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const rows = (await http().get('/api/audit').set(api.as('carl'))).body as { id: number; actor: string }[];
    const target = rows[2];
    await expect(api.t.db('audit_log').where({ id: target.id }).update({ actor: 'mallory' })).rejects.toThrow(/append-only/);
    await api.t.db.raw('alter table audit_log disable trigger audit_log_append_only');
    try {
      await api.t.db('audit_log').where({ id: target.id }).update({ actor: 'mallory' });
    } finally {
      await api.t.db.raw('alter table audit_log enable trigger audit_log_append_only');
    }
    const verdict = await http().get('/api/audit/verify').set(api.as('carl'));
    expect(verdict.status).toBe(200);
    expect(verdict.body).toMatchObject({ ok: false, checked: 2, brokenAt: { id: target.id, kind: 'changed' } });
    expect(verdict.body.brokenAt.reason).toContain('changed');
  });
});
