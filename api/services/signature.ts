/**
 * Webhook-style HMAC signatures on trigger events: `X-Herald-Signature: t=<unix seconds>,v1=<hex>`
 * where v1 is HMAC-SHA256 over "<t>.<raw body>" — the same scheme Herald signs its CRM webhooks
 * with and checks provider webhooks by (domain/channels/crm-webhook.ts, which does the crypto).
 * Several v1 entries may be sent while a secret rotates; several secrets may be accepted.
 */
import { signWebhook, verifyWebhookSignature } from '../../domain/channels/index.js';

export function sign(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  return signWebhook(secret, body, t);
}

/** The verdict on a signature header, with a reason a sender can act on. */
export function verifySignature(header: string | undefined, body: string, secrets: string[], toleranceSeconds = 300, now = Date.now()): { ok: true } | { ok: false; reason: string } {
  if (!header) return { ok: false, reason: 'X-Herald-Signature is missing' };
  for (const secret of secrets) {
    const verdict = verifyWebhookSignature(secret, header, body, toleranceSeconds, () => new Date(now));
    if (verdict.ok) return { ok: true };
    if (verdict.reason === 'malformed') return { ok: false, reason: 'X-Herald-Signature must be "t=<unix seconds>,v1=<hex HMAC-SHA256>"' };
    if (verdict.reason === 'stale') return { ok: false, reason: `X-Herald-Signature timestamp is more than ${toleranceSeconds} s from now` };
  }
  return { ok: false, reason: 'X-Herald-Signature does not match the body' };
}
