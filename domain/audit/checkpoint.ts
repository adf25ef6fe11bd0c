/**
 * Checkpoints: a signed statement of the chain's head (last id, its hash, how many rows up to it)
 * kept outside the database. Someone who holds the database but not the key cannot forge one,
 * so a checkpoint shows a rewrite, and a truncation after it, that the rows alone cannot.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson, type ChainPin } from './chain.js';
import type { AuditKeys } from './keys.js';

export interface Checkpoint extends ChainPin {
  version: 1;
  /** When it was taken (ISO 8601). */
  at: string;
  /** The key its MAC was computed with. */
  keyId: string;
}

export interface SignedCheckpoint extends Checkpoint {
  /** HMAC-SHA256 (hex) over the canonical JSON of every other field. */
  mac: string;
}

// a label keeps a checkpoint MAC apart from a row's link, which starts with a hex hash or nothing
const LABEL = 'herald-audit-checkpoint\n';

function mac(secret: Buffer, c: Checkpoint): string {
  const { version, at, keyId, lastId, lastHash, rows, legacyThroughId } = c;
  return createHmac('sha256', secret).update(LABEL).update(canonicalJson({ version, at, keyId, lastId, lastHash, rows, legacyThroughId })).digest('hex');
}

export function signCheckpoint(pin: ChainPin, keys: AuditKeys, at: Date = new Date()): SignedCheckpoint {
  const c: Checkpoint = { version: 1, at: at.toISOString(), keyId: keys.signing.id, lastId: pin.lastId, lastHash: pin.lastHash, rows: pin.rows, legacyThroughId: pin.legacyThroughId };
  return { ...c, mac: mac(keys.signing.secret, c) };
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isHash = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);

/** Checks a checkpoint's shape and MAC; the reason names the field or says the signature is wrong. */
export function openCheckpoint(input: unknown, keys: AuditKeys): { ok: true; checkpoint: SignedCheckpoint } | { ok: false; field: string; reason: string } {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return { ok: false, field: 'checkpoint', reason: 'is not a JSON object' };
  const c = input as Record<string, unknown>;
  if (c.version !== 1) return { ok: false, field: 'checkpoint.version', reason: 'must be 1' };
  for (const f of ['lastId', 'rows', 'legacyThroughId'] as const) if (!isInt(c[f])) return { ok: false, field: `checkpoint.${f}`, reason: 'must be a whole number of at least 0' };
  if (c.lastHash !== null && !isHash(c.lastHash)) return { ok: false, field: 'checkpoint.lastHash', reason: 'must be 64 hex characters or null' };
  if (typeof c.at !== 'string' || Number.isNaN(Date.parse(c.at))) return { ok: false, field: 'checkpoint.at', reason: 'must be an ISO 8601 time' };
  if (typeof c.keyId !== 'string') return { ok: false, field: 'checkpoint.keyId', reason: 'must be a string' };
  if (!isHash(c.mac)) return { ok: false, field: 'checkpoint.mac', reason: 'must be 64 hex characters' };
  const checkpoint = c as unknown as SignedCheckpoint;
  const secret = keys.verifying.get(checkpoint.keyId);
  if (!secret) return { ok: false, field: 'checkpoint.keyId', reason: `"${checkpoint.keyId}" is not a configured audit key` };
  const expected = Buffer.from(mac(secret, checkpoint), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(checkpoint.mac, 'hex'))) return { ok: false, field: 'checkpoint.mac', reason: 'does not match: the checkpoint was changed or signed with another key' };
  const { version, at, keyId, lastId, lastHash, rows, legacyThroughId, mac: m } = checkpoint;
  return { ok: true, checkpoint: { version, at, keyId, lastId, lastHash, rows, legacyThroughId, mac: m } };
}

/** The file name a checkpoint is stored under: sorts by last id, then time. */
export function checkpointFileName(c: Checkpoint): string {
  return `checkpoint-${String(c.lastId).padStart(12, '0')}-${c.at.replace(/[:.]/g, '')}.json`;
}
