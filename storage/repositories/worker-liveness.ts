/**
 * Worker liveness: heartbeats per worker and job type, the jobs each worker took, and which job
 * types have gone without a live worker (for the watchdog and /metrics).
 */
import type { Knex } from 'knex';

export interface UnattendedType {
  type: string;
  /** When the type last had a live worker (its last heartbeat), or its oldest waiting job if it never had one. */
  since: Date;
  /** Jobs of the type waiting for a worker. */
  waiting: number;
}

export interface JobHold {
  jobKey: string;
  jobType: string;
  elementId: string | null;
  workerId: string;
  activatedAt: string;
  /** Whether that worker is still heartbeating for the type. */
  workerAlive: boolean;
}

const iso = (v: unknown) => new Date(v as string).toISOString();

export function workerLivenessRepository(db: Knex) {
  return {
    /** One heartbeat of `workerId` for each of `types`: alive until `at + staleAfterMs`. */
    async beat(workerId: string, types: string[], at: Date, staleAfterMs: number): Promise<void> {
      if (!types.length) return;
      const expires = new Date(at.getTime() + staleAfterMs);
      await db('worker_heartbeats')
        .insert(types.map((job_type) => ({ worker_id: workerId, job_type, started_at: at, last_seen_at: at, expires_at: expires })))
        .onConflict(['worker_id', 'job_type'])
        .merge(['last_seen_at', 'expires_at']);
    },

    /** A worker that stops cleanly is no longer alive for its types (it does not wait out its allowance). */
    async stopped(workerId: string, at: Date): Promise<void> {
      await db('worker_heartbeats').where({ worker_id: workerId }).update({ expires_at: at });
    },

    async held(hold: { jobKey: string; instanceKey: string; jobType: string; elementId?: string; workerId: string; at: Date }): Promise<void> {
      await db('job_holds').insert({ job_key: hold.jobKey, instance_key: hold.instanceKey, job_type: hold.jobType, element_id: hold.elementId ?? null, worker_id: hold.workerId, activated_at: hold.at });
    },

    /** Live workers per job type at `at`. */
    async live(at: Date): Promise<Map<string, string[]>> {
      const rows = await db('worker_heartbeats').where('expires_at', '>', at).select('job_type', 'worker_id');
      const out = new Map<string, string[]>();
      for (const r of rows as { job_type: string; worker_id: string }[]) out.set(r.job_type, [...(out.get(r.job_type) ?? []), r.worker_id]);
      return out;
    },

    /**
     * Job types with no live worker at `at`: every type a worker ever served, and every type with
     * jobs waiting (user tasks aside, which people work), each with the instant it was last attended.
     */
    async unattended(at: Date): Promise<UnattendedType[]> {
      const beats = (await db('worker_heartbeats').select('job_type').max('expires_at as last').groupBy('job_type')) as { job_type: string; last: string }[];
      const waiting = (await db('engine_jobs')
        .where({ state: 'ACTIVATABLE' })
        .whereNot('type', 'like', 'io.camunda.%')
        .select('type')
        .min('created_at as oldest')
        .count('* as n')
        .groupBy('type')) as { type: string; oldest: string; n: string | number }[];
      const byType = new Map<string, UnattendedType>();
      for (const b of beats) {
        const last = new Date(b.last);
        if (last.getTime() > at.getTime()) continue;
        byType.set(b.job_type, { type: b.job_type, since: last, waiting: 0 });
      }
      const served = new Set(beats.map((b) => b.job_type));
      for (const w of waiting) {
        const entry = byType.get(w.type);
        if (entry) entry.waiting = Number(w.n);
        else if (!served.has(w.type)) byType.set(w.type, { type: w.type, since: new Date(w.oldest), waiting: Number(w.n) });
      }
      return [...byType.values()].sort((a, b) => a.type.localeCompare(b.type));
    },

    /** The jobs of an instance with every worker that took each, oldest first. */
    async holdsForInstance(instanceKey: string, at: Date): Promise<JobHold[]> {
      const rows = await db('job_holds as h')
        .leftJoin('worker_heartbeats as w', (j) => j.on('w.worker_id', 'h.worker_id').andOn('w.job_type', 'h.job_type'))
        .where('h.instance_key', instanceKey)
        .orderBy('h.id')
        .select('h.job_key', 'h.job_type', 'h.element_id', 'h.worker_id', 'h.activated_at', 'w.expires_at');
      return (rows as { job_key: string; job_type: string; element_id: string | null; worker_id: string; activated_at: string; expires_at: string | null }[]).map((r) => ({
        jobKey: r.job_key,
        jobType: r.job_type,
        elementId: r.element_id,
        workerId: r.worker_id,
        activatedAt: iso(r.activated_at),
        workerAlive: r.expires_at !== null && new Date(r.expires_at).getTime() > at.getTime(),
      }));
    },
  };
}
