/**
 * Tampering with a keyed audit chain, as someone who holds the database but not the key: each
 * random mutation must be found at the exact row, or, for a truncation, reported against the
 * checkpoint. HERALD_SOAK raises the count from 1,000 to 10,000.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditKey, entryHash, keyedHash, keyring, signCheckpoint, openCheckpoint, verifyChain, type AuditEntry, type AuditOutcome, type AuditRow, type BreakKind, type ChainPin } from '../../domain/audit/index.js';

const RUNS = process.env.HERALD_SOAK ? 10_000 : 1_000;
const key = auditKey('k1', 'audit-tamper-key-0123456789abcdef');
const other = auditKey('k0', 'audit-tamper-old-key-0123456789'); // configured (a rotated-out key), never signs here
const keys = keyring(other, key);
const guessed = auditKey('k1', 'mallory-guessed-key-0123456789');
const OUTCOMES: AuditOutcome[] = ['done', 'allowed', 'refused', 'failed'];

function sign(rows: Omit<AuditRow, 'prevHash' | 'hash' | 'keyId'>[], prev: string | null = null, signer = key): AuditRow[] {
  return rows.map((r) => {
    const row = { ...r, keyId: signer.id, prevHash: prev, hash: keyedHash(signer.secret, prev, { ...r, keyId: signer.id }) };
    prev = row.hash;
    return row;
  });
}

/** Rows signed with `signer` from index `from` on, each linked to the (possibly forged) row before. */
function relink(rows: AuditRow[], from: number, hashOf: (prev: string | null, r: AuditRow) => { keyId: string | null; hash: string }): AuditRow[] {
  const out = rows.slice(0, from);
  let prev = from ? out[from - 1].hash : null;
  for (const r of rows.slice(from)) {
    const forged = { ...r, prevHash: prev, ...hashOf(prev, r) };
    out.push(forged);
    prev = forged.hash;
  }
  return out;
}

const entryArb = fc.record({
  actor: fc.constantFrom('ada', 'sam', 'carl', 'eric', 'system'),
  action: fc.constantFrom('task.complete', 'instance.cancel', 'message.publish', 'event.received'),
  subjectType: fc.constantFrom('task', 'instance', 'message'),
  subjectId: fc.string({ minLength: 1, maxLength: 8 }),
  outcome: fc.constantFrom(...OUTCOMES),
  rule: fc.option(fc.constantFrom('role', 'maker-checker'), { nil: null }),
  detail: fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.integer(), fc.string({ maxLength: 6 }), fc.boolean(), fc.constant(null)), { maxKeys: 3 }),
  atMs: fc.integer({ min: 0, max: 10_000_000 }),
});

// ids grow by at least 2, so there is always a free id before any row to insert one into
const chainArb = fc.array(fc.tuple(entryArb, fc.integer({ min: 2, max: 5 })), { minLength: 2, maxLength: 30 }).map((items) => {
  let id = 0;
  return sign(
    items.map(([e, gap]) => {
      id += gap;
      const { atMs, ...rest } = e;
      return { ...rest, id, at: new Date(Date.UTC(2026, 11, 7) + atMs).toISOString() } satisfies AuditEntry & { id: number };
    }),
  );
});

const FIELDS = ['actor', 'action', 'subjectType', 'subjectId', 'outcome', 'rule', 'detail', 'at', 'id', 'prevHash', 'hash', 'keyId'] as const;

type Mutation =
  | { kind: 'edit'; index: number; field: (typeof FIELDS)[number]; variant: number }
  | { kind: 'delete'; index: number }
  | { kind: 'reorder'; i: number; j: number }
  | { kind: 'truncate'; from: number; appended: number }
  | { kind: 'insert'; index: number; plain: boolean }
  | { kind: 'recompute'; from: number; how: 'wrong-key' | 'own-key-id' | 'plain-sha256' };

function mutationArb(n: number, pinIndex: number): fc.Arbitrary<Mutation> {
  const index = fc.integer({ min: 0, max: n - 1 });
  return fc.oneof(
    fc.record({ kind: fc.constant('edit' as const), index, field: fc.constantFrom(...FIELDS), variant: fc.nat(2) }),
    // deleting the last row after the checkpoint is indistinguishable from never writing it: the
    // checkpoint (and the next one) is what protects the tail
    fc.integer({ min: 0, max: n - 1 }).filter((i) => i < n - 1 || i <= pinIndex).map((i) => ({ kind: 'delete' as const, index: i })),
    fc.tuple(index, index).filter(([i, j]) => i !== j).map(([a, b]) => ({ kind: 'reorder' as const, i: Math.min(a, b), j: Math.max(a, b) })),
    fc.record({ kind: fc.constant('truncate' as const), from: fc.integer({ min: 0, max: pinIndex }), appended: fc.nat(3) }),
    fc.record({ kind: fc.constant('insert' as const), index: fc.integer({ min: 0, max: n }), plain: fc.boolean() }),
    fc.record({ kind: fc.constant('recompute' as const), from: index, how: fc.constantFrom('wrong-key' as const, 'own-key-id' as const, 'plain-sha256' as const) }),
  );
}

function edited(r: AuditRow, field: (typeof FIELDS)[number], variant: number): AuditRow {
  switch (field) {
    case 'outcome':
      return { ...r, outcome: OUTCOMES[(OUTCOMES.indexOf(r.outcome) + 1 + variant) % OUTCOMES.length] };
    case 'rule':
      return { ...r, rule: r.rule === null ? 'forged' : null };
    case 'detail':
      return { ...r, detail: { ...r.detail, amount: `${variant}.00`, forged: true } };
    case 'at':
      return { ...r, at: new Date(Date.parse(r.at) + 1 + variant).toISOString() };
    case 'id':
      return { ...r, id: r.id - 1 }; // the gap before every row keeps the order
    case 'prevHash':
    case 'hash':
      return { ...r, [field]: (r[field] ?? '0'.repeat(64)).replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) };
    case 'keyId':
      return { ...r, keyId: [null, 'k0', 'mallory'][variant] };
    default:
      return { ...r, [field]: `${r[field]}x` };
  }
}

/** Applies the mutation; returns the tampered rows and where verification must stop. */
function apply(rows: AuditRow[], pin: ChainPin, m: Mutation): { rows: AuditRow[]; expected: { id: number; kinds: BreakKind[] } } {
  switch (m.kind) {
    case 'edit': {
      const r = edited(rows[m.index], m.field, m.variant);
      const kinds: BreakKind[] = m.field === 'prevHash' ? ['link'] : m.field === 'keyId' ? (r.keyId === null ? ['unkeyed'] : r.keyId === 'mallory' ? ['unknown-key'] : ['changed']) : ['changed'];
      return { rows: rows.map((x, i) => (i === m.index ? r : x)), expected: { id: r.id, kinds } };
    }
    case 'delete': {
      const rest = rows.filter((_, i) => i !== m.index);
      // the row after it no longer links; a deleted last row is the checkpoint's, which is then gone
      return { rows: rest, expected: m.index < rows.length - 1 ? { id: rows[m.index + 1].id, kinds: ['link'] } : { id: pin.lastId, kinds: ['truncated'] } };
    }
    case 'reorder': {
      const { i, j } = m;
      const swapped = rows.map((x, k) => (k === i ? { ...rows[j], id: x.id } : k === j ? { ...rows[i], id: x.id } : x));
      return { rows: swapped, expected: { id: rows[i].id, kinds: ['link'] } };
    }
    case 'truncate': {
      let kept = rows.slice(0, m.from);
      // the application may have appended since, properly signed: the chain is sound but lost the checkpoint's row
      if (m.appended) {
        const last = rows[rows.length - 1].id;
        const more = Array.from({ length: m.appended }, (_, k) => ({ ...rows[0], id: last + 10 + k, subjectId: `after-${k}` }));
        kept = [...kept, ...sign(more, kept.length ? kept[kept.length - 1].hash : null)];
      }
      return { rows: kept, expected: { id: pin.lastId, kinds: ['truncated'] } };
    }
    case 'insert': {
      const before = m.index ? rows[m.index - 1] : undefined;
      const id = (before?.id ?? 0) + 1;
      const e: AuditEntry = { at: '2026-12-07T12:00:00.000Z', actor: 'mallory', action: 'task.complete', subjectType: 'task', subjectId: 'forged', outcome: 'allowed', rule: null, detail: {} };
      const prevHash = before?.hash ?? null;
      const row: AuditRow = m.plain ? { ...e, id, keyId: null, prevHash, hash: entryHash(prevHash, e) } : { ...e, id, keyId: 'k1', prevHash, hash: keyedHash(guessed.secret, prevHash, { ...e, id, keyId: 'k1' }) };
      return { rows: [...rows.slice(0, m.index), row, ...rows.slice(m.index)], expected: { id, kinds: m.plain ? ['unkeyed'] : ['changed'] } };
    }
    case 'recompute': {
      // the attacker edits the row at `from` and recomputes every link after it, without the key
      const start = { ...rows[m.from], actor: `${rows[m.from].actor}-forged` };
      const base = rows.map((x, i) => (i === m.from ? start : x));
      const how = m.how;
      const out = relink(base, m.from, (prev, r) =>
        how === 'plain-sha256' ? { keyId: null, hash: entryHash(prev, r) } : { keyId: how === 'wrong-key' ? 'k1' : 'mallory', hash: keyedHash(guessed.secret, prev, { ...r, keyId: how === 'wrong-key' ? 'k1' : 'mallory' }) },
      );
      return { rows: out, expected: { id: rows[m.from].id, kinds: [how === 'plain-sha256' ? 'unkeyed' : how === 'wrong-key' ? 'changed' : 'unknown-key'] } };
    }
  }
}

describe('audit tamper property', () => {
  it(`finds each of ${RUNS.toLocaleString('en')} random mutations at the exact row, or as a truncation against the checkpoint`, { timeout: RUNS > 1_000 ? 900_000 : 120_000 }, () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(
        chainArb.chain((rows) => fc.tuple(fc.constant(rows), fc.integer({ min: 0, max: rows.length - 1 }))).chain(([rows, c]) => fc.tuple(fc.constant(rows), fc.constant(c), mutationArb(rows.length, c))),
        ([rows, c, m]) => {
          expect(verifyChain(rows, keys)).toMatchObject({ ok: true, checked: rows.length });
          // the checkpoint as the server writes it, read back through its signature
          const opened = openCheckpoint(JSON.parse(JSON.stringify(signCheckpoint({ lastId: rows[c].id, lastHash: rows[c].hash, rows: c + 1, legacyThroughId: 0 }, keys))), keys);
          if (!opened.ok) throw new Error(opened.reason);
          const pin = opened.checkpoint;
          expect(verifyChain(rows, keys, { pin })).toMatchObject({ ok: true });
          const { rows: tampered, expected } = apply(rows, pin, m);
          const verdict = verifyChain(tampered, keys, { pin });
          if (verdict.ok) throw new Error(`${JSON.stringify(m)} went unnoticed`);
          expect({ id: verdict.brokenAt.id, mutation: m }).toEqual({ id: expected.id, mutation: m });
          expect(expected.kinds).toContain(verdict.brokenAt.kind);
          // without the checkpoint the same row is named, except where only a checkpoint can tell
          // (a truncation; unkeyed rows at the very start, which pass for a pre-key legacy prefix until the first keyed row)
          const unkeyedStart = (m.kind === 'recompute' && m.how === 'plain-sha256' && m.from === 0) || (m.kind === 'insert' && m.plain && m.index === 0);
          if (expected.kinds[0] !== 'truncated' && !unkeyedStart) {
            const alone = verifyChain(tampered, keys);
            expect(alone.ok ? undefined : alone.brokenAt.id).toBe(expected.id);
          }
          seen.set(m.kind, (seen.get(m.kind) ?? 0) + 1);
        },
      ),
      { numRuns: RUNS },
    );
    // every kind of mutation was tried
    expect([...seen.keys()].sort()).toEqual(['delete', 'edit', 'insert', 'recompute', 'reorder', 'truncate']);
  });

  it('rejects a checkpoint that was edited or signed without the key', () => {
    const signed = signCheckpoint({ lastId: 7, lastHash: 'a'.repeat(64), rows: 3, legacyThroughId: 0 }, keys);
    expect(openCheckpoint(signed, keys)).toMatchObject({ ok: true });
    expect(openCheckpoint({ ...signed, rows: 2 }, keys)).toMatchObject({ ok: false, field: 'checkpoint.mac' });
    expect(openCheckpoint(signCheckpoint({ lastId: 7, lastHash: null, rows: 3, legacyThroughId: 0 }, keyring(guessed)), keys)).toMatchObject({ ok: false, field: 'checkpoint.mac' });
    expect(openCheckpoint({ ...signed, keyId: 'mallory' }, keys)).toMatchObject({ ok: false, field: 'checkpoint.keyId' });
    expect(openCheckpoint({ ...signed, lastId: -1 }, keys)).toMatchObject({ ok: false, field: 'checkpoint.lastId' });
  });
});
