import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupsOf, hashPassword, hashSecret, parseToken, verifyPassword } from '../../domain/identity/index.js';
import { rollbackAll } from '../../storage/db.js';
import { createIdentityRepository, seedDemoUsers } from '../../storage/repositories/identity.js';
import { dbKinds, openTestDb, type TestDb } from '../support/db.js';
import { startApi, type Api } from './harness.js';

describe('identity (pure)', () => {
  it('derives candidate groups from roles, approver level and teams', () => {
    expect(groupsOf({ roles: ['approver'], approverLevel: 2, teams: ['finance-controller'] }).sort()).toEqual(['approver', 'approver-l2', 'finance-controller']);
    expect(groupsOf({ roles: ['customer'], teams: [] })).toEqual(['customer']);
  });

  it('hashes passwords with scrypt and a salt, and verifies only the right one', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse');
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsE', a)).toBe(false);
    expect(await verifyPassword('correct horse', 'md5$abc')).toBe(false);
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

  it('signs people in by password; an unknown user, a wrong password and no password all fail alike', async () => {
    const repo = createIdentityRepository(t.db);
    await seedDemoUsers(t.db, 'k1', { password: 'demo-pass-1' });
    expect((await repo.userForPassword('alice', 'demo-pass-1'))?.roles).toEqual(['approver']);
    expect(await repo.userForPassword('alice', 'demo-pass-2')).toBeUndefined();
    expect(await repo.userForPassword('nobody', 'demo-pass-1')).toBeUndefined();
    await repo.upsertUser({ id: 'nopass', name: 'No password', roles: ['analyst'], teams: [] });
    expect(await repo.userForPassword('nopass', '')).toBeUndefined();
    const row = await t.db('users').where({ id: 'alice' }).first();
    expect(row.password_hash).toMatch(/^scrypt\$/);
    expect(JSON.stringify(row)).not.toContain('demo-pass-1');
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
      expect(await t.db.schema.hasColumn('users', 'password_hash')).toBe(true);
      await rollbackAll(t.db, t.schema);
      for (const table of ['users', 'api_tokens', 'user_sessions', 'tasks', 'task_comments', 'event_receipts']) expect(await t.db.schema.hasTable(table)).toBe(false);
    } finally {
      await t.close();
    }
  });
});

describe('signing in over HTTP', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi('pglite');
    await createIdentityRepository(api.t.db).setPassword('alice', 'alice-password');
  });
  afterAll(async () => {
    await api?.close();
  });
  const signIn = (body: unknown, ip = '10.0.0.1') => api.app.inject({ method: 'POST', url: '/api/session', payload: body as object, remoteAddress: ip });

  it('given a user name and password, sets the session cookie that GET /api/me and DELETE /api/session accept', async () => {
    const res = await signIn({ username: 'alice', password: 'alice-password' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ id: 'alice', roles: ['approver'], groups: expect.arrayContaining(['approver-l1']) });
    const cookie = res.cookies.find((c) => c.name === 'herald_session')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Strict');
    const headers = { cookie: `herald_session=${cookie.value}` };
    expect((await api.app.inject({ method: 'GET', url: '/api/me', headers })).json().id).toBe('alice');
    expect((await api.app.inject({ method: 'DELETE', url: '/api/session', headers })).statusCode).toBe(204);
    expect((await api.app.inject({ method: 'GET', url: '/api/me', headers })).statusCode).toBe(401);
  });

  it('answers a wrong password and an unknown user with the same 401', async () => {
    const wrong = await signIn({ username: 'alice', password: 'nope' }, '10.0.0.2');
    const unknown = await signIn({ username: 'mallory', password: 'nope' }, '10.0.0.2');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.body).toBe(unknown.body);
    expect(wrong.cookies).toEqual([]);
  });

  it('still signs in with an API token, and refuses a body with neither', async () => {
    expect((await signIn({ token: api.tokens.eric }, '10.0.0.3')).json().id).toBe('eric');
    expect((await signIn({ username: 'alice' }, '10.0.0.3')).statusCode).toBe(400);
  });

  it('rate-limits sign-in attempts per address', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push((await signIn({ username: 'alice', password: `guess-${i}` }, '10.0.0.4')).statusCode);
    expect(codes.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(codes.slice(10)).toEqual([429, 429]);
    expect((await signIn({ username: 'alice', password: 'alice-password' }, '10.0.0.5')).statusCode).toBe(201);
  });
});
