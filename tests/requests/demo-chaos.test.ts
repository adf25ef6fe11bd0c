/**
 * The demo cannot stall (issue 15, "How it is shown"): the real server (`node api/main.ts`, as
 * `npm start` runs it, on PGlite in a data folder of its own, emails to data/outbox) runs the
 * shipped demo to its end
 *
 * 1. with every job handler and every demo step ten times slower (HERALD_TEST_WORK_SLOWDOWN=10,
 *    workers/test-slowdown.ts, test-only), and
 * 2. when the server is SIGKILLed in the middle of the demo (after the first emails, before the
 *    last) and started again on the same data folder: the demo resumes where it stopped.
 *
 * The demo is through when it prints its summary (api/demo.ts: Acme's payment confirmation and
 * Northwind's escalation sent), the request demo's corrected invoice is sent and the last
 * dunning (the $25,000 invoice's) has escalated. Then every message of the story is in
 * data/outbox exactly once (one file per communication, each Message-ID once), nothing
 * unexpected was sent, and no incident was raised (the log's 'incident raised' lines, and
 * GET /api/incidents).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alive, running, startServer, type Server } from '../ops/server.js';

const SECRET = 'demo-chaos-test-secret';
/** Every message of the demo's story, by communication id (the outbox file's name). */
const STORY = [
  // Acme: the $19,600 notice, two reminders, paid, a payment confirmation
  'INV-2026-0142-notice',
  'INV-2026-0142-reminder-1',
  'INV-2026-0142-reminder-2',
  'INV-2026-0142-payment-confirmation',
  // Northwind: the notice, two reminders, escalation to collections
  'INV-2026-0157-notice',
  'INV-2026-0157-reminder-1',
  'INV-2026-0157-reminder-2',
  'INV-2026-0157-escalation',
  // Acme's $25,000 invoice: the notice, the request's acknowledgement and the corrected invoice;
  // its dunning goes on at the corrected amount to escalation
  'INV-2026-0199-notice',
  'demo-invoice-2026-0199-discrepancy-ack-0',
  'demo-invoice-2026-0199-discrepancy-result-0',
  'INV-2026-0199-escalation',
];
/** How many reminders the $25,000 invoice gets depends on when the dispute holds them: any number is right. */
const VARIABLE = /^INV-2026-0199-reminder-\d+$/;

const servers: Server[] = [];
const folders: string[] = [];
afterAll(async () => {
  for (const s of servers) {
    if (s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill('SIGKILL');
      await s.exited;
    }
  }
  for (const f of folders) fs.rmSync(f, { recursive: true, force: true });
});

async function stop(server: Server): Promise<void> {
  server.child.kill('SIGTERM');
  await server.exited;
}

function dataFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-demo-chaos-'));
  folders.push(dir);
  return dir;
}

async function startDemo(dataDir: string, env: Record<string, string> = {}): Promise<Server> {
  const server = await startServer({ dataDir, env: { HERALD_DEMO: 'true', HERALD_DEMO_INTERVAL: 'PT4S', HERALD_SECRET: SECRET, HERALD_DEMO_PASSWORD: 'demo-chaos-password', ...env } });
  servers.push(server);
  await server.line(running);
  return server;
}

const msg = (text: string) => (l: Record<string, unknown> | string) => typeof l === 'object' && l.msg === text;

/** The emails in the outbox: communication id → its Message-ID header. */
function outbox(dataDir: string): Map<string, string> {
  const dir = path.join(dataDir, 'outbox');
  const out = new Map<string, string>();
  if (!fs.existsSync(dir)) return out;
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.eml'))) {
    const raw = fs.readFileSync(path.join(dir, f), 'utf8');
    out.set(f.replace(/\.eml$/, ''), /^Message-ID:\s*(\S+)/im.exec(raw)?.[1] ?? '');
  }
  return out;
}

/** Waits until the demo is through, then checks what it sent and that nothing raised an incident. */
async function expectDemoThrough(server: Server, dataDir: string, logs: Server['lines'][], url = server.url) {
  await server.line(msg('demo: summary printed'), 240_000);
  await expect.poll(() => STORY.filter((id) => !outbox(dataDir).has(id)), { timeout: 240_000, interval: 500 }).toEqual([]);
  const sent = outbox(dataDir);
  // every message of the story once; nothing else but the $25,000 invoice's reminders
  expect([...sent.keys()].filter((id) => !STORY.includes(id) && !VARIABLE.test(id))).toEqual([]);
  const messageIds = [...sent.values()];
  expect(messageIds.every((m) => /^<.+@.+>$/.test(m))).toBe(true);
  expect(new Set(messageIds).size).toBe(messageIds.length);
  // and no incident: none logged by any run, none open in the engine
  expect(logs.flat().filter((l) => typeof l === 'object' && l.msg === 'incident raised')).toEqual([]);
  const token = `Bearer ${await rootToken(server)}`;
  const incidents = await fetch(`${url}/api/incidents`, { headers: { authorization: token } });
  expect(incidents.status).toBe(200);
  expect(await incidents.json()).toEqual([]);
  return sent;
}

/** root's API token, as the server prints it for the demo people. */
async function rootToken(server: Server): Promise<string> {
  const line = (await server.line((l) => typeof l === 'string' && /^\s+root\s/.test(l))) as string;
  return line.trim().split(/\s+/).pop()!;
}

describe('the demo cannot stall', () => {
  it('completes with no incident when every worker and every demo step is ten times slower', async () => {
    const dataDir = dataFolder();
    const started = Date.now();
    const server = await startDemo(dataDir, { HERALD_TEST_WORK_SLOWDOWN: '10' });
    // the slowdown is on (the server says so, at warn)
    expect(await server.line((l) => typeof l === 'object' && typeof l.msg === 'string' && l.msg.startsWith('TEST ONLY: every job handler'))).toMatchObject({ slowdown: 10 });
    const sent = await expectDemoThrough(server, dataDir, [server.lines]);
    expect(server.lines.filter(msg('demo: task done')).length).toBeGreaterThan(0);
    console.info(`demo-chaos: 10x slower demo through in ${Math.round((Date.now() - started) / 1000)} s, ${sent.size} emails`);
    await stop(server);
  }, 420_000);

  it('resumes and completes after a SIGKILL in the middle of the demo and a restart on the same data folder', async () => {
    const dataDir = dataFolder();
    const first = await startDemo(dataDir);
    // given the demo has sent its first emails and not its last: Acme's request is acknowledged,
    // its review and approvals (sam, alice, bob) still to come
    await expect.poll(() => outbox(dataDir).has('demo-invoice-2026-0199-discrepancy-ack-0'), { timeout: 240_000, interval: 200 }).toBe(true);
    const pid = first.nodePid();
    process.kill(pid, 'SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(alive(pid)).toBe(false);
    const before = outbox(dataDir);
    expect(before.size).toBeGreaterThanOrEqual(2);
    expect(STORY.filter((id) => !before.has(id)).length).toBeGreaterThan(0);
    expect(first.lines.some(msg('demo: summary printed'))).toBe(false);
    // when Herald starts again on the same data folder and port, as `npm start` does again (the
    // links in its messages, HERALD_BASE_URL, follow the port; the archive rebuilds what was sent)
    const second = await startDemo(dataDir, { PORT: String(first.port) });
    await second.line(msg('demo: resuming where it stopped'));
    // then the demo goes on to its end: every message once, no incident
    const sent = await expectDemoThrough(second, dataDir, [first.lines, second.lines], first.url);
    for (const [id, messageId] of before) expect(sent.get(id)).toBe(messageId);
    await stop(second);
    console.info(`demo-chaos: killed with ${before.size} emails sent (${[...before.keys()].join(', ')}); after the restart ${sent.size}`);
  }, 420_000);
});
