/**
 * The failover rules one at a time, against real local providers (HTTP SMS endpoints that can be
 * killed): a refused provider is passed over, an open breaker is skipped and probed again
 * half-open, an ambiguous attempt never fails over and is settled by asking its provider, a
 * provider that cannot be asked is the only one tried again, and the breakers show in /metrics.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/log.js';
import { createFailoverAdapter, createSmsAdapter, DeliveryError, httpLookup, type FailoverAdapter, type OutboundMessage } from '../../domain/channels/index.js';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { createObservability } from '../../api/observability/metrics.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { createMemoryQueue } from '../../workers/delivery/queue.js';
import { createChannelAdapters, createDeliveryService, type DeliveryService } from '../../workers/delivery/service.js';
import { openTestDb, type TestDb } from '../support/db.js';
import { smsProvider, type KillableProvider } from './failover/providers.js';

const message = (id = `fo-${randomUUID().slice(0, 8)}`, phone = '+41791234567'): OutboundMessage => ({
  communicationId: id,
  idempotencyKey: id,
  recipient: { phone },
  subject: 'Reminder',
  html: '<p>Due</p>',
  text: 'Your invoice is due',
  kind: 'transactional',
  createdAt: new Date('2026-12-07T10:00:00Z'),
});

const waitFor = async (what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 30_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('a failover channel', () => {
  let primary: KillableProvider;
  let secondary: KillableProvider;
  let adapter: FailoverAdapter;
  const transitions: string[] = [];

  beforeAll(async () => {
    primary = await smsProvider('p');
    secondary = await smsProvider('s');
    adapter = createFailoverAdapter({
      channel: 'sms',
      breaker: { consecutiveFailures: 2, halfOpenAfterMs: 200 },
      onStateChange: (s) => transitions.push(`${s.provider}:${s.state}`),
      providers: [
        { name: 'primary', adapter: createSmsAdapter({ url: primary.url }), lookup: httpLookup(primary.statusUrl, (m) => m.idempotencyKey) },
        { name: 'secondary', adapter: createSmsAdapter({ url: secondary.url }), lookup: httpLookup(secondary.statusUrl, (m) => m.idempotencyKey) },
      ],
    });
  });
  afterEach(async () => {
    if (!primary.up) await primary.start();
    primary.killBeforeAck(0);
  });
  afterAll(async () => {
    await primary?.close();
    await secondary?.close();
  });

  it('sends through the primary while it answers', async () => {
    const receipt = await adapter.send(message());
    expect(receipt.provider).toBe('primary');
  });

  it('passes a refused primary over for the secondary in the same attempt, opens its breaker, and probes it again half-open', async () => {
    // given the primary is down
    await primary.kill();
    const started: string[] = [];
    const failed: string[] = [];
    const context = { starting: async (p: string) => void started.push(p), failed: async (p: string, _e: Error, ambiguous: boolean) => void failed.push(`${p}:${ambiguous}`) };
    // when two messages go out
    const first = await adapter.send(message(), context);
    const second = await adapter.send(message(), context);
    // then the secondary took both, the refusals were certain (not ambiguous), and the breaker opened
    expect([first.provider, second.provider]).toEqual(['secondary', 'secondary']);
    expect(failed).toEqual(['primary:false', 'primary:false']);
    expect(adapter.states().find((s) => s.provider === 'primary')?.state).toBe('open');
    // and while it is open the primary is not even tried
    started.length = 0;
    await adapter.send(message(), context);
    expect(started).toEqual(['secondary']);
    // when the primary is back, a half-open probe finds it and the breaker closes
    await primary.start();
    await waitFor('a message through the primary again', async () => (await adapter.send(message())).provider === 'primary');
    expect(adapter.states().find((s) => s.provider === 'primary')?.state).toBe('closed');
    expect(transitions).toEqual(expect.arrayContaining(['primary:open', 'primary:half-open', 'primary:closed']));
  });

  it('does not fail over when the primary may have taken the message, and settles it by asking the primary', async () => {
    // given the primary stores the next message and dies before it answers
    primary.killBeforeAck(1);
    const m = message();
    const before = secondary.arrivals.length;
    // when it is sent
    const err = (await adapter.send(m).catch((e: unknown) => e)) as DeliveryError;
    // then the attempt fails as ambiguous, naming the primary, and nothing went to the secondary
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err.details).toMatchObject({ ambiguous: true, provider: 'primary' });
    expect(secondary.arrivals.length).toBe(before);
    // and while the primary is down it cannot be settled: Herald waits instead of failing over
    await expect(adapter.resolve('primary', m)).rejects.toMatchObject({ retryable: true, details: { code: 'UNRESOLVED' } });
    // when it is back, it says it has the message
    await primary.start();
    expect(await adapter.resolve('primary', m)).toBe('accepted');
    expect(await adapter.resolve('secondary', m)).toBe('absent');
  });

  it('refuses a bad message without trying another provider', async () => {
    const started: string[] = [];
    await expect(adapter.send(message(undefined, '0791234567'), { starting: async (p) => void started.push(p) })).rejects.toMatchObject({ retryable: false, details: { code: 'INVALID_RECIPIENT' } });
    // the primary's adapter refused it before any request: no provider saw it, and the secondary was not asked
    expect(started).toEqual(['primary']);
  });
});

describe('the delivery service over a failover channel', () => {
  let t: TestDb;
  let engine: EmbeddedEngine;
  let delivery: DeliveryService;
  let primary: KillableProvider;
  let secondary: KillableProvider;

  beforeAll(async () => {
    primary = await smsProvider('p');
    secondary = await smsProvider('s');
    t = await openTestDb('pglite');
    await seedDemoData(t.db);
    await t.db('customer_contacts').insert({ customer_id: 'C-ACME', channel: 'sms', address: '+41791234567', display_name: 'Acme', consent: true, marketing_consent: false });
    engine = new EmbeddedEngine({ db: t.db, pollInterval: 50 });
    await engine.start();
    // no status endpoints: an ambiguous attempt can only be repeated where it was made
    const settings = { from: { name: 'Herald', address: 'receivables@herald.example' }, outboxDir: fs.mkdtempSync(path.join(os.tmpdir(), 'herald-fo-')), smsUrl: primary.url, smsFallbackUrl: secondary.url, breaker: { consecutiveFailures: 2, halfOpenAfterMs: 200 }, secret: 's', baseUrl: 'https://herald.example', attempts: 30, backoffMs: 50 };
    delivery = createDeliveryService({ db: t.db, engine, queue: createMemoryQueue(), adapters: createChannelAdapters(t.db, settings, silentLogger), settings, now: () => new Date(), log: silentLogger });
    delivery.start();
  });
  afterAll(async () => {
    await delivery?.close();
    await engine?.stop();
    await t?.close();
    await primary?.close();
    await secondary?.close();
  });

  async function rendered(id: string) {
    await t.db('communications').insert({ id, customer_id: 'C-ACME', template_id: 'invoice-notice', channel: 'sms', kind: 'transactional', status: 'rendered', data: '{}', template_version: 1, subject: 'Reminder', html: '<p>Due</p>', text: 'Your invoice is due' });
  }

  it('repeats an ambiguous attempt only at the provider that cannot be asked, which de-duplicates it by its idempotency key', async () => {
    // given the primary stores the message and dies before answering, and stays down for a while
    const id = `fo-pin-${randomUUID().slice(0, 8)}`;
    await rendered(id);
    primary.killBeforeAck(1);
    await delivery.enqueue(id, 'sms');
    await waitFor('the primary to die', () => !primary.up);
    // then the next attempts stay with the primary (refused while it is down), never the secondary
    await waitFor('a retry refused by the pinned primary', async () => (await t.db('delivery_attempts').where({ communication_id: id }).count<{ n: string }[]>('* as n'))[0].n !== '1');
    expect(secondary.arrivals).not.toContain(id);
    // when the primary is back
    await primary.start();
    await waitFor('the delivery to be sent', async () => (await t.db('deliveries').where({ communication_id: id }).first())?.state === 'sent');
    // then the primary answered the repeat from its store: one message on the phone, none at the secondary
    const row = await t.db('deliveries').where({ communication_id: id }).first();
    expect(row.provider).toBe('primary');
    expect(primary.arrivals.filter((k) => k === id)).toHaveLength(1);
    expect(primary.repeats).toBe(1);
    expect(secondary.arrivals).not.toContain(id);
    const attempts = await t.db('delivery_attempts').where({ communication_id: id }).orderBy('id').select('provider', 'outcome', 'ambiguous');
    expect(attempts[0]).toMatchObject({ provider: 'primary', outcome: 'retry', ambiguous: true });
    expect(attempts.map((a) => a.provider)).not.toContain('secondary');
    expect(attempts[attempts.length - 1]).toMatchObject({ provider: 'primary', outcome: 'sent' });
  });

  it('shows each provider breaker in /metrics', async () => {
    // given the primary is down long enough for its breaker to open
    await primary.kill();
    const ids = [`fo-m-${randomUUID().slice(0, 8)}`, `fo-m-${randomUUID().slice(0, 8)}`, `fo-m-${randomUUID().slice(0, 8)}`];
    for (const id of ids) await rendered(id);
    for (const id of ids) await delivery.enqueue(id, 'sms');
    await waitFor('all three sent through the secondary', async () => (await t.db('deliveries').whereIn('communication_id', ids).where({ state: 'sent', provider: 'secondary' })).length === 3);
    // when Prometheus scrapes
    const observability = createObservability({ db: t.db, logger: silentLogger });
    observability.observeProviders(() => delivery.providerStates());
    const text = await observability.scrape();
    // then the primary's breaker is open and the secondary's closed
    expect(text).toContain('herald_delivery_provider_breaker{channel="sms",provider="primary",state="open"} 1');
    expect(text).toContain('herald_delivery_provider_breaker{channel="sms",provider="primary",state="closed"} 0');
    expect(text).toContain('herald_delivery_provider_breaker{channel="sms",provider="secondary",state="closed"} 1');
    await primary.start();
  });
});
