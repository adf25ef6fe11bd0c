/**
 * `herald migrate status|up|down [--json]`: the database's migrations, on the database the server
 * would open (DATABASE_URL, else PGlite under HERALD_DATA_DIR, default ./data). The one command
 * that talks to the database rather than the API: migrations are what the API needs to start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../config/index.js';
import { migrationSource } from '../../migrations/index.js';
import { createDb, type Db } from '../../storage/db.js';
import type { Command } from '../command.js';
import { printJson } from '../http.js';

const HELP = `Usage: herald migrate status|up|down [--json]

  status   every migration, ran or pending
  up       run every pending migration (the server also does this when it starts)
  down     roll back the latest migration (one step; run again for more)

Database: DATABASE_URL (Postgres), else PGlite in HERALD_DATA_DIR (default ./data).
PGlite is opened by one process at a time: stop the server before migrating its folder.
`;

interface Status {
  database: string;
  completed: string[];
  pending: string[];
}

async function status(db: Db, database: string): Promise<Status> {
  const [completed, pending] = (await db.migrate.list({ migrationSource })) as [{ name: string }[], string[]];
  return { database, completed: completed.map((m) => m.name), pending: pending.map(String) };
}

export const migrateCommand: Command = {
  summary: 'show, run or roll back database migrations (migrate status|up|down)',
  async run(args, io) {
    let parsed;
    try {
      parsed = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    } catch (err) {
      io.err(`herald migrate: ${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.out(HELP);
      return 0;
    }
    const [action, ...extra] = positionals;
    if (!['status', 'up', 'down'].includes(action ?? '') || extra.length) {
      io.err(`herald migrate: expected status, up or down\n\n${HELP}`);
      return 2;
    }
    let config;
    try {
      config = loadConfig();
    } catch (err) {
      if (err instanceof ConfigError) {
        io.err(`herald migrate: configuration error: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
    const pgliteDir = path.join(config.dataDir, 'pgdata');
    if (!config.databaseUrl && action !== 'up' && !fs.existsSync(pgliteDir)) {
      io.err(`herald migrate: no PGlite database at ${pgliteDir} (set DATABASE_URL or HERALD_DATA_DIR, or run 'herald migrate up' to create it)\n`);
      return 1;
    }
    const database = config.databaseUrl ? `postgres ${new URL(config.databaseUrl).host}${new URL(config.databaseUrl).pathname}` : `pglite ${pgliteDir}`;
    const db = createDb(config.databaseUrl ? { url: config.databaseUrl, pool: { min: 0, max: 1 } } : { dataDir: config.dataDir });
    try {
      if (action === 'status') {
        const s = await status(db, database);
        if (values.json) return (printJson(io, s), 0);
        io.out(`${database}\n`);
        for (const name of s.completed) io.out(`  ran      ${name}\n`);
        for (const name of s.pending) io.out(`  pending  ${name}\n`);
        io.out(`${s.completed.length} ran, ${s.pending.length} pending\n`);
        return 0;
      }
      if (action === 'up') {
        const before = await status(db, database);
        if (!values.json && before.pending.length) io.err(`running ${before.pending.length} migration(s) on ${database}…\n`);
        const started = Date.now();
        const [, ran] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
        if (values.json) return (printJson(io, { database, ran, ms: Date.now() - started }), 0);
        for (const name of ran) io.out(`  ran      ${name}\n`);
        io.out(ran.length ? `${ran.length} migration(s) ran in ${((Date.now() - started) / 1000).toFixed(1)} s\n` : 'already up to date\n');
        return 0;
      }
      const [, rolledBack] = (await db.migrate.down({ migrationSource })) as [number, string[]];
      if (values.json) return (printJson(io, { database, rolledBack }), 0);
      for (const name of rolledBack) io.out(`  rolled back  ${name}\n`);
      if (!rolledBack.length) io.out('nothing to roll back\n');
      return 0;
    } catch (err) {
      io.err(`herald migrate ${action}: ${(err as Error).message}\n`);
      return 1;
    } finally {
      await db.destroy();
    }
  },
};
