/**
 * The database: knex over Postgres (DATABASE_URL) or PGlite, embedded Postgres in a folder.
 * Same SQL, same migrations on both. Nothing connects at import time.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import pg from 'pg';
import { migrationSource } from '../migrations/index.js';

export type Db = Knex;
export type Tx = Knex.Transaction;
export type DbKind = 'postgres' | 'pglite';

// bigint (int8) and numeric come back as strings: keys are numbers here, money stays a string.
pg.types.setTypeParser(20, (v) => Number(v));

export interface DbOptions {
  /** Postgres URL; when absent, PGlite is used. */
  url?: string;
  /** PGlite data folder; absent means in memory. */
  dataDir?: string;
  /** Postgres schema to work in (tests use one per suite). */
  schema?: string;
  /** PGlite in memory: start from this dump of a data folder (see createMigratedMemoryDb). */
  loadDataDir?: Blob;
  pool?: { min: number; max: number };
}

export function dbKind(db: Db): DbKind {
  return (db.client.config as { client: unknown }).client === ClientPgLite ? 'pglite' : 'postgres';
}

export function createDb(options: DbOptions): Db {
  if (options.url) {
    return knexFactory({
      client: 'pg',
      connection: options.url,
      searchPath: options.schema ? [options.schema, 'public'] : undefined,
      pool: options.pool ?? { min: 0, max: 10 },
    });
  }
  if (options.dataDir) fs.mkdirSync(options.dataDir, { recursive: true });
  return knexFactory({
    client: ClientPgLite,
    dialect: 'postgres',
    connection: { pglite: openPglite(options.dataDir && path.join(options.dataDir, 'pgdata'), options.loadDataDir) },
    useNullAsDefault: true,
  } as Knex.Config);
}

/**
 * PGlite's buffer pool. Postgres's default (128 MB) is touched as it starts, so it was most of an
 * idle server's memory (PGlite alone held ~310 MB resident, ~170 MB with 16 MB); PGlite's pages
 * live in files, and a page not in the pool is read back through the OS's page cache. Durability
 * is unchanged: only the pool's size differs.
 */
export const PGLITE_SHARED_BUFFERS = '16MB';

/** PGlite in a folder (absent: in memory), started with PGlite's own parameters plus a smaller pool. */
function openPglite(dataDir: string | undefined, loadDataDir?: Blob): PGlite {
  const options = { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`], ...(loadDataDir ? { loadDataDir } : {}) };
  return dataDir ? new PGlite(dataDir, options) : new PGlite(options);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The migrated copy's file: named after PGlite's version and the migrations' contents, so any
 * change to either makes a new one. Kept where npm tools keep their caches.
 */
function migratedCopyFile(): string {
  const hash = createHash('sha256');
  // its package.json is not exported: read beside its entry point (dist/index.cjs)
  const pglite = path.resolve(path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), '..', 'package.json');
  hash.update((JSON.parse(fs.readFileSync(pglite, 'utf8')) as { version: string }).version);
  const dir = path.join(root, 'migrations');
  for (const f of fs.readdirSync(dir).filter((f) => /\.(ts|js)$/.test(f)).sort()) hash.update(f).update(fs.readFileSync(path.join(dir, f)));
  return path.join(root, 'node_modules', '.cache', 'herald', `pglite-migrated-${hash.digest('hex').slice(0, 16)}.tar.gz`);
}

/**
 * An in-memory PGlite with every migration applied, started from a dump of one made earlier:
 * creating and migrating a PGlite costs seconds of CPU (initdb, then every migration), loading the
 * dump about a third of it. Process tests and dry runs open one per run. The first call makes the
 * dump; an unreadable one is made again.
 */
export async function createMigratedMemoryDb(): Promise<Db> {
  const file = migratedCopyFile();
  if (fs.existsSync(file)) {
    const db = createDb({ loadDataDir: new Blob([fs.readFileSync(file)]) });
    try {
      await migrate(db);
      return db;
    } catch {
      await db.destroy().catch(() => undefined);
      fs.rmSync(file, { force: true });
    }
  }
  const db = createDb({});
  await migrate(db);
  try {
    const pglite = (db.client as { pglite: PGlite }).pglite;
    const dump = await pglite.dumpDataDir('gzip');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // written aside and renamed, so a concurrent run never reads half a dump
    const partial = `${file}.${process.pid}.partial`;
    fs.writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(partial, file);
    // copies made for other migrations are of no more use
    for (const old of fs.readdirSync(path.dirname(file))) if (old.startsWith('pglite-migrated-') && old !== path.basename(file) && !old.endsWith('.partial')) fs.rmSync(path.join(path.dirname(file), old), { force: true });
  } catch {
    // no cache (read-only checkout): the next run migrates again
  }
  return db;
}

/** Creates the schema (if any) and runs every migration. */
export async function migrate(db: Db, schema?: string): Promise<void> {
  // PGlite starting (initdb on a new folder: a minute on a busy machine) is not a connection waited
  // for: knex would give up on it after acquireConnectionTimeout (60 s) as if the pool were full
  if (dbKind(db) === 'pglite') await (db.client as { pglite: PGlite }).pglite.waitReady;
  if (schema) await db.raw('create schema if not exists ??', [schema]);
  // a restart finds nothing pending: reading the list skips the lock table's transaction
  const [, pending] = (await db.migrate.list({ migrationSource, schemaName: schema })) as [unknown[], unknown[]];
  if (!pending.length) return;
  await db.migrate.latest({ migrationSource, schemaName: schema });
}

export async function rollbackAll(db: Db, schema?: string): Promise<void> {
  await db.migrate.rollback({ migrationSource, schemaName: schema }, true);
}

/** Opens and migrates the database the configuration names. */
export async function openDatabase(config: { databaseUrl?: string; dataDir: string }): Promise<Db> {
  const db = createDb(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir });
  await migrate(db);
  return db;
}

/**
 * Runs one statement on a connection of its own, with bindings passed to the driver as they are:
 * a JavaScript array becomes one Postgres array parameter (`?::text[]`), where `db.raw` would
 * spread it into a list. Returns the rows.
 */
export async function queryWithArrays<T = Record<string, unknown>>(db: Db, sql: string, bindings: unknown[]): Promise<T[]> {
  const client = db.client as {
    acquireConnection(): Promise<unknown>;
    releaseConnection(c: unknown): Promise<void>;
    query(c: unknown, q: { sql: string; bindings: unknown[] }): Promise<{ sql: string; response: { rows: T[] } }>;
    emit(event: string, ...args: unknown[]): void;
  };
  const connection = await client.acquireConnection();
  try {
    const result = await client.query(connection, { sql, bindings });
    // as knex's own runner does, so listeners see this statement like any other
    client.emit('query-response', result.response, { sql: result.sql, bindings });
    return result.response.rows;
  } finally {
    await client.releaseConnection(connection);
  }
}
