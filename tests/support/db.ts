/**
 * Test databases: every suite gets its own schema on the local Postgres (TEST_DATABASE_URL, or
 * 127.0.0.1:5432/test when reachable) and its own in-memory PGlite. `dbKinds()` lists what can run
 * here; CI always has both.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { createDb, migrate, type Db, type DbKind } from '../../storage/db.js';

export const postgresUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 5432) });
    socket.setTimeout(500);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

let kinds: Promise<DbKind[]> | undefined;
/** The database kinds tests run against: always PGlite, Postgres when reachable (always in CI). */
export function dbKinds(): Promise<DbKind[]> {
  kinds ??= reachable(postgresUrl).then((ok) => {
    if (!ok && process.env.CI) throw new Error(`CI needs Postgres at ${postgresUrl}`);
    return ok ? ['pglite', 'postgres'] : ['pglite'];
  });
  return kinds;
}

export interface TestDb {
  db: Db;
  kind: DbKind;
  schema?: string;
  close(): Promise<void>;
}

/** A fresh, migrated database of the given kind; close() drops it. */
export async function openTestDb(kind: DbKind, options: { migrated?: boolean } = {}): Promise<TestDb> {
  if (kind === 'pglite') {
    const db = createDb({});
    if (options.migrated !== false) await migrate(db);
    return { db, kind, close: () => db.destroy() };
  }
  const schema = `t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const db = createDb({ url: postgresUrl, schema, pool: { min: 0, max: 5 } });
  if (options.migrated !== false) await migrate(db, schema);
  else await db.raw('create schema ??', [schema]);
  return {
    db,
    kind,
    schema,
    close: async () => {
      await db.raw('drop schema if exists ?? cascade', [schema]);
      await db.destroy();
    },
  };
}
