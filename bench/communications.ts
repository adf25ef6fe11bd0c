/**
 * Customer communications per second end to end (issue 5): customer-communication instances on
 * the embedded engine (PGlite in memory) with the real workers, rendering the approved template,
 * delivering over SMTP to a local smtp-server and archiving, until each delivery result came back.
 * Beside it, in the same run and on the same database kind, the engine's own straight-through
 * rate on the 5-service-task diagram with workers that complete at once: the ratio says what
 * rendering, SMTP and the archive cost on top of orchestration.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { silentLogger } from '../config/log.js';
import { EmbeddedEngine } from '../engine/embedded/engine.js';
import { createDb, migrate } from '../storage/db.js';
import { seedDemoData } from '../storage/demo-data.js';
import { seedTemplateLibrary } from '../storage/templates.js';
import { createMemoryQueue } from '../workers/delivery/queue.js';
import { createChannelAdapters, createDeliveryService } from '../workers/delivery/service.js';
import { startWorkers } from '../workers/index.js';
import type { Result } from './engine.js';

const N = Number(process.env.BENCH_COMMS_N ?? 100);

async function straightThrough(n: number): Promise<number> {
  const db = createDb({});
  await migrate(db);
  const engine = new EmbeddedEngine({ db, pollInterval: 20 });
  await engine.start();
  const xml = fs.readFileSync(path.join(import.meta.dirname, 'fixtures', fs.readdirSync(path.join(import.meta.dirname, 'fixtures')).find((f) => f.endsWith('.bpmn'))!), 'utf8');
  const dep = await engine.deploy([{ name: 'bench.bpmn', content: xml }]);
  const processId = dep.processes[0].bpmnProcessId;
  const types = [...xml.matchAll(/taskDefinition type="([^"]+)"/g)].map((m) => m[1]);
  const workers = [...new Set(types)].map((type) => engine.createWorker({ type, maxJobsToActivate: 64, handler: async () => ({ outcome: 'complete' }) }));
  let done = 0;
  let resolve!: () => void;
  const all = new Promise<void>((r) => (resolve = r));
  engine.on({ instanceEnded: () => void (++done === n && resolve()) });
  const t0 = performance.now();
  for (let i = 0; i < n; i += 25) await Promise.all(Array.from({ length: Math.min(25, n - i) }, () => engine.createInstance({ bpmnProcessId: processId })));
  await all;
  const rate = n / ((performance.now() - t0) / 1000);
  await Promise.all(workers.map((w) => w.close()));
  await engine.stop();
  await db.destroy();
  return rate;
}

export async function benchCommunications(): Promise<Result[]> {
  let arrivals = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _s, cb) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        arrivals++;
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  const port = (smtp.server.address() as { port: number }).port;
  const db = createDb({});
  await migrate(db);
  await seedDemoData(db);
  await seedTemplateLibrary(db);
  const engine = new EmbeddedEngine({ db, pollInterval: 20, logger: silentLogger });
  await engine.start();
  await engine.deploy([{ name: 'customer-communication.bpmn', content: fs.readFileSync(path.resolve(import.meta.dirname, '../processes/customer-communication.bpmn')) }]);
  const settings = { from: { name: 'Herald', address: 'receivables@herald.example' }, outboxDir: fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-')), smtpUrl: `smtp://127.0.0.1:${port}`, secret: 'bench', baseUrl: 'https://herald.example' };
  const delivery = createDeliveryService({ db, engine, queue: createMemoryQueue(), adapters: createChannelAdapters(db, settings), settings, now: () => new Date(), log: silentLogger });
  delivery.start();
  const workers = startWorkers(engine, { db, engine, now: () => new Date(), delivery, baseUrl: settings.baseUrl }, silentLogger);
  let done = 0;
  let resolve!: () => void;
  const all = new Promise<void>((r) => (resolve = r));
  engine.on({ instanceEnded: (ref) => void (ref.bpmnProcessId === 'customer-communication' && ++done === N && resolve()) });
  process.stderr.write(`[bench] ${N} communications through SMTP ...\n`);
  const t0 = performance.now();
  for (let i = 0; i < N; i += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, N - i) }, (_, k) =>
        engine.createInstance({
          bpmnProcessId: 'customer-communication',
          variables: { communicationId: `bench-${i + k}`, customerId: 'C-ACME', templateId: 'invoice-notice', channel: 'email', kind: 'transactional', amount: '900.00', invoiceId: 'INV-2026-0142' },
        }),
      ),
    );
  }
  await all;
  const rate = N / ((performance.now() - t0) / 1000);
  await Promise.all(workers.map((w) => w.close()));
  await delivery.close();
  await engine.stop();
  await db.destroy();
  await new Promise<void>((r) => smtp.close(() => r()));
  process.stderr.write(`[bench] engine straight-through baseline ...\n`);
  const baseline = await straightThrough(N);
  return [
    {
      name: 'communications end to end (validate, render, SMTP, archive), PGlite',
      value: rate,
      unit: 'communications/s',
      baseline,
      ratio: rate / baseline,
      note: `${arrivals} messages reached the SMTP server; baseline: the engine straight through a 5-service-task process`,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await benchCommunications());
}
