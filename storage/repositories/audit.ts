/**
 * The audit repository. `append` runs in the caller's transaction, so a row exists exactly
 * when the change it records committed; appends are serialised by a transaction-scoped
 * advisory lock so the chain never forks.
 */
import type { Knex } from 'knex';
import { entryHash, verifyChain, type AuditEntry, type AuditOutcome, type AuditRow, type ChainVerdict } from '../../domain/audit/index.js';

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
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export function createAuditRepository(db: Knex | Knex.Transaction) {
  const repo = {
    /** Appends one row; inside `db` when it is a transaction, else in a transaction of its own. */
    async append(e: NewAuditEntry): Promise<AuditRow> {
      const write = async (tx: Knex.Transaction): Promise<AuditRow> => {
        await tx.raw('select pg_advisory_xact_lock(?)', [CHAIN_LOCK]);
        const last = await tx('audit_log').orderBy('id', 'desc').first('hash');
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
        const hash = entryHash(prevHash, entry);
        const [inserted] = await tx('audit_log')
          .insert({ at: entry.at, actor: entry.actor, action: entry.action, subject_type: entry.subjectType, subject_id: entry.subjectId, outcome: entry.outcome, rule: entry.rule, detail: JSON.stringify(entry.detail), prev_hash: prevHash, hash })
          .returning('id');
        return { ...entry, id: Number((inserted as { id: number }).id), prevHash, hash };
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

    /** Recomputes the whole chain in pages; names the first broken row. */
    async verify(pageSize = 1000): Promise<ChainVerdict> {
      let prev: string | null = null;
      let checked = 0;
      let afterId = 0;
      for (;;) {
        const page = ((await db('audit_log').where('id', '>', afterId).orderBy('id', 'asc').limit(pageSize)) as DbRow[]).map(toRow);
        if (!page.length) return { ok: true, checked, lastHash: prev };
        const verdict = verifyChain(page, prev, checked);
        if (!verdict.ok) return verdict;
        prev = verdict.lastHash;
        checked = verdict.checked;
        afterId = page[page.length - 1].id;
      }
    },
  };
  return repo;
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
