/**
 * BullMQ delivery queue after crashes: the database, not the queue, says what is unfinished.
 * A job the queue gave up on runs again when the delivery service adds it again (as it does on
 * start for every unfinished delivery). Real Redis (TEST_REDIS_URL; CI always has it).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createBullQueue } from '../../workers/delivery/queue.js';
import { redisUp, redisUrl } from '../support/redis.js';


describe.skipIf(!redisUp)('BullMQ delivery queue recovery', () => {
  const prefix = `herald-recovery-${randomUUID().slice(0, 8)}`;
  afterAll(async () => {
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`bull:${prefix}-*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('runs a job it had given up on again when the job is added again', async () => {
    // given a delivery whose only attempt failed, so the queue marked it failed
    const queue = createBullQueue(redisUrl, prefix);
    const runs: number[] = [];
    const failed: string[] = [];
    let healthy = false;
    queue.process(
      'email',
      async (_job, attempt) => {
        runs.push(attempt);
        if (!healthy) throw new Error('provider down');
      },
      { attempts: 1, backoff: 10, onFailed: (job) => void failed.push(job.communicationId) },
    );
    try {
      const id = `recover-${randomUUID()}`;
      await queue.add('email', { communicationId: id });
      const until = async (check: () => boolean | Promise<boolean>) => {
        const end = Date.now() + 10_000;
        while (!(await check())) {
          if (Date.now() > end) throw new Error('timed out');
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await until(() => failed.includes(id));
      expect((await queue.counts('email')).failed).toBe(1);
      // when the provider is back and the delivery is added again (the database says it is unfinished)
      healthy = true;
      await queue.add('email', { communicationId: id });
      // then it runs again and completes
      await until(async () => (await queue.counts('email')).completed === 1);
    } finally {
      await queue.close();
    }
    expect(runs.length).toBe(2);
  });
});
