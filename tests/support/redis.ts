/**
 * The Redis the BullMQ tests use: TEST_REDIS_URL, else the local server. `redisUp` says whether it
 * answers; in CI (CI set) a missing Redis fails the suite instead of skipping its BullMQ half.
 */
import net from 'node:net';

export const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const redisUp = await new Promise<boolean>((resolve) => {
  const u = new URL(redisUrl);
  const s = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
  s.once('connect', () => (s.destroy(), resolve(true)));
  s.once('error', () => resolve(false));
});
if (!redisUp && process.env.CI) throw new Error(`CI needs Redis at ${redisUrl}`);
