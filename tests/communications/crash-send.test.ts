/**
 * Send-path crash test (issue 5, "Must show"): a child process (crash/send-child.ts) runs the
 * embedded engine, the workers and the delivery service on Postgres and sends
 * customer-communication instances to a real SMTP server in this process. Each round starts
 * fresh communications and the child is SIGKILLed at one point of the send path (KILL_POINTS:
 * before and after render, before and after enqueue, during SMTP DATA, after the server
 * accepted, after the delivery was recorded, after the result was published), then restarted.
 * A last run goes to the end. Then:
 *
 * - every communication was sent, its instance completed and it was archived;
 * - every message the server accepted carries the Message-ID derived from its communication id,
 *   and distinct Message-IDs accepted = communications;
 * - raw arrivals may exceed that only through the named window, "SMTP accepted, the record lost"
 *   (kill point after-accepted): each repeat is of a communication whose earlier attempt stayed
 *   open in delivery_attempts, and carries the same Message-ID and the same bytes.
 *
 * CRASH_SEND_REPEATS rounds per kill point (1 by default, CI included: 8 kill points; 20 for the
 * issue's full run);
 * CRASH_SEND_QUEUE=bullmq runs the delivery queue on Redis (TEST_REDIS_URL) instead of in-process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { Redis } from 'ioredis';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, migrate, type Db } from '../../storage/db.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { seedTemplateLibrary } from '../../storage/templates.js';
import { dbKinds, postgresUrl } from '../support/db.js';
import { KILL_POINTS, type KillPoint } from './crash/kill-points.js';
import type { SendChildConfig } from './crash/send-child.js';

const here = import.meta.dirname;
const childScript = path.join(here, 'crash', 'send-child.ts');
const repoRoot = path.resolve(here, '../..');
const REPEATS = Number(process.env.CRASH_SEND_REPEATS ?? 1);
const BATCH = 2;
const QUEUE = process.env.CRASH_SEND_QUEUE === 'bullmq' ? 'bullmq' : 'memory';
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Arrival {
  messageId: string;
  sha256: string;
  round: number;
}

interface Run {
  child: ChildProcess;
  exited: Promise<void>;
  lines: string[];
  stderr(): string;
  /** Resolves with the first of the awaited lines printed, or undefined when the child exited first or time ran out. */
  waitFor(prefixes: string[], ms: number): Promise<string | undefined>;
}

function startChild(config: SendChildConfig): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, JSON.stringify(config)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  let stderr = '';
  let buffer = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
      lines.push(buffer.slice(0, i).trim());
      buffer = buffer.slice(i + 1);
      for (const l of listeners) l();
    }
  });
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  let dead = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      dead = true;
      for (const l of listeners) l();
      resolve();
    }),
  );
  return {
    child,
    exited,
    lines,
    stderr: () => stderr,
    waitFor: (prefixes, ms) =>
      new Promise((resolve) => {
        const check = () => {
          const line = lines.find((l) => prefixes.some((p) => l.startsWith(p)));
          if (line !== undefined || dead) {
            clearTimeout(timer);
            listeners.delete(check);
            resolve(line);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          resolve(undefined);
        }, ms);
        listeners.add(check);
        check();
      }),
  };
}

async function kill(run: Run) {
  run.child.kill('SIGKILL');
  await run.exited;
}

const postgres = (await dbKinds()).includes('postgres');

describe.skipIf(!postgres)('send-path crash test', () => {
  const schema = `crash_send_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  let db: Db;
  let smtp: SMTPServer;
  let smtpUrl: string;
  const arrivals: Arrival[] = [];
  let aborted = 0;
  /** The run the SMTP server may kill while it reads a message ('during-data'). */
  let current: { run: Run; round: number; killOn: number; dataStarts: number; killed: boolean } | undefined;
  let round = -1;

  beforeAll(async () => {
    db = createDb({ url: postgresUrl, schema, pool: { min: 0, max: 4 } });
    await migrate(db, schema);
    await seedDemoData(db);
    await seedTemplateLibrary(db);
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        let cut = false;
        stream.once('data', () => {
          const target = current;
          if (target && !target.killed && ++target.dataStarts === target.killOn) {
            // the sender dies while the server is reading DATA: nothing was accepted
            target.killed = true;
            cut = true;
            aborted++;
            target.run.child.kill('SIGKILL');
          }
        });
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', async () => {
          if (cut) {
            callback(new Error('sender vanished during DATA'));
            return;
          }
          const raw = Buffer.concat(chunks);
          const mail = await simpleParser(raw);
          arrivals.push({ messageId: mail.messageId ?? '', sha256: createHash('sha256').update(raw).digest('hex'), round });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    if (QUEUE === 'bullmq') {
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`bull:crash-send-${schema}-*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
    await db?.raw('drop schema if exists ?? cascade', [schema]);
    await db?.destroy();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  });

  it(`sends every communication once as the recipient sees it, killed at ${KILL_POINTS.length} points x ${REPEATS}`, async () => {
    const started = performance.now();
    const base: Omit<SendChildConfig, 'batch' | 'expected'> = {
      db: { url: postgresUrl, schema },
      smtpUrl,
      ...(QUEUE === 'bullmq' ? { redis: { url: redisUrl, prefix: `crash-send-${schema}` } } : {}),
    };
    const expected: string[] = [];
    const died: Record<string, number> = {};
    const plan: { point: KillPoint; killOn: number }[] = [];
    for (let r = 0; r < REPEATS; r++) for (const point of KILL_POINTS) plan.push({ point, killOn: 1 + ((r + plan.length) % BATCH) });

    for (const [i, { point, killOn }] of plan.entries()) {
      round = i;
      const batch = Array.from({ length: BATCH }, (_, k) => `CS-${i}-${k}`);
      expected.push(...batch);
      const roundStart = performance.now();
      const run = startChild({ ...base, batch, expected, killAt: point === 'during-data' ? undefined : point, killOn });
      current = point === 'during-data' ? { run, round: i, killOn, dataStarts: 0, killed: false } : undefined;
      // when the child reaches the point it dies (or the SMTP server kills it during DATA)
      const ready = await run.waitFor(['ready'], 40_000);
      const readyAt = performance.now();
      const line = await run.waitFor(['dying', 'done'], 40_000);
      if (process.env.CRASH_SEND_VERBOSE) console.log(`round ${i} ${point}: ready ${ready} after ${(readyAt - roundStart).toFixed(0)} ms, then ${(performance.now() - readyAt).toFixed(0)} ms to ${line}`);
      const killedByServer = current?.killed ?? false;
      current = undefined;
      await kill(run);
      // then it died there, and not of something else
      if (!killedByServer) expect(line, `round ${i} (${point}): ${run.lines.join(' | ')}\n${run.stderr()}`).toBe(`dying ${point}`);
      died[point] = (died[point] ?? 0) + 1;
    }

    // the last run goes to the end
    const last = startChild({ ...base, batch: [], expected });
    const end = await last.waitFor(['done'], 60_000);
    await kill(last);
    expect(end, `the last run did not finish:\n${last.stderr()}`).toBe('done');
    const seconds = (performance.now() - started) / 1000;

    // ---- every communication was sent, its instance completed, and it was archived
    const deliveries = await db('deliveries').whereIn('communication_id', expected).select('communication_id', 'state', 'message_id', 'raw_sha256');
    expect(deliveries.filter((d) => d.state === 'sent').map((d) => d.communication_id).sort()).toEqual([...expected].sort());
    const completed = await db('engine_instances').where({ bpmn_process_id: 'customer-communication', state: 'COMPLETED' }).select(db.raw(`variables::jsonb ->> 'communicationId' as cid`));
    expect(new Set(completed.map((r: { cid: string }) => r.cid))).toEqual(new Set(expected));
    const archived = await db('communication_archive').whereIn('communication_id', expected).count<{ n: string }[]>('* as n');
    expect(Number(archived[0].n)).toBe(expected.length);

    // ---- what the SMTP server accepted
    const byMessageId = new Map<string, Arrival[]>();
    for (const a of arrivals) byMessageId.set(a.messageId, [...(byMessageId.get(a.messageId) ?? []), a]);
    const wanted = new Set(expected.map((cid) => `<${cid}@herald.local>`));
    // every accepted message is one of ours, under the Message-ID derived from its communication id
    expect([...byMessageId.keys()].filter((id) => !wanted.has(id))).toEqual([]);
    // distinct Message-IDs = communications
    expect(byMessageId.size).toBe(expected.length);
    // a repeat carries the same bytes, and only where an attempt was left open (accepted, not recorded)
    // (an attempt left open: its process died after the attempt row, before the delivery was
    // recorded; whichever point the kill was aimed at, a concurrent send may be in that window)
    const open = await db('delivery_attempts').whereIn('communication_id', expected).whereNull('outcome').select('communication_id');
    const openAttempts = new Map<string, number>();
    for (const r of open as { communication_id: string }[]) openAttempts.set(`<${r.communication_id}@herald.local>`, (openAttempts.get(`<${r.communication_id}@herald.local>`) ?? 0) + 1);
    const repeats = [...byMessageId.entries()].filter(([, list]) => list.length > 1);
    for (const [id, list] of repeats) {
      expect(new Set(list.map((a) => a.sha256)).size, `${id} arrived with different bytes`).toBe(1);
      expect(list.length - 1, `${id} arrived ${list.length} times with ${openAttempts.get(id) ?? 0} attempt(s) left open`).toBeLessThanOrEqual(openAttempts.get(id) ?? 0);
    }
    const extra = arrivals.length - byMessageId.size;
    expect(extra).toBeLessThanOrEqual(open.length);
    // the recorded hash is the hash of what arrived
    const sha = new Map(deliveries.map((d) => [`<${d.communication_id}@herald.local>`, d.raw_sha256 as string]));
    for (const [id, list] of byMessageId) expect(sha.get(id), id).toBe(list[0].sha256);

    console.log(
      `[crash-send] queue=${QUEUE}: ${plan.length} kills at ${KILL_POINTS.length} points (${KILL_POINTS.map((p) => `${p} x${died[p] ?? 0}`).join(', ')}), ` +
        `${expected.length} communications; SMTP raw arrivals ${arrivals.length}, distinct Message-IDs ${byMessageId.size} ` +
        `(${extra} repeat(s) of ${repeats.length} communication(s), each after an attempt left open in the accepted-not-recorded window, ` +
        `same Message-ID and bytes; ${open.length} attempt(s) left open in all), ${aborted} cut during DATA; ${seconds.toFixed(1)} s`,
    );
  }, 600_000);
});
