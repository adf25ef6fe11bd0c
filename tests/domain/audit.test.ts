import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, readSetting } from '../../config/index.js';
import { auditKey, buildAuditKeys, canonicalJson, entryHash, keyedHash, keyFingerprint, keyring, verifyChain, type AuditEntry, type AuditRow } from '../../domain/audit/index.js';
import { rollbackAll } from '../../storage/db.js';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { dbKinds, openTestDb, type TestDb } from '../support/db.js';

const k1 = auditKey('k1', 'audit-test-key-one-0123456789');
const k2 = auditKey('k2', 'audit-test-key-two-0123456789');
const entry = (i: number): AuditEntry => ({ at: '2026-11-24T10:00:00.000Z', actor: `a${i}`, action: 'x', subjectType: 's', subjectId: String(i), outcome: 'done', rule: null, detail: {} });

/** A chain of `legacy` plain-SHA-256 rows, then keyed rows signed by `key`. */
function chain(n: number, key = k1, legacy = 0): AuditRow[] {
  const rows: AuditRow[] = [];
  let prev: string | null = null;
  for (let i = 1; i <= n; i++) {
    const e = entry(i);
    const keyId = i <= legacy ? null : key.id;
    const hash: string = keyId === null ? entryHash(prev, e) : keyedHash(key.secret, prev, { ...e, id: i, keyId });
    rows.push({ ...e, id: i, keyId, prevHash: prev, hash });
    prev = hash;
  }
  return rows;
}

describe('audit chain (pure)', () => {
  it('hashes canonical JSON: key order does not matter, content, id, key and previous hash do', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, undefined], c: 'x' } })).toBe('{"a":{"c":"x","d":[1,null]},"b":1}');
    const e = { ...entry(1), outcome: 'allowed' as const, detail: { a: 1, b: 2 } };
    const row = { ...e, id: 1, keyId: 'k1' };
    expect(keyedHash(k1.secret, null, row)).toBe(keyedHash(k1.secret, null, { ...row, detail: { b: 2, a: 1 } }));
    expect(keyedHash(k1.secret, null, row)).not.toBe(keyedHash(k1.secret, 'x', row));
    expect(keyedHash(k1.secret, null, row)).not.toBe(keyedHash(k1.secret, null, { ...row, actor: 'bob' }));
    expect(keyedHash(k1.secret, null, row)).not.toBe(keyedHash(k1.secret, null, { ...row, id: 2 }));
    expect(keyedHash(k1.secret, null, row)).not.toBe(keyedHash(k2.secret, null, row));
    // the legacy link is what the first chains used: plain SHA-256, no key
    expect(entryHash(null, e)).toBe(entryHash(null, { ...e, detail: { b: 2, a: 1 } }));
    expect(entryHash(null, e)).not.toBe(keyedHash(k1.secret, null, row));
  });

  it('names the first row that breaks the chain', () => {
    const rows = chain(4);
    const keys = keyring(k1);
    expect(verifyChain(rows, keys)).toMatchObject({ ok: true, checked: 4, lastId: 4, legacyRows: 0 });
    expect(verifyChain(rows.map((r) => (r.id === 3 ? { ...r, actor: 'mallory' } : r)), keys)).toMatchObject({ ok: false, checked: 2, brokenAt: { id: 3, kind: 'changed' } });
    expect(verifyChain(rows.filter((r) => r.id !== 2), keys)).toMatchObject({ ok: false, brokenAt: { id: 3, kind: 'link' } });
  });

  it('refuses a row rewritten without the key, however its hash was recomputed', () => {
    const rows = chain(4);
    const forged = { ...rows[2], actor: 'mallory' };
    const plain = { ...forged, keyId: null, hash: entryHash(rows[1].hash, forged) };
    expect(verifyChain([...rows.slice(0, 2), plain], keyring(k1))).toMatchObject({ ok: false, brokenAt: { id: 3, kind: 'unkeyed' } });
    const wrongKey = auditKey('k1', 'mallory-guessed-key-000000');
    const rekeyed = { ...forged, hash: keyedHash(wrongKey.secret, rows[1].hash, { ...forged, keyId: 'k1' }) };
    expect(verifyChain([...rows.slice(0, 2), rekeyed], keyring(k1))).toMatchObject({ ok: false, brokenAt: { id: 3, kind: 'changed' } });
    const ownKey = { ...forged, keyId: 'mallory', hash: keyedHash(wrongKey.secret, rows[1].hash, { ...forged, keyId: 'mallory' }) };
    expect(verifyChain([...rows.slice(0, 2), ownKey], keyring(k1))).toMatchObject({ ok: false, brokenAt: { id: 3, kind: 'unknown-key' } });
  });

  it('accepts legacy rows as the prefix the first keyed row seals', () => {
    const rows = chain(6, k1, 3);
    expect(verifyChain(rows, keyring(k1))).toMatchObject({ ok: true, checked: 6, legacyRows: 3, legacyThroughId: 3 });
    // a legacy row edited and the legacy links recomputed: the first keyed row's MAC covers the old head
    let prev: string | null = null;
    const relinked = rows.slice(0, 3).map((r) => {
      const e = { ...r, detail: r.id === 2 ? { forged: true } : r.detail };
      const hash: string = entryHash(prev, e);
      const out = { ...e, prevHash: prev, hash };
      prev = hash;
      return out;
    });
    expect(verifyChain([...relinked, ...rows.slice(3)], keyring(k1))).toMatchObject({ ok: false, brokenAt: { id: 4, kind: 'link' } });
  });

  it('verifies rows of every configured key while a key rotates; an unconfigured key names its row', () => {
    const first = chain(2, k1);
    const e = entry(3);
    const third = { ...e, id: 3, keyId: 'k2', prevHash: first[1].hash, hash: keyedHash(k2.secret, first[1].hash, { ...e, id: 3, keyId: 'k2' }) };
    expect(verifyChain([...first, third], keyring(k1, k2))).toMatchObject({ ok: true, checked: 3 });
    expect(verifyChain([...first, third], keyring(k2))).toMatchObject({ ok: false, brokenAt: { id: 1, kind: 'unknown-key' } });
  });

  it('builds the keyring from the settings: the last listed key signs, a bare key gets a fingerprint id', () => {
    const listed = buildAuditKeys({ keys: [{ id: 'old', secret: 'old-secret-0123456789' }, { id: 'new', secret: 'new-secret-0123456789' }], heraldSecret: 's' });
    expect(listed.signing.id).toBe('new');
    expect([...listed.verifying.keys()]).toEqual(['old', 'new', buildAuditKeys({ heraldSecret: 's' }).signing.id]);
    const single = buildAuditKeys({ key: 'one-key-0123456789', heraldSecret: 's' });
    expect(single.signing.id).toBe(keyFingerprint(Buffer.from('one-key-0123456789')));
    const derived = buildAuditKeys({ heraldSecret: 'herald-secret' });
    expect(derived.source).toBe('derived');
    // derived under its own label: never the secret itself
    expect(derived.signing.secret.equals(Buffer.from('herald-secret'))).toBe(false);
    expect(derived.signing.id).not.toBe(buildAuditKeys({ heraldSecret: 'other-secret' }).signing.id);
    // once a key is configured, the derived key keeps verifying its old rows, unless the secret is the public default
    expect(buildAuditKeys({ key: 'one-key-0123456789', heraldSecret: 'herald-secret' }).verifying.has(derived.signing.id)).toBe(true);
    expect(buildAuditKeys({ key: 'one-key-0123456789', heraldSecret: 'herald-secret', heraldSecretIsDefault: true }).verifying.has(derived.signing.id)).toBe(false);
  });
});

describe('audit settings', () => {
  it('reads HERALD_AUDIT_KEYS as id:secret pairs and refuses a bad list naming the variable', () => {
    expect(readSetting('auditKeys', { HERALD_AUDIT_KEYS: 'old:old-secret-0123456789, new:new-secret-0123456789' })).toEqual([
      { id: 'old', secret: 'old-secret-0123456789' },
      { id: 'new', secret: 'new-secret-0123456789' },
    ]);
    expect(() => readSetting('auditKeys', { HERALD_AUDIT_KEYS: 'no-colon-here' })).toThrow(/^HERALD_AUDIT_KEYS: entry 1 must be "id:secret"/);
    expect(() => readSetting('auditKeys', { HERALD_AUDIT_KEYS: 'k1:short' })).toThrow(/HERALD_AUDIT_KEYS: key k1: an audit key needs at least 16 characters/);
    expect(() => readSetting('auditKeys', { HERALD_AUDIT_KEYS: 'k1:aaaaaaaaaaaaaaaa,k1:bbbbbbbbbbbbbbbb' })).toThrow(/listed twice/);
    expect(() => readSetting('auditKey', { HERALD_AUDIT_KEY: 'short' })).toThrow(ConfigError);
    expect(loadConfig({ HERALD_DATA_DIR: '/srv/herald' }).auditCheckpointDir).toBe(path.join('/srv/herald', 'audit-checkpoints'));
    expect(loadConfig({ HERALD_AUDIT_CHECKPOINT_SECONDS: '0' }).auditCheckpointSeconds).toBe(0);
  });
});

describe.each(await dbKinds())('audit log on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(kind);
  }, 120_000);
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

describe.each(await dbKinds())('keyed audit chain on %s', (kind) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await openTestDb(kind);
  }, 120_000);
  afterEach(async () => {
    await t?.close();
  });

  async function tamper(work: () => Promise<unknown>) {
    await t.db.raw('alter table audit_log disable trigger audit_log_append_only');
    try {
      await work();
    } finally {
      await t.db.raw('alter table audit_log enable trigger audit_log_append_only');
    }
  }

  it('finds a superuser rewrite that recomputed every later hash with plain SHA-256, at its first row', async () => {
    const audit = createAuditRepository(t.db, { keys: keyring(k1) });
    for (let i = 0; i < 5; i++) await audit.append({ actor: 'carl', action: 'demo.rewrite', subjectType: 'test', subjectId: `rw-${i}`, detail: { amount: '100.00' } });
    const rows = await audit.list();
    await tamper(async () => {
      let prev = rows[1].hash;
      for (const r of rows.slice(2)) {
        const forged = { ...r, detail: r.id === rows[2].id ? { amount: '1.00' } : r.detail };
        const hash = entryHash(prev, forged);
        await t.db('audit_log').where({ id: r.id }).update({ detail: JSON.stringify(forged.detail), key_id: null, prev_hash: prev, hash });
        prev = hash;
      }
    });
    expect(await audit.verify()).toMatchObject({ ok: false, checked: 2, brokenAt: { id: rows[2].id, kind: 'unkeyed' } });
  });

  it('keeps verifying legacy rows written before the keyed migration; the first keyed row seals them', async () => {
    let prev: string | null = null;
    for (let i = 1; i <= 3; i++) {
      const e = { ...entry(i), at: new Date(Date.UTC(2026, 10, 24, 10, 0, i)).toISOString() };
      const hash: string = entryHash(prev, e);
      await t.db('audit_log').insert({ id: i, at: e.at, actor: e.actor, action: e.action, subject_type: e.subjectType, subject_id: e.subjectId, outcome: e.outcome, rule: null, detail: '{}', prev_hash: prev, hash });
      prev = hash;
    }
    await t.db.raw("select setval(pg_get_serial_sequence('audit_log', 'id'), 3)");
    const audit = createAuditRepository(t.db, { keys: keyring(k1) });
    const keyed = await audit.append({ actor: 'ada', action: 'demo.after-upgrade', subjectType: 'test', subjectId: 'up-1' });
    expect(keyed).toMatchObject({ id: 4, keyId: 'k1', prevHash: prev });
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 4, legacyRows: 3, legacyThroughId: 3 });
    await tamper(() => t.db('audit_log').where({ id: 2 }).update({ actor: 'mallory' }));
    expect(await audit.verify()).toMatchObject({ ok: false, brokenAt: { id: 2, kind: 'changed' } });
  });

  it('rotates keys: rows of the old key verify while it is configured, new rows take the newest key', async () => {
    const before = createAuditRepository(t.db, { keys: keyring(k1) });
    await before.append({ actor: 'ada', action: 'demo.rotate', subjectType: 'test', subjectId: 'r-1' });
    const during = createAuditRepository(t.db, { keys: keyring(k1, k2) });
    const second = await during.append({ actor: 'ada', action: 'demo.rotate', subjectType: 'test', subjectId: 'r-2' });
    expect(second.keyId).toBe('k2');
    expect(await during.verify()).toMatchObject({ ok: true, checked: 2 });
    const first = (await during.list())[0];
    expect(await createAuditRepository(t.db, { keys: keyring(k2) }).verify()).toMatchObject({ ok: false, brokenAt: { id: first.id, kind: 'unknown-key' } });
  });

  it('a checkpoint pin finds a truncation the rows alone cannot', async () => {
    const audit = createAuditRepository(t.db, { keys: keyring(k1) });
    for (let i = 0; i < 5; i++) await audit.append({ actor: 'ada', action: 'demo.trunc', subjectType: 'test', subjectId: `t-${i}` });
    const head = await audit.verify();
    if (!head.ok) throw new Error('the fresh chain should verify');
    const pin = { lastId: head.lastId!, lastHash: head.lastHash, rows: head.checked, legacyThroughId: head.legacyThroughId };
    expect(await audit.verify({ pin })).toMatchObject({ ok: true });
    expect(await audit.verifySince(pin)).toMatchObject({ ok: true, checked: 5 });
    await tamper(() => t.db('audit_log').where('id', '>=', head.lastId! - 1).delete());
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 3 });
    expect(await audit.verify({ pin })).toMatchObject({ ok: false, brokenAt: { id: head.lastId, kind: 'truncated' } });
    expect(await audit.verifySince(pin)).toMatchObject({ ok: false, brokenAt: { id: head.lastId, kind: 'truncated' } });
  });
});

describe.each(await dbKinds())('audit migration on %s', (kind) => {
  it('goes up and down', async () => {
    const t = await openTestDb(kind);
    try {
      expect(await t.db.schema.hasTable('audit_log')).toBe(true);
      expect(await t.db.schema.hasColumn('audit_log', 'key_id')).toBe(true);
      await rollbackAll(t.db, t.schema);
      expect(await t.db.schema.hasTable('audit_log')).toBe(false);
    } finally {
      await t.close();
    }
  });
});
