/**
 * The delivery queue contract, run against both backends: the in-process queue and BullMQ on
 * the real Redis (TEST_REDIS_URL, default 127.0.0.1:6379; CI always has it).
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createBullQueue, createMemoryQueue, type DeliveryQueue } from '../../workers/delivery/queue.js';
import { redisUp, redisUrl } from '../support/redis.js';


const backends: [string, () => DeliveryQueue][] = [['memory', () => createMemoryQueue()]];
if (redisUp) backends.push(['bullmq', () => createBullQueue(redisUrl, `herald-test-${randomUUID().slice(0, 8)}`)]);

const until = async (check: () => boolean | Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

for (const [name, make] of backends) {
  describe(`delivery queue (${name})`, () => {
    let queue: DeliveryQueue;
    afterEach(async () => queue?.close());

    it('queues a communication once, however often it is added', async () => {
      queue = make();
      const seen: string[] = [];
      queue.process('email', async (job) => void seen.push(job.communicationId), { concurrency: 2 });
      await Promise.all(Array.from({ length: 5 }, () => queue.add('email', { communicationId: 'c-1' })));
      await queue.add('email', { communicationId: 'c-2' });
      await until(() => seen.length >= 2);
      await new Promise((r) => setTimeout(r, 200));
      expect(seen.sort()).toEqual(['c-1', 'c-2']);
    });

    it('retries a failing delivery with backoff, then reports it failed', async () => {
      queue = make();
      const attempts: number[] = [];
      const failed: string[] = [];
      queue.process(
        'sms',
        async (_job, attempt) => {
          attempts.push(attempt);
          throw new Error('provider down');
        },
        { attempts: 3, backoff: 20, onFailed: (job) => void failed.push(job.communicationId) },
      );
      await queue.add('sms', { communicationId: 'c-3' });
      await until(() => failed.length === 1);
      expect(attempts).toEqual([1, 2, 3]);
    });

    it('starts no more than the rate limit allows per window', async () => {
      queue = make();
      const starts: number[] = [];
      queue.process('crm', async () => void starts.push(Date.now()), { concurrency: 10, limit: { max: 2, duration: 300 } });
      for (let i = 0; i < 6; i++) await queue.add('crm', { communicationId: `r-${i}` });
      await until(() => starts.length === 6);
      // six jobs at two per 300 ms need at least two full windows
      expect(starts[5] - starts[0]).toBeGreaterThanOrEqual(550);
    });
  });
}
