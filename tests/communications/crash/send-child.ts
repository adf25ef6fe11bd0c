/**
 * The send-path crash test's child process: the embedded engine, every worker and the delivery
 * service on Postgres, sending customer-communication instances by email to the parent's SMTP
 * server, until the parent kills it or it kills itself.
 *
 * The child SIGKILLs itself the `killOn`-th time it reaches `killAt` (see KillPoint); the
 * parent kills it for 'during-data' while the SMTP server is reading the message. Before dying it
 * writes `dying <point>` to stdout (synchronously, so the parent always sees it). stdout also
 * carries `ready` and, once every expected communication was sent and its instance completed, `done`.
 *
 * Usage: node --import tsx send-child.ts '<json config>' (see SendChildConfig).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../../config/log.js';
import { EmbeddedEngine } from '../../../engine/embedded/engine.js';
import type { Engine } from '../../../engine/types.js';
import { createDb, migrate } from '../../../storage/db.js';
import type { DeliveryService } from '../../../workers/delivery/service.js';
import { createBullQueue, createMemoryQueue } from '../../../workers/delivery/queue.js';
import { createChannelAdapters, createDeliveryService } from '../../../workers/delivery/service.js';
import { startWorkers, workers } from '../../../workers/index.js';
import type { WorkerDeps } from '../../../workers/deps.js';
import type { KillPoint } from './kill-points.js';

export type { KillPoint } from './kill-points.js';

export interface SendChildConfig {
  db: { url: string; schema: string };
  smtpUrl: string;
  /** BullMQ on this Redis (own prefix), or the in-process queue. */
  redis?: { url: string; prefix: string };
  /** Communications this run starts (each once, whatever runs before it did). */
  batch: string[];
  /** Every communication started so far: `done` when all of them went out and their instances ended. */
  expected: string[];
  killAt?: KillPoint;
  killOn?: number;
}

const cfg = JSON.parse(process.argv[2]) as SendChildConfig;
const hits = new Map<string, number>();
function point(p: KillPoint) {
  const n = (hits.get(p) ?? 0) + 1;
  hits.set(p, n);
  if (p === cfg.killAt && n === (cfg.killOn ?? 1)) {
    fs.writeSync(1, `dying ${p}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}

const db = createDb({ url: cfg.db.url, schema: cfg.db.schema, pool: { min: 0, max: 8 } });
await migrate(db, cfg.db.schema);
const engine = new EmbeddedEngine({ db, pollInterval: 20 });
await engine.start();
const processes = path.resolve(import.meta.dirname, '../../../processes');
await engine.deploy([{ name: 'customer-communication.bpmn', content: fs.readFileSync(path.join(processes, 'customer-communication.bpmn'), 'utf8') }]);

// Each communication is started once: a run killed after createInstance but before the next
// check finds the instance in the engine's tables.
for (const communicationId of cfg.batch) {
  const exists = await db('engine_instances').where({ bpmn_process_id: 'customer-communication' }).whereRaw(`variables::jsonb ->> 'communicationId' = ?`, [communicationId]).first('key');
  if (exists) continue;
  await engine.createInstance({
    bpmnProcessId: 'customer-communication',
    variables: { communicationId, customerId: 'C-ACME', templateId: 'invoice-notice', invoiceId: 'INV-2026-0142', channel: 'email', kind: 'transactional', initiatedBy: 'crash-test' },
  });
}

// The delivery service talks to the engine through this: before the result is published the
// delivery is recorded; after it, only the queue job is left.
const engineForDelivery = new Proxy(engine, {
  get(target, prop) {
    if (prop === 'publishMessage') {
      return async (request: Parameters<Engine['publishMessage']>[0]) => {
        point('after-recorded');
        const result = await target.publishMessage(request);
        point('after-result');
        return result;
      };
    }
    const value = Reflect.get(target, prop, target);
    return typeof value === 'function' ? value.bind(target) : value;
  },
}) as Engine;

const settings = {
  from: { name: 'Herald Receivables', address: 'receivables@herald.example' },
  outboxDir: fs.mkdtempSync(path.join(os.tmpdir(), 'herald-crash-outbox-')),
  smtpUrl: cfg.smtpUrl,
  secret: 'crash-secret',
  baseUrl: 'https://herald.example',
  backoffMs: 50,
  attempts: 20,
};
const adapters = createChannelAdapters(db, settings);
const email = adapters.email;
adapters.email = {
  channel: 'email',
  async send(message) {
    const receipt = await email.send(message);
    point('after-accepted');
    return receipt;
  },
  close: () => email.close?.() ?? Promise.resolve(),
};
const queue = cfg.redis ? createBullQueue(cfg.redis.url, cfg.redis.prefix) : createMemoryQueue();
const delivery = createDeliveryService({ db, engine: engineForDelivery, queue, adapters, settings, now: () => new Date(), log: silentLogger });
delivery.start();

const watched: DeliveryService = {
  ...delivery,
  async enqueue(communicationId, channel) {
    point('before-enqueue');
    const result = await delivery.enqueue(communicationId, channel);
    point('after-enqueue');
    return result;
  },
};
const definitions = workers.map((d) =>
  d.type !== 'render-communication'
    ? d
    : {
        ...d,
        async handler(ctx: Parameters<typeof d.handler>[0], deps: WorkerDeps) {
          point('before-render');
          const result = await d.handler(ctx, deps);
          point('after-render');
          return result;
        },
      },
);
startWorkers(engine, { db, engine, now: () => new Date(), delivery: watched, baseUrl: settings.baseUrl }, silentLogger, definitions);
process.stdout.write('ready\n');

for (;;) {
  const sent = await db('deliveries').whereIn('communication_id', cfg.expected).where({ state: 'sent' }).count<{ n: string }[]>('* as n');
  const ended = await db('engine_instances')
    .where({ bpmn_process_id: 'customer-communication', state: 'COMPLETED' })
    .whereRaw(`variables::jsonb ->> 'communicationId' = any(?)`, [cfg.expected])
    .count<{ n: string }[]>('* as n');
  if (Number(sent[0].n) === cfg.expected.length && Number(ended[0].n) >= cfg.expected.length) {
    process.stdout.write('done\n');
    break;
  }
  await new Promise((r) => setTimeout(r, 100));
}
// No graceful stop: the parent ends every run with SIGKILL.
