/**
 * Delivery: a communication is queued once (the deliveries row is unique per communication id),
 * sent by its channel adapter, recorded, and its result returned to the process as the
 * `delivery-result` message (with the communication id as correlation key and message id, so a
 * repeated publish after a crash is de-duplicated by the engine).
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from '../../config/log.js';
import type { Engine } from '../../engine/types.js';
import {
  buildEmail,
  checkCommunicationId,
  createCrmWebhookAdapter,
  createEmailAdapter,
  createPortalAdapter,
  createFailoverAdapter,
  createSmsAdapter,
  DeliveryError,
  httpLookup,
  type BreakerSettings,
  type ChannelProvider,
  type ProviderState,
  messageIdFor,
  type ChannelAdapter,
  type DeliveryReceipt,
  type FailoverAdapter,
  type OutboundMessage,
  type SendContext,
} from '../../domain/channels/index.js';

const isFailover = (a: ChannelAdapter): a is FailoverAdapter => typeof (a as Partial<FailoverAdapter>).resolve === 'function';
import { instrumentHtml, trackingPaths } from '../../domain/tracking/index.js';
import { communicationRepository, trackingRepository } from '../../storage/communications.js';
import { communicationDisputeHold } from '../../storage/disputes.js';
import { customerRepository } from '../../storage/customers.js';
import { JobDeferred, type ChannelName, type DeliveryQueue } from './queue.js';
import { createDigests, type DigestFault, type DigestSettings } from './digest.js';
import { sendGate, type SendGate } from './consent.js';
import { createChannelFallback } from './channel-fallback.js';
import { createAuditRepository } from '../../storage/repositories/audit.js';

export interface DeliverySettings extends DigestSettings {
  from: { name: string; address: string };
  outboxDir: string;
  smtpUrl?: string;
  smsUrl?: string;
  crmUrl?: string;
  secret: string;
  /** Public base URL for tracking links and the portal. */
  baseUrl: string;
  /** Open pixel and signed click links in email (on unless false). */
  tracking?: boolean;
  /** Per-channel starts per second. */
  ratePerSecond?: Partial<Record<ChannelName, number>>;
  attempts?: number;
  backoffMs?: number;
  /** Deliveries in flight per channel in this process (4 unless told). */
  concurrency?: number;
  /** Secondary providers: email fails over to this SMTP server, SMS to this endpoint (docs/delivery.md). */
  smtpFallbackUrl?: string;
  smsFallbackUrl?: string;
  /** Status endpoints (GET <url>/<message id or idempotency key>: 200 has it, 404 never got it) that settle an ambiguous attempt. */
  status?: { smtp?: string; smtpFallback?: string; sms?: string; smsFallback?: string };
  /** Circuit breaker per provider (failover channels only). */
  breaker?: BreakerSettings;
}

/** The adapter per channel; email and SMS fail over to a secondary provider when one is configured. */
export function createChannelAdapters(db: Knex, settings: DeliverySettings, log?: Logger): Record<ChannelName, ChannelAdapter> {
  const portal = createPortalAdapter({
    store: {
      async put(communicationId, message) {
        const rows = await db('portal_messages')
          .insert({ communication_id: communicationId, customer_id: message.recipient.customerId, subject: message.subject, html: message.html, text: message.text, created_at: new Date(message.createdAt) })
          .onConflict('communication_id')
          .ignore()
          .returning('communication_id');
        return rows.length ? 'created' : 'exists';
      },
    },
  });
  const unavailable = (channel: ChannelName): ChannelAdapter => ({
    channel,
    async send() {
      throw new DeliveryError(`the ${channel} channel is not configured (set ${channel === 'sms' ? 'HERALD_SMS_URL' : 'HERALD_CRM_URL'})`, channel, false);
    },
  });
  const onStateChange = (state: ProviderState) => {
    const line = { channel: state.channel, provider: state.provider, breaker: state.state };
    if (state.state === 'open') log?.warn(line, 'circuit breaker opened: the provider is passed over until a probe succeeds');
    else log?.info(line, `circuit breaker ${state.state}`);
  };
  const email = (smtpUrl: string | undefined) => createEmailAdapter({ from: settings.from, smtpUrl, outboxDir: settings.outboxDir });
  const messageKey = (m: OutboundMessage) => messageIdFor(m.communicationId).slice(1, -1);
  const provider = (name: string, adapter: ChannelAdapter, statusUrl: string | undefined, key: (m: OutboundMessage) => string): ChannelProvider => ({ name, adapter, ...(statusUrl ? { lookup: httpLookup(statusUrl, key) } : {}) });
  return {
    email:
      settings.smtpUrl && settings.smtpFallbackUrl
        ? createFailoverAdapter({
            channel: 'email',
            breaker: settings.breaker,
            onStateChange,
            providers: [provider('primary', email(settings.smtpUrl), settings.status?.smtp, messageKey), provider('secondary', email(settings.smtpFallbackUrl), settings.status?.smtpFallback, messageKey)],
          })
        : email(settings.smtpUrl),
    sms:
      settings.smsUrl && settings.smsFallbackUrl
        ? createFailoverAdapter({
            channel: 'sms',
            breaker: settings.breaker,
            onStateChange,
            providers: [
              provider('primary', createSmsAdapter({ url: settings.smsUrl }), settings.status?.sms, (m) => m.idempotencyKey),
              provider('secondary', createSmsAdapter({ url: settings.smsFallbackUrl }), settings.status?.smsFallback, (m) => m.idempotencyKey),
            ],
          })
        : settings.smsUrl
          ? createSmsAdapter({ url: settings.smsUrl })
          : unavailable('sms'),
    portal,
    crm: settings.crmUrl ? createCrmWebhookAdapter({ url: settings.crmUrl, secret: settings.secret }) : unavailable('crm'),
  };
}

export interface DeliveryService {
  /** Queues the communication once; a second call finds the delivery row and does nothing. */
  enqueue(communicationId: string, channel: ChannelName): Promise<'queued' | 'exists'>;
  /** The message exactly as it goes out (the same bytes on every attempt for email). */
  outbound(communicationId: string): Promise<OutboundMessage & { channel: ChannelName }>;
  /** The bytes the channel sent: for email the raw RFC 5322 message, rebuilt identically. */
  rawBytes(communicationId: string): Promise<Buffer>;
  /** The circuit breaker of each provider of each failover channel (for /metrics). */
  providerStates(): ProviderState[];
  start(): void;
  close(): Promise<void>;
}

export function createDeliveryService(deps: {
  db: Knex;
  engine: Engine;
  queue: DeliveryQueue;
  adapters: Record<ChannelName, ChannelAdapter>;
  settings: DeliverySettings;
  now(): Date;
  log: Logger;
  /** Test-only: a fault injected into the digest merge (workers/delivery/digest.ts). */
  digestFault?: DigestFault;
}): DeliveryService {
  const { db, engine, queue, adapters, settings, log } = deps;
  const comms = communicationRepository(db);
  // cross-channel failover (docs/delivery.md): CRM is never a fallback, SMS only when an endpoint is configured
  const fallback = createChannelFallback({ db, adapters, now: deps.now, log, configured: (channel) => channel !== 'crm' && (channel !== 'sms' || Boolean(settings.smsUrl)) });
  const digests = createDigests({ db, settings, now: deps.now, log, fault: deps.digestFault });

  const publishResult = async (communicationId: string, variables: Record<string, unknown>) => {
    // a digest has no process of its own: each part's process hears the digest's outcome
    const parts = await digests.parts(communicationId);
    if (parts.length) return publishDigestResult(communicationId, parts, variables);
    await engine
      .publishMessage({ name: 'delivery-result', correlationKey: communicationId, messageId: `delivery-result-${communicationId}`, timeToLive: 86_400_000, variables })
      .catch((err) => {
        if ((err as { code?: string }).code !== 'ALREADY_EXISTS') throw err;
      });
    await db('deliveries').where({ communication_id: communicationId }).whereNull('result_at').update({ result_at: deps.now() });
  };

  /**
   * The digest's outcome for each of its parts. A sent digest is archived first (its exact bytes,
   * which each part's evidence pack shows), and each part gets a `sent` event naming it.
   */
  async function publishDigestResult(digestId: string, parts: string[], variables: Record<string, unknown>) {
    if (variables.deliveryStatus === 'sent') await archiveDigest(digestId);
    for (const part of parts) {
      if (variables.deliveryStatus === 'sent') await comms.addEvent(part, 'sent', deps.now(), { digestId, providerMessageId: variables.providerMessageId }, 'sent');
      await engine
        .publishMessage({ name: 'delivery-result', correlationKey: part, messageId: `delivery-result-${part}`, timeToLive: 86_400_000, variables: { ...variables, digestId } })
        .catch((err) => {
          if ((err as { code?: string }).code !== 'ALREADY_EXISTS') throw err;
        });
      await db('deliveries').where({ communication_id: part }).whereNull('result_at').update({ result_at: deps.now() });
    }
    await db('deliveries').where({ communication_id: digestId }).whereNull('result_at').update({ result_at: deps.now() });
  }

  /** The digest's immutable record (no process archives it): the bytes sent, checked against the hash recorded at sending. */
  async function archiveDigest(digestId: string) {
    if (await db('communication_archive').where({ communication_id: digestId }).first('communication_id')) return;
    const parts = await digests.parts(digestId);
    const c = await comms.get(digestId);
    const delivery = await db('deliveries').where({ communication_id: digestId }).first('raw_sha256');
    const raw = await rawBytes(digestId);
    const sha = createHash('sha256').update(raw).digest('hex');
    if (delivery?.raw_sha256 && delivery.raw_sha256 !== sha) log.error({ digestId, sha, recorded: delivery.raw_sha256 }, 'the rebuilt digest differs from what was sent: archived as rebuilt');
    await db('communication_archive')
      .insert({ communication_id: digestId, raw: raw.toString('base64'), content_sha256: sha, template_id: c?.templateId ?? 'payment-digest', template_version: c?.templateVersion ?? null, data_snapshot: JSON.stringify({ ...(c?.data ?? {}), parts }), approvals: JSON.stringify([]), delivery_events: JSON.stringify(await comms.events(digestId)), archived_at: deps.now() })
      .onConflict('communication_id')
      .ignore();
  }

  /** A part merged into a digest: its process hears the digest's outcome once there is one; until then the digest is (again) queued. */
  async function digestedPart(communicationId: string, digestId: string) {
    const digest = await db('deliveries').where({ communication_id: digestId }).first();
    const parts = [communicationId];
    if (digest?.state === 'sent') return publishDigestResult(digestId, parts, { deliveryStatus: 'sent', providerMessageId: digest.provider_message_id });
    if (digest?.state === 'failed') return publishDigestResult(digestId, parts, { deliveryStatus: 'failed', deliveryError: digest.error ?? 'delivery failed' });
    if (digest?.state === 'suppressed') return publishDigestResult(digestId, parts, { deliveryStatus: 'suppressed', deliveryError: digest.error ?? 'suppressed by preference', suppressedReason: digest.error });
    if (digest?.state === 'withheld') return publishDigestResult(digestId, parts, { deliveryStatus: 'withheld', deliveryError: digest.error ?? 'withheld', withheldReason: digest.error });
    const { delayMs } = await deferral(digestId, (digest?.channel ?? 'email') as ChannelName);
    await queue.add((digest?.channel ?? 'email') as ChannelName, { communicationId: digestId }, delayMs > 0 ? { delayMs } : undefined);
  }

  async function outbound(communicationId: string): Promise<OutboundMessage & { channel: ChannelName }> {
    const c = await comms.get(communicationId);
    if (!c) throw new DeliveryError(`communication ${communicationId} does not exist`, 'email', false);
    if (!c.subject || c.html == null || c.text == null) throw new DeliveryError(`communication ${communicationId} was not rendered`, c.channel as ChannelName, false);
    const contacts = await customerRepository(db).contacts(c.customerId);
    const contact = contacts.find((x) => x.channel === c.channel);
    const row = await db('communications').where({ id: communicationId }).first('created_at');
    return {
      channel: c.channel as ChannelName,
      communicationId,
      idempotencyKey: communicationId,
      recipient: {
        name: contact?.displayName ?? undefined,
        email: c.channel === 'email' ? contact?.address : undefined,
        phone: c.channel === 'sms' ? contact?.address : undefined,
        customerId: c.customerId,
      },
      subject: c.subject,
      // email carries the open pixel and signed click links; the other channels the rendered HTML
      html: c.channel === 'email' && settings.tracking !== false ? instrumentHtml(c.html, { secret: settings.secret, baseUrl: settings.baseUrl, communicationId }) : c.html,
      text: c.text,
      kind: c.kind as OutboundMessage['kind'],
      createdAt: new Date(row.created_at),
      unsubscribeUrl: c.kind === 'marketing' ? `${settings.baseUrl}${trackingPaths(settings.secret, communicationId).unsubscribe}` : undefined,
    };
  }

  /**
   * One send attempt. The attempt row is written before the provider is called and closed after
   * the delivery is recorded, so a restart can tell "never tried" from "may have arrived". The
   * one window where a message can reach the server twice is SMTP accepted, then a crash before
   * the record: the repeat carries the same Message-ID and the same bytes, which the recipient's
   * client shows as one message.
   */
  async function deliver(communicationId: string, attempt: number): Promise<void> {
    const delivery = await db('deliveries').where({ communication_id: communicationId }).first();
    if (delivery?.state === 'sent') {
      // sent before a crash or a retry: only the result may be missing downstream
      await publishResult(communicationId, { deliveryStatus: 'sent', providerMessageId: delivery.provider_message_id });
      return;
    }
    if (delivery?.state === 'failed') {
      await publishResult(communicationId, { deliveryStatus: 'failed', deliveryError: delivery.error ?? 'delivery failed' });
      return;
    }
    if (delivery?.state === 'suppressed') {
      await publishResult(communicationId, { deliveryStatus: 'suppressed', deliveryError: delivery.error ?? 'suppressed by preference', suppressedReason: delivery.error });
      return;
    }
    if (delivery?.state === 'withheld') {
      await publishResult(communicationId, { deliveryStatus: 'withheld', deliveryError: delivery.error ?? 'withheld', withheldReason: delivery.error });
      return;
    }
    if (delivery?.state === 'digested' && delivery.digest_id) return digestedPart(communicationId, delivery.digest_id);
    let attemptId: number | undefined;
    try {
      const message = await outbound(communicationId);
      const address = message.recipient.email ?? message.recipient.phone;
      const suppressed = address ? await trackingRepository(db).suppression(message.channel, address) : undefined;
      if (suppressed) {
        // a hard-bounced address: another channel the customer consented to carries the message, if there is one
        if (suppressed.reason === 'hard-bounce' && (await fallback.switchChannel(communicationId, message.channel, `${address} hard-bounced`))) return await deliver(communicationId, attempt);
        const origin = suppressed.communicationId ? ` on communication ${suppressed.communicationId}` : '';
        throw new DeliveryError(`${address} is suppressed after a ${suppressed.reason}${origin} (${suppressed.at}); no more ${message.channel} is sent to it until the address is fixed`, message.channel, false, { code: 'SUPPRESSED' });
      }
      // a demand for payment whose invoice was disputed after it was queued is withheld here as well
      const held = await communicationDisputeHold(db, communicationId);
      if (held) return await withheld(communicationId, held);
      // the customer's preferences at send time (docs/delivery.md, "Preferences, consent and quiet hours")
      const gate = await sendGate(db, communicationId, message.channel, deps.now());
      if (gate.action === 'suppress') return await suppressedByPreference(communicationId, message.channel, gate);
      if (gate.action === 'send' && gate.overrides.length && attempt === 1) {
        await createAuditRepository(db).append({ actor: 'herald-delivery', action: 'communication.legal-override', subjectType: 'communication', subjectId: communicationId, detail: { channel: message.channel, overrides: gate.overrides } });
      }
      // a payment demand held for its digest window goes once the window closed, merged with the others held (docs/delivery.md)
      if (delivery?.hold_until && delivery.state === 'queued') {
        const wait = await digests.heldForMs(communicationId);
        if (wait > 0) throw new JobDeferred(wait, 'held for the digest window');
        const merged = await digests.merge(communicationId);
        if (merged.merged) return await digestedPart(communicationId, merged.digestId);
      }
      // at most N messages per channel per rolling window reach a customer; legal notices are not counted
      await digests.takeCapSlot(communicationId, message.channel);
      const messageId = message.channel === 'email' ? messageIdFor(checkCommunicationId(communicationId)) : communicationId;
      const adapter = adapters[message.channel];
      const uncertain: { id: number; provider: string | null }[] = await db('delivery_attempts')
        .where({ communication_id: communicationId })
        .where((q) => q.whereNull('outcome').orWhere('ambiguous', true))
        .orderBy('id')
        .select('id', 'provider');
      if (uncertain.length > 0) log.info({ communicationId, messageId, providers: [...new Set(uncertain.map((u) => u.provider))] }, 'an earlier attempt may have reached the provider: asking it, or repeating it there with the same message id and bytes');
      let pinned: string | undefined;
      if (isFailover(adapter)) {
        // an earlier attempt a provider may have accepted is settled with that provider before any other is tried
        for (const provider of [...new Set(uncertain.map((u) => u.provider ?? adapter.providers[0]))]) {
          const verdict = await adapter.resolve(provider, message);
          const ids = uncertain.filter((u) => (u.provider ?? adapter.providers[0]) === provider).map((u) => u.id);
          if (verdict === 'accepted') {
            log.info({ communicationId, provider }, 'the provider has the message from an earlier attempt: recorded as sent, not sent again');
            return await recordSent(communicationId, attempt, ids[ids.length - 1], { channel: message.channel, providerMessageId: messageId, acceptedAt: deps.now().toISOString(), provider }, ids);
          }
          if (verdict === 'absent') {
            await db('delivery_attempts').whereIn('id', ids).update({ ambiguous: false, outcome: db.raw("coalesce(outcome, 'retry')"), error: db.raw("coalesce(error, ?)", [`${provider} never received it`]), finished_at: db.raw('coalesce(finished_at, ?)', [deps.now()]) });
            log.info({ communicationId, provider }, 'the provider never received the message: free to fail over');
          } else pinned = provider;
        }
      }
      // every provider of the channel is down and none may hold the message: another channel the customer consented to carries it
      if (!pinned && fallback.channelDown(adapter) && (await fallback.switchChannel(communicationId, message.channel, `every ${message.channel} provider is unavailable (circuit breakers open)`))) return await deliver(communicationId, attempt);
      const providerAttempts = new Map<string, number>();
      const starting = async (provider?: string) => {
        const [row] = await db('delivery_attempts').insert({ communication_id: communicationId, attempt, message_id: messageId, started_at: deps.now(), provider: provider ?? null }).returning('id');
        attemptId = Number(typeof row === 'object' ? row.id : row);
        if (provider) providerAttempts.set(provider, attemptId);
        await db('deliveries').where({ communication_id: communicationId }).update({ state: 'sending', attempts: attempt, message_id: messageId });
      };
      const context: SendContext = {
        pinned,
        starting,
        failed: async (provider, error, ambiguous) => {
          const id = providerAttempts.get(provider);
          if (id === undefined) return;
          if (id === attemptId) attemptId = undefined;
          const retryable = !(error instanceof DeliveryError) || error.retryable;
          log.warn({ communicationId, attempt, provider, err: error.message, ambiguous }, ambiguous ? 'the provider may have the message: the next attempt asks it before failing over' : 'the provider failed this message');
          await db('delivery_attempts').where({ id }).update({ outcome: retryable ? 'retry' : 'failed', ambiguous, error: error.message, finished_at: deps.now() });
        },
      };
      let receipt: DeliveryReceipt;
      if (isFailover(adapter)) receipt = await adapter.send(message, context);
      else {
        await starting();
        receipt = await adapter.send(message);
      }
      if (attemptId === undefined) throw new DeliveryError(`the ${message.channel} adapter sent communication ${communicationId} without announcing the attempt`, message.channel, false);
      await recordSent(communicationId, attempt, attemptId, receipt);
    } catch (err) {
      if (err instanceof JobDeferred) throw err;
      const retryable = err instanceof DeliveryError ? err.retryable : true;
      log.warn({ communicationId, attempt, err: (err as Error).message, retryable }, 'delivery attempt failed');
      if (attemptId !== undefined) await db('delivery_attempts').where({ id: attemptId }).update({ outcome: retryable ? 'retry' : 'failed', error: (err as Error).message, finished_at: deps.now() });
      if (!retryable) return failed(communicationId, err as Error);
      // only an unsent delivery goes back to queued: one merged into a digest meanwhile stays digested
      await db('deliveries').where({ communication_id: communicationId }).whereIn('state', ['queued', 'sending']).update({ state: 'queued', error: (err as Error).message });
      throw err;
    }
  }

  /** Records the delivery as sent (by `receipt.provider` when the channel has several) and tells the process. */
  async function recordSent(communicationId: string, attempt: number, attemptId: number, receipt: DeliveryReceipt, resolved: number[] = []) {
    const at = deps.now();
    await db.transaction(async (tx) => {
      await tx('deliveries')
        .where({ communication_id: communicationId })
        .update({ state: 'sent', tracking_status: 'sent', provider_message_id: receipt.providerMessageId, raw_sha256: receipt.rawSha256 ?? null, sent_raw: receipt.raw ?? null, sent_at: at, error: null, provider: receipt.provider ?? null });
      await tx('delivery_attempts').where({ id: attemptId }).update({ outcome: 'sent', finished_at: at, ambiguous: false });
      if (resolved.length) await tx('delivery_attempts').whereIn('id', resolved).whereNot({ id: attemptId }).update({ ambiguous: false, outcome: tx.raw("coalesce(outcome, 'retry')"), finished_at: tx.raw('coalesce(finished_at, ?)', [at]) });
      await communicationRepository(tx).setStatus(communicationId, 'sent');
      await communicationRepository(tx).addEvent(communicationId, 'sent', at, { providerMessageId: receipt.providerMessageId, attempt, ...(receipt.provider ? { provider: receipt.provider } : {}) }, 'sent');
    });
    await publishResult(communicationId, { deliveryStatus: 'sent', providerMessageId: receipt.providerMessageId });
  }

  /** Not sent: the invoice it demands payment for was disputed after it was queued. The process hears `deliveryStatus: withheld`. */
  async function withheld(communicationId: string, reason: string) {
    log.info({ communicationId, reason }, 'not sent: its invoice is disputed');
    await db.transaction(async (tx) => {
      await tx('deliveries').where({ communication_id: communicationId }).update({ state: 'withheld', error: reason });
      await communicationRepository(tx).setStatus(communicationId, 'withheld');
      await communicationRepository(tx).addEvent(communicationId, 'withheld', deps.now(), { reason, at: 'delivery' }, 'withheld');
    });
    await publishResult(communicationId, { deliveryStatus: 'withheld', deliveryError: reason, withheldReason: reason });
  }

  /** Not sent: the customer opted out of this topic on this channel. The process hears `deliveryStatus: suppressed`. */
  async function suppressedByPreference(communicationId: string, channel: ChannelName, gate: Extract<SendGate, { action: 'suppress' }>) {
    const at = deps.now();
    log.info({ communicationId, channel, topic: gate.topic }, 'not sent: the customer opted out of this topic on this channel');
    await db.transaction(async (tx) => {
      await tx('deliveries').where({ communication_id: communicationId }).update({ state: 'suppressed', tracking_status: 'suppressed', error: gate.reason });
      await communicationRepository(tx).setStatus(communicationId, 'suppressed');
      await communicationRepository(tx).addEvent(communicationId, 'suppressed', at, { reason: gate.reason, topic: gate.topic, channel }, 'suppressed');
    });
    await publishResult(communicationId, { deliveryStatus: 'suppressed', deliveryError: gate.reason, suppressedReason: gate.reason });
  }

  /** How long a communication waits for the recipient's sending window (0: it may go now). */
  async function deferral(communicationId: string, channel: ChannelName): Promise<{ delayMs: number; gate?: Extract<SendGate, { action: 'defer' }> }> {
    const now = deps.now();
    const gate = await sendGate(db, communicationId, channel, now).catch((err: Error) => {
      log.warn({ communicationId, err: err.message }, 'could not read the sending window: sent without waiting');
      return undefined;
    });
    const held = await digests.heldForMs(communicationId);
    return gate?.action === 'defer' ? { delayMs: Math.max(held, gate.until.getTime() - now.getTime()), gate } : { delayMs: held };
  }

  async function rawBytes(communicationId: string): Promise<Buffer> {
    // the bytes as sent, when the provider handed them back; rebuilding is the fallback for older rows
    const sent = (await db('deliveries').where({ communication_id: communicationId }).first('sent_raw')) as { sent_raw: Buffer | Uint8Array | null } | undefined;
    if (sent?.sent_raw && sent.sent_raw.length) return Buffer.from(sent.sent_raw);
    const message = await outbound(communicationId);
    if (message.channel === 'email') return Buffer.from((await buildEmail(message, { from: settings.from })).raw);
    return Buffer.from(JSON.stringify({ subject: message.subject, html: message.html, text: message.text }));
  }

  async function failed(communicationId: string, err: Error) {
    // a part merged into a digest hears the digest's outcome, not its own job's last error
    if ((await db('deliveries').where({ communication_id: communicationId }).first('state'))?.state === 'digested') return;
    const at = deps.now();
    await db.transaction(async (tx) => {
      await tx('deliveries').where({ communication_id: communicationId }).update({ state: 'failed', tracking_status: 'failed', error: err.message });
      await communicationRepository(tx).setStatus(communicationId, 'failed');
      await communicationRepository(tx).addEvent(communicationId, 'failed', at, { error: err.message, code: err instanceof DeliveryError ? err.details.code : undefined }, 'failed');
    });
    await publishResult(communicationId, { deliveryStatus: 'failed', deliveryError: err.message });
  }

  return {
    async enqueue(communicationId, channel) {
      const rows = await db('deliveries').insert({ communication_id: communicationId, channel, state: 'queued' }).onConflict('communication_id').ignore().returning('communication_id');
      // a payment demand waits for its digest window; outside the recipient's sending window the job waits for the next allowed instant
      if (rows.length) await digests.hold(communicationId);
      const { delayMs, gate } = await deferral(communicationId, channel);
      // queued again even when the row exists: the queue de-duplicates by id, and a crash
      // between the insert and the queue must not strand the communication
      await queue.add(channel, { communicationId }, delayMs > 0 ? { delayMs } : undefined);
      if (rows.length) await comms.addEvent(communicationId, 'queued', deps.now(), {}, 'queued');
      if (rows.length && gate) await comms.addEvent(communicationId, 'deferred', deps.now(), { until: gate.until.toISOString(), timeZone: gate.timeZone, reason: 'quiet hours' }, 'deferred');
      return rows.length ? 'queued' : 'exists';
    },
    outbound,
    providerStates: () => Object.values(adapters).flatMap((a) => (isFailover(a) ? a.states() : [])),
    rawBytes,
    start() {
      // the in-process queue forgets everything on a crash, and a BullMQ job can be lost between
      // the row and the queue: whatever the database says is unfinished goes back on its queue
      // (the queue de-duplicates by communication id, so a job still there is not doubled), and so
      // does a sent one whose result the process may never have heard
      void db('deliveries')
        .where((q) => q.whereIn('state', ['queued', 'sending']).orWhereNull('result_at'))
        .select('communication_id', 'channel', 'state')
        .then(async (rows: { communication_id: string; channel: ChannelName; state: string }[]) => {
          for (const r of rows) {
            // one not yet sent still waits for the recipient's sending window
            const { delayMs } = r.state === 'queued' ? await deferral(r.communication_id, r.channel) : { delayMs: 0 };
            await queue.add(r.channel, { communicationId: r.communication_id }, delayMs > 0 ? { delayMs } : undefined);
          }
          if (rows.length) log.info({ deliveries: rows.length }, 'unfinished deliveries queued again');
        })
        .catch((err: Error) => log.error({ err: err.message }, 'could not queue unfinished deliveries again'));
      for (const channel of ['email', 'sms', 'portal', 'crm'] as ChannelName[]) {
        const rate = settings.ratePerSecond?.[channel];
        queue.process(channel, (job, attempt) => deliver(job.communicationId, attempt), {
          concurrency: settings.concurrency ?? 4,
          attempts: settings.attempts ?? 5,
          backoff: settings.backoffMs ?? 1000,
          limit: rate ? { max: rate, duration: 1000 } : undefined,
          onFailed: (job, err) => failed(job.communicationId, err),
        });
      }
    },
    async close() {
      await queue.close();
      for (const a of Object.values(adapters)) await a.close?.();
    },
  };
}
