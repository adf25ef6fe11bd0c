/**
 * Webhook-style HMAC signatures: `X-Herald-Signature: t=<unix seconds>,v1=<hex>` where v1 is
 * HMAC-SHA256 over "<t>.<raw body>". Several v1 entries may be sent while a secret rotates.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function sign(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

export function verifySignature(header: string | undefined, body: string, secrets: string[], toleranceSeconds = 300, now = Date.now()): { ok: true } | { ok: false; reason: string } {
  if (!header) return { ok: false, reason: 'X-Herald-Signature is missing' };
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  const v1 = parts.filter(([k, v]) => k === 'v1' && /^[0-9a-f]{64}$/.test(v ?? '')).map(([, v]) => Buffer.from(v, 'hex'));
  if (!Number.isInteger(t) || !v1.length) return { ok: false, reason: 'X-Herald-Signature must be "t=<unix seconds>,v1=<hex HMAC-SHA256>"' };
  if (Math.abs(now / 1000 - t) > toleranceSeconds) return { ok: false, reason: `X-Herald-Signature timestamp is more than ${toleranceSeconds} s from now` };
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
    if (v1.some((given) => given.length === expected.length && timingSafeEqual(given, expected))) return { ok: true };
  }
  return { ok: false, reason: 'X-Herald-Signature does not match the body' };
}
