/**
 * What the operator's /metrics and /health/ready read from the database: instance and incident
 * counts of the embedded engine, how late the oldest due timer is, the delivery attempts that
 * finished since the last scrape, and whether every migration ran. Read-only, cheap queries on
 * indexed columns, so a scrape every 15 s costs nothing noticeable.
 */
import type { Knex } from 'knex';
import { migrationSource } from '../../migrations/index.js';

export interface FinishedAttempt {
  id: number;
  channel: string;
  outcome: string;
  seconds: number;
}

export function observabilityRepository(db: Knex) {
  return {
    /** Instances by state (ACTIVE, COMPLETED, TERMINATED); with_incident counts active ones holding an incident. */
    async instancesByState(): Promise<{ state: string; n: number }[]> {
      const rows = await db('engine_instances').select('state').count<{ state: string; n: string | number }[]>('* as n').groupBy('state');
      return rows.map((r) => ({ state: r.state, n: Number(r.n) }));
    },

    /** Open incidents by error type. */
    async openIncidentsByType(): Promise<{ errorType: string; n: number }[]> {
      const rows = await db('engine_incidents').where({ state: 'ACTIVE' }).select('error_type').count<{ error_type: string; n: string | number }[]>('* as n').groupBy('error_type');
      return rows.map((r) => ({ errorType: r.error_type, n: Number(r.n) }));
    },

    /** The due time (epoch ms) of the oldest timer that is due at `now` and has not fired, if any. */
    async oldestDueTimer(now: number): Promise<number | undefined> {
      const row = await db('engine_timers').where({ state: 'CREATED' }).andWhere('due_at', '<=', now).min<{ due: string | number | null }>('due_at as due').first();
      return row?.due == null ? undefined : Number(row.due);
    },

    /** The newest delivery attempt id, so counting starts at this process's start. */
    async lastAttemptId(): Promise<number> {
      const row = await db('delivery_attempts').max<{ id: string | number | null }>('id as id').first();
      return Number(row?.id ?? 0);
    },

    /** Attempts that finished with an id above `afterId`, oldest first (at most `limit`). */
    async finishedAttempts(afterId: number, limit = 5_000): Promise<FinishedAttempt[]> {
      const rows = await db('delivery_attempts as a')
        .join('deliveries as d', 'd.communication_id', 'a.communication_id')
        .where('a.id', '>', afterId)
        .whereNotNull('a.outcome')
        .whereNotNull('a.finished_at')
        .orderBy('a.id')
        .limit(limit)
        .select('a.id', 'd.channel', 'a.outcome', 'a.started_at', 'a.finished_at');
      return rows.map((r: { id: string | number; channel: string; outcome: string; started_at: Date | string; finished_at: Date | string }) => ({
        id: Number(r.id),
        channel: r.channel,
        outcome: r.outcome,
        seconds: Math.max(0, (new Date(r.finished_at).getTime() - new Date(r.started_at).getTime()) / 1000),
      }));
    },

    /**
     * The smallest attempt id above `afterId` still running (started after `since`): counting must
     * not skip past it. An attempt left open by a crash is repeated under a new id and never
     * finishes, so older ones are not waited for.
     */
    async oldestUnfinishedAttempt(afterId: number, since: Date): Promise<number | undefined> {
      const row = await db('delivery_attempts').where('id', '>', afterId).whereNull('outcome').andWhere('started_at', '>=', since).min<{ id: string | number | null }>('id as id').first();
      return row?.id == null ? undefined : Number(row.id);
    },

    /** Migrations: which ran, which are pending (knex's own bookkeeping table). */
    async migrations(schemaName?: string): Promise<{ completed: string[]; pending: string[] }> {
      const [completed, pending] = (await db.migrate.list({ migrationSource, schemaName })) as [{ name: string }[], string[]];
      return { completed: completed.map((m) => m.name), pending: pending.map(String) };
    },

    /** One round trip: the database answers. */
    async ping(): Promise<void> {
      await db.raw('select 1');
    },
  };
}

export type ObservabilityRepository = ReturnType<typeof observabilityRepository>;
