/**
 * Double opt-in (#19): turning on SMS (any topic) or marketing (any channel) is only a request
 * until the customer confirms it from the address it will reach: an SMS code for SMS, a signed
 * single-use email link otherwise. Pure: tokens, codes, their hashes and the rules; the caller
 * stores and sends.
 */
import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** How long a confirmation may be used: a code is typed at once, a link may wait in an inbox. */
export const CONFIRMATION_TTL_MS = { 'sms-code': 30 * 60_000, 'email-link': 72 * 3_600_000 } as const;
/** Wrong codes before an SMS confirmation is spent (a six-digit code must not be guessable). */
export const MAX_CODE_ATTEMPTS = 5;

export type ConfirmationMethod = keyof typeof CONFIRMATION_TTL_MS;

/** Whether turning this preference on needs the customer's confirmation. */
export const needsDoubleOptIn = (channel: string, topic: string): boolean => channel === 'sms' || topic === 'marketing';

/** SMS opt-ins are confirmed by SMS (the number is what is proven); every other one by email. */
export const confirmationMethod = (channel: string): ConfirmationMethod => (channel === 'sms' ? 'sms-code' : 'email-link');

export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

const sign = (secret: string, payload: string) => createHmac('sha256', secret).update(`consent:${payload}`).digest('base64url');

/**
 * A link token: `<confirmation id>.<random>.<signature>`. The signature lets a forged or altered
 * token be refused before any lookup; the random part makes it unguessable; only its hash is kept.
 */
export function newLinkToken(secret: string, confirmationId: string): string {
  const payload = `${confirmationId}.${randomBytes(24).toString('base64url')}`;
  return `${payload}.${sign(secret, payload)}`;
}

/** The confirmation id a token names when Herald signed it, else undefined. */
export function verifyLinkToken(secret: string, token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const payload = `${parts[0]}.${parts[1]}`;
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(parts[2]);
  return expected.length === given.length && timingSafeEqual(expected, given) ? parts[0] : undefined;
}

/** A six-digit code; its hash is salted with the confirmation id, so equal codes hash apart. */
export const newCode = (): string => String(randomInt(0, 1_000_000)).padStart(6, '0');
export const codeHash = (confirmationId: string, code: string): string => sha256(`${confirmationId}:${code.trim()}`);

export interface ConfirmationItem {
  channel: string;
  topic: string;
}

const list = (items: ConfirmationItem[]) => items.map((i) => `${i.topic} on ${i.channel}`).join(', ');

/** The confirmation message: short for SMS (the code), a link for email. */
export function confirmationMessage(input: { method: ConfirmationMethod; items: ConfirmationItem[]; code?: string; link?: string; company: string }): { subject: string; text: string; html: string } {
  const subject = `${input.company}: please confirm your subscription`;
  if (input.method === 'sms-code') {
    const text = `${input.company}: your confirmation code is ${input.code}. Enter it in the portal to receive ${list(input.items)}. It expires in 30 minutes. Not you? Ignore this message.`;
    return { subject, text, html: `<p>${text}</p>` };
  }
  const text = `Someone (hopefully you) asked ${input.company} to send you ${list(input.items)}.\n\nConfirm here (valid for 72 hours): ${input.link}\n\nIf it was not you, ignore this email: nothing changes until you confirm.`;
  const html = `<p>Someone (hopefully you) asked ${input.company} to send you ${list(input.items)}.</p><p><a href="${input.link}">Confirm my subscription</a> (valid for 72 hours)</p><p>If it was not you, ignore this email: nothing changes until you confirm.</p>`;
  return { subject, text, html };
}
