/**
 * The send-path crash test's child process: the embedded engine, every worker and the delivery
 * service on Postgres, sending customer-communication instances by email to the parent's SMTP
 * server, until the parent kills it or it kills itself.
 *
 * The child SIGKILLs itself the `killOn`-th time it reaches `killAt` (see KillPoint); the
 * parent kills it for 'during-data' while the SMTP server is reading the message. Before dying it
 * writes `dying <point>` to stdout (synchronously, so the parent always sees it). stdout also
 * carries `loaded` (modules imported, nothing opened), `ready` and, once every expected
 * communication was sent and its instance completed, `done`.
 *
 * With `waitForGo` the child loads its modules and then waits for a `go` line on stdin before it
 * touches the database: the parent starts the next child while the current one still runs, so
 * loading (most of a start) overlaps the round before. Only the communication workers are loaded,
 * and the schema is the one the parent migrated.
 *
 * Usage: node --import tsx send-child.ts '<json config>' (see SendChildConfig).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../../config/log.js';
import { EmbeddedEngine } from '../../../engine/embedded/engine.js';
import type { Engine } from '../../../engine/types.js';
import { createDb } from '../../../storage/db.js';
import type { DeliveryService } from '../../../workers/delivery/service.js';
import { createBullQueue, createMemoryQueue } from '../../../workers/delivery/queue.js';
import { createChannelAdapters, createDeliveryService } from '../../../workers/delivery/service.js';
import archiveCommunication from '../../../workers/archive-communication.js';
import deliverCommunication from '../../../workers/deliver-communication.js';
import recordCommunicationRejection from '../../../workers/record-communication-rejection.js';
import renderCommunication from '../../../workers/render-communication.js';
import validateCustomerData from '../../../workers/validate-customer-data.js';
import { runWorker, type WorkerDefinition } from '../../../workers/runtime.js';
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
  /** Load, print `loaded`, and wait for `go` on stdin before starting. */
  waitForGo?: boolean;
  /** Where the .bpmn files are (the parent may run this file bundled, away from the repository). */
  processesDir?: string;
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

process.stdout.write('loaded\n');
if (cfg.waitForGo) {
  await new Promise<void>((resolve) => {
    let input = '';
    process.stdin.on('data', (d: Buffer) => {
      input += d.toString();
      if (input.includes('go\n')) resolve();
    });
  });
}

// the parent migrated the schema once; every child uses it as it is
const db = createDb({ url: cfg.db.url, schema: cfg.db.schema, pool: { min: 0, max: 8 } });
const engine = new EmbeddedEngine({ db, pollInterval: 20 });
await engine.start();
const processes = cfg.processesDir ?? path.resolve(import.meta.dirname, '../../../processes');
await engine.deploy([{ name: 'customer-communication.bpmn', content: fs.readFileSync(path.join(processes, 'customer-communication.bpmn'), 'utf8') }]);

// Each communication is started once: a run killed after createInstance but before the next
// check finds the instance in the engine's tables.
for (const communicationId of cfg.batch) {
  const exists = await db('engine_instances').where({ bpmn_process_id: 'customer-communication' }).whereRaw(`variables::jsonb ->> 'communicationId' = ?`, [communicationId]).first('key');
  if (exists) continue;
  await engine.createInstance({
    bpmnProcessId: 'customer-communication',
    variables: { communicationId, customerId: 'C-ACME', templateId: 'invoice-notice', invoiceId: 'INV-CRASH-1', channel: 'email', kind: 'transactional', initiatedBy: 'crash-test' },
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
const backing = cfg.redis ? createBullQueue(cfg.redis.url, cfg.redis.prefix) : createMemoryQueue();
// the queue tells when it recorded a delivery job as completed: the last point of the send path
const queue: typeof backing = {
  ...backing,
  // a killed child's BullMQ jobs run again once their lock expires: seconds here, not the default 30
  process: (channel, handler, options = {}) => backing.process(channel, handler, { ...options, stalledAfterMs: 3_000, onCompleted: () => point('after-completed') }),
};
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
const communicationWorkers: WorkerDefinition<any, WorkerDeps>[] = [validateCustomerData, renderCommunication, deliverCommunication, archiveCommunication, recordCommunicationRejection];
const definitions = communicationWorkers.map((d) =>
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
for (const d of definitions) runWorker(engine, d, { db, engine, now: () => new Date(), delivery: watched, baseUrl: settings.baseUrl }, silentLogger);
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
