/**
 * CRM delivery as a signed webhook, and verification of the signed webhooks providers send us.
 * Signature: `X-Herald-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, the
 * scheme Stripe popularised: the timestamp inside the MAC bounds replays to a window.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { checkCommunicationId } from './email.js';
import { postJson, type FetchLike } from './http.js';
import type { ChannelAdapter, DeliveryReceipt } from './types.js';

export const SIGNATURE_HEADER = 'x-herald-signature';

export function signWebhook(secret: string, body: string | Buffer, timestamp: number): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

export type WebhookVerification = { ok: true; timestamp: number } | { ok: false; reason: 'malformed' | 'stale' | 'mismatch' };

/**
 * Checks a signature header against the raw body: any v1 value may match (secret rotation),
 * compared in constant time; a timestamp further than `toleranceSeconds` from now is refused.
 */
export function verifyWebhookSignature(secret: string, header: string | undefined, body: string | Buffer, toleranceSeconds = 300, now: () => Date = () => new Date()): WebhookVerification {
  if (!header) return { ok: false, reason: 'malformed' };
  let t: number | undefined;
  const sigs: string[] = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    const k = item.slice(0, eq).trim();
    const v = item.slice(eq + 1).trim();
    if (k === 't' && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1' && /^[0-9a-f]{64}$/i.test(v)) sigs.push(v.toLowerCase());
  }
  if (t === undefined || sigs.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(Math.floor(now().getTime() / 1000) - t) > toleranceSeconds) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex'));
  let match = false;
  for (const s of sigs) match = timingSafeEqual(expected, Buffer.from(s)) || match;
  return match ? { ok: true, timestamp: t } : { ok: false, reason: 'mismatch' };
}

export interface CrmWebhookOptions {
  url: string;
  secret: string;
  timeoutMs?: number;
  fetch?: FetchLike;
  now?: () => Date;
}

export function createCrmWebhookAdapter(options: CrmWebhookOptions): ChannelAdapter {
  const now = options.now ?? (() => new Date());
  return {
    channel: 'crm',
    async send(message): Promise<DeliveryReceipt> {
      const id = checkCommunicationId(message.communicationId, 'crm');
      const body = JSON.stringify({
        type: 'communication.delivered',
        communicationId: id,
        kind: message.kind,
        createdAt: new Date(message.createdAt).toISOString(),
        recipient: message.recipient,
        subject: message.subject,
        text: message.text,
        html: message.html,
        metadata: message.headers ?? {},
      });
      const timestamp = Math.floor(now().getTime() / 1000);
      await postJson('crm', options.url, body, { [SIGNATURE_HEADER]: signWebhook(options.secret, body, timestamp), 'idempotency-key': message.idempotencyKey }, options);
      const raw = Buffer.from(body);
      return { channel: 'crm', providerMessageId: message.idempotencyKey, acceptedAt: now().toISOString(), rawSha256: createHash('sha256').update(raw).digest('hex'), raw };
    },
  };
}
