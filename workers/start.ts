/**
 * Starts the worker side of Herald: the delivery queues (BullMQ on Redis when REDIS_URL is set,
 * in-process otherwise), the channel adapters, and one job worker per job type.
 */
import { brandFromSender } from './message-data.js';
import path from 'node:path';
import type { Config } from '../config/index.js';
import type { Logger } from '../config/log.js';
import type { Engine, JobWorker } from '../engine/types.js';
import type { Db } from '../storage/db.js';
import { DEFAULT_DIGEST_WINDOW_MS } from '../domain/communications/digest.js';
import { createBullQueue, createMemoryQueue, type DeliveryQueue } from './delivery/queue.js';
import { createChannelAdapters, createDeliveryService, type DeliveryService } from './delivery/service.js';
import { startWorkers } from './index.js';
import { createWorkerLiveness, type WorkerLiveness } from './watchdog.js';
import { startConsentOutbox } from './consent-outbox.js';

export interface RunningWorkers {
  workers: JobWorker[];
  delivery: DeliveryService;
  queue: DeliveryQueue;
  liveness: WorkerLiveness;
  close(): Promise<void>;
}

function parseFrom(from: string): { name: string; address: string } {
  const m = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(from);
  return m ? { name: m[1], address: m[2] } : { name: 'Herald', address: from.trim() };
}

export function startPlatformWorkers(config: Config, deps: { engine: Engine; db: Db; logger: Logger; now?: () => Date }): RunningWorkers {
  const now = deps.now ?? (() => new Date(deps.engine.clock?.now() ?? Date.now()));
  const queue = config.redisUrl ? createBullQueue(config.redisUrl) : createMemoryQueue();
  const settings = {
    from: parseFrom(config.fromAddress),
    outboxDir: path.join(config.dataDir, 'outbox'),
    smtpUrl: config.smtpUrl,
    smsUrl: config.smsUrl,
    crmUrl: config.crmUrl,
    secret: config.secret,
    baseUrl: config.baseUrl,
    ratePerSecond: { email: 20, sms: 5, crm: 10 },
    smtpFallbackUrl: config.smtpFallbackUrl,
    smsFallbackUrl: config.smsFallbackUrl,
    status: { smtp: config.smtpStatusUrl, smtpFallback: config.smtpFallbackStatusUrl, sms: config.smsStatusUrl, smsFallback: config.smsFallbackStatusUrl },
    breaker: { consecutiveFailures: config.breakerFailures, halfOpenAfterMs: config.breakerHalfOpenMs },
    // the demo's dunning runs in seconds (HERALD_DEMO_INTERVAL): a 15-minute digest window would swallow its story
    digestWindowMs: config.digestWindowMs ?? (config.demo && config.demoInterval ? 0 : DEFAULT_DIGEST_WINDOW_MS),
    frequencyCap: config.frequencyCap,
  };
  const deliveryLog = deps.logger.child({ component: 'delivery' });
  const delivery = createDeliveryService({ db: deps.db, engine: deps.engine, queue, adapters: createChannelAdapters(deps.db, settings, deliveryLog), settings, now, log: deliveryLog });
  delivery.start();
  // double opt-in confirmations written by the API go out through delivery
  const consentOutbox = startConsentOutbox({ db: deps.db, delivery, log: deliveryLog, now });
  // heartbeats per job type and a record of who holds each job; the watchdog warns when a type has no live worker
  const liveness = createWorkerLiveness({ db: deps.db, log: deps.logger, heartbeatMs: config.heartbeatMs, alertAfterMs: config.watchdogAlertMinutes * 60_000 });
  const workers = startWorkers(liveness.wrap(deps.engine), { db: deps.db, engine: deps.engine, now, delivery, baseUrl: config.baseUrl, company: brandFromSender(config.fromAddress), demoInterval: config.demo ? config.demoInterval : undefined }, deps.logger);
  liveness.start();
  deps.logger.info({ worker: liveness.workerId, queue: queue.kind, email: config.smtpUrl ? 'smtp' : `outbox (${settings.outboxDir})`, workers: workers.length }, 'workers started');
  return {
    workers,
    delivery,
    queue,
    liveness,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await liveness.close();
      consentOutbox.close();
      await delivery.close();
    },
  };
}
