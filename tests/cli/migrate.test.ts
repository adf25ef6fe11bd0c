/** `herald migrate status|up|down` on a PGlite folder of its own (HERALD_DATA_DIR), human and --json. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/herald.js';
import { migrationSource } from '../../migrations/index.js';

describe('herald migrate (PGlite)', () => {
  let dir: string;
  const saved = { dataDir: process.env.HERALD_DATA_DIR, databaseUrl: process.env.DATABASE_URL };
  async function herald(...argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
    return { code, stdout, stderr };
  }
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cli-migrate-'));
    process.env.HERALD_DATA_DIR = dir;
    delete process.env.DATABASE_URL;
  });
  afterAll(() => {
    for (const [k, v] of [['HERALD_DATA_DIR', saved.dataDir], ['DATABASE_URL', saved.databaseUrl]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('says there is no database yet, runs every migration, shows them ran, rolls back the latest', async () => {
    const all = await migrationSource.getMigrations([]);
    const none = await herald('migrate', 'status');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`no PGlite database at ${path.join(dir, 'pgdata')}`);

    const up = await herald('migrate', 'up', '--json');
    expect(up.code).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({ database: `pglite ${path.join(dir, 'pgdata')}`, ran: all });

    const status = await herald('migrate', 'status', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ completed: all, pending: [] });
    expect((await herald('migrate', 'up')).stdout).toBe('already up to date\n');

    const down = await herald('migrate', 'down', '--json');
    expect(JSON.parse(down.stdout)).toMatchObject({ rolledBack: [all.at(-1)] });
    const after = await herald('migrate', 'status');
    expect(after.stdout).toContain(`  pending  ${all.at(-1)}\n`);
    expect(after.stdout).toContain(`${all.length - 1} ran, 1 pending\n`);
    expect(await herald('migrate', 'sideways')).toMatchObject({ code: 2, stderr: expect.stringContaining('expected status, up or down') });
  }, 300_000);
});
