/**
 * Worker liveness. Every worker process heartbeats once per job type it serves and records each
 * job it takes under its own worker id (`host/pid`), so that:
 * - a job type with no live worker for `alertAfterMs` (HERALD_WATCHDOG_ALERT_MINUTES) raises an
 *   alert: a warn log naming the type, how long and how many jobs wait, and the
 *   `herald_worker_unattended_seconds{type}` gauge in /metrics;
 * - a job whose worker died is taken again by the engine once its timeout passes (at-least-once;
 *   the engine does this, see docs/delivery.md), and `GET /api/instances/:key/jobs` shows every
 *   worker that held it and whether that worker is still alive.
 * Works on either engine: the engine port is wrapped, not changed.
 */
import os from 'node:os';
import type { Logger } from '../config/log.js';
import type { Engine, JobWorkerOptions } from '../engine/types.js';
import type { Db } from '../storage/db.js';
import { workerLivenessRepository, type UnattendedType } from '../storage/repositories/worker-liveness.js';

export interface LivenessOptions {
  db: Db;
  log: Logger;
  now?: () => Date;
  /** This process's worker id; `<host>/<pid>` unless told. */
  workerId?: string;
  /** How often this process heartbeats and checks (10 s unless told). */
  heartbeatMs?: number;
  /** A worker silent this long is dead (3 heartbeats unless told). */
  staleAfterMs?: number;
  /** A job type without a live worker this long raises an alert (5 minutes unless told). */
  alertAfterMs?: number;
}

export interface WorkerLiveness {
  readonly workerId: string;
  /** The engine as workers should see it: every createWorker heartbeats its type and records each job it takes. */
  wrap<E extends Engine>(engine: E): E;
  start(): void;
  beat(): Promise<void>;
  /** The job types unattended past the alert threshold now (each is logged at warn once until a worker is back). */
  check(): Promise<(UnattendedType & { seconds: number })[]>;
  close(): Promise<void>;
}

export const workerIdentity = (): string => `${os.hostname()}/${process.pid}`;

export function createWorkerLiveness(options: LivenessOptions): WorkerLiveness {
  const repo = workerLivenessRepository(options.db);
  const now = options.now ?? (() => new Date());
  const workerId = options.workerId ?? workerIdentity();
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  const staleAfterMs = options.staleAfterMs ?? heartbeatMs * 3;
  const alertAfterMs = options.alertAfterMs ?? 5 * 60_000;
  const log = options.log.child({ component: 'watchdog', worker: workerId });
  const types = new Set<string>();
  const alerting = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  const self: WorkerLiveness = {
    workerId,
    wrap(engine) {
      return new Proxy(engine, {
        get(target, prop) {
          const value: unknown = Reflect.get(target, prop);
          if (prop !== 'createWorker' || typeof value !== 'function') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          return (opts: JobWorkerOptions) => {
            const fresh = !types.has(opts.type);
            types.add(opts.type);
            if (fresh && timer) void self.beat();
            return (value as Engine['createWorker']).call(target, {
              ...opts,
              worker: workerId,
              handler: async (job) => {
                // who held the job is recorded before the work starts: if this process dies now, the record says so
                await repo.held({ jobKey: String(job.key), instanceKey: String(job.processInstanceKey), jobType: job.type, elementId: job.elementId, workerId, at: now() }).catch((err: Error) => log.warn({ job: job.key, err: err.message }, 'could not record the job holder'));
                return opts.handler(job);
              },
            });
          };
        },
      });
    },
    async beat() {
      await repo.beat(workerId, [...types], now(), staleAfterMs);
    },
    async check() {
      const at = now();
      const unattended = (await repo.unattended(at)).map((u) => ({ ...u, seconds: Math.max(0, (at.getTime() - u.since.getTime()) / 1000) }));
      const over = unattended.filter((u) => u.seconds * 1000 >= alertAfterMs);
      for (const u of over) {
        if (alerting.has(u.type)) continue;
        alerting.add(u.type);
        log.warn({ jobType: u.type, unattendedSeconds: Math.round(u.seconds), waitingJobs: u.waiting, since: u.since.toISOString() }, `no live worker for job type ${u.type} for ${Math.round(u.seconds / 60)} min: its jobs wait`);
      }
      for (const type of [...alerting]) {
        if (!over.some((u) => u.type === type)) {
          alerting.delete(type);
          log.info({ jobType: type }, `job type ${type} has a live worker again`);
        }
      }
      return over;
    },
    start() {
      if (timer) return;
      const tick = () =>
        self
          .beat()
          .then(() => self.check())
          .catch((err: Error) => log.warn({ err: err.message }, 'watchdog: heartbeat or check failed'));
      void tick();
      timer = setInterval(tick, heartbeatMs);
      timer.unref?.();
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await repo.stopped(workerId, now()).catch(() => undefined);
    },
  };
  return self;
}
