/**
 * The audit chain. Each row's hash links it to the row before it, so changing, removing,
 * inserting or reordering a row breaks the chain at that row.
 *
 * Keyed rows (key id set) are HMAC-SHA256 under a key that never lives in the database, over the
 * previous hash and the canonical JSON of the row including its id and key id: whoever holds the
 * database but not the key can no longer recompute the links after an edit. Rows written before
 * keys existed (key id null) are plain SHA-256 and are accepted only as the chain's prefix; the
 * first keyed row seals them, because its MAC covers the last legacy hash.
 * Pure: the repository stores rows, this computes and verifies.
 */
import { createHash, createHmac } from 'node:crypto';
import type { AuditKeys } from './keys.js';

export type AuditOutcome = 'done' | 'allowed' | 'refused' | 'failed';

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  outcome: AuditOutcome;
  rule?: string | null;
  detail: Record<string, unknown>;
}

export interface AuditRow extends AuditEntry {
  id: number;
  /** The key the row's hash was computed with; null on legacy (plain SHA-256) rows. */
  keyId: string | null;
  prevHash: string | null;
  hash: string;
}

/** JSON with object keys sorted at every depth and undefined members dropped. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function body(e: AuditEntry) {
  return { at: e.at, actor: e.actor, action: e.action, subjectType: e.subjectType, subjectId: e.subjectId, outcome: e.outcome, rule: e.rule ?? null, detail: e.detail };
}

/** The legacy link: sha256 over the previous hash and the row's content (no id, no key). */
export function entryHash(prevHash: string | null, e: AuditEntry): string {
  return createHash('sha256').update(prevHash ?? '').update('\n').update(canonicalJson(body(e))).digest('hex');
}

/** The keyed link: HMAC-SHA256 under `secret` over the previous hash and the row with its id and key id. */
export function keyedHash(secret: Buffer, prevHash: string | null, row: AuditEntry & { id: number; keyId: string }): string {
  return createHmac('sha256', secret)
    .update(prevHash ?? '')
    .update('\n')
    .update(canonicalJson({ ...body(row), id: row.id, keyId: row.keyId }))
    .digest('hex');
}

/** Why a row (or a checkpoint) does not verify. */
export type BreakKind = 'link' | 'changed' | 'unknown-key' | 'unkeyed' | 'order' | 'truncated' | 'count';

/** The first bad row: its id, what kind of break, and why in words. */
export interface BrokenAt {
  id: number;
  kind: BreakKind;
  reason: string;
}

export type ChainVerdict = ({ ok: true } & ChainPosition) | { ok: false; checked: number; brokenAt: BrokenAt };

/** Where a walk resumes: after `lastId`, whose hash is `lastHash`, `checked` rows in. */
export interface ChainPosition {
  lastId: number | null;
  lastHash: string | null;
  checked: number;
  legacyRows: number;
  /** The id of the last legacy (unkeyed) row; 0 when there is none. */
  legacyThroughId: number;
  /** A keyed row was seen: no legacy row may follow. */
  keyedSeen: boolean;
}

/** What a checkpoint pins: the row `lastId` has hash `lastHash` and is the `rows`-th row. */
export interface ChainPin {
  lastId: number;
  lastHash: string | null;
  rows: number;
  /** Rows up to this id may be legacy (unkeyed); later ones must be keyed. */
  legacyThroughId: number;
}

export const START: ChainPosition = { lastId: null, lastHash: null, checked: 0, legacyRows: 0, legacyThroughId: 0, keyedSeen: false };

/**
 * Walks rows in id order, fed page by page; names the first row whose link, key or hash does
 * not match, and, given a checkpoint's pin, the first place the chain departs from it.
 */
export class ChainWalker {
  private pos: ChainPosition;
  private broken: BrokenAt | undefined;
  private pinSeen = false;

  constructor(
    private readonly keys: AuditKeys,
    private readonly pin?: ChainPin,
    from: ChainPosition = START,
  ) {
    this.pos = { ...from };
    // an empty chain's checkpoint pins nothing; a walk resumed at or past the pin has seen it
    if (pin && (pin.rows === 0 || (from.lastId !== null && from.lastId >= pin.lastId))) this.pinSeen = true;
  }

  /** False once a row is found bad: stop feeding. */
  push(rows: Iterable<AuditRow>): boolean {
    for (const row of rows) {
      if (this.broken) return false;
      this.broken = this.check(row);
      if (this.broken) return false;
      const legacy = row.keyId === null;
      this.pos = {
        lastId: row.id,
        lastHash: row.hash,
        checked: this.pos.checked + 1,
        legacyRows: this.pos.legacyRows + (legacy ? 1 : 0),
        legacyThroughId: legacy ? row.id : this.pos.legacyThroughId,
        keyedSeen: this.pos.keyedSeen || !legacy,
      };
    }
    return !this.broken;
  }

  private check(row: AuditRow): BrokenAt | undefined {
    const { pin, pos } = this;
    if (pos.lastId !== null && row.id <= pos.lastId) return { id: row.id, kind: 'order', reason: `its id is not above the row before it (${pos.lastId})` };
    if (row.prevHash !== pos.lastHash) return { id: row.id, kind: 'link', reason: 'its prev_hash does not match the row before it (a row was removed, inserted or changed)' };
    if (row.keyId === null) {
      if (pos.keyedSeen) return { id: row.id, kind: 'unkeyed', reason: 'it has no key id (plain SHA-256) after keyed rows began: it was written or rewritten without the key' };
      if (pin && row.id > pin.legacyThroughId) return { id: row.id, kind: 'unkeyed', reason: `it has no key id (plain SHA-256) but the checkpoint says rows after ${pin.legacyThroughId} are keyed` };
      if (entryHash(pos.lastHash, row) !== row.hash) return { id: row.id, kind: 'changed', reason: 'its content does not match its hash (the row was changed)' };
    } else {
      const secret = this.keys.verifying.get(row.keyId);
      if (!secret) return { id: row.id, kind: 'unknown-key', reason: `its key id "${row.keyId}" is not a configured audit key (HERALD_AUDIT_KEYS)` };
      if (keyedHash(secret, pos.lastHash, { ...row, keyId: row.keyId }) !== row.hash) return { id: row.id, kind: 'changed', reason: 'its content does not match its keyed hash (the row was changed, or rewritten without the key)' };
    }
    // the row itself is sound, so a chain that skips the checkpoint's row lost it (and rows were appended since)
    if (pin && !this.pinSeen && row.id > pin.lastId) {
      return { id: pin.lastId, kind: 'truncated', reason: `the checkpoint's row ${pin.lastId} is gone: the chain goes from row ${pos.lastId ?? 'start'} (${pos.checked} rows) to row ${row.id}; the checkpoint counted ${pin.rows} rows up to it` };
    }
    if (pin && row.id === pin.lastId) {
      this.pinSeen = true;
      if (row.hash !== pin.lastHash) return { id: row.id, kind: 'changed', reason: "its hash differs from the checkpoint's: the chain was rewritten up to here" };
      if (pos.checked + 1 !== pin.rows) return { id: row.id, kind: 'count', reason: `it is row ${pos.checked + 1} of the chain but the checkpoint counted ${pin.rows} rows up to it (rows were removed or inserted before it)` };
    }
    return undefined;
  }

  /** The verdict once every row was fed (or the walk stopped at a bad one). */
  finish(): ChainVerdict {
    const { pos, pin } = this;
    if (this.broken) return { ok: false, checked: pos.checked, brokenAt: this.broken };
    if (pin && !this.pinSeen) {
      return { ok: false, checked: pos.checked, brokenAt: { id: pin.lastId, kind: 'truncated', reason: `the chain ends at row ${pos.lastId ?? 'none'} (${pos.checked} rows) before the checkpoint's row ${pin.lastId} (${pin.rows} rows): the tail was removed` } };
    }
    return { ok: true, ...pos };
  }

  position(): ChainPosition {
    return { ...this.pos };
  }
}

/** Verifies rows in id order from the start of the log (or `from`), optionally against a checkpoint's pin. */
export function verifyChain(rows: Iterable<AuditRow>, keys: AuditKeys, options: { pin?: ChainPin; from?: ChainPosition } = {}): ChainVerdict {
  const walker = new ChainWalker(keys, options.pin, options.from);
  walker.push(rows);
  return walker.finish();
}
