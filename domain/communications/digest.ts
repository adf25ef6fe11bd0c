/**
 * Digests and frequency caps (issue #19), the pure rules. A payment demand (a notice, reminder
 * or escalation) to a customer on email or the portal waits for the digest window; the demands
 * of one customer and channel whose window closed together go out as one `payment-digest`
 * message listing each invoice. A frequency cap lets at most `max` messages per channel reach
 * a customer in any rolling `windowMs`; the rest wait until the oldest counted one leaves the
 * window. Legal notices (UNSUPPRESSIBLE_KINDS, the list preferences and quiet hours use) are
 * never merged and never capped.
 */
import { isUnsuppressible } from '../channels/preferences.js';
import { PAYMENT_DEMANDS } from './dispute-hold.js';

export const DIGEST_TEMPLATE = 'payment-digest';
/** Channels a digest is rendered for (an MJML message); SMS and CRM demands go one by one. */
export const DIGEST_CHANNELS: readonly string[] = ['email', 'portal'];
/** HERALD_DIGEST_WINDOW's default. */
export const DEFAULT_DIGEST_WINDOW_MS = 15 * 60_000;

/** Whether a communication waits for the digest window and may be merged. */
export function isDigestible(c: { templateId: string; kind: string; channel: string }): boolean {
  return PAYMENT_DEMANDS.has(c.templateId) && !isUnsuppressible(c.kind) && DIGEST_CHANNELS.includes(c.channel);
}

/** Whether the frequency cap applies: to every message but a legal notice. */
export const isCapped = (kind: string): boolean => !isUnsuppressible(kind);

export interface FrequencyCap {
  max: number;
  windowMs: number;
}

export interface CapRow {
  channel: string;
  maxMessages: number;
  windowSeconds: number;
}

/** The cap on a channel: the customer's row for the channel, else their '*' row, else the default (none unless configured). */
export function capFor(rows: CapRow[], channel: string, fallback?: FrequencyCap): FrequencyCap | undefined {
  const row = rows.find((r) => r.channel === channel) ?? rows.find((r) => r.channel === '*');
  return row ? { max: row.maxMessages, windowMs: row.windowSeconds * 1000 } : fallback;
}

export type CapVerdict = { send: true } | { send: false; until: Date; reason: string };

/** `counted`: when each message the cap let through on this channel went, newest last or in any order. */
export function capVerdict(counted: Date[], cap: FrequencyCap | undefined, now: Date): CapVerdict {
  if (!cap) return { send: true };
  const inWindow = counted.filter((t) => now.getTime() - t.getTime() < cap.windowMs).sort((a, b) => a.getTime() - b.getTime());
  if (inWindow.length < cap.max) return { send: true };
  // the next slot frees when the oldest message that still counts leaves the window
  const until = new Date(inWindow[inWindow.length - cap.max].getTime() + cap.windowMs);
  return { send: false, until, reason: `frequency cap: ${cap.max} messages per ${Math.round(cap.windowMs / 1000)} s on this channel already reached` };
}

