/**
 * Audit keys: the newest signs new rows and checkpoints, every configured one verifies, so a key
 * can rotate without breaking the rows it signed. Keys never live in the database; a row records
 * only the id of its key.
 */
import { createHmac } from 'node:crypto';

export interface AuditKey {
  id: string;
  secret: Buffer;
}

export interface AuditKeys {
  signing: AuditKey;
  verifying: ReadonlyMap<string, Buffer>;
  /** Where the signing key came from; `derived` means from HERALD_SECRET. */
  source: 'keys' | 'key' | 'derived';
}

/** A key id as HERALD_AUDIT_KEYS spells it; stored in audit_log.key_id (32 characters). */
export const AUDIT_KEY_ID = /^[A-Za-z0-9._-]{1,32}$/;

// distinct labels: the audit key, its id and other keys derived from HERALD_SECRET never coincide
const DERIVE_LABEL = 'herald/audit-chain/v1';
const ID_LABEL = 'herald/audit-key-id/v1';

/** The audit key derived from HERALD_SECRET when no audit key is configured. */
export function deriveAuditSecret(heraldSecret: string): Buffer {
  return createHmac('sha256', heraldSecret).update(DERIVE_LABEL).digest();
}

/**
 * A key id for a key given without one (HERALD_AUDIT_KEY, or derived): a short fingerprint, so
 * changing the key changes the id and old rows say "key not configured" rather than "changed".
 */
export function keyFingerprint(secret: Buffer): string {
  return `fp-${createHmac('sha256', secret).update(ID_LABEL).digest('hex').slice(0, 12)}`;
}

export function auditKey(id: string, secret: string | Buffer): AuditKey {
  return { id, secret: Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8') };
}

/**
 * The keyring from the settings: HERALD_AUDIT_KEYS (the last listed signs), else HERALD_AUDIT_KEY,
 * else a key derived from HERALD_SECRET. Once a key is configured, the derived key still verifies
 * the rows it signed before, unless HERALD_SECRET is the public development default: a key anyone
 * can derive must not keep vouching for rows.
 */
export function buildAuditKeys(settings: { keys?: { id: string; secret: string }[]; key?: string; heraldSecret: string; heraldSecretIsDefault?: boolean }): AuditKeys {
  const derivedSecret = deriveAuditSecret(settings.heraldSecret);
  const derived: AuditKey = { id: keyFingerprint(derivedSecret), secret: derivedSecret };
  let list: AuditKey[];
  let source: AuditKeys['source'];
  if (settings.keys?.length) {
    list = settings.keys.map((k) => auditKey(k.id, k.secret));
    source = 'keys';
  } else if (settings.key) {
    const secret = Buffer.from(settings.key, 'utf8');
    list = [{ id: keyFingerprint(secret), secret }];
    source = 'key';
  } else {
    list = [derived];
    source = 'derived';
  }
  const verifying = new Map(list.map((k) => [k.id, k.secret]));
  if (source !== 'derived' && !settings.heraldSecretIsDefault && !verifying.has(derived.id)) verifying.set(derived.id, derived.secret);
  return { signing: list[list.length - 1], verifying, source };
}

/** A keyring from explicit keys (tests, tools): the last one signs. */
export function keyring(...keys: AuditKey[]): AuditKeys {
  return { signing: keys[keys.length - 1], verifying: new Map(keys.map((k) => [k.id, k.secret])), source: 'keys' };
}
