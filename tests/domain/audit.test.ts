import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, entryHash, verifyChain, type AuditRow } from '../../domain/audit/index.js';
import { rollbackAll } from '../../storage/db.js';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { dbKinds, openTestDb, type TestDb } from '../support/db.js';

describe('audit chain (pure)', () => {
  it('hashes canonical JSON: key order does not matter, content does', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, undefined], c: 'x' } })).toBe('{"a":{"c":"x","d":[1,null]},"b":1}');
    const e = { at: '2026-11-24T10:00:00.000Z', actor: 'alice', action: 'task.complete', subjectType: 'task', subjectId: '1', outcome: 'allowed' as const, detail: { a: 1, b: 2 } };
    expect(entryHash(null, e)).toBe(entryHash(null, { ...e, detail: { b: 2, a: 1 } }));
    expect(entryHash(null, e)).not.toBe(entryHash('x', e));
    expect(entryHash(null, e)).not.toBe(entryHash(null, { ...e, actor: 'bob' }));
  });

  it('names the first row that breaks the chain', () => {
    const rows: AuditRow[] = [];
    let prev: string | null = null;
    for (let i = 1; i <= 4; i++) {
      const e = { at: '2026-11-24T10:00:00.000Z', actor: `a${i}`, action: 'x', subjectType: 's', subjectId: String(i), outcome: 'done' as const, rule: null, detail: {} };
      const hash = entryHash(prev, e);
      rows.push({ ...e, id: i, prevHash: prev, hash });
      prev = hash;
    }
    expect(verifyChain(rows)).toMatchObject({ ok: true, checked: 4 });
    expect(verifyChain(rows.map((r) => (r.id === 3 ? { ...r, actor: 'mallory' } : r)))).toMatchObject({ ok: false, checked: 2, brokenAt: { id: 3 } });
    expect(verifyChain(rows.filter((r) => r.id !== 2))).toMatchObject({ ok: false, brokenAt: { id: 3 } });
  });
});

describe.each(await dbKinds())('audit log on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('appends in the caller transaction: a rolled-back change leaves no audit row', async () => {
    const audit = createAuditRepository(t.db);
    const before = (await audit.list({ subjectId: 'rollback-1' })).length;
    await expect(
      t.db.transaction(async (tx) => {
        await createAuditRepository(tx).append({ actor: 'ada', action: 'demo.change', subjectType: 'test', subjectId: 'rollback-1' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect((await audit.list({ subjectId: 'rollback-1' })).length).toBe(before);
    await t.db.transaction((tx) => createAuditRepository(tx).append({ actor: 'ada', action: 'demo.change', subjectType: 'test', subjectId: 'rollback-1' }));
    expect((await audit.list({ subjectId: 'rollback-1' })).length).toBe(before + 1);
  });

  it('chains concurrent appends without forks', async () => {
    const audit = createAuditRepository(t.db);
    await Promise.all(Array.from({ length: 20 }, (_, i) => audit.append({ actor: `u${i}`, action: 'demo.concurrent', subjectType: 'test', subjectId: `c-${i}`, detail: { i, nested: { z: 1, a: [true, null] } } })));
    expect(await audit.verify(7)).toMatchObject({ ok: true });
  });

  it('refuses UPDATE, DELETE and TRUNCATE in the database itself', async () => {
    const audit = createAuditRepository(t.db);
    const row = await audit.append({ actor: 'ada', action: 'demo.immutable', subjectType: 'test', subjectId: 'imm-1' });
    await expect(t.db('audit_log').where({ id: row.id }).update({ actor: 'mallory' })).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(t.db('audit_log').where({ id: row.id }).delete()).rejects.toThrow(/append-only: DELETE refused/);
    await expect(t.db.raw('truncate audit_log')).rejects.toThrow(/append-only: TRUNCATE refused/);
    expect((await audit.list({ subjectId: 'imm-1' }))[0].actor).toBe('ada');
  });

  it('detects tampering by a superuser at the exact row', async () => {
    const audit = createAuditRepository(t.db);
    const rows = [];
    for (let i = 0; i < 5; i++) rows.push(await audit.append({ actor: 'carl', action: 'demo.tamper', subjectType: 'test', subjectId: `tamper-${i}`, detail: { amount: '19600.00' } }));
    expect(await audit.verify()).toMatchObject({ ok: true });
    await t.db.raw('alter table audit_log disable trigger audit_log_append_only');
    try {
      await t.db('audit_log').where({ id: rows[2].id }).update({ detail: JSON.stringify({ amount: '1.00' }) });
      expect(await audit.verify()).toMatchObject({ ok: false, brokenAt: { id: rows[2].id } });
      await t.db('audit_log').where({ id: rows[2].id }).update({ detail: JSON.stringify({ amount: '19600.00' }) });
      expect(await audit.verify()).toMatchObject({ ok: true });
      await t.db('audit_log').where({ id: rows[3].id }).delete();
      const verdict = await audit.verify(2);
      expect(verdict).toMatchObject({ ok: false, brokenAt: { id: rows[4].id } });
      if (!verdict.ok) expect(verdict.brokenAt.reason).toContain('prev_hash');
    } finally {
      await t.db.raw('alter table audit_log enable trigger audit_log_append_only');
    }
  });
});

describe.each(await dbKinds())('audit migration on %s', (kind) => {
  it('goes up and down', async () => {
    const t = await openTestDb(kind);
    try {
      expect(await t.db.schema.hasTable('audit_log')).toBe(true);
      await rollbackAll(t.db, t.schema);
      expect(await t.db.schema.hasTable('audit_log')).toBe(false);
    } finally {
      await t.close();
    }
  });
});
