/**
 * The database: knex over Postgres (DATABASE_URL) or PGlite, embedded Postgres in a folder.
 * Same SQL, same migrations on both. Nothing connects at import time.
 */
import fs from 'node:fs';
import path from 'node:path';
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
    connection: options.dataDir ? { filename: path.join(options.dataDir, 'pgdata') } : {},
    useNullAsDefault: true,
  } as Knex.Config);
}

/** Creates the schema (if any) and runs every migration. */
export async function migrate(db: Db, schema?: string): Promise<void> {
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
