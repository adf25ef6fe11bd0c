/**
 * Prometheus metrics for an operator: the engine (instances by state, commands and their commit
 * latency, jobs by type and outcome, incidents, timer lag), delivery (queue depth, sends by
 * channel and outcome, provider latency), HTTP route latency and Node itself (event-loop lag,
 * heap, via prom-client's default metrics).
 *
 * The engine is observed from outside: `instrument(engine)` wraps the port (every command is
 * timed; a worker's handler is wrapped to count and log its outcome) and listens to the port's
 * events (incidents, ended instances), so both adapters are measured the same way. Counts that
 * the database already keeps (instances, open incidents, overdue timers, delivery attempts) are
 * read at scrape time, with a time limit per part so a slow or dead dependency never hangs a scrape.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../../config/log.js';
import type { Engine, JobOutcome, JobWorkerOptions } from '../../engine/types.js';
import type { Db } from '../../storage/db.js';
import { observabilityRepository } from '../../storage/repositories/observability.js';
import { workerLivenessRepository } from '../../storage/repositories/worker-liveness.js';

export const CHANNELS = ['email', 'sms', 'portal', 'crm'] as const;

/** The engine calls that change state; each is counted and timed until the engine committed it. */
const COMMANDS = [
  'deploy',
  'createInstance',
  'publishMessage',
  'broadcastSignal',
  'cancelInstance',
  'setVariables',
  'activateJobs',
  'completeJob',
  'failJob',
  'throwError',
  'updateJobRetries',
  'completeUserTask',
  'resolveIncident',
] as const;

/** Anything with per-channel counts: the delivery queue (BullMQ or in-process). */
export interface QueueCounts {
  counts(channel: (typeof CHANNELS)[number]): Promise<{ waiting: number; active: number; failed: number }>;
}

export interface ObservabilityOptions {
  db: Db;
  logger: Logger;
  /** Per-part time limit of a scrape (ms). */
  scrapeTimeoutMs?: number;
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    timer.unref?.();
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });

export type Observability = ReturnType<typeof createObservability>;

export function createObservability(options: ObservabilityOptions) {
  const registry = new Registry();
  // Node: event-loop lag (nodejs_eventloop_lag_*), heap (nodejs_heap_size_*), RSS, GC, handles
  collectDefaultMetrics({ register: registry });
  const repo = observabilityRepository(options.db);
  const log = options.logger.child({ component: 'metrics' });
  const timeoutMs = options.scrapeTimeoutMs ?? 2_000;
  let engine: Engine | undefined;
  let queue: QueueCounts | undefined;
  let providers: (() => { channel: string; provider: string; state: string }[]) | undefined;

  const m = {
    instances: new Gauge({ name: 'herald_engine_instances', help: 'Process instances of the embedded engine by state', labelNames: ['state'], registers: [registry] }),
    instancesEnded: new Counter({ name: 'herald_engine_instances_ended_total', help: 'Process instances that reached an end, by state', labelNames: ['state'], registers: [registry] }),
    commands: new Counter({ name: 'herald_engine_commands_total', help: 'Engine commands by command and result (ok, error)', labelNames: ['command', 'result'], registers: [registry] }),
    commandSeconds: new Histogram({
      name: 'herald_engine_command_duration_seconds',
      help: 'Time until the engine committed a command',
      labelNames: ['command'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    jobsActivated: new Counter({ name: 'herald_engine_jobs_activated_total', help: 'Jobs handed to a worker of this process, by type', labelNames: ['type'], registers: [registry] }),
    jobsCompleted: new Counter({ name: 'herald_engine_jobs_completed_total', help: 'Jobs completed, by type', labelNames: ['type'], registers: [registry] }),
    jobsFailed: new Counter({ name: 'herald_engine_jobs_failed_total', help: 'Jobs failed (technical errors, retried until an incident), by type', labelNames: ['type'], registers: [registry] }),
    jobsErrored: new Counter({ name: 'herald_engine_jobs_bpmn_errors_total', help: 'Jobs that threw a BPMN error (business outcomes), by type and code', labelNames: ['type', 'code'], registers: [registry] }),
    jobSeconds: new Histogram({ name: 'herald_engine_job_duration_seconds', help: 'Time a worker handler took, by type', labelNames: ['type'], buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] }),
    revisionConflicts: new Counter({
      name: 'herald_engine_revision_conflicts_total',
      help: 'Commands that met an instance saved by a peer process since it was loaded (optimistic concurrency on one Postgres), by outcome: retried on the row as it is now, or gave_up',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    incidents: new Counter({ name: 'herald_engine_incidents_total', help: 'Incidents raised, by error type', labelNames: ['error_type'], registers: [registry] }),
    incidentsOpen: new Gauge({ name: 'herald_engine_incidents_open', help: 'Open incidents of the embedded engine, by error type', labelNames: ['error_type'], registers: [registry] }),
    timerLag: new Gauge({ name: 'herald_engine_timer_lag_seconds', help: 'How long the oldest due timer has waited past its due time (0: none overdue)', registers: [registry] }),
    queueDepth: new Gauge({ name: 'herald_delivery_queue_depth', help: 'Delivery jobs per channel and state (waiting, active, failed)', labelNames: ['channel', 'state'], registers: [registry] }),
    sends: new Counter({ name: 'herald_delivery_sends_total', help: 'Delivery attempts finished, by channel and outcome (sent, retry, failed)', labelNames: ['channel', 'outcome'], registers: [registry] }),
    providerSeconds: new Histogram({ name: 'herald_delivery_provider_duration_seconds', help: 'Time a delivery attempt took at the provider, by channel', labelNames: ['channel'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] }),
    http: new Histogram({ name: 'herald_http_request_duration_seconds', help: 'HTTP request latency by method, route and status code', labelNames: ['method', 'route', 'status_code'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] }),
    unattended: new Gauge({ name: 'herald_worker_unattended_seconds', help: 'Seconds a job type has gone without a live worker (no heartbeat); 0 while one lives. Alert above HERALD_WATCHDOG_ALERT_MINUTES', labelNames: ['type'], registers: [registry] }),
    workersLive: new Gauge({ name: 'herald_workers_live', help: 'Worker processes heartbeating for each job type', labelNames: ['type'], registers: [registry] }),
    breakers: new Gauge({ name: 'herald_delivery_provider_breaker', help: 'Circuit breaker of each delivery provider of a failover channel: 1 for its current state (closed, open, half-open, isolated), 0 for the others', labelNames: ['channel', 'provider', 'state'], registers: [registry] }),
    scrapeErrors: new Counter({ name: 'herald_metrics_scrape_errors_total', help: 'Parts of a scrape that failed or timed out, by part', labelNames: ['part'], registers: [registry] }),
  };
  // zero series, so dashboards and alerts see 0 rather than "no data" before the first event
  for (const channel of CHANNELS) for (const outcome of ['sent', 'retry', 'failed']) m.sends.inc({ channel, outcome }, 0);
  m.timerLag.set(0);
  for (const outcome of ['retried', 'gave_up']) m.revisionConflicts.inc({ outcome }, 0);

  // delivery attempts are counted from the database from this process's start on; an attempt
  // still running below the cursor holds it back, and the ids counted above it are remembered
  let cursor: number | undefined;
  const counted = new Set<number>();
  const cursorReady = repo.lastAttemptId().then(
    (id) => void (cursor = id),
    () => void (cursor = 0),
  );

  async function refreshDeliveries() {
    await cursorReady;
    const from = cursor ?? 0;
    const finished = await repo.finishedAttempts(from);
    for (const a of finished) {
      if (counted.has(a.id)) continue;
      counted.add(a.id);
      m.sends.inc({ channel: a.channel, outcome: a.outcome });
      m.providerSeconds.observe({ channel: a.channel }, a.seconds);
    }
    const running = await repo.oldestUnfinishedAttempt(from, new Date(Date.now() - 10 * 60_000));
    const top = finished.length ? finished[finished.length - 1].id : from;
    cursor = running !== undefined ? Math.min(running - 1, top) : top;
    for (const id of counted) if (id <= cursor) counted.delete(id);
  }

  async function refreshEngine() {
    if (engine && engine.kind !== 'embedded') return;
    const [states, incidents] = await Promise.all([repo.instancesByState(), repo.openIncidentsByType()]);
    m.instances.reset();
    for (const s of ['ACTIVE', 'COMPLETED', 'TERMINATED']) m.instances.set({ state: s }, 0);
    for (const s of states) m.instances.set({ state: s.state }, s.n);
    m.incidentsOpen.reset();
    for (const i of incidents) m.incidentsOpen.set({ error_type: i.errorType }, i.n);
    const now = engine?.clock?.now() ?? Date.now();
    const due = await repo.oldestDueTimer(now);
    m.timerLag.set(due === undefined ? 0 : Math.max(0, (now - due) / 1000));
  }

  async function refreshWorkers() {
    const at = new Date();
    const liveness = workerLivenessRepository(options.db);
    const [live, unattended] = await Promise.all([liveness.live(at), liveness.unattended(at)]);
    m.unattended.reset();
    m.workersLive.reset();
    for (const [type, ids] of live) {
      m.workersLive.set({ type }, ids.length);
      m.unattended.set({ type }, 0);
    }
    for (const u of unattended) {
      m.workersLive.set({ type: u.type }, 0);
      m.unattended.set({ type: u.type }, Math.max(0, (at.getTime() - u.since.getTime()) / 1000));
    }
  }

  function refreshBreakers() {
    for (const p of providers?.() ?? []) for (const state of ['closed', 'open', 'half-open', 'isolated']) m.breakers.set({ channel: p.channel, provider: p.provider, state }, p.state === state ? 1 : 0);
  }

  async function refreshQueue() {
    if (!queue) return;
    const q = queue;
    await Promise.all(
      CHANNELS.map(async (channel) => {
        const c = await q.counts(channel);
        for (const state of ['waiting', 'active', 'failed'] as const) m.queueDepth.set({ channel, state }, c[state]);
      }),
    );
  }

  /** Follows the port's events only (incidents at warn, ended instances); returns the unsubscribe. */
  function observeEvents(target: Engine): () => void {
    engine = target;
    return target.on({
      incidentCreated(incident) {
        m.incidents.inc({ error_type: incident.errorType });
        log.warn(
          { process: incident.bpmnProcessId, element: incident.elementId, instance: incident.processInstanceKey, job: incident.jobKey, incident: incident.incidentKey, errorType: incident.errorType, error: incident.errorMessage },
          'incident raised',
        );
      },
      instanceEnded(ref) {
        m.instancesEnded.inc({ state: ref.state });
      },
      revisionConflict(conflict) {
        m.revisionConflicts.inc({ outcome: conflict.retried ? 'retried' : 'gave_up' });
        if (!conflict.retried) log.warn({ instance: conflict.processInstanceKey, attempts: conflict.attempt + 1 }, 'command gave up after repeated revision conflicts with peer processes');
      },
    });
  }

  return {
    registry,
    metrics: m,

    /** Wraps the engine: every command timed, every worker's outcome counted and failures logged at warn. */
    instrument<E extends Engine>(target: E): E {
      observeEvents(target);
      return wrapEngine(target);
    },

    observeEvents,

    /** Reads the delivery queue's depth at each scrape. */
    observeQueue(q: QueueCounts | undefined) {
      queue = q;
    },

    /** Reads the delivery providers' circuit breakers at each scrape (failover channels). */
    observeProviders(states: (() => { channel: string; provider: string; state: string }[]) | undefined) {
      providers = states;
    },

    /** The text exposition, refreshed from the database and the queue first. */
    async scrape(): Promise<string> {
      const parts: [string, () => Promise<void>][] = [
        ['engine', refreshEngine],
        ['delivery', refreshDeliveries],
        ['queue', refreshQueue],
        ['breakers', async () => refreshBreakers()],
        ['workers', refreshWorkers],
      ];
      await Promise.all(
        parts.map(async ([part, run]) => {
          try {
            await withTimeout(run(), timeoutMs, part);
          } catch (err) {
            m.scrapeErrors.inc({ part });
            log.debug({ part, err: (err as Error).message }, 'metrics: part of the scrape failed');
          }
        }),
      );
      return registry.metrics();
    },
  };

  function wrapEngine<E extends Engine>(target: E): E {
    const wrapped = new Map<PropertyKey, unknown>();
    return new Proxy(target, {
      get(obj, prop) {
        // read on the target itself: getters and methods may use private fields
        const value: unknown = Reflect.get(obj, prop);
        if (typeof value !== 'function') return value;
        const cached = wrapped.get(prop);
        if (cached) return cached;
        let fn: unknown;
        if ((COMMANDS as readonly PropertyKey[]).includes(prop)) {
          const command = String(prop);
          fn = async (...args: unknown[]) => {
            const end = m.commandSeconds.startTimer({ command });
            try {
              const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(obj, args);
              m.commands.inc({ command, result: 'ok' });
              return result;
            } catch (err) {
              m.commands.inc({ command, result: 'error' });
              throw err;
            } finally {
              end();
            }
          };
        } else if (prop === 'createWorker') {
          fn = (opts: JobWorkerOptions) => (value as (o: JobWorkerOptions) => unknown).call(obj, { ...opts, handler: observeHandler(opts) });
        } else {
          fn = (value as (...a: unknown[]) => unknown).bind(obj);
        }
        wrapped.set(prop, fn);
        return fn;
      },
    });
  }

  function observeHandler(opts: JobWorkerOptions): JobWorkerOptions['handler'] {
    const type = opts.type;
    return async (job) => {
      m.jobsActivated.inc({ type });
      const end = m.jobSeconds.startTimer({ type });
      const context = { process: job.bpmnProcessId, element: job.elementId, instance: job.processInstanceKey, job: job.key, type };
      let outcome: JobOutcome;
      try {
        outcome = await opts.handler(job);
      } catch (err) {
        end();
        m.jobsFailed.inc({ type });
        const retries = Math.max(0, job.retries - 1);
        log.warn({ ...context, retries, error: (err as Error).message }, retries > 0 ? 'job failed; it will be retried' : 'job failed with no retries left; an incident follows');
        throw err;
      }
      end();
      if (outcome.outcome === 'complete') m.jobsCompleted.inc({ type });
      else if (outcome.outcome === 'error') m.jobsErrored.inc({ type, code: outcome.errorCode });
      else {
        m.jobsFailed.inc({ type });
        const retries = outcome.retries ?? Math.max(0, job.retries - 1);
        log.warn(
          { ...context, retries, backoffMs: outcome.retryBackOff, error: outcome.errorMessage },
          retries > 0 ? 'job failed; it will be retried' : 'job failed with no retries left; an incident follows',
        );
      }
      return outcome;
    };
  }
}
