/**
 * The audit chain: each row's hash is sha256 over the previous row's hash and the canonical
 * JSON of the row, so changing, removing or reordering any row breaks every hash after it.
 * Pure: the repository stores rows, this computes and verifies.
 */
import { createHash } from 'node:crypto';

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

export function entryHash(prevHash: string | null, e: AuditEntry): string {
  const body = { at: e.at, actor: e.actor, action: e.action, subjectType: e.subjectType, subjectId: e.subjectId, outcome: e.outcome, rule: e.rule ?? null, detail: e.detail };
  return createHash('sha256').update(prevHash ?? '').update('\n').update(canonicalJson(body)).digest('hex');
}

export type ChainVerdict = { ok: true; checked: number; lastHash: string | null } | { ok: false; checked: number; brokenAt: { id: number; reason: string } };

/**
 * Walks rows in id order from `prevHash` (null at the start of the log); names the first row
 * whose link or hash does not match.
 */
export function verifyChain(rows: Iterable<AuditRow>, prevHash: string | null = null, checkedBefore = 0): ChainVerdict {
  let prev = prevHash;
  let checked = checkedBefore;
  for (const row of rows) {
    if (row.prevHash !== prev) return { ok: false, checked, brokenAt: { id: row.id, reason: 'its prev_hash does not match the row before it (a row was removed, inserted or changed)' } };
    if (entryHash(prev, row) !== row.hash) return { ok: false, checked, brokenAt: { id: row.id, reason: 'its content does not match its hash (the row was changed)' } };
    prev = row.hash;
    checked++;
  }
  return { ok: true, checked, lastHash: prev };
}
