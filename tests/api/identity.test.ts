import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupsOf, hashSecret, parseToken } from '../../domain/identity/index.js';
import { rollbackAll } from '../../storage/db.js';
import { createIdentityRepository, seedDemoUsers } from '../../storage/repositories/identity.js';
import { dbKinds, openTestDb, type TestDb } from '../support/db.js';

describe('identity (pure)', () => {
  it('derives candidate groups from roles, approver level and teams', () => {
    expect(groupsOf({ roles: ['approver'], approverLevel: 2, teams: ['finance-controller'] }).sort()).toEqual(['approver', 'approver-l2', 'finance-controller']);
    expect(groupsOf({ roles: ['customer'], teams: [] })).toEqual(['customer']);
  });
});

describe.each(await dbKinds())('identity repository on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('seeds the demo people with stable tokens stored hashed', async () => {
    const first = await seedDemoUsers(t.db, 'k1');
    const again = await seedDemoUsers(t.db, 'k1');
    expect(first.map((p) => p.user.id)).toEqual(['ada', 'eric', 'alice', 'bob', 'sam', 'dora', 'carl', 'root', 'acme', 'northwind']);
    expect(again.map((p) => p.token)).toEqual(first.map((p) => p.token));
    const ada = first[0].token;
    const stored = await t.db('api_tokens').where({ id: 'demo-ada' }).first();
    expect(stored.secret_hash).toBe(hashSecret(parseToken(ada)!.secret));
    expect(JSON.stringify(await t.db('api_tokens').select())).not.toContain(parseToken(ada)!.secret);
  });

  it('finds the user for a token; refuses a wrong secret, an unknown id and a revoked token', async () => {
    const repo = createIdentityRepository(t.db);
    await repo.upsertUser({ id: 'tess', name: 'Tess', roles: ['analyst'], teams: [] });
    const token = await repo.issueToken('tess', 'test');
    expect((await repo.userForToken(token))?.user.id).toBe('tess');
    const { id } = parseToken(token)!;
    expect(await repo.userForToken(`hrd_${id}_${'x'.repeat(32)}`)).toBeUndefined();
    expect(await repo.userForToken(`hrd_nobody_${'x'.repeat(32)}`)).toBeUndefined();
    expect(await repo.userForToken('not-a-token')).toBeUndefined();
    await repo.revokeToken(id);
    expect(await repo.userForToken(token)).toBeUndefined();
  });

  it('keeps sessions by hash and expires them', async () => {
    const repo = createIdentityRepository(t.db);
    const sid = await repo.createSession('tess', 60_000);
    expect((await repo.userForSession(sid))?.id).toBe('tess');
    expect(await t.db('user_sessions').where({ id_hash: sid }).first()).toBeUndefined();
    const old = await repo.createSession('tess', -1);
    expect(await repo.userForSession(old)).toBeUndefined();
    await repo.deleteSession(sid);
    expect(await repo.userForSession(sid)).toBeUndefined();
  });
});

describe.each(await dbKinds())('identity, tasklist and event migrations on %s', (kind) => {
  it('go up and down', async () => {
    const t = await openTestDb(kind);
    try {
      for (const table of ['users', 'api_tokens', 'user_sessions', 'tasks', 'task_comments', 'event_receipts']) expect(await t.db.schema.hasTable(table)).toBe(true);
      await rollbackAll(t.db, t.schema);
      for (const table of ['users', 'api_tokens', 'user_sessions', 'tasks', 'task_comments', 'event_receipts']) expect(await t.db.schema.hasTable(table)).toBe(false);
    } finally {
      await t.close();
    }
  });
});
