/**
 * Delivery throughput with provider failover enabled against disabled (issue 19), side by side
 * in one run on the same database kind (PGlite in memory): email deliveries per second through
 * the delivery service to local SMTP servers, (a) one SMTP server, no breaker; (b) primary and
 * secondary behind circuit breakers, both healthy; (c) the same with the primary down, so every
 * message goes through an open breaker to the secondary. The ratios say what failover costs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { silentLogger } from '../config/log.js';
import { EmbeddedEngine } from '../engine/embedded/engine.js';
import { createDb, migrate } from '../storage/db.js';
import { seedDemoData } from '../storage/demo-data.js';
import { createMemoryQueue } from '../workers/delivery/queue.js';
import { createChannelAdapters, createDeliveryService, type DeliverySettings } from '../workers/delivery/service.js';
import type { Result } from './engine.js';

const N = Number(process.env.BENCH_FAILOVER_N ?? 150);

async function smtpServer(): Promise<{ url: string; arrivals: () => number; close(): Promise<void> }> {
  let n = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _s, cb) {
      stream.on('data', () => undefined);
      stream.on('end', () => (n++, cb()));
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  return { url: `smtp://127.0.0.1:${(smtp.server.address() as { port: number }).port}`, arrivals: () => n, close: () => new Promise<void>((r) => smtp.close(() => r())) };
}

async function run(label: string, smtp: Partial<DeliverySettings>): Promise<number> {
  const db = createDb({});
  await migrate(db);
  await seedDemoData(db);
  const engine = new EmbeddedEngine({ db, pollInterval: 50, logger: silentLogger });
  await engine.start();
  const settings: DeliverySettings = { from: { name: 'Herald', address: 'receivables@herald.example' }, outboxDir: fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-fo-')), secret: 'bench', baseUrl: 'https://herald.example', tracking: false, breaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 }, ...smtp };
  const delivery = createDeliveryService({ db, engine, queue: createMemoryQueue(), adapters: createChannelAdapters(db, settings), settings, now: () => new Date(), log: silentLogger });
  const ids = Array.from({ length: N }, (_, i) => `bench-fo-${i}`);
  for (let i = 0; i < N; i += 100) {
    await db('communications').insert(ids.slice(i, i + 100).map((id) => ({ id, customer_id: 'C-ACME', template_id: 'invoice-notice', channel: 'email', kind: 'transactional', status: 'rendered', data: '{}', template_version: 1, subject: `Notice ${id}`, html: '<p>Your invoice</p>', text: 'Your invoice' })));
  }
  delivery.start();
  process.stderr.write(`[bench] ${N} deliveries, ${label} ...\n`);
  const t0 = performance.now();
  for (const id of ids) await delivery.enqueue(id, 'email');
  for (;;) {
    const [row] = await db('deliveries').whereIn('state', ['sent', 'failed']).count<{ n: string | number }[]>('* as n');
    if (Number(row.n) >= N) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const rate = N / ((performance.now() - t0) / 1000);
  const failed = await db('deliveries').where({ state: 'failed' }).count<{ n: string | number }[]>('* as n');
  if (Number(failed[0].n) > 0) throw new Error(`${label}: ${failed[0].n} deliveries failed`);
  await delivery.close();
  await engine.stop();
  await db.destroy();
  return rate;
}

export async function benchDeliveryFailover(): Promise<Result[]> {
  const primary = await smtpServer();
  const secondary = await smtpServer();
  try {
    // disabled and enabled alternate (d, e, e, d) so that warm-up and a busy machine weigh on both alike
    const rates = { disabled: [] as number[], enabled: [] as number[] };
    for (const mode of ['disabled', 'enabled', 'enabled', 'disabled'] as const) {
      rates[mode].push(await run(`failover ${mode}`, mode === 'disabled' ? { smtpUrl: primary.url } : { smtpUrl: primary.url, smtpFallbackUrl: secondary.url }));
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const disabled = mean(rates.disabled);
    const enabled = mean(rates.enabled);
    // a port nothing listens on: the primary refuses, its breaker opens, the secondary carries everything
    const down = await run('failover enabled, primary down', { smtpUrl: 'smtp://127.0.0.1:9', smtpFallbackUrl: secondary.url });
    return [
      { name: 'email delivery, failover disabled (one SMTP server)', value: disabled, unit: 'deliveries/s', note: `mean of 2 runs of ${N} deliveries; PGlite; the baseline of the rows below` },
      { name: 'email delivery, failover enabled (breakers, both healthy)', value: enabled, unit: 'deliveries/s', baseline: disabled, ratio: enabled / disabled, note: `mean of 2 runs; primary and secondary SMTP behind circuit breakers` },
      { name: 'email delivery, failover enabled, primary down', value: down, unit: 'deliveries/s', baseline: disabled, ratio: down / disabled, note: `primary refuses, breaker open after 3; arrivals: primary ${primary.arrivals()}, secondary ${secondary.arrivals()}` },
    ];
  } finally {
    await primary.close();
    await secondary.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await benchDeliveryFailover());
}
