/**
 * SMS through an HTTP provider: one JSON POST per communication, with the communication's
 * idempotency key so that a retried request is one text message on the customer's phone.
 */
import { checkCommunicationId } from './email.js';
import { InvalidRecipientError } from './errors.js';
import { postJson, type FetchLike } from './http.js';
import type { ChannelAdapter, DeliveryReceipt } from './types.js';

export interface SmsAdapterOptions {
  url: string;
  apiKey?: string;
  /** Sender id or number. */
  from?: string;
  /** Longer texts are refused rather than cut (a cut reminder can say the wrong thing). */
  maxLength?: number;
  timeoutMs?: number;
  fetch?: FetchLike;
  now?: () => Date;
}

const E164 = /^\+[1-9]\d{6,14}$/;

export function createSmsAdapter(options: SmsAdapterOptions): ChannelAdapter {
  const now = options.now ?? (() => new Date());
  const maxLength = options.maxLength ?? 918; // six concatenated GSM-7 segments
  return {
    channel: 'sms',
    async send(message): Promise<DeliveryReceipt> {
      const id = checkCommunicationId(message.communicationId, 'sms');
      const to = message.recipient.phone;
      if (!to || !E164.test(to)) throw new InvalidRecipientError('recipient.phone', `"${to ?? ''}" is not an E.164 number (+ country code and digits)`, 'sms');
      const text = message.text.trim();
      if (!text) throw new InvalidRecipientError('text', 'is empty', 'sms');
      if (text.length > maxLength) throw new InvalidRecipientError('text', `is ${text.length} characters; SMS allows ${maxLength}`, 'sms');
      const body = JSON.stringify({ to, ...(options.from ? { from: options.from } : {}), text, reference: id });
      const headers: Record<string, string> = { 'idempotency-key': message.idempotencyKey };
      if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
      const res = await postJson('sms', options.url, body, headers, options);
      let providerMessageId = message.idempotencyKey;
      try {
        const parsed = JSON.parse(res.body) as { id?: unknown; messageId?: unknown };
        const pid = parsed.id ?? parsed.messageId;
        if (typeof pid === 'string' || typeof pid === 'number') providerMessageId = String(pid);
      } catch {
        // a 2xx without a JSON body is still an acceptance
      }
      return { channel: 'sms', providerMessageId, acceptedAt: now().toISOString() };
    },
  };
}
