/**
 * The engine commands of the CLI against a listening API: instances create, list and cancel,
 * messages publish, signals broadcast, incidents, each with --json giving one JSON document and
 * problems naming the field.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/herald.js';
import { startApi, type Api } from '../api/harness.js';

describe('herald instances / messages / signals / incidents', () => {
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
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cli-engine-'));
    api = await startApi('pglite', { followTasks: false });
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = api.app.server.address() as { port: number };
    process.env.HERALD_URL = `http://127.0.0.1:${port}`;
    process.env.HERALD_TOKEN = api.tokens.eric;
  }, 120_000);
  afterAll(async () => {
    process.env.HERALD_URL = saved.url;
    process.env.HERALD_TOKEN = saved.token;
    if (saved.url === undefined) delete process.env.HERALD_URL;
    if (saved.token === undefined) delete process.env.HERALD_TOKEN;
    await api?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates an instance with variables from a file, lists it, cancels it, each with --json', async () => {
    const vars = path.join(dir, 'vars.json');
    fs.writeFileSync(vars, JSON.stringify({ dueDate: null, priority: 50, amount: '120.00' }));
    const created = await herald('instances', 'create', 'api-approval', '--variables', `@${vars}`, '--json');
    expect(created.code).toBe(0);
    const ref = JSON.parse(created.stdout) as { processInstanceKey: string; bpmnProcessId: string; version: number };
    expect(ref).toMatchObject({ bpmnProcessId: 'api-approval', version: 1, processInstanceKey: expect.stringMatching(/^\d+$/) });
    expect((await api.engine.getInstance(ref.processInstanceKey))?.variables).toMatchObject({ amount: '120.00' });

    const listed = await herald('instances', '--process', 'api-approval', '--state', 'active', '--json');
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { processInstanceKey: string }[]).map((i) => i.processInstanceKey)).toContain(ref.processInstanceKey);
    expect((await herald('instances', '--process', 'api-approval')).stdout).toContain(`${ref.processInstanceKey}  api-approval v1  ACTIVE`);

    const cancelled = await herald('instances', 'cancel', ref.processInstanceKey, '--json');
    expect(cancelled).toMatchObject({ code: 0 });
    expect(JSON.parse(cancelled.stdout)).toEqual({ processInstanceKey: ref.processInstanceKey, state: 'TERMINATED' });
    expect((await api.engine.getInstance(ref.processInstanceKey))?.state).toBe('TERMINATED');

    const human = await herald('instances', 'create', 'api-approval', '--variables', '{"dueDate":null,"priority":1}');
    expect(human.stdout).toMatch(/^started api-approval v1: instance \d+\n$/);
  });

  it('refuses bad input before calling, and prints the API problem (as JSON with --json)', async () => {
    expect(await herald('instances', 'create')).toMatchObject({ code: 2, stderr: expect.stringContaining("expected 'create <bpmnProcessId>'") });
    expect(await herald('instances', 'create', 'x', '--variables', '[1]')).toMatchObject({ code: 1, stderr: expect.stringContaining('--variables: expected a JSON object') });
    expect(await herald('instances', 'cancel', 'abc')).toMatchObject({ code: 2 });
    const missing = await herald('instances', 'create', 'no-such-process', '--json');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(JSON.parse(missing.stderr)).toMatchObject({ status: 404 });
  });

  it('publishes a message and broadcasts a signal', async () => {
    const published = await herald('messages', 'publish', 'payment-received', '--correlation-key', 'INV-1', '--variables', '{"amount":"10.00"}', '--ttl', '60000', '--message-id', 'm-1', '--json');
    expect(published.code).toBe(0);
    expect(JSON.parse(published.stdout)).toEqual({ messageKey: expect.stringMatching(/^\d+$/) });
    const again = await herald('messages', 'publish', 'payment-received', '--correlation-key', 'INV-1', '--ttl', '60000', '--message-id', 'm-1');
    expect(again.code).toBe(1);
    expect(await herald('messages', 'publish', 'payment-received')).toMatchObject({ code: 2, stderr: expect.stringContaining('--correlation-key is required') });
    const signal = await herald('signals', 'broadcast', 'freeze-dunning', '--json');
    expect(signal.code).toBe(0);
    expect(JSON.parse(signal.stdout)).toEqual({ signalKey: expect.stringMatching(/^\d+$/) });
    expect((await herald('signals', 'broadcast', 'freeze-dunning')).stdout).toMatch(/^broadcast freeze-dunning: signal \d+\n$/);
  });

  it('lists incidents as JSON', async () => {
    const incidents = await herald('incidents', '--json');
    expect(incidents.code).toBe(0);
    expect(Array.isArray(JSON.parse(incidents.stdout))).toBe(true);
  });

  it('every command answers --help, and the usage names the new commands', async () => {
    const help = await herald('--help');
    for (const name of ['migrate', 'messages', 'signals', 'instances']) expect(help.stdout).toMatch(new RegExp(`^  ${name}\\s`, 'm'));
    for (const name of ['migrate', 'messages', 'signals', 'instances', 'incidents', 'deploy', 'test']) {
      const r = await herald(name, '--help');
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toMatch(/^Usage: herald/);
    }
  });
});
