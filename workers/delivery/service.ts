/**
 * Delivery: a communication is queued once (the deliveries row is unique per communication id),
 * sent by its channel adapter, recorded, and its result returned to the process as the
 * `delivery-result` message (with the communication id as correlation key and message id, so a
 * repeated publish after a crash is de-duplicated by the engine).
 */
import type { Knex } from 'knex';
import type { Logger } from '../../config/log.js';
import type { Engine } from '../../engine/types.js';
import {
  buildEmail,
  checkCommunicationId,
  createCrmWebhookAdapter,
  createEmailAdapter,
  createPortalAdapter,
  createSmsAdapter,
  DeliveryError,
  messageIdFor,
  type ChannelAdapter,
  type OutboundMessage,
} from '../../domain/channels/index.js';
import { instrumentHtml, trackingPaths } from '../../domain/tracking/index.js';
import { communicationRepository, trackingRepository } from '../../storage/communications.js';
import { customerRepository } from '../../storage/customers.js';
import type { ChannelName, DeliveryQueue } from './queue.js';

export interface DeliverySettings {
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
}

export function createChannelAdapters(db: Knex, settings: DeliverySettings): Record<ChannelName, ChannelAdapter> {
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
  return {
    email: createEmailAdapter({ from: settings.from, smtpUrl: settings.smtpUrl, outboxDir: settings.outboxDir }),
    sms: settings.smsUrl ? createSmsAdapter({ url: settings.smsUrl }) : unavailable('sms'),
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
}): DeliveryService {
  const { db, engine, queue, adapters, settings, log } = deps;
  const comms = communicationRepository(db);

  const publishResult = async (communicationId: string, variables: Record<string, unknown>) => {
    await engine
      .publishMessage({ name: 'delivery-result', correlationKey: communicationId, messageId: `delivery-result-${communicationId}`, timeToLive: 86_400_000, variables })
      .catch((err) => {
        if ((err as { code?: string }).code !== 'ALREADY_EXISTS') throw err;
      });
    await db('deliveries').where({ communication_id: communicationId }).whereNull('result_at').update({ result_at: deps.now() });
  };

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
    let attemptId: number | undefined;
    try {
      const message = await outbound(communicationId);
      const address = message.recipient.email ?? message.recipient.phone;
      const suppressed = address ? await trackingRepository(db).suppression(message.channel, address) : undefined;
      if (suppressed) {
        const origin = suppressed.communicationId ? ` on communication ${suppressed.communicationId}` : '';
        throw new DeliveryError(`${address} is suppressed after a ${suppressed.reason}${origin} (${suppressed.at}); no more ${message.channel} is sent to it until the address is fixed`, message.channel, false, { code: 'SUPPRESSED' });
      }
      const messageId = message.channel === 'email' ? messageIdFor(checkCommunicationId(communicationId)) : communicationId;
      const uncertain = await db('delivery_attempts').where({ communication_id: communicationId }).whereNull('outcome').count<{ n: string | number }[]>('* as n');
      if (Number(uncertain[0].n) > 0) log.info({ communicationId, messageId }, 'an earlier attempt may have reached the provider: repeating it with the same message id and bytes');
      const [row] = await db('delivery_attempts').insert({ communication_id: communicationId, attempt, message_id: messageId, started_at: deps.now() }).returning('id');
      attemptId = Number(typeof row === 'object' ? row.id : row);
      await db('deliveries').where({ communication_id: communicationId }).update({ state: 'sending', attempts: attempt, message_id: messageId });
      const receipt = await adapters[message.channel].send(message);
      const at = deps.now();
      await db.transaction(async (tx) => {
        await tx('deliveries')
          .where({ communication_id: communicationId })
          .update({ state: 'sent', tracking_status: 'sent', provider_message_id: receipt.providerMessageId, raw_sha256: receipt.rawSha256 ?? null, sent_at: at, error: null });
        await tx('delivery_attempts').where({ id: attemptId }).update({ outcome: 'sent', finished_at: at });
        await communicationRepository(tx).setStatus(communicationId, 'sent');
        await communicationRepository(tx).addEvent(communicationId, 'sent', at, { providerMessageId: receipt.providerMessageId, attempt }, 'sent');
      });
      await publishResult(communicationId, { deliveryStatus: 'sent', providerMessageId: receipt.providerMessageId });
    } catch (err) {
      const retryable = err instanceof DeliveryError ? err.retryable : true;
      log.warn({ communicationId, attempt, err: (err as Error).message, retryable }, 'delivery attempt failed');
      if (attemptId !== undefined) await db('delivery_attempts').where({ id: attemptId }).update({ outcome: retryable ? 'retry' : 'failed', error: (err as Error).message, finished_at: deps.now() });
      if (!retryable) return failed(communicationId, err as Error);
      await db('deliveries').where({ communication_id: communicationId }).update({ state: 'queued', error: (err as Error).message });
      throw err;
    }
  }

  async function failed(communicationId: string, err: Error) {
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
      // queued again even when the row exists: the queue de-duplicates by id, and a crash
      // between the insert and the queue must not strand the communication
      await queue.add(channel, { communicationId });
      if (rows.length) await comms.addEvent(communicationId, 'queued', deps.now(), {}, 'queued');
      return rows.length ? 'queued' : 'exists';
    },
    outbound,
    async rawBytes(communicationId) {
      const message = await outbound(communicationId);
      if (message.channel === 'email') return Buffer.from((await buildEmail(message, { from: settings.from })).raw);
      return Buffer.from(JSON.stringify({ subject: message.subject, html: message.html, text: message.text }));
    },
    start() {
      // the in-process queue forgets everything on a crash, and a BullMQ job can be lost between
      // the row and the queue: whatever the database says is unfinished goes back on its queue
      // (the queue de-duplicates by communication id, so a job still there is not doubled), and so
      // does a sent one whose result the process may never have heard
      void db('deliveries')
        .where((q) => q.whereIn('state', ['queued', 'sending']).orWhereNull('result_at'))
        .select('communication_id', 'channel')
        .then(async (rows: { communication_id: string; channel: ChannelName }[]) => {
          for (const r of rows) await queue.add(r.channel, { communicationId: r.communication_id });
          if (rows.length) log.info({ deliveries: rows.length }, 'unfinished deliveries queued again');
        })
        .catch((err: Error) => log.error({ err: err.message }, 'could not queue unfinished deliveries again'));
      for (const channel of ['email', 'sms', 'portal', 'crm'] as ChannelName[]) {
        const rate = settings.ratePerSecond?.[channel];
        queue.process(channel, (job, attempt) => deliver(job.communicationId, attempt), {
          concurrency: 4,
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
