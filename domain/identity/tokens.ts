/**
 * API tokens: `hrd_<id>_<secret>`. Only sha256(secret) is stored; the id finds the row and the
 * secret is compared in constant time, so neither a database leak nor timing gives a token away.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const TOKEN = /^hrd_([a-z0-9-]{1,40})_([A-Za-z0-9_-]{32,128})$/;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function parseToken(token: string): { id: string; secret: string } | undefined {
  const m = TOKEN.exec(token);
  return m ? { id: m[1], secret: m[2] } : undefined;
}

/** True when sha256(secret) equals the stored hex hash, compared in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function newToken(id = randomBytes(6).toString('hex')): { id: string; token: string; secretHash: string } {
  const secret = randomBytes(24).toString('base64url');
  return { id, token: `hrd_${id}_${secret}`, secretHash: hashSecret(secret) };
}

/** The demo's tokens: stable for one HERALD_SECRET so the printed commands keep working across restarts. */
export function demoToken(userId: string, key: string): { id: string; token: string; secretHash: string } {
  const id = `demo-${userId}`;
  const secret = createHmac('sha256', key).update(`demo-token:${userId}`).digest('base64url');
  return { id, token: `hrd_${id}_${secret}`, secretHash: hashSecret(secret) };
}
