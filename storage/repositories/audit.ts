/**
 * The audit repository. `append` runs in the caller's transaction, so a row exists exactly
 * when the change it records committed; appends are serialised by a transaction-scoped
 * advisory lock so the chain never forks. Links are keyed (HMAC) with the audit keys from the
 * environment (HERALD_AUDIT_KEYS, HERALD_AUDIT_KEY, else derived from HERALD_SECRET), which never
 * enter the database.
 */
import type { Knex } from 'knex';
import { readSetting } from '../../config/index.js';
import { buildAuditKeys, ChainWalker, keyedHash, START, type AuditEntry, type AuditKeys, type AuditOutcome, type AuditRow, type ChainPin, type ChainPosition, type ChainVerdict } from '../../domain/audit/index.js';

const CHAIN_LOCK = 0x6865_7261; // "hera"

export interface NewAuditEntry {
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  outcome?: AuditOutcome;
  rule?: string | null;
  detail?: Record<string, unknown>;
  at?: Date;
}

export interface AuditFilter {
  subjectType?: string;
  subjectId?: string;
  actor?: string;
  action?: string;
  outcome?: AuditOutcome;
  afterId?: number;
  limit?: number;
}

interface DbRow {
  id: number | string;
  at: Date | string;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  outcome: AuditOutcome;
  rule: string | null;
  detail: unknown;
  key_id: string | null;
  prev_hash: string | null;
  hash: string;
}

function toRow(r: DbRow): AuditRow {
  return {
    id: Number(r.id),
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    action: r.action,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    outcome: r.outcome,
    rule: r.rule,
    detail: (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail) as Record<string, unknown>,
    keyId: r.key_id ?? null,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

let cachedKeys: { raw: string; keys: AuditKeys } | undefined;
/** The audit keys from the environment, read once per distinct value (every process shares them). */
export function defaultAuditKeys(env: NodeJS.ProcessEnv = process.env): AuditKeys {
  const raw = [env.HERALD_AUDIT_KEYS, env.HERALD_AUDIT_KEY, env.HERALD_SECRET].join('\u0000');
  if (cachedKeys?.raw !== raw) {
    const heraldSecret = readSetting('secret', env);
    // the setting's default, read from an empty environment: the public development secret
    const heraldSecretIsDefault = heraldSecret === readSetting('secret', {});
    cachedKeys = { raw, keys: buildAuditKeys({ keys: readSetting('auditKeys', env), key: readSetting('auditKey', env), heraldSecret, heraldSecretIsDefault }) };
  }
  return cachedKeys.keys;
}

export interface VerifyOptions {
  pageSize?: number;
  /** A checkpoint's pin the chain must still hold (its row, hash and count). */
  pin?: ChainPin;
}

export function createAuditRepository(db: Knex | Knex.Transaction, options: { keys?: AuditKeys } = {}) {
  const keys = () => options.keys ?? defaultAuditKeys();
  const repo = {
    /** Appends one row; inside `db` when it is a transaction, else in a transaction of its own. */
    async append(e: NewAuditEntry): Promise<AuditRow> {
      const write = async (tx: Knex.Transaction): Promise<AuditRow> => {
        await tx.raw('select pg_advisory_xact_lock(?)', [CHAIN_LOCK]);
        const last = await tx('audit_log').orderBy('id', 'desc').first('hash');
        // the id is part of the keyed link, so it is taken before the hash (under the lock, ids follow chain order)
        const seq = await tx.raw("select nextval(pg_get_serial_sequence('audit_log', 'id')) as id");
        const id = Number((seq.rows as { id: string | number }[])[0].id);
        const signing = keys().signing;
        const entry: AuditEntry = {
          at: (e.at ?? new Date()).toISOString(),
          actor: e.actor,
          action: e.action,
          subjectType: e.subjectType,
          subjectId: e.subjectId,
          outcome: e.outcome ?? 'done',
          rule: e.rule ?? null,
          // what the database gives back is what gets hashed
          detail: JSON.parse(JSON.stringify(e.detail ?? {})) as Record<string, unknown>,
        };
        const prevHash = (last?.hash as string | undefined) ?? null;
        const hash = keyedHash(signing.secret, prevHash, { ...entry, id, keyId: signing.id });
        await tx('audit_log').insert({ id, at: entry.at, actor: entry.actor, action: entry.action, subject_type: entry.subjectType, subject_id: entry.subjectId, outcome: entry.outcome, rule: entry.rule, detail: JSON.stringify(entry.detail), key_id: signing.id, prev_hash: prevHash, hash });
        return { ...entry, id, keyId: signing.id, prevHash, hash };
      };
      if ((db as Knex.Transaction).isTransaction) return write(db as Knex.Transaction);
      return (db as Knex).transaction(write);
    },

    async list(filter: AuditFilter = {}): Promise<AuditRow[]> {
      const q = db('audit_log').orderBy('id', 'asc').limit(Math.min(filter.limit ?? 100, 1000));
      if (filter.subjectType) q.where('subject_type', filter.subjectType);
      if (filter.subjectId) q.where('subject_id', filter.subjectId);
      if (filter.actor) q.where('actor', filter.actor);
      if (filter.action) q.where('action', filter.action);
      if (filter.outcome) q.where('outcome', filter.outcome);
      if (filter.afterId) q.where('id', '>', filter.afterId);
      return ((await q) as DbRow[]).map(toRow);
    },

    /** The id of the last row (0 when the log is empty). */
    async lastId(): Promise<number> {
      const head = (await db('audit_log').max({ id: 'id' }).first()) as { id: string | number | null } | undefined;
      return Number(head?.id ?? 0);
    },

    /**
     * Recomputes the whole chain in pages; names the first broken row, and, given a checkpoint's
     * pin, the first place the chain departs from it (a truncation names the checkpoint's row).
     */
    async verify(opts: number | VerifyOptions = {}): Promise<ChainVerdict> {
      const { pageSize = 1000, pin } = typeof opts === 'number' ? { pageSize: opts } : opts;
      return walk(new ChainWalker(keys(), pin), 0, pageSize);
    },

    /**
     * Verifies only what a trusted checkpoint does not already cover: its row still has its hash
     * and is still the `rows`-th row, and every row after it links and verifies.
     */
    async verifySince(pin: ChainPin, pageSize = 1000): Promise<ChainVerdict> {
      if (pin.rows === 0) return repo.verify({ pageSize });
      const row = (await db('audit_log').where('id', pin.lastId).first('hash')) as { hash: string } | undefined;
      const count = async (upTo: number) => Number(((await db('audit_log').where('id', '<=', upTo).count({ n: '*' })) as { n: string | number }[])[0].n);
      if (!row) return { ok: false, checked: 0, brokenAt: { id: pin.lastId, kind: 'truncated', reason: `the checkpoint's row ${pin.lastId} is gone` } };
      if (row.hash !== pin.lastHash) return { ok: false, checked: 0, brokenAt: { id: pin.lastId, kind: 'changed', reason: "its hash differs from the checkpoint's: the chain was rewritten up to here" } };
      const rows = await count(pin.lastId);
      if (rows !== pin.rows) return { ok: false, checked: 0, brokenAt: { id: pin.lastId, kind: 'count', reason: `${rows} rows lead up to it but the checkpoint counted ${pin.rows} (rows were removed or inserted before it)` } };
      const from: ChainPosition = { ...START, lastId: pin.lastId, lastHash: pin.lastHash, checked: pin.rows, legacyRows: pin.legacyThroughId ? await count(pin.legacyThroughId) : 0, legacyThroughId: pin.legacyThroughId, keyedSeen: pin.lastId > pin.legacyThroughId };
      return walk(new ChainWalker(keys(), undefined, from), pin.lastId, pageSize);
    },
  };

  async function walk(walker: ChainWalker, afterId: number, pageSize: number): Promise<ChainVerdict> {
    let after = afterId;
    for (;;) {
      const page = ((await db('audit_log').where('id', '>', after).orderBy('id', 'asc').limit(pageSize)) as DbRow[]).map(toRow);
      if (!page.length || !walker.push(page)) return walker.finish();
      after = page[page.length - 1].id;
    }
  }

  return repo;
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
