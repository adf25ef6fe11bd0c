/**
 * Delivery queues, one per channel: BullMQ on Redis when REDIS_URL is set, an in-process queue
 * with the same semantics otherwise. The contract both keep:
 * - a job's id is the communication id, so adding the same communication twice queues it once;
 * - a failing job is retried with exponential backoff up to `attempts`, then reported failed;
 * - at most `limit.max` jobs start per `limit.duration` ms on a channel (provider rate limits);
 * - a job whose process died runs again (BullMQ: once its lock expires, however often that
 *   happens), and adding a job the queue had given up on starts it again: the database, not the
 *   queue, says what is unfinished, and the handler is idempotent;
 * - a handler that throws `JobDeferred` puts its job back to wait `delayMs` (a digest window or a
 *   frequency cap not yet passed): not a failure, and not counted as an attempt.
 */
import { DelayedError, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

export type ChannelName = 'email' | 'sms' | 'portal' | 'crm';

/** Thrown by a handler whose job may not run yet: it runs again after `delayMs`, with no attempt used up. */
export class JobDeferred extends Error {
  constructor(
    readonly delayMs: number,
    reason: string,
  ) {
    super(reason);
  }
}

export interface DeliveryJob {
  communicationId: string;
}

export interface ProcessOptions {
  concurrency?: number;
  limit?: { max: number; duration: number };
  attempts?: number;
  /** First retry delay (ms); doubles each attempt. */
  backoff?: number;
  /** Called once a job failed its last attempt. */
  onFailed?: (job: DeliveryJob, error: Error) => Promise<void> | void;
  /** Called once the queue recorded a job as completed (after the handler returned). */
  onCompleted?: (job: DeliveryJob) => void;
  /** BullMQ: a running job whose worker stopped renewing its lock (a crash) runs again after this long; 30 s unless told. */
  stalledAfterMs?: number;
}

export interface DeliveryQueue {
  readonly kind: 'bullmq' | 'memory';
  /** `delayMs`: the job waits this long before its first attempt (quiet hours). */
  add(channel: ChannelName, job: DeliveryJob, options?: { delayMs?: number }): Promise<void>;
  process(channel: ChannelName, handler: (job: DeliveryJob, attempt: number) => Promise<void>, options?: ProcessOptions): void;
  /** Jobs waiting or running, per channel (for dashboards and tests). */
  counts(channel: ChannelName): Promise<{ waiting: number; active: number; failed: number; completed: number }>;
  close(): Promise<void>;
}

const queueName = (channel: ChannelName, prefix: string) => `${prefix}-delivery-${channel}`;

export function createBullQueue(redisUrl: string, prefix = 'herald'): DeliveryQueue & { queues: Map<ChannelName, Queue> } {
  // BullMQ in native ESM takes constructed clients; workers block, so each gets its own.
  const clients: Redis[] = [];
  const client = () => {
    const c = new Redis(redisUrl, { maxRetriesPerRequest: null });
    clients.push(c);
    return c;
  };
  const connection = client();
  const queues = new Map<ChannelName, Queue>();
  const workers: Worker[] = [];
  const attemptsByChannel = new Map<ChannelName, ProcessOptions>();
  const queue = (channel: ChannelName) => {
    let q = queues.get(channel);
    if (!q) {
      q = new Queue(queueName(channel, prefix), { connection });
      queues.set(channel, q);
    }
    return q;
  };
  return {
    kind: 'bullmq',
    queues,
    async add(channel, job, options) {
      const o = attemptsByChannel.get(channel) ?? {};
      const added = await queue(channel).add('deliver', job, {
        jobId: job.communicationId,
        ...(options?.delayMs && options.delayMs > 0 ? { delay: Math.round(options.delayMs) } : {}),
        attempts: o.attempts ?? 5,
        backoff: { type: 'exponential', delay: o.backoff ?? 1000 },
        removeOnComplete: { age: 7 * 86400 },
        removeOnFail: false,
      });
      // the same id is the job already there; one the queue gave up on (e.g. stalled by crash after
      // crash) is started again, since whoever adds it knows the delivery is unfinished
      if (await added.isFailed()) await added.retry('failed');
    },
    process(channel, handler, options = {}) {
      attemptsByChannel.set(channel, options);
      const worker = new Worker(
        queueName(channel, prefix),
        async (job, token) => {
          try {
            await handler(job.data as DeliveryJob, job.attemptsMade + 1);
          } catch (err) {
            if (!(err instanceof JobDeferred)) throw err;
            // BullMQ's own way to wait without failing: the job moves to delayed and keeps its attempts
            await job.moveToDelayed(Date.now() + Math.max(1, Math.round(err.delayMs)), token);
            throw new DelayedError();
          }
        },
        {
          connection: client(),
          concurrency: options.concurrency ?? 4,
          limiter: options.limit ? { max: options.limit.max, duration: options.limit.duration } : undefined,
          // a job stalls each time its process dies mid-send; it must run again every time, not be failed after the first
          maxStalledCount: 1_000,
          ...(options.stalledAfterMs ? { lockDuration: options.stalledAfterMs, stalledInterval: Math.max(500, Math.floor(options.stalledAfterMs / 2)) } : {}),
        },
      );
      worker.on('completed', (job) => options.onCompleted?.(job.data as DeliveryJob));
      worker.on('failed', (job, err) => {
        if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) void options.onFailed?.(job.data as DeliveryJob, err);
      });
      workers.push(worker);
    },
    async counts(channel) {
      const c = await queue(channel).getJobCounts('waiting', 'active', 'failed', 'completed', 'delayed');
      return { waiting: (c.waiting ?? 0) + (c.delayed ?? 0), active: c.active ?? 0, failed: c.failed ?? 0, completed: c.completed ?? 0 };
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([...queues.values()].map((q) => q.close()));
      await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
    },
  };
}

/** The in-process queue: same contract, nothing survives the process (the database does). */
export function createMemoryQueue(): DeliveryQueue {
  interface Entry {
    job: DeliveryJob;
    attempts: number;
    state: 'waiting' | 'active' | 'failed' | 'completed';
    notBefore: number;
  }
  const channels = new Map<ChannelName, { entries: Map<string, Entry>; handler?: (job: DeliveryJob, attempt: number) => Promise<void>; options: ProcessOptions; starts: number[]; active: number; timer?: NodeJS.Timeout }>();
  let closed = false;
  const state = (channel: ChannelName) => {
    let s = channels.get(channel);
    if (!s) {
      s = { entries: new Map(), options: {}, starts: [], active: 0 };
      channels.set(channel, s);
    }
    return s;
  };
  const pump = (channel: ChannelName) => {
    const s = state(channel);
    if (closed || !s.handler) return;
    const now = Date.now();
    const limit = s.options.limit;
    if (limit) s.starts = s.starts.filter((t) => now - t < limit.duration);
    let nextWake = Infinity;
    for (const entry of s.entries.values()) {
      if (entry.state !== 'waiting') continue;
      if (s.active >= (s.options.concurrency ?? 4)) break;
      if (entry.notBefore > now) {
        nextWake = Math.min(nextWake, entry.notBefore);
        continue;
      }
      if (limit && s.starts.length >= limit.max) {
        nextWake = Math.min(nextWake, s.starts[0] + limit.duration);
        break;
      }
      entry.state = 'active';
      entry.attempts++;
      s.active++;
      s.starts.push(now);
      void s.handler(entry.job, entry.attempts).then(
        () => {
          entry.state = 'completed';
          s.active--;
          s.options.onCompleted?.(entry.job);
          pump(channel);
        },
        async (err: Error) => {
          s.active--;
          if (err instanceof JobDeferred) {
            entry.attempts--;
            entry.state = 'waiting';
            entry.notBefore = Date.now() + Math.max(1, err.delayMs);
          } else if (entry.attempts >= (s.options.attempts ?? 5)) {
            entry.state = 'failed';
            await s.options.onFailed?.(entry.job, err);
          } else {
            entry.state = 'waiting';
            entry.notBefore = Date.now() + (s.options.backoff ?? 1000) * 2 ** (entry.attempts - 1);
          }
          pump(channel);
        },
      );
    }
    if (nextWake !== Infinity) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = setTimeout(() => pump(channel), Math.max(1, nextWake - Date.now()));
      s.timer.unref?.();
    }
  };
  return {
    kind: 'memory',
    async add(channel, job, options) {
      const s = state(channel);
      if (s.entries.has(job.communicationId)) return;
      s.entries.set(job.communicationId, { job, attempts: 0, state: 'waiting', notBefore: options?.delayMs && options.delayMs > 0 ? Date.now() + options.delayMs : 0 });
      pump(channel);
    },
    process(channel, handler, options = {}) {
      const s = state(channel);
      s.handler = handler;
      s.options = options;
      pump(channel);
    },
    async counts(channel) {
      const out = { waiting: 0, active: 0, failed: 0, completed: 0 };
      for (const e of state(channel).entries.values()) out[e.state]++;
      return out;
    },
    async close() {
      closed = true;
      for (const s of channels.values()) if (s.timer) clearTimeout(s.timer);
      while ([...channels.values()].some((s) => s.active > 0)) await new Promise((r) => setTimeout(r, 5));
    },
  };
}
