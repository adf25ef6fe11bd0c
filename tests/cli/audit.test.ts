import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/herald.js';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { startApi, type Api } from '../api/harness.js';

// the CLI talks HTTP only: one listening API on PGlite is enough (the API tests cover both databases)
describe('herald audit', () => {
  let api: Api;
  let dir: string;
  const saved = { url: process.env.HERALD_URL, token: process.env.HERALD_TOKEN };
  async function herald(...argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
    return { code, stdout, stderr };
  }
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cli-audit-'));
    api = await startApi('pglite', { audit: { checkpointDir: path.join(dir, 'server') }, followTasks: false });
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = api.app.server.address() as { port: number };
    process.env.HERALD_URL = `http://127.0.0.1:${port}`;
    process.env.HERALD_TOKEN = api.tokens.carl;
    const audit = createAuditRepository(api.t.db);
    for (let i = 0; i < 3; i++) await audit.append({ actor: 'ada', action: 'demo.cli', subjectType: 'test', subjectId: `cli-${i}` });
  }, 120_000);
  afterAll(async () => {
    process.env.HERALD_URL = saved.url;
    process.env.HERALD_TOKEN = saved.token;
    if (saved.url === undefined) delete process.env.HERALD_URL;
    if (saved.token === undefined) delete process.env.HERALD_TOKEN;
    await api?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes a checkpoint (and a local copy), then verifies the chain against it', async () => {
    const copy = path.join(dir, 'copy.json');
    const taken = await herald('audit', 'checkpoint', '--out', copy);
    expect(taken).toMatchObject({ code: 0, stderr: '' });
    expect(taken.stdout).toMatch(/^checkpoint of row \d+ \(3 rows, key fp-[0-9a-f]{12}\) written to .*server.*checkpoint-.*\.json and .*copy\.json\n$/);
    expect(JSON.parse(fs.readFileSync(copy, 'utf8'))).toMatchObject({ version: 1, rows: 3 });

    const plain = await herald('audit', 'verify');
    expect(plain).toMatchObject({ code: 0, stdout: 'audit chain ok: 4 rows verified\n' });
    const against = await herald('audit', 'verify', '--checkpoint', copy, '--json');
    expect(against.code).toBe(0);
    expect(JSON.parse(against.stdout)).toMatchObject({ ok: true, checked: 4, checkpoint: { rows: 3 } });
  });

  it('exits 1 naming the checkpoint row when the tail was cut after it', async () => {
    const copy = path.join(dir, 'before-cut.json');
    expect((await herald('audit', 'checkpoint', '--out', copy)).code).toBe(0);
    const { lastId } = JSON.parse(fs.readFileSync(copy, 'utf8')) as { lastId: number };
    await api.t.db.raw('alter table audit_log disable trigger audit_log_append_only');
    try {
      await api.t.db('audit_log').where('id', '>=', lastId).delete();
    } finally {
      await api.t.db.raw('alter table audit_log enable trigger audit_log_append_only');
    }
    expect((await herald('audit', 'verify')).code).toBe(0);
    const cut = await herald('audit', 'verify', '--checkpoint', copy);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toContain(`audit chain BROKEN at row ${lastId} (truncated)`);
    // the server keeps its own checkpoints: verifying against the newest one finds the cut too
    const latest = await herald('audit', 'verify', '--latest');
    expect(latest.code).toBe(1);
    expect(latest.stdout).toContain(`audit chain BROKEN at row ${lastId} (truncated)`);
    const refused = await herald('audit', 'checkpoint');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`the chain does not verify at row ${lastId}`);
  });

  it('answers bad usage with 2 and an unreadable checkpoint with 1', async () => {
    expect((await herald('audit')).code).toBe(2);
    expect((await herald('audit', 'verify', '--out', 'x')).code).toBe(2);
    expect((await herald('audit', 'rekey')).code).toBe(2);
    expect((await herald('audit', 'verify', '--latest', '--checkpoint', 'x')).code).toBe(2);
    const missing = await herald('audit', 'verify', '--checkpoint', path.join(dir, 'nope.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read the checkpoint');
    expect((await herald('audit', '--help')).stdout).toContain('herald audit verify [--checkpoint FILE]');
  });
});
