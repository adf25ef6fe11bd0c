/**
 * Users, their passwords, API tokens and browser sessions. Passwords, tokens and session ids
 * are stored hashed.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { DEMO_USERS, demoToken, hashPassword, newToken, parseToken, secretMatches, UNMATCHABLE_HASH, verifyPassword, type Role, type User } from '../../domain/identity/index.js';

interface UserRow {
  id: string;
  name: string;
  email: string | null;
  roles: unknown;
  approver_level: number | null;
  teams: unknown;
  customer_id: string | null;
  disabled: boolean;
  password_hash?: string | null;
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

function toUser(r: UserRow): User {
  return { id: r.id, name: r.name, email: r.email, roles: json<Role[]>(r.roles), approverLevel: r.approver_level, teams: json<string[]>(r.teams), customerId: r.customer_id };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function createIdentityRepository(db: Knex | Knex.Transaction) {
  return {
    async upsertUser(u: User): Promise<void> {
      await db('users')
        .insert({ id: u.id, name: u.name, email: u.email ?? null, roles: JSON.stringify(u.roles), approver_level: u.approverLevel ?? null, teams: JSON.stringify(u.teams), customer_id: u.customerId ?? null })
        .onConflict('id')
        .merge(['name', 'email', 'roles', 'approver_level', 'teams', 'customer_id']);
    },

    async getUser(id: string): Promise<User | undefined> {
      const r = (await db('users').where({ id, disabled: false }).first()) as UserRow | undefined;
      return r && toUser(r);
    },

    async listUsers(): Promise<User[]> {
      return ((await db('users').where({ disabled: false }).orderBy('id')) as UserRow[]).map(toUser);
    },

    async setPassword(userId: string, password: string): Promise<void> {
      const updated = await db('users').where({ id: userId }).update({ password_hash: await hashPassword(password), password_set_at: new Date() });
      if (!updated) throw new Error(`no user ${userId}`);
    },

    /**
     * The user a user name and password belong to, or undefined. An unknown, disabled or
     * password-less user costs the same scrypt run as a wrong password and gets the same answer.
     */
    async userForPassword(userId: string, password: string): Promise<User | undefined> {
      const row = (await db('users').where({ id: userId, disabled: false }).first()) as UserRow | undefined;
      const ok = await verifyPassword(password, row?.password_hash ?? UNMATCHABLE_HASH);
      return ok && row?.password_hash ? toUser(row) : undefined;
    },

    /** Issues a token; the plain text is returned once and never stored. */
    async issueToken(userId: string, label?: string, fixed?: { id: string; token: string; secretHash: string }): Promise<string> {
      const t = fixed ?? newToken();
      await db('api_tokens').insert({ id: t.id, user_id: userId, secret_hash: t.secretHash, label: label ?? null, revoked_at: null }).onConflict('id').merge(['user_id', 'secret_hash', 'label', 'revoked_at']);
      return t.token;
    },

    async revokeToken(id: string): Promise<void> {
      await db('api_tokens').where({ id }).update({ revoked_at: new Date() });
    },

    /** The user a bearer token belongs to, or undefined (unknown, revoked, expired or wrong secret). */
    async userForToken(token: string): Promise<{ user: User; tokenId: string } | undefined> {
      const parsed = parseToken(token);
      if (!parsed) return undefined;
      const row = await db('api_tokens').where({ id: parsed.id }).whereNull('revoked_at').first();
      // compare even when the id is unknown, so a miss costs the same as a wrong secret
      const ok = secretMatches(parsed.secret, (row?.secret_hash as string | undefined) ?? '0'.repeat(64)) && !!row;
      if (!ok || (row.expires_at && new Date(row.expires_at) < new Date())) return undefined;
      const user = await this.getUser(row.user_id as string);
      return user && { user, tokenId: parsed.id };
    },

    async createSession(userId: string, ttlMs: number): Promise<string> {
      const id = randomBytes(24).toString('base64url');
      await db('user_sessions').insert({ id_hash: sha256(id), user_id: userId, expires_at: new Date(Date.now() + ttlMs) });
      return id;
    },

    async userForSession(id: string): Promise<User | undefined> {
      const row = await db('user_sessions').where({ id_hash: sha256(id) }).where('expires_at', '>', new Date()).first();
      return row ? this.getUser(row.user_id as string) : undefined;
    },

    async deleteSession(id: string): Promise<void> {
      await db('user_sessions').where({ id_hash: sha256(id) }).delete();
    },
  };
}

export type IdentityRepository = ReturnType<typeof createIdentityRepository>;

/**
 * Seeds the demo's people with stable tokens derived from `key`, and with `options.password` as
 * everyone's password when given; returns how to act as each.
 */
export async function seedDemoUsers(db: Knex, key: string, options: { password?: string } = {}): Promise<{ user: User; token: string }[]> {
  const repo = createIdentityRepository(db);
  const out: { user: User; token: string }[] = [];
  for (const user of DEMO_USERS) {
    await repo.upsertUser(user);
    if (options.password) await repo.setPassword(user.id, options.password);
    out.push({ user, token: await repo.issueToken(user.id, 'demo', demoToken(user.id, key)) });
  }
  return out;
}
