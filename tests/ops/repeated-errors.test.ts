/** A dependency that keeps failing is one warn line, then one line with a count per interval, then one recovery line. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { collapseConnectionErrors, repeatedErrors } from '../../config/log.js';

describe('repeatedErrors', () => {
  afterEach(() => vi.useRealTimers());

  it('collapses 1,700 connection errors into a handful of lines with counts, without stacks', () => {
    vi.useFakeTimers();
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'debug' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) }));
    const errors = repeatedErrors(log, 'redis', 30_000);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    for (let i = 0; i < 1_700; i++) {
      errors.error(refused);
      vi.advanceTimersByTime(40_000 / 1_700);
    }
    errors.ok();
    errors.close();
    expect(lines.length).toBeLessThanOrEqual(4);
    expect(lines[0]).toMatchObject({ level: 40, dependency: 'redis', err: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:6379' });
    const counted = lines.filter((l) => typeof l.count === 'number').reduce((n, l) => n + (l.count as number), 0);
    expect(counted).toBe(1_699);
    expect(lines.at(-1)).toMatchObject({ level: 30, total: 1_700, msg: 'redis: recovered after 1700 errors' });
    expect(JSON.stringify(lines)).not.toMatch(/\n\s+at /);
  });
});

describe('collapseConnectionErrors', () => {
  it("routes ioredis' and BullMQ's printed connection errors through a counter per address, and leaves other console.error calls alone", () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'debug' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) }));
    const printed: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void printed.push(args);
    const restore = collapseConnectionErrors(log);
    try {
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
      for (let i = 0; i < 500; i++) {
        console.error('[ioredis] Unhandled error event:', refused.stack);
        console.error(refused);
      }
      console.error('something else entirely');
    } finally {
      restore();
      console.error = original;
    }
    expect(printed).toEqual([['something else entirely']]);
    expect(lines.filter((l) => l.level === 40 && l.dependency === 'connection to 127.0.0.1:6379')).toHaveLength(2); // the first, and the count on close
    expect(lines.at(-1)).toMatchObject({ count: 999, total: 1000 });
  });
});
