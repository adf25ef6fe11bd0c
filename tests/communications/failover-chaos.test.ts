/**
 * Provider failover under chaos: communications go out through two real SMTP servers and two
 * SMS endpoints while the primary of each is killed and restarted again and again, sometimes
 * right after it stored a message and before it answered (the ambiguous case). Every
 * communication arrives exactly once: the raw arrivals at both providers of a channel add up to
 * the number sent, no Message-ID (or idempotency key) arrives twice or at both, none is lost.
 *
 * The chaos follows state, not a clock: the primary is killed once it has taken some messages,
 * restarted once its breaker has opened and the secondary has taken over, and so on until all
 * are delivered. CI runs a few hundred; HERALD_SOAK=1 runs 10,000.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/log.js';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { createMemoryQueue } from '../../workers/delivery/queue.js';
import { createChannelAdapters, createDeliveryService, type DeliveryService } from '../../workers/delivery/service.js';
import { dbKinds, openTestDb, type TestDb } from '../support/db.js';
import { smsProvider, smtpProvider, type KillableProvider } from './failover/providers.js';

const soak = process.env.HERALD_SOAK === '1';
const TOTAL = soak ? 10_000 : 400;
const EMAILS = Math.round(TOTAL * 0.75);
const SMS = TOTAL - EMAILS;

const until = async (what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number) => {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('provider failover under chaos', () => {
  let t: TestDb;
  let engine: EmbeddedEngine;
  let delivery: DeliveryService;
  const providers: Record<'smtp1' | 'smtp2' | 'sms1' | 'sms2', KillableProvider> = {} as never;
  const run = randomUUID().slice(0, 8);

  beforeAll(async () => {
    providers.smtp1 = await smtpProvider('smtp-primary');
    providers.smtp2 = await smtpProvider('smtp-secondary');
    providers.sms1 = await smsProvider('sms-primary');
    providers.sms2 = await smsProvider('sms-secondary');
    t = await openTestDb((await dbKinds()).includes('postgres') ? 'postgres' : 'pglite');
    await seedDemoData(t.db);
    await t.db('customer_contacts').insert({ customer_id: 'C-ACME', channel: 'sms', address: '+41791234567', display_name: 'Acme', consent: true, marketing_consent: false });
    engine = new EmbeddedEngine({ db: t.db, pollInterval: 50 });
    await engine.start();
    const settings = {
      from: { name: 'Herald', address: 'receivables@herald.example' },
      outboxDir: fs.mkdtempSync(path.join(os.tmpdir(), 'herald-failover-')),
      smtpUrl: providers.smtp1.url,
      smtpFallbackUrl: providers.smtp2.url,
      smsUrl: providers.sms1.url,
      smsFallbackUrl: providers.sms2.url,
      status: { smtp: providers.smtp1.statusUrl, smtpFallback: providers.smtp2.statusUrl, sms: providers.sms1.statusUrl, smsFallback: providers.sms2.statusUrl },
      breaker: { consecutiveFailures: 3, halfOpenAfterMs: 300 },
      secret: 'failover-secret',
      baseUrl: 'https://herald.example',
      tracking: false,
      attempts: 40,
      backoffMs: 50,
      concurrency: soak ? 16 : 8,
    };
    delivery = createDeliveryService({ db: t.db, engine, queue: createMemoryQueue(), adapters: createChannelAdapters(t.db, settings, silentLogger), settings, now: () => new Date(), log: silentLogger });
    delivery.start();
  }, 60_000);

  afterAll(async () => {
    await delivery?.close();
    await engine?.stop();
    await t?.close();
    for (const p of Object.values(providers)) await p?.close();
  });

  async function communications(channel: 'email' | 'sms', n: number): Promise<string[]> {
    const ids = Array.from({ length: n }, (_, i) => `fo-${run}-${channel}-${i}`);
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      await t.db('communications').insert(chunk.map((id) => ({ id, customer_id: 'C-ACME', template_id: 'invoice-notice', channel, kind: 'transactional', status: 'rendered', data: JSON.stringify({}), template_version: 1, subject: `Notice ${id}`, html: '<p>Your invoice</p>', text: 'Your invoice' })));
    }
    return ids;
  }

  /** Kills the primary after it took some, restarts it once its breaker opened and the secondary took over; until `done`. */
  async function chaos(channel: 'email' | 'sms', primary: KillableProvider, secondary: KillableProvider, done: () => boolean) {
    const seen = { kills: 0, ambiguousKills: 0, opened: 0 };
    let round = 0;
    while (!done()) {
      round++;
      const before = primary.arrivals.length;
      await until(`${primary.name} to take messages`, () => done() || primary.arrivals.length >= before + 5 + (round % 7), 600_000);
      if (done()) break;
      if (round % 2 === 0) {
        // die right after storing the next message, before answering: the sender cannot know
        primary.killBeforeAck(1);
        await until(`${primary.name} to die before an answer`, () => done() || !primary.up, 600_000);
        if (!primary.up) seen.ambiguousKills++;
        primary.killBeforeAck(0);
      } else await primary.kill();
      if (primary.up) break;
      seen.kills++;
      const took = secondary.arrivals.length;
      // near the end every message left may be waiting for the dead primary to settle it: then there is nothing for the secondary to take
      let arrived = secondary.arrivals.length;
      let quietSince = Date.now();
      const stalled = () => {
        if (secondary.arrivals.length !== arrived) {
          arrived = secondary.arrivals.length;
          quietSince = Date.now();
        }
        return Date.now() - quietSince > 1_000;
      };
      // or, when nothing moves for 5 s with the breaker still closed (every message left is pinned to the dead
      // primary, waiting for it to settle an ambiguous attempt, so none fails there to open it), the primary comes back
      const open = () => delivery.providerStates().some((s) => s.channel === channel && s.provider === 'primary' && s.state === 'open');
      await until(`the ${channel} breaker of ${primary.name} to open and ${secondary.name} to take over`, () => done() || (open() && (secondary.arrivals.length >= took + 3 || stalled())) || (stalled() && Date.now() - quietSince > 5_000), 600_000);
      if (delivery.providerStates().some((s) => s.channel === channel && s.provider === 'primary' && s.state === 'open')) seen.opened++;
      await primary.start();
    }
    return seen;
  }

  it(`delivers ${TOTAL} communications exactly once while the primaries are killed and restarted`, async () => {
    // given the communications, rendered
    const emails = await communications('email', EMAILS);
    const texts = await communications('sms', SMS);
    const all = [...emails, ...texts];
    const sent = { email: 0, sms: 0 };
    const refresh = async () => {
      const rows = await t.db('deliveries').whereIn('state', ['sent', 'failed']).whereLike('communication_id', `fo-${run}-%`).select('channel').count<{ channel: 'email' | 'sms'; n: string | number }[]>('* as n').groupBy('channel');
      for (const r of rows) sent[r.channel] = Number(r.n);
    };
    const poller = setInterval(() => void refresh().catch(() => undefined), 100);
    const started = Date.now();
    try {
      // when they are all queued while chaos runs on both channels (each channel's chaos ends when its messages are all out)
      let chaosError: Error | undefined;
      const caught = <T>(p: Promise<T>) => p.catch((e: Error) => ((chaosError = e), undefined));
      const chaosEmail = caught(chaos('email', providers.smtp1, providers.smtp2, () => sent.email >= EMAILS));
      const chaosSms = caught(chaos('sms', providers.sms1, providers.sms2, () => sent.sms >= SMS));
      for (let i = 0; i < Math.max(EMAILS, SMS); i++) {
        if (i < EMAILS) await delivery.enqueue(emails[i], 'email');
        if (i < SMS) await delivery.enqueue(texts[i], 'sms');
      }
      await until('every communication to be sent', async () => {
        if (chaosError) throw chaosError;
        await refresh();
        return sent.email + sent.sms >= TOTAL;
      }, soak ? 2_400_000 : 600_000);
      const [emailChaos, smsChaos] = await Promise.all([chaosEmail, chaosSms]);
      if (!emailChaos || !smsChaos) throw chaosError;
      const seconds = (Date.now() - started) / 1000;

      // then every one is sent, none failed
      const states = await t.db('deliveries').whereIn('communication_id', all).select('state', 'provider').count<{ state: string; provider: string; n: string }[]>('* as n').groupBy('state', 'provider');
      expect(states.filter((s) => s.state !== 'sent')).toEqual([]);
      // and each Message-ID arrived exactly once over both SMTP servers
      const emailArrivals = [...providers.smtp1.arrivals, ...providers.smtp2.arrivals];
      const expectedEmail = new Set(emails.map((id) => `${id}@herald.local`));
      expect(emailArrivals.length, 'raw SMTP arrivals').toBe(EMAILS);
      expect(new Set(emailArrivals)).toEqual(expectedEmail);
      // and each SMS idempotency key was sent exactly once over both endpoints
      const smsArrivals = [...providers.sms1.arrivals, ...providers.sms2.arrivals];
      expect(smsArrivals.length, 'raw SMS arrivals').toBe(SMS);
      expect(new Set(smsArrivals)).toEqual(new Set(texts));
      expect(providers.smtp1.repeats + providers.smtp2.repeats + providers.sms1.repeats + providers.sms2.repeats, 'messages handed to a provider twice').toBe(0);
      // and the chaos was real: primaries died, some right before answering, breakers opened, secondaries carried traffic
      const unacknowledged = [...providers.smtp1.unacknowledged, ...providers.sms1.unacknowledged];
      expect(emailChaos.kills + smsChaos.kills).toBeGreaterThanOrEqual(4);
      expect(unacknowledged.length).toBeGreaterThanOrEqual(2);
      expect(emailChaos.opened + smsChaos.opened).toBeGreaterThanOrEqual(2);
      expect(providers.smtp2.arrivals.length).toBeGreaterThan(0);
      expect(providers.sms2.arrivals.length).toBeGreaterThan(0);
      // the messages the primary stored but never acknowledged were recorded as sent by the primary, not sent again
      const ackless = await t.db('deliveries').whereIn('communication_id', unacknowledged.map((k) => k.replace(/@herald\.local$/, ''))).select('provider');
      expect(ackless.map((r) => r.provider)).toEqual(unacknowledged.map(() => 'primary'));
      console.log(
        `[failover-chaos] ${TOTAL} communications in ${seconds.toFixed(1)} s: email ${providers.smtp1.arrivals.length} primary + ${providers.smtp2.arrivals.length} secondary, ` +
          `sms ${providers.sms1.arrivals.length} primary + ${providers.sms2.arrivals.length} secondary; primary kills ${emailChaos.kills} email / ${smsChaos.kills} sms ` +
          `(${unacknowledged.length} stored but unanswered), breaker opened ${emailChaos.opened + smsChaos.opened} times; duplicates 0`,
      );
    } finally {
      clearInterval(poller);
    }
  }, soak ? 3_000_000 : 900_000);
});
