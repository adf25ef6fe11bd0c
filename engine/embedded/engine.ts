/**
 * The embedded engine: the Engine port over bpmn-engine, with its state in Herald's database.
 *
 * Durability: an instance is saved when it settles (every token waits on a job, message, timer,
 * signal, user task, call or incident), atomically with the rows of its wait states: in one SQL
 * statement when its waits are plain jobs (the common case), else in one transaction. What is
 * saved is a snapshot, or after a job completion that only moved tokens between jobs, a journal
 * line replayed on the last snapshot when the instance is loaded (`flush`, `load`).
 * Jobs, timers and subscriptions are rows, so commands find their instance without loading
 * every instance; waiting instances are evicted from memory (LRU) and restored on demand.
 * After a crash nothing half-done is visible: a command either committed or runs again
 * (jobs are at-least-once, timers fire once per committed state).
 */
import { createHash, randomInt } from 'node:crypto';
import os from 'node:os';
import { dbKind, queryWithArrays, type Db } from '../../storage/db.js';
import type { Logger } from '../../config/log.js';
import { silentLogger } from '../../config/log.js';
import {
  EngineError,
  type ActivateJobsRequest,
  type BroadcastSignalRequest,
  type CreateInstanceRequest,
  type DeployProblem,
  type Deployment,
  type DeployedDecision,
  type DeployedForm,
  type DeployedProcess,
  type Engine,
  type EngineClock,
  type EngineEvents,
  type FailJobRequest,
  type Incident,
  type InstanceDetails,
  type InstanceFilter,
  type InstanceRef,
  type InstanceState,
  type Job,
  type JobWorker,
  type JobWorkerOptions,
  type Key,
  type MigrateInstanceRequest,
  type ModifyInstanceRequest,
  type PublishMessageRequest,
  type PublishMessageResponse,
  type Resource,
  type ThrowErrorRequest,
  type TaskListenerEventType,
  type UserTask,
  type UserTaskCorrections,
  type UserTaskHooks,
  type UserTaskListenerResult,
  type Variables,
} from '../types.js';
import { Clock } from './clock.js';
import { compile, parseModdle, type ProcessModel } from './model.js';
import { canCatchError, InstanceRuntime, LISTENER_KEY, type JournalEntry, type Snapshot, type WaitRecord } from './runtime.js';
import { addDuration, cycleStep, firstCycleDue, nextCycleDue, parseCycle, parseDate } from './timer-values.js';
import { checkDecisionBindings, prepareBpmn, preparedDecisionIds, prepareDmn, type DecisionRequirements, type DecisionService } from './deploy.js';
import type { DecisionBinding } from './runtime.js';
import { findUnchanged, type UnchangedResource } from './unchanged.js';
import { checkMigration, renameRows, renameSnapshot } from './migration.js';
import { planModification } from './modification.js';
import { listenerElementInstanceKey, TaskListeners, type ListenerRecord, type TaskRow, type TransitionPayload } from './task-listeners.js';

export interface EmbeddedEngineOptions {
  db: Db;
  logger?: Logger;
  /** A virtual clock (process tests): time moves only through `clock.advance`. */
  virtualClock?: boolean;
  clockStart?: number;
  /** How many instances stay in memory; the rest are loaded on demand. */
  cacheSize?: number;
  /** Idle job workers poll this often (ms). */
  pollInterval?: number;
  /** Postgres: how often this engine looks for peers that died, to hand back their jobs and timers (ms). */
  peerSweepInterval?: number;
  /** How long a claim on due timers keeps peers off them (engine clock, ms). */
  timerLease?: number;
}

interface InstanceRow {
  key: number;
  definition_key: number;
  bpmn_process_id: string;
  version: number;
  state: InstanceState;
  parent_instance_key: number | null;
  parent_element_instance_key: string | null;
  snapshot: Snapshot | null;
  /** Job completions since the snapshot, one JSON entry per line (see `flush`). */
  journal: string | null;
  variables: Variables;
  started_at: Date;
  ended_at: Date | null;
}

interface Loaded {
  rt: InstanceRuntime;
  row: Pick<InstanceRow, 'key' | 'definition_key' | 'bpmn_process_id' | 'version' | 'parent_instance_key' | 'parent_element_instance_key'>;
  /** Waits as persisted: wait id -> the record object (identity tells a re-registration). */
  persisted: Map<string, WaitRecord>;
  /** Not in the database yet: its row is inserted with its first settled state, in one transaction. */
  isNew?: { startedAt: Date };
  /** Job completions saved as journal entries since the saved snapshot. */
  journal: number;
  /** The row's revision this state was loaded at (or last saved as): a save checks it, so a peer's save is never overwritten. */
  rev: number;
}

interface CommandContext {
  completedJobs: Set<string>;
  completedUserTasks: Set<string>;
  /** Set by a job completion: what the journal keeps of it, its variables as JSON text. */
  journal?: Omit<JournalEntry, 'v'> & { json: string };
  /** The timer row this command fires: marked TRIGGERED in the same transaction as the save. */
  firedTimer?: number;
  /**
   * The start timer that starts this (new) instance: marked TRIGGERED, and its next occurrence
   * written, in the instance's first save, so a crash in between neither loses nor repeats it.
   */
  firedStartTimer?: { key: number; next?: { definition_key: number; element_id: string; due_at: number; repetitions: number; interval: string } };
  /** The message this command correlates: recorded with the save, at most once per instance. */
  messageKey?: number;
}

/**
 * A save found the instance's row at another revision than it was loaded at: a peer (another
 * Herald process on the same database) saved it in between. The command runs again on the row as
 * it is now.
 */
class RevisionConflict extends Error {
  readonly code = 'HR409';
}

/** The message has already correlated with this instance (Zeebe: once per instance). */
class AlreadyCorrelated extends Error {}

/** The start timer was fired meanwhile (by a peer): the instance it would start is not saved. */
class StartTimerFired extends Error {}

function isRevisionConflict(err: unknown): boolean {
  return err instanceof RevisionConflict || (err as { code?: string } | null)?.code === 'HR409';
}

/** How often a command is tried again after revision conflicts before it gives up. */
const CONFLICT_RETRIES = 25;

/** How a settled instance's row takes its new state: a new snapshot (the journal emptied), or one more journal line. */
const SNAPSHOT_OR_JOURNAL = `snapshot = case when v.journal is null then v.snapshot else i.snapshot end,
  journal = case when v.journal is null then null else coalesce(i.journal, '') || v.journal end`;

/** Journal entries an instance may gather before its next settle saves a snapshot again. */
const JOURNAL_LIMIT = 16;

type Followup = () => Promise<void>;

/** What one settled command writes. */
interface Change {
  loaded: Loaded;
  ctx: CommandContext;
  events: import('./runtime.js').ElementEvent[];
  added: WaitRecord[];
  removed: WaitRecord[];
  ended: boolean;
  state: InstanceState;
  snapshot: string | null;
  /** Set instead of `snapshot` when this step is saved as a journal entry: the line to append. */
  journal?: string;
  variables: string;
  hasIncident: boolean;
  now: number;
  createdTasks: UserTask[];
  endedTasks: { task: UserTask; completed: boolean }[];
  newIncidents: Incident[];
  /** Jobs handed straight to an in-process worker after the commit. */
  dispatch: { worker: EmbeddedWorker; wait: WaitRecord; jobKey?: string }[];
}

type PreparedResource =
  | { kind: 'bpmn'; name: string; content: string; bpmn: { processes: ProcessModel[]; warnings: DeployProblem[] } }
  | { kind: 'same'; name: string; same: UnchangedResource }
  | { kind: 'dmn'; name: string; content: string; dmn: DecisionRequirements }
  | { kind: 'form'; name: string; content: string; formId: string; versionTag?: string };

const TERMINAL: InstanceState[] = ['COMPLETED', 'TERMINATED'];

/**
 * A change the one-statement group commit (`applyPlain`) can write: its waits, created and
 * removed, are plain jobs (no user task behind them), and no job is removed and created again
 * for the same element instance.
 */
function plainChange(c: Pick<Change, 'added' | 'removed'>): boolean {
  const plain = (w: WaitRecord) => w.descriptor.kind === 'job' && !w.descriptor.userTask;
  if (!c.added.every(plain) || !c.removed.every(plain)) return false;
  if (!c.added.length || !c.removed.length) return true;
  const removed = new Set(c.removed.map((w) => w.elementInstanceKey));
  return !c.added.some((w) => removed.has(w.elementInstanceKey));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function iso(d: Date | string | number | null | undefined): string | undefined {
  if (d === null || d === undefined) return undefined;
  return new Date(d).toISOString();
}

export class EmbeddedEngine implements Engine {
  readonly kind = 'embedded' as const;
  readonly clock: EngineClock;
  private readonly time: Clock;
  private readonly db: Db;
  private readonly log: Logger;
  private readonly models = new Map<number, ProcessModel>();
  private readonly cache = new Map<string, Loaded>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly cacheSize: number;
  private readonly pollInterval: number;
  private readonly decisions: DecisionCache;
  private readonly userTaskHooks = new Set<UserTaskHooks>();
  private readonly eventHooks = new Set<EngineEvents>();
  private readonly workers = new Set<EmbeddedWorker>();
  private timerHandle?: NodeJS.Timeout;
  private started = false;
  private stopping = false;
  private idle: Promise<void> = Promise.resolve();
  private pending = new Set<Promise<unknown>>();
  /**
   * Jobs this engine handed to its own workers: job key -> where it waits. Completing one of
   * them needs no read of its row (the instance knows the wait); an unknown key falls back to it.
   */
  private readonly dispatched = new Map<string, { instanceKey: string; elementInstanceKey: string }>();
  /** The latest version per process id and the version per definition key (this engine deploys). */
  private readonly latest = new Map<string, { key: number; version: number }>();
  private readonly versions = new Map<number, number>();
  /** Instance keys taken from the sequence in blocks, one query per block. */
  private keyPool: string[] = [];
  /** zeebe:taskListeners: jobs before a user task's transitions (see task-listeners.ts). */
  private readonly taskListeners: TaskListeners;
  /**
   * Postgres: peers (other Herald processes) may share the database, so saves check revisions and
   * this engine registers as a node; PGlite is one process's alone.
   */
  private readonly shared: boolean;
  /** This engine's row in engine_nodes and its advisory lock key, while it runs on Postgres. */
  private nodeId: number | null = null;
  private nodeConnection?: unknown;
  private sweepHandle?: NodeJS.Timeout;
  private readonly peerSweepInterval: number;
  private readonly timerLease: number;

  constructor(options: EmbeddedEngineOptions) {
    this.db = options.db;
    this.log = (options.logger ?? silentLogger).child({ component: 'embedded-engine' });
    this.time = new Clock({ virtual: options.virtualClock, start: options.clockStart });
    this.cacheSize = options.cacheSize ?? 500;
    this.pollInterval = options.pollInterval ?? 200;
    this.shared = dbKind(this.db) === 'postgres';
    this.peerSweepInterval = options.peerSweepInterval ?? 2_000;
    this.timerLease = options.timerLease ?? 30_000;
    this.decisions = new DecisionCache(this.db);
    this.taskListeners = new TaskListeners({
      db: this.db,
      now: () => this.time.now(),
      listenersOf: async (task) => {
        const inst = await this.db('engine_instances').where({ key: Number(task.instance_key) }).first('definition_key');
        if (!inst) return [];
        return (await this.model(Number(inst.definition_key))).elements.get(task.element_id)?.userTask?.listeners ?? [];
      },
      variablesAt: async (task) => {
        const instanceKey = String(task.instance_key);
        const loaded = await this.load(instanceKey).catch(() => undefined);
        const scope = task.element_instance_key.slice(instanceKey.length + 1);
        if (loaded) return structuredClone(loaded.rt.visibleVariables(scope in loaded.rt.data.scopes ? scope : 'root'));
        return this.getVariables(instanceKey).catch(() => ({}));
      },
      pokeWorkers: () => {
        for (const w of this.workers) w.poke();
      },
      perform: (eventType, task, payload) => this.performTaskTransition(eventType, task, payload),
    });
    this.clock = {
      now: () => this.time.now(),
      advance: async (ms: number) => {
        this.time.move(ms);
        // follow-ups (called instances, correlations) may arm timers that are due already
        for (let round = 0; round < 100; round++) {
          await this.fireDueTimers();
          await this.settle();
          const due = await this.db('engine_timers').where({ state: 'CREATED' }).where('due_at', '<=', this.time.now()).first('key');
          if (!due) break;
        }
      },
    };
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    if (this.shared) {
      // Jobs and timer claims of peers that died (this process's previous run among them) come back.
      await this.joinNodes();
      await this.sweepPeers();
      this.scheduleSweep();
    } else {
      // Jobs activated by a previous run of this process died with it: they run again.
      await this.db('engine_jobs').where({ state: 'ACTIVATED' }).update({ state: 'ACTIVATABLE', worker: null, deadline: null, owner: null });
      await this.db('engine_timers').whereNotNull('claimed_until').update({ owner: null, claimed_until: null });
    }
    await this.decisions.load();
    // rows of instances whose first state never committed (written by older versions)
    await this.db('engine_instances').where({ state: 'ACTIVE' }).whereNull('snapshot').update({ state: 'TERMINATED', ended_at: new Date(this.time.now()) });
    await this.recoverCalls();
    await this.recoverMessages();
    if (!this.time.virtual) this.scheduleTimers(0);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timerHandle) clearTimeout(this.timerHandle);
    await Promise.all([...this.workers].map((w) => w.close()));
    await this.settle();
    for (const loaded of this.cache.values()) loaded.rt.stop();
    this.cache.clear();
    await this.leaveNodes();
    this.started = false;
  }

  // ------------------------------------------------------------------ peers (Postgres)

  /**
   * Registers this engine as a node: its row in engine_nodes, and a session advisory lock on its id
   * held on a connection of its own for as long as it runs. When the process dies, Postgres drops
   * the connection and the lock with it, which is how peers tell it is gone (`sweepPeers`).
   */
  private async joinNodes(): Promise<void> {
    const client = this.db.client as { acquireRawConnection(): Promise<{ query(sql: string, values?: unknown[]): Promise<unknown> }> };
    const id = randomInt(1, 2 ** 47);
    const connection = await client.acquireRawConnection();
    await connection.query('select pg_advisory_lock($1::bigint)', [id]);
    this.nodeConnection = connection;
    this.nodeId = id;
    await this.db('engine_nodes').insert({ id, host: os.hostname(), pid: process.pid, started_at: new Date() });
    this.log.info({ node: id }, 'engine node joined');
  }

  private async leaveNodes(): Promise<void> {
    if (this.sweepHandle) clearTimeout(this.sweepHandle);
    this.sweepHandle = undefined;
    if (this.nodeId === null) return;
    const id = this.nodeId;
    try {
      // in-flight jobs were finished or failed by the closed workers; what is left goes back
      await this.db('engine_jobs').where({ owner: id, state: 'ACTIVATED' }).update({ state: 'ACTIVATABLE', worker: null, deadline: null, owner: null });
      await this.db('engine_timers').where({ owner: id }).update({ owner: null, claimed_until: null });
      await this.db('engine_nodes').where({ id }).del();
    } catch (err) {
      this.log.warn({ err, node: id }, 'leaving the engine nodes failed (peers hand back its work when they see it gone)');
    }
    const client = this.db.client as { destroyRawConnection(c: unknown): Promise<void> };
    await client.destroyRawConnection(this.nodeConnection).catch(() => undefined);
    this.nodeConnection = undefined;
    this.nodeId = null;
  }

  /**
   * Finds nodes that are gone (their advisory lock is free: taken here for the length of this
   * transaction) and hands back what they held: jobs they had activated become activatable, their
   * timer claims lapse, their rows go. Then the follow-ups they may have lost run here, as after
   * a restart (called instances started, buffered messages correlated).
   */
  private async sweepPeers(): Promise<void> {
    if (this.nodeId === null) return;
    const me = this.nodeId;
    const gone = await this.db.transaction(async (tx) => {
      const rows = await tx.raw('select id from engine_nodes where id <> ? and pg_try_advisory_xact_lock(id)', [me]);
      const ids = ((rows.rows ?? rows) as { id: number | string }[]).map((r) => Number(r.id));
      if (!ids.length) return [];
      const jobs = await tx('engine_jobs').whereIn('owner', ids).where({ state: 'ACTIVATED' }).update({ state: 'ACTIVATABLE', worker: null, deadline: null, owner: null });
      await tx('engine_timers').whereIn('owner', ids).update({ owner: null, claimed_until: null });
      await tx('engine_nodes').whereIn('id', ids).del();
      this.log.info({ nodes: ids, jobs }, 'engine nodes gone: their jobs and timers handed back');
      return ids;
    });
    if (gone.length) {
      for (const w of this.workers) w.poke();
      this.scheduleTimers(0);
      // what a gone node's follow-ups had still to do: start called instances, correlate buffered messages
      await this.recoverCalls();
      await this.recoverMessages();
    }
  }

  private scheduleSweep() {
    if (this.stopping || this.nodeId === null) return;
    this.sweepHandle = setTimeout(() => {
      this.track(this.sweepPeers())
        .catch((err) => this.log.warn({ err }, 'looking for gone engine nodes failed'))
        .finally(() => this.scheduleSweep());
    }, this.peerSweepInterval);
    this.sweepHandle.unref?.();
  }

  /** Resolves when every command and follow-up started so far has finished. */
  async settle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    promise.finally(() => this.pending.delete(promise)).catch(() => undefined);
    return promise;
  }

  // ------------------------------------------------------------------ deployment

  async deploy(resources: Resource[]): Promise<Deployment> {
    if (!resources.length) throw new EngineError('INVALID_ARGUMENT', 'a deployment needs at least one resource');
    const prepared: PreparedResource[] = [];
    const warnings: DeployProblem[] = [];
    for (const resource of resources) {
      const name = resource.name;
      // unchanged since its latest version (every start deploys processes/ again): nothing to parse
      const same = await findUnchanged(this.db, resource);
      if (same) {
        warnings.push(...same.warnings);
        prepared.push({ kind: 'same', name, same });
        continue;
      }
      if (/\.bpmn$/i.test(name) || /\.xml$/i.test(name)) {
        // the guard sees the raw bytes first: nothing large or hostile is decoded or parsed
        const bpmn = await prepareBpmn(resource.content, name);
        warnings.push(...bpmn.warnings);
        prepared.push({ kind: 'bpmn' as const, name, content: bpmn.xml, bpmn });
        continue;
      }
      const content = Buffer.isBuffer(resource.content) ? resource.content.toString('utf8') : resource.content;
      if (/\.dmn$/i.test(name)) prepared.push({ kind: 'dmn' as const, name, content, dmn: prepareDmn(resource.content, name) });
      else if (/\.form$/i.test(name)) {
        let form: { id?: string; versionTag?: string };
        try {
          form = JSON.parse(content);
        } catch (err) {
          throw new EngineError('DEPLOY_REFUSED', `${name}: not a JSON form (${(err as Error).message})`, { resource: name });
        }
        if (!form.id) throw new EngineError('DEPLOY_REFUSED', `${name}: the form has no "id"`, { resource: name });
        prepared.push({ kind: 'form' as const, name, content, formId: form.id, ...(typeof form.versionTag === 'string' && { versionTag: form.versionTag }) });
      } else throw new EngineError('DEPLOY_REFUSED', `${name}: unknown resource kind (expected .bpmn, .dmn or .form)`, { resource: name });
    }

    // bindingType deployment: a static decision id must be deployed together with its process (Zeebe's deploy check)
    const deployedDecisionIds = new Set(prepared.flatMap(preparedDecisionIds));
    for (const p of prepared) if (p.kind === 'bpmn') checkDecisionBindings(p.name, p.bpmn.processes, deployedDecisionIds);

    const deployment: Deployment = { deploymentKey: '', processes: [], decisions: [], forms: [], ...(warnings.length && { validationWarnings: warnings }) };
    this.latest.clear();
    const newTimerStarts: { definitionKey: number; model: ProcessModel }[] = [];
    await this.db.transaction(async (tx) => {
      const [dep] = await tx('engine_deployments').insert({ resources: JSON.stringify(resources.map((r) => r.name)) }).returning('key');
      const deploymentKey = Number(dep.key ?? dep);
      deployment.deploymentKey = String(deploymentKey);
      const put = async (kind: string, id: string, name: string, content: string, meta: object) => {
        const checksum = sha256(content);
        const latest = await tx('engine_resources').where({ kind, resource_id: id }).orderBy('version', 'desc').first();
        if (latest && latest.checksum === checksum) {
          // a row from before meta kept what an unchanged deploy answers with learns it now (unchanged.ts)
          const stored = (typeof latest.meta === 'string' ? JSON.parse(latest.meta) : latest.meta) ?? {};
          if (Object.keys(meta).some((k) => !(k in stored))) await tx('engine_resources').where({ key: latest.key }).update({ meta: JSON.stringify(meta) });
          return { key: Number(latest.key), version: latest.version as number, duplicate: true };
        }
        const version = (latest?.version ?? 0) + 1;
        const [row] = await tx('engine_resources')
          .insert({ kind, resource_id: id, version, checksum, resource_name: name, content, meta: JSON.stringify(meta), deployment_key: deploymentKey })
          .returning(['key', 'version']);
        return { key: Number(row.key), version: row.version as number, duplicate: false };
      };
      for (const p of prepared) {
        if (p.kind === 'same') {
          deployment.processes.push(...p.same.processes);
          deployment.decisions.push(...p.same.decisions);
          deployment.forms.push(...p.same.forms);
        } else if (p.kind === 'bpmn') {
          for (const model of p.bpmn.processes) {
            const r = await put('process', model.bpmnProcessId, p.name, p.content, { name: model.name, ...(model.versionTag && { versionTag: model.versionTag }), warnings: p.bpmn.warnings });
            deployment.processes.push({ bpmnProcessId: model.bpmnProcessId, version: r.version, processDefinitionKey: String(r.key), resourceName: p.name, duplicate: r.duplicate });
            if (!r.duplicate) {
              this.models.set(r.key, onlyProcess(model));
              newTimerStarts.push({ definitionKey: r.key, model });
            }
          }
        } else if (p.kind === 'dmn') {
          const r = await put('drg', p.dmn.id, p.name, p.content, { decisions: p.dmn.decisions.map((d) => d.id), decisionNames: p.dmn.decisions.map((d) => d.name ?? null) });
          for (const d of p.dmn.decisions) {
            deployment.decisions.push({
              decisionId: d.id,
              decisionName: d.name,
              version: r.version,
              decisionKey: `${r.key}:${d.id}`,
              decisionRequirementsId: p.dmn.id,
              resourceName: p.name,
              duplicate: r.duplicate,
            } satisfies DeployedDecision);
          }
          if (!r.duplicate) this.decisions.invalidate();
        } else {
          const r = await put('form', p.formId, p.name, p.content, p.versionTag ? { versionTag: p.versionTag } : {});
          deployment.forms.push({ formId: p.formId, version: r.version, formKey: String(r.key), resourceName: p.name, duplicate: r.duplicate } satisfies DeployedForm);
        }
      }
      // A new version replaces the timer start events of the previous one.
      for (const { definitionKey, model } of newTimerStarts) {
        const older = await tx('engine_resources').where({ kind: 'process', resource_id: model.bpmnProcessId }).whereNot({ key: definitionKey }).select('key');
        if (older.length) {
          await tx('engine_timers').whereNull('instance_key').whereIn('definition_key', older.map((o) => o.key)).where({ state: 'CREATED' }).update({ state: 'CANCELED' });
        }
        for (const start of model.startEvents.filter((s) => s.eventKind === 'timer' && s.timer)) {
          const schedule = this.startTimerSchedule(start.timer!.kind, start.timer!.value);
          if (!schedule) continue;
          await tx('engine_timers').insert({
            definition_key: definitionKey,
            element_id: start.id,
            due_at: schedule.dueAt,
            repetitions: schedule.repetitions,
            interval: schedule.interval ?? null,
            state: 'CREATED',
          });
        }
      }
    });
    // every deployment: the decisions' versions and which deployment each process came with (bindingType)
    this.decisions.invalidate();
    await this.decisions.load();
    // a lookup that ran while the transaction was open may have cached the old latest version
    this.latest.clear();
    if (deployment.decisions.some((d) => !d.duplicate)) {
      this.decisions.invalidate();
      await this.decisions.load();
    }
    this.scheduleTimers(0);
    return deployment;
  }

  private startTimerSchedule(kind: string, value: string): { dueAt: number; repetitions: number; interval?: string } | undefined {
    const now = this.time.now();
    if (value.startsWith('=')) return undefined; // Zeebe evaluates these without variables; literal values only here
    if (kind === 'timeDate') return { dueAt: parseDate(value), repetitions: 1 };
    if (kind === 'timeDuration') return { dueAt: addDuration(value, now), repetitions: 1 };
    const cycle = parseCycle(value);
    // `interval` keeps what repeats: the duration, or the cron expression (see nextCycleDue)
    return { dueAt: firstCycleDue(cycle, now), repetitions: cycle.repetitions, interval: cycleStep(cycle) };
  }

  private async model(definitionKey: number): Promise<ProcessModel> {
    const cached = this.models.get(definitionKey);
    if (cached) return cached;
    const row = await this.db('engine_resources').where({ key: definitionKey, kind: 'process' }).first();
    if (!row) throw new EngineError('NOT_FOUND', `no process definition with key ${definitionKey}`);
    const { processes } = compile(await parseModdle(row.content));
    for (const model of processes) {
      if (model.bpmnProcessId === row.resource_id) {
        const single = onlyProcess(model);
        this.models.set(definitionKey, single);
        return single;
      }
    }
    throw new EngineError('NOT_FOUND', `process ${row.resource_id} is missing from its resource`);
  }

  private async definition(bpmnProcessId: string, version?: number): Promise<{ key: number; version: number }> {
    if (version === undefined) {
      const hit = this.latest.get(bpmnProcessId);
      if (hit) return hit;
    }
    const q = this.db('engine_resources').where({ kind: 'process', resource_id: bpmnProcessId });
    const row = version === undefined ? await q.orderBy('version', 'desc').first() : await q.where({ version }).first();
    if (!row) {
      throw new EngineError(
        'NOT_FOUND',
        version === undefined
          ? `Expected to find process definition with process ID '${bpmnProcessId}', but none found`
          : `Expected to find process definition with process ID '${bpmnProcessId}' and version '${version}', but none found`,
        { field: 'bpmnProcessId' },
      );
    }
    const found = { key: Number(row.key), version: row.version as number };
    this.versions.set(found.key, found.version);
    if (version === undefined) this.latest.set(bpmnProcessId, found);
    return found;
  }

  private async versionOf(definitionKey: number): Promise<number> {
    const hit = this.versions.get(definitionKey);
    if (hit !== undefined) return hit;
    const row = await this.db('engine_resources').where({ key: definitionKey }).first('version');
    if (!row) throw new EngineError('NOT_FOUND', `no process definition with key ${definitionKey}`);
    this.versions.set(definitionKey, row.version);
    return row.version;
  }

  private async nextInstanceKey(): Promise<string> {
    if (!this.keyPool.length) {
      const seq = await this.db.raw(`select nextval(pg_get_serial_sequence('engine_instances', 'key')) as key from generate_series(1, 64)`);
      this.keyPool.push(...(seq.rows ?? seq).map((r: { key: string | number }) => String(r.key)));
    }
    return this.keyPool.shift()!;
  }

  // ------------------------------------------------------------------ instances

  async createInstance(request: CreateInstanceRequest): Promise<InstanceRef> {
    const def = await this.definition(request.bpmnProcessId, request.version);
    const model = await this.model(def.key);
    if (request.startInstructions?.length) {
      const ids = request.startInstructions.map((i) => i.elementId);
      for (const id of ids) startableAt(model, id);
      return this.track(this.startInstance(def.key, request.variables ?? {}, undefined, undefined, ids));
    }
    if (!model.startEvents.some((s) => !s.eventKind)) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        `Expected to create instance of process with none start event, but there is no such event in process '${request.bpmnProcessId}' (it starts by message, timer or signal)`,
        { field: 'bpmnProcessId' },
      );
    }
    return this.track(this.startInstance(def.key, request.variables ?? {}, undefined));
  }

  private async startInstance(
    definitionKey: number,
    variables: Variables,
    startElementId: string | undefined,
    parent?: { instanceKey: number; elementInstanceKey: string },
    startAt?: string[],
    startTimer?: CommandContext['firedStartTimer'],
  ): Promise<InstanceRef> {
    if (variables === null || typeof variables !== 'object' || Array.isArray(variables)) {
      throw new EngineError('INVALID_ARGUMENT', 'variables must be a JSON object', { field: 'variables' });
    }
    const model = await this.model(definitionKey);
    const defRow = { version: await this.versionOf(definitionKey) };
    // The key is taken now, the row written with the first settled state: a crash in between
    // leaves nothing half-made (only a gap in the keys).
    const key = await this.nextInstanceKey();
    const ref: InstanceRef = { processInstanceKey: key, processDefinitionKey: String(definitionKey), bpmnProcessId: model.bpmnProcessId, version: defRow.version };
    await this.withInstance(key, async (loaded, ctx) => {
      if (startTimer) ctx.firedStartTimer = startTimer;
      await this.attachParent(loaded.rt, loaded.row);
      await loaded.rt.start(structuredClone(variables), startElementId, startAt);
    }, {
      fresh: {
        rt: new InstanceRuntime(model, this.runtimeServices(definitionKey), key),
        row: { key: Number(key), definition_key: definitionKey, bpmn_process_id: model.bpmnProcessId, version: defRow.version, parent_instance_key: parent?.instanceKey ?? null, parent_element_instance_key: parent?.elementInstanceKey ?? null },
        persisted: new Map(),
        journal: 0,
        rev: 0,
        isNew: { startedAt: new Date(this.time.now()) },
      },
    });
    return ref;
  }

  private runtimeServices(definitionKey: number) {
    return {
      now: () => this.time.now(),
      evaluateDecision: (decisionId: string, variables: Variables, binding?: DecisionBinding) =>
        this.decisions.evaluate(decisionId, variables, () => this.time.now(), binding && { ...binding, definitionKey }),
    };
  }

  /**
   * Runs a command against one instance: serialized per instance, loaded from the database when
   * not in memory, and saved with its wait states when it settles.
   *
   * Peers on the same Postgres may have saved the instance since it was cached here: the save
   * checks the row's revision, and on a conflict the cached state is dropped and the command runs
   * again on the row as it is now. A command that fails on a cached state runs once more on the
   * row too (the wait it looks for may be a peer's newer one).
   */
  private async withInstance<T>(
    key: string,
    command: (loaded: Loaded, ctx: CommandContext) => Promise<T> | T,
    options: { fresh?: Loaded } = {},
  ): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((r) => (release = r));
    const chained = previous.then(() => current);
    this.locks.set(key, chained);
    await previous.catch(() => undefined);
    const followups: Followup[] = [];
    try {
      for (let attempt = 0; ; attempt++) {
        const cached = !options.fresh && this.cache.has(key);
        const loaded = options.fresh ?? (await this.load(key));
        if (options.fresh) this.cache.set(key, options.fresh);
        if (!loaded) throw new EngineError('NOT_FOUND', `Expected to find process instance with key '${key}', but none found`);
        const ctx: CommandContext = { completedJobs: new Set(), completedUserTasks: new Set() };
        let result: T;
        try {
          result = await command(loaded, ctx);
        } catch (err) {
          // the in-memory state may be half-way: forget it, the database has the last settled state
          this.evict(key);
          // refused on a cached state a peer has moved on from (the job or wait it names is newer): once more on the row
          if (this.shared && cached && attempt === 0 && err instanceof EngineError && (await this.savedSince(key, loaded.rev))) {
            this.emitConflict(key, attempt, true);
            continue;
          }
          throw err;
        }
        try {
          await this.flush(loaded, ctx, followups);
        } catch (err) {
          this.evict(key);
          if (!options.fresh && isRevisionConflict(err)) {
            this.emitConflict(key, attempt, attempt < CONFLICT_RETRIES);
            if (attempt < CONFLICT_RETRIES) {
              this.log.debug({ instance: key, attempt }, 'instance saved by a peer meanwhile: the command runs again');
              continue;
            }
          }
          throw err;
        }
        return result;
      }
    } finally {
      release();
      if (this.locks.get(key) === chained) this.locks.delete(key);
      if (this.cache.size > this.cacheSize) this.trimCache();
      for (const f of followups) this.track(f().catch((err) => this.log.error({ err, instance: key }, 'follow-up failed')));
    }
  }

  private emitConflict(key: string, attempt: number, retried: boolean) {
    for (const h of this.eventHooks) h.revisionConflict?.({ processInstanceKey: key, attempt, retried });
  }

  /** Whether the instance's row is at another revision than `rev` (a peer saved it). */
  private async savedSince(key: string, rev: number): Promise<boolean> {
    const row = await this.db('engine_instances').where({ key: Number(key) }).first('rev');
    return !!row && Number(row.rev) !== rev;
  }

  private async load(key: string): Promise<Loaded | undefined> {
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const row = (await this.db('engine_instances').where({ key: Number(key) }).first()) as InstanceRow | undefined;
    if (!row) return undefined;
    if (TERMINAL.includes(row.state) || !row.snapshot) {
      throw new EngineError('INVALID_STATE', `process instance ${key} is ${row.state.toLowerCase()}`);
    }
    const model = await this.model(Number(row.definition_key));
    const rt = new InstanceRuntime(model, this.runtimeServices(Number(row.definition_key)), key);
    const snapshot = typeof row.snapshot === 'string' ? (JSON.parse(row.snapshot) as Snapshot) : row.snapshot;
    const persisted = new Map(Object.entries(snapshot.data.waits));
    await this.attachParent(rt, row);
    await rt.resume(snapshot);
    // waits re-registered on resume keep their records; identity now follows the live data
    let live = new Map<string, WaitRecord>();
    for (const [id, rec] of Object.entries(rt.data.waits)) if (persisted.has(id)) live.set(id, rec);
    rt.drain();
    // then the job completions saved after the snapshot, as they happened (their rows are written)
    const entries = row.journal ? row.journal.split('\n').filter(Boolean).map((line) => JSON.parse(line) as JournalEntry & { x: string[] }) : [];
    for (const entry of entries) {
      const applied = rt.applyCompletion(entry);
      rt.drain();
      const waits = Object.keys(rt.data.waits);
      if (!applied || waits.length !== entry.x.length || !entry.x.every((id) => id in rt.data.waits)) {
        rt.stop();
        throw new EngineError('INVALID_STATE', `process instance ${key} could not be restored: replaying its journal did not reach the saved wait states (at wait ${entry.w})`);
      }
    }
    // after a replay the waits are those its last line saved, with their rows
    if (entries.length) live = new Map(Object.entries(rt.data.waits));
    const loaded: Loaded = { rt, row, persisted: live, journal: entries.length, rev: Number((row as { rev?: number }).rev ?? 0) };
    this.cache.set(key, loaded);
    this.trimCache();
    return loaded;
  }

  /** Evicts the least recently used instances no command holds, down to `cacheSize`. */
  private trimCache() {
    for (const key of this.cache.keys()) {
      if (this.cache.size <= this.cacheSize) return;
      if (!this.locks.has(key)) this.evict(key);
    }
  }

  private evict(key: string) {
    const loaded = this.cache.get(key);
    if (!loaded) return;
    loaded.rt.stop();
    this.cache.delete(key);
  }

  /**
   * Saves a settled instance and the rows of its wait states. Changes of instances that settle
   * at the same time are written together (group commit): one statement (`applyPlain`) or one
   * transaction (`apply`), multi-row either way.
   */
  private async flush(loaded: Loaded, ctx: CommandContext, followups: Followup[]): Promise<void> {
    const { rt } = loaded;
    const { events, signals, endedScopes, propagatedError } = rt.drain();
    const current = new Map(Object.entries(rt.data.waits));
    const added: WaitRecord[] = [];
    const removed: WaitRecord[] = [];
    for (const [id, rec] of current) if (loaded.persisted.get(id) !== rec) added.push(rec);
    for (const [id, rec] of loaded.persisted) if (current.get(id) !== rec) removed.push(rec);
    const ended = TERMINAL.includes(rt.data.state);
    // A job completion whose step only completed and created plain jobs is saved as a journal
    // entry of a few hundred bytes instead of a new snapshot (what a straight-through instance
    // mostly does); every other step, and every JOURNAL_LIMIT-th, saves a snapshot.
    const journal =
      ctx.journal && !ended && !loaded.isNew && loaded.journal < JOURNAL_LIMIT && !signals.length && !propagatedError && plainChange({ added, removed })
        ? `{"w":${JSON.stringify(ctx.journal.w)},"t":${ctx.journal.t},"v":${ctx.journal.json},"x":${JSON.stringify(Object.keys(rt.data.waits))}}\n`
        : undefined;
    const change: Change = {
      loaded,
      ctx,
      events,
      added,
      removed,
      ended,
      state: rt.data.state,
      snapshot: ended || journal ? null : JSON.stringify(await rt.snapshot()),
      journal,
      variables: JSON.stringify(rt.rootVariables()),
      hasIncident: Object.values(rt.data.waits).some((w) => w.descriptor.kind === 'incident'),
      now: this.time.now(),
      createdTasks: [],
      endedTasks: [],
      newIncidents: [],
      dispatch: [],
    };
    try {
      await this.commit(change);
      loaded.rev = loaded.isNew ? 1 : loaded.rev + 1;
      loaded.isNew = undefined;
      loaded.journal = journal ? loaded.journal + 1 : 0;
      if (propagatedError && loaded.row.parent_instance_key) {
        const parentKey = String(loaded.row.parent_instance_key);
        const elementInstanceKey = loaded.row.parent_element_instance_key!;
        followups.push(() => this.throwToParent(parentKey, elementInstanceKey, propagatedError));
      }
    } catch (err) {
      for (const d of change.dispatch) d.worker.release();
      throw err;
    }
    loaded.persisted = current;
    this.afterCommit(change, signals, followups);
    if (endedScopes.length) {
      const processInstanceKey = String(loaded.row.key);
      for (const h of this.eventHooks) for (const s of endedScopes) h.scopeEnded?.({ processInstanceKey, ...s });
    }
  }

  private commitQueue: { change: Change; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private committing = false;

  private commit(change: Change): Promise<void> {
    return new Promise((resolve, reject) => {
      this.commitQueue.push({ change, resolve, reject });
      if (!this.committing) void this.runCommits();
    });
  }

  private async runCommits() {
    this.committing = true;
    try {
      while (this.commitQueue.length) {
        const batch = this.commitQueue.splice(0, 200);
        try {
          const changes = batch.map((b) => b.change);
          // a timer fired or a message correlated is recorded in the transaction (`apply`)
          if (changes.every((c) => plainChange(c) && c.ctx.firedTimer === undefined && c.ctx.firedStartTimer === undefined && c.ctx.messageKey === undefined)) await this.applyPlain(changes);
          else await this.db.transaction((tx) => this.apply(tx, changes));
          for (const b of batch) b.resolve();
        } catch (err) {
          if (batch.length === 1) {
            batch[0].reject(err);
            continue;
          }
          // one bad change must not sink the others: commit them one by one
          for (const b of batch) {
            b.change.createdTasks = [];
            b.change.endedTasks = [];
            b.change.newIncidents = [];
            for (const d of b.change.dispatch) d.worker.release();
            b.change.dispatch = [];
            try {
              await this.db.transaction((tx) => this.apply(tx, [b.change]));
              b.resolve();
            } catch (single) {
              b.reject(single);
            }
          }
        }
      }
    } finally {
      this.committing = false;
    }
  }

  /**
   * The common group commit in one SQL statement (no transaction, one round trip): instance rows
   * inserted and updated, history appended, jobs completed, cancelled and created, and what ended
   * instances leave behind closed, each a data-modifying CTE over `unnest`ed arrays. Only for
   * changes whose waits are plain jobs (`plainChange`): those touch each row at most once, which
   * one statement needs (its CTEs all see the same snapshot). Everything else goes through
   * `apply` in a transaction.
   */
  private async applyPlain(changes: Change[]): Promise<void> {
    const ins = { key: [] as number[], definition: [] as number[], processId: [] as string[], version: [] as number[], parent: [] as (number | null)[], parentElement: [] as (string | null)[], startedAt: [] as string[] };
    const row = { key: [] as number[], state: [] as string[], snapshot: [] as (string | null)[], variables: [] as string[], endedAt: [] as (string | null)[], incident: [] as boolean[] };
    const upd = { key: [] as number[], rev: [] as number[], state: [] as string[], snapshot: [] as (string | null)[], journal: [] as (string | null)[], variables: [] as string[], endedAt: [] as (string | null)[], incident: [] as boolean[] };
    const ev = { instance: [] as number[], element: [] as string[], elementId: [] as string[], name: [] as (string | null)[], type: [] as string[], state: [] as string[], scope: [] as (string | null)[], at: [] as string[] };
    const done: string[] = [];
    const canceled: string[] = [];
    const ended: number[] = [];
    const job = { instance: [] as number[], element: [] as string[], elementId: [] as string[], type: [] as string[], retries: [] as number[], headers: [] as string[], createdAt: [] as string[], variables: [] as string[], state: [] as string[], worker: [] as (string | null)[], deadline: [] as (number | null)[], owner: [] as (number | null)[] };
    for (const c of changes) {
      const r = c.loaded.row;
      const key = Number(r.key);
      const target = c.loaded.isNew ? row : upd;
      if (c.loaded.isNew) {
        ins.key.push(key);
        ins.definition.push(Number(r.definition_key));
        ins.processId.push(r.bpmn_process_id);
        ins.version.push(r.version);
        ins.parent.push(r.parent_instance_key == null ? null : Number(r.parent_instance_key));
        ins.parentElement.push(r.parent_element_instance_key ?? null);
        ins.startedAt.push(new Date(c.loaded.isNew.startedAt).toISOString());
      } else {
        upd.key.push(key);
        upd.rev.push(c.loaded.rev);
        upd.journal.push(c.journal ?? null);
      }
      target.state.push(c.state);
      target.snapshot.push(c.snapshot);
      target.variables.push(c.variables);
      target.endedAt.push(c.ended ? new Date(c.now).toISOString() : null);
      target.incident.push(c.hasIncident);
      if (c.ended) ended.push(key);
      const at = new Date(c.now).toISOString();
      for (const e of c.events) {
        ev.instance.push(key);
        ev.element.push(e.elementInstanceKey);
        ev.elementId.push(e.elementId);
        ev.name.push(e.elementName ?? null);
        ev.type.push(e.elementType);
        ev.state.push(e.state);
        ev.scope.push(e.flowScopeKey ?? null);
        ev.at.push(e.at === c.now ? at : new Date(e.at).toISOString());
      }
      for (const w of c.removed) (c.ctx.completedJobs.has(w.elementInstanceKey) ? done : canceled).push(w.elementInstanceKey);
      const rt = c.loaded.rt;
      for (const w of c.added) {
        const d = w.descriptor as Extract<WaitRecord['descriptor'], { kind: 'job' }>;
        const worker = this.reserveWorker(d.type);
        if (worker) c.dispatch.push({ worker, wait: w });
        job.instance.push(key);
        job.element.push(w.elementInstanceKey);
        job.elementId.push(w.elementId);
        job.type.push(d.type);
        job.retries.push(d.retries);
        job.headers.push(JSON.stringify(d.headers));
        job.createdAt.push(at);
        job.variables.push(JSON.stringify(rt.visibleVariables(w.waitId in rt.data.scopes ? w.waitId : 'root')));
        job.state.push(worker ? 'ACTIVATED' : 'ACTIVATABLE');
        job.worker.push(worker ? worker.name : null);
        job.deadline.push(worker ? c.now + worker.timeout : null);
        job.owner.push(worker ? this.nodeId : null);
      }
    }
    const ctes: string[] = [];
    const bindings: unknown[] = [];
    const cte = (sql: string, ...values: unknown[]) => {
      ctes.push(`c${ctes.length} as (${sql})`);
      bindings.push(...values);
    };
    // instance rows as VALUES lists: snapshots are large, and as array elements they would be escaped (and parsed) once more
    if (ins.key.length) {
      cte(
        `insert into engine_instances (key, definition_key, bpmn_process_id, version, parent_instance_key, parent_element_instance_key, started_at, rev, state, snapshot, variables, ended_at, has_incident)
         values ${ins.key.map(() => '(?::bigint, ?::bigint, ?, ?::int, ?::bigint, ?, ?::timestamptz, 1, ?, ?, ?, ?::timestamptz, ?::boolean)').join(', ')}`,
        ...ins.key.flatMap((key, i) => [key, ins.definition[i], ins.processId[i], ins.version[i], ins.parent[i], ins.parentElement[i], ins.startedAt[i], row.state[i], row.snapshot[i], row.variables[i], row.endedAt[i], row.incident[i]]),
      );
    }
    // saved only at the revision each was loaded at: a row a peer saved meanwhile is not matched,
    // and the guard below then fails the whole statement (nothing of it is kept)
    let updated: string | undefined;
    if (upd.key.length) {
      cte(
        `update engine_instances as i set state = v.state, ${SNAPSHOT_OR_JOURNAL}, variables = v.variables, ended_at = v.ended_at, has_incident = v.has_incident, rev = i.rev + 1
         from (values ${upd.key.map(() => '(?::bigint, ?::int, ?::text, ?::text, ?::text, ?::text, ?::timestamptz, ?::boolean)').join(', ')}) as v(key, rev, state, snapshot, journal, variables, ended_at, has_incident)
         where i.key = v.key and i.rev = v.rev returning i.key`,
        ...upd.key.flatMap((key, i) => [key, upd.rev[i], upd.state[i], upd.snapshot[i], upd.journal[i], upd.variables[i], upd.endedAt[i], upd.incident[i]]),
      );
      updated = `c${ctes.length - 1}`;
    }
    if (done.length) cte(`update engine_jobs set state = 'COMPLETED' where element_instance_key = any(?::text[]) and state not in ('COMPLETED', 'CANCELED')`, done);
    if (canceled.length) cte(`update engine_jobs set state = 'CANCELED' where element_instance_key = any(?::text[]) and state not in ('COMPLETED', 'CANCELED')`, canceled);
    if (ev.instance.length) {
      cte(
        `insert into engine_element_events (instance_key, element_instance_key, element_id, element_name, element_type, state, flow_scope_key, at)
         select * from unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::timestamptz[])`,
        ev.instance, ev.element, ev.elementId, ev.name, ev.type, ev.state, ev.scope, ev.at,
      );
    }
    if (ended.length) {
      // what ended instances leave behind; the jobs just completed or cancelled above are theirs to change
      const now = new Date(changes.find((c) => c.ended)!.now).toISOString();
      cte(`update engine_jobs set state = 'CANCELED' where instance_key = any(?::bigint[]) and state in ('ACTIVATABLE', 'ACTIVATED', 'FAILED') and not (element_instance_key = any(?::text[]))`, ended, [...done, ...canceled]);
      cte(`delete from engine_message_subscriptions where instance_key = any(?::bigint[])`, ended);
      cte(`delete from engine_signal_subscriptions where instance_key = any(?::bigint[])`, ended);
      cte(`update engine_timers set state = 'CANCELED' where instance_key = any(?::bigint[]) and state = 'CREATED'`, ended);
      cte(`update engine_incidents set state = 'RESOLVED', resolved_at = ?::timestamptz where instance_key = any(?::bigint[]) and state = 'ACTIVE'`, now, ended);
      cte(`update engine_user_tasks set state = 'CANCELED', ended_at = ?::timestamptz where instance_key = any(?::bigint[]) and state = 'CREATED' returning *`, now, ended);
    }
    const tasks = ended.length ? `c${ctes.length - 1}` : undefined;
    if (job.instance.length) {
      cte(
        `insert into engine_jobs (instance_key, element_instance_key, element_id, type, retries, custom_headers, created_at, variables, state, worker, deadline, owner, retry_at)
         select v.*, null from unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::int[], ?::jsonb[], ?::timestamptz[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[])
           as v(instance_key, element_instance_key, element_id, type, retries, custom_headers, created_at, variables, state, worker, deadline, owner)
         on conflict (element_instance_key) do update set type = excluded.type, retries = excluded.retries, state = excluded.state, custom_headers = excluded.custom_headers,
           variables = excluded.variables, worker = excluded.worker, deadline = excluded.deadline, owner = excluded.owner, retry_at = excluded.retry_at
         returning key, element_instance_key`,
        job.instance, job.element, job.elementId, job.type, job.retries, job.headers, job.createdAt, job.variables, job.state, job.worker, job.deadline, job.owner,
      );
    }
    const jobs = job.instance.length ? `c${ctes.length - 1}` : undefined;
    const selects = [
      jobs && `select key, element_instance_key, null::bigint as task_key from ${jobs}`,
      tasks && `select null::bigint, null::text, key from ${tasks}`,
      updated && `select herald_revision_conflict('instances saved by a peer'), null::text, null::bigint from (select count(*) as n from ${updated}) as u where u.n <> ${upd.key.length}`,
    ].filter(Boolean);
    const sql = `with ${ctes.join(',\n')}\n${selects.length ? selects.join(' union all ') : 'select null::bigint as key, null::text as element_instance_key, null::bigint as task_key where false'}`;
    const rows = await queryWithArrays<{ key: number | null; element_instance_key: string | null; task_key: number | null }>(this.db, sql, bindings);
    const byElement = new Map<string, string>();
    const taskKeys: number[] = [];
    for (const r of rows) {
      if (r.element_instance_key !== null) byElement.set(r.element_instance_key, String(r.key));
      else if (r.task_key !== null) taskKeys.push(Number(r.task_key));
    }
    for (const c of changes) for (const d of c.dispatch) d.jobKey = byElement.get(d.wait.elementInstanceKey);
    if (taskKeys.length) {
      // user tasks an ended instance left open (none, when its waits were plain jobs; kept for safety)
      const byKey = new Map(changes.map((c) => [Number(c.loaded.row.key), c]));
      for (const t of await this.db('engine_user_tasks').whereIn('key', taskKeys)) byKey.get(Number(t.instance_key))?.endedTasks.push({ task: parseTask(t), completed: false });
    }
  }

  private async apply(tx: Db, changes: Change[]): Promise<void> {
    const events: Record<string, unknown>[] = [];
    const jobsDone: string[] = [];
    const jobsCanceled: string[] = [];
    const newJobs: { change: Change; wait: WaitRecord; row: Record<string, unknown> }[] = [];
    // the instances' rows first: new ones in one multi-row insert, settled ones in one update
    const inserts: Record<string, unknown>[] = [];
    const updates: { key: number; rev: number; state: string; snapshot: string | null; journal: string | null; variables: string; ended_at: Date | null; has_incident: boolean }[] = [];
    for (const c of changes) {
      const { row } = c.loaded;
      const values = { state: c.state, snapshot: c.snapshot, variables: c.variables, ended_at: c.ended ? new Date(c.now) : null, has_incident: c.hasIncident };
      if (c.loaded.isNew) {
        inserts.push({
          key: Number(row.key),
          definition_key: row.definition_key,
          bpmn_process_id: row.bpmn_process_id,
          version: row.version,
          parent_instance_key: row.parent_instance_key,
          parent_element_instance_key: row.parent_element_instance_key,
          started_at: c.loaded.isNew.startedAt,
          rev: 1,
          ...values,
        });
      } else updates.push({ key: Number(row.key), rev: c.loaded.rev, ...values, journal: c.journal ?? null });
    }
    if (inserts.length) await tx('engine_instances').insert(inserts);
    if (updates.length) {
      // only at the revision each was loaded at (see withInstance)
      const rows = updates.map(() => '(?::bigint, ?::int, ?::text, ?::text, ?::text, ?::text, ?::timestamptz, ?::boolean)').join(', ');
      const saved = await tx.raw(
        `update engine_instances as i set state = v.state, ${SNAPSHOT_OR_JOURNAL}, variables = v.variables, ended_at = v.ended_at, has_incident = v.has_incident, rev = i.rev + 1
         from (values ${rows}) as v(key, rev, state, snapshot, journal, variables, ended_at, has_incident) where i.key = v.key and i.rev = v.rev returning i.key`,
        updates.flatMap((u) => [u.key, u.rev, u.state, u.snapshot, u.journal, u.variables, u.ended_at, u.has_incident]),
      );
      if ((saved.rows ?? saved).length !== updates.length) throw new RevisionConflict('instances saved by a peer');
    }
    // a message correlates with an instance once, and a timer fires once: both are written with the save
    const correlations = changes.filter((c) => c.ctx.messageKey !== undefined).map((c) => ({ message_key: c.ctx.messageKey!, instance_key: Number(c.loaded.row.key) }));
    if (correlations.length) {
      const recorded = await tx('engine_message_correlations').insert(correlations).onConflict(['message_key', 'instance_key']).ignore().returning('message_key');
      if (recorded.length !== correlations.length) throw new AlreadyCorrelated('the message has already correlated with this instance');
    }
    const fired = changes.filter((c) => c.ctx.firedTimer !== undefined).map((c) => c.ctx.firedTimer!);
    if (fired.length) await tx('engine_timers').whereIn('key', fired).where({ state: 'CREATED' }).update({ state: 'TRIGGERED', owner: null, claimed_until: null });
    for (const c of changes) {
      const start = c.ctx.firedStartTimer;
      if (!start) continue;
      const marked = await tx('engine_timers').where({ key: start.key, state: 'CREATED' }).update({ state: 'TRIGGERED', owner: null, claimed_until: null });
      if (marked !== 1) throw new StartTimerFired(`start timer ${start.key} has fired already`);
      if (start.next) await tx('engine_timers').insert({ ...start.next, state: 'CREATED' });
    }
    for (const c of changes) {
      const { row } = c.loaded;
      const instanceKey = Number(row.key);
      for (const e of c.events) {
        events.push({
          instance_key: instanceKey,
          element_instance_key: e.elementInstanceKey,
          element_id: e.elementId,
          element_name: e.elementName ?? null,
          element_type: e.elementType,
          state: e.state,
          flow_scope_key: e.flowScopeKey ?? null,
          at: new Date(e.at),
        });
      }
      for (const w of c.removed) {
        const d = w.descriptor;
        switch (d.kind) {
          case 'job': {
            const done = c.ctx.completedJobs.has(w.elementInstanceKey);
            (done ? jobsDone : jobsCanceled).push(w.elementInstanceKey);
            if (d.userTask) await this.endUserTask(tx, c, w, done);
            break;
          }
          case 'user-task':
            await this.endUserTask(tx, c, w, undefined);
            break;
          case 'message':
            await tx('engine_message_subscriptions').where({ instance_key: instanceKey, element_instance_key: w.waitId }).del();
            break;
          case 'signal':
            await tx('engine_signal_subscriptions').where({ instance_key: instanceKey, element_instance_key: w.waitId }).del();
            break;
          case 'timer':
            await tx('engine_timers').where({ instance_key: instanceKey, element_instance_key: w.waitId, state: 'CREATED' }).update({ state: 'CANCELED' });
            break;
          case 'incident':
            await tx('engine_incidents')
              .where({ instance_key: instanceKey, element_instance_key: w.waitId, state: 'ACTIVE' })
              .update({ state: 'RESOLVED', resolved_at: new Date(c.now) });
            break;
          case 'call':
            break; // the child is cancelled after the commit (afterCommit)
        }
      }
      for (const w of c.added) {
        const d = w.descriptor;
        const rt = c.loaded.rt;
        switch (d.kind) {
          case 'job': {
            // A job for which this process has an idle worker is handed to it at once (no poll):
            // it is stored ACTIVATED for that worker in the same transaction.
            const worker = this.reserveWorker(d.type);
            if (worker) c.dispatch.push({ worker, wait: w });
            newJobs.push({
              change: c,
              wait: w,
              row: {
                instance_key: instanceKey,
                element_instance_key: w.elementInstanceKey,
                element_id: w.elementId,
                type: d.type,
                retries: d.retries,
                custom_headers: JSON.stringify(d.headers),
                created_at: new Date(c.now),
                variables: JSON.stringify(rt.visibleVariables(w.waitId in rt.data.scopes ? w.waitId : 'root')),
                state: worker ? 'ACTIVATED' : 'ACTIVATABLE',
                worker: worker ? worker.name : null,
                deadline: worker ? c.now + worker.timeout : null,
                owner: worker ? this.nodeId : null,
                retry_at: null,
              },
            });
            break;
          }
          case 'user-task':
            c.createdTasks.push(await this.insertUserTask(tx, c.loaded, w, d.userTask, rt.visibleVariables(w.waitId in rt.data.scopes ? w.waitId : 'root'), undefined, c.now));
            break;
          case 'message':
            await tx('engine_message_subscriptions').insert({
              instance_key: instanceKey,
              element_instance_key: w.waitId,
              element_id: w.elementId,
              message_name: d.name,
              correlation_key: d.correlationKey,
              interrupting: true,
              state: 'OPEN',
            });
            break;
          case 'signal':
            await tx('engine_signal_subscriptions').insert({ instance_key: instanceKey, element_instance_key: w.waitId, element_id: w.elementId, signal_name: d.name });
            break;
          case 'timer':
            await tx('engine_timers').insert({
              instance_key: instanceKey,
              definition_key: row.definition_key,
              element_instance_key: w.waitId,
              element_id: w.elementId,
              due_at: d.dueAt,
              repetitions: d.repeat ?? 1,
              state: 'CREATED',
            });
            break;
          case 'incident': {
            const [inc] = await tx('engine_incidents')
              .insert({
                instance_key: instanceKey,
                element_instance_key: w.waitId,
                element_id: w.elementId,
                error_type: d.failure.errorType,
                error_message: d.failure.message,
                state: 'ACTIVE',
                created_at: new Date(c.now),
              })
              .returning('key');
            c.newIncidents.push({
              incidentKey: String(inc.key ?? inc),
              processInstanceKey: String(instanceKey),
              processDefinitionKey: String(row.definition_key),
              bpmnProcessId: row.bpmn_process_id,
              elementId: w.elementId,
              elementInstanceKey: w.elementInstanceKey,
              errorType: d.failure.errorType,
              errorMessage: d.failure.message,
              state: 'ACTIVE',
              createdAt: new Date(c.now).toISOString(),
            });
            break;
          }
          case 'call':
            break; // the child starts after the commit (afterCommit)
        }
      }
    }
    if (jobsDone.length) await tx('engine_jobs').whereIn('element_instance_key', jobsDone).whereNotIn('state', ['COMPLETED', 'CANCELED']).update({ state: 'COMPLETED' });
    if (jobsCanceled.length) await tx('engine_jobs').whereIn('element_instance_key', jobsCanceled).whereNotIn('state', ['COMPLETED', 'CANCELED']).update({ state: 'CANCELED' });
    if (events.length) await tx('engine_element_events').insert(events);
    // ended instances' leftovers are cancelled after their last jobs were marked completed, for
    // all instances of the batch at once
    const ended = changes.filter((c) => c.ended);
    if (ended.length) {
      const keys = ended.map((c) => Number(c.loaded.row.key));
      const now = new Date(ended[0].now);
      await tx('engine_jobs').whereIn('instance_key', keys).whereIn('state', ['ACTIVATABLE', 'ACTIVATED', 'FAILED']).update({ state: 'CANCELED' });
      await tx('engine_message_subscriptions').whereIn('instance_key', keys).del();
      await tx('engine_signal_subscriptions').whereIn('instance_key', keys).del();
      await tx('engine_timers').whereIn('instance_key', keys).where({ state: 'CREATED' }).update({ state: 'CANCELED' });
      await tx('engine_incidents').whereIn('instance_key', keys).where({ state: 'ACTIVE' }).update({ state: 'RESOLVED', resolved_at: now });
      const open = await tx('engine_user_tasks').whereIn('instance_key', keys).where({ state: 'CREATED' }).update({ state: 'CANCELED', ended_at: now }).returning('*');
      const byKey = new Map(ended.map((c) => [Number(c.loaded.row.key), c]));
      for (const t of open) byKey.get(Number(t.instance_key))?.endedTasks.push({ task: parseTask(t), completed: false });
    }

    if (newJobs.length) {
      const keys = await tx('engine_jobs')
        .insert(newJobs.map((j) => j.row))
        .onConflict('element_instance_key')
        .merge(['type', 'retries', 'state', 'custom_headers', 'variables', 'worker', 'deadline', 'owner', 'retry_at'])
        .returning(['key', 'element_instance_key']);
      const byElement = new Map(keys.map((k: { key: number; element_instance_key: string }) => [k.element_instance_key, String(k.key)]));
      for (const c of changes) for (const d of c.dispatch) d.jobKey = byElement.get(d.wait.elementInstanceKey);
      for (const j of newJobs) {
        const d = j.wait.descriptor;
        if (d.kind === 'job' && d.userTask) {
          const rt = j.change.loaded.rt;
          j.change.createdTasks.push(
            await this.insertUserTask(tx, j.change.loaded, j.wait, d.userTask, rt.visibleVariables(j.wait.waitId in rt.data.scopes ? j.wait.waitId : 'root'), byElement.get(j.wait.elementInstanceKey), j.change.now),
          );
        }
      }
    }
  }

  private async endUserTask(tx: Db, c: Change, w: WaitRecord, jobDone: boolean | undefined) {
    const t = await tx('engine_user_tasks').where({ element_instance_key: w.elementInstanceKey, state: 'CREATED' }).first();
    if (!t) return;
    const done = jobDone ?? c.ctx.completedUserTasks.has(String(t.key));
    await tx('engine_user_tasks').where({ key: t.key }).update({ state: done ? 'COMPLETED' : 'CANCELED', ended_at: new Date(c.now) });
    c.endedTasks.push({ task: parseTask(t), completed: done });
  }

  private afterCommit(c: Change, signals: { name: string; variables: Variables }[], followups: Followup[]) {
    const { row, rt } = c.loaded;
    const instanceKey = Number(row.key);
    for (const w of c.removed) {
      if (w.descriptor.kind !== 'call') continue;
      followups.push(async () => {
        const child = await this.db('engine_instances').where({ parent_instance_key: instanceKey, parent_element_instance_key: w.elementInstanceKey, state: 'ACTIVE' }).first('key');
        if (child) await this.cancelInstance(String(child.key)).catch(() => undefined);
      });
    }
    for (const w of c.added) {
      const d = w.descriptor;
      if (d.kind === 'message') followups.push(() => this.correlateBuffered(String(instanceKey), w.waitId, d.name, d.correlationKey));
      if (d.kind === 'call') followups.push(() => this.startCall(c.loaded, w));
    }
    if (c.ended) {
      this.evict(String(instanceKey));
      const ref = { processInstanceKey: String(instanceKey), processDefinitionKey: String(row.definition_key), bpmnProcessId: row.bpmn_process_id, version: row.version, state: c.state };
      for (const h of this.eventHooks) h.instanceEnded?.(ref);
      if (row.parent_instance_key && c.state === 'COMPLETED') {
        const variables = rt.rootVariables();
        followups.push(() => this.completeCall(String(row.parent_instance_key), row.parent_element_instance_key!, variables));
      }
    }
    for (const s of signals) followups.push(() => this.broadcastSignal({ signalName: s.name, variables: s.variables }).then(() => undefined));
    for (const t of c.createdTasks) for (const h of this.userTaskHooks) followups.push(async () => void (await h.created?.(t)));
    for (const { task, completed } of c.endedTasks) {
      for (const h of this.userTaskHooks) followups.push(async () => void (completed ? await h.completed?.(task, {}) : await h.canceled?.(task)));
      // a terminated Camunda user task runs its canceling listeners (task-listeners.ts)
      if (!completed && task.kind === 'camunda') followups.push(() => this.taskCanceled(task.userTaskKey));
    }
    for (const inc of c.newIncidents) for (const h of this.eventHooks) h.incidentCreated?.(inc);
    for (const d of c.dispatch) {
      if (!d.jobKey || d.wait.descriptor.kind !== 'job') {
        d.worker.release();
        continue;
      }
      const scope = d.wait.waitId in rt.data.scopes ? d.wait.waitId : 'root';
      this.dispatched.set(d.jobKey, { instanceKey: String(instanceKey), elementInstanceKey: d.wait.elementInstanceKey });
      d.worker.deliver({
        key: d.jobKey,
        type: d.wait.descriptor.type,
        processInstanceKey: String(instanceKey),
        processDefinitionKey: String(row.definition_key),
        bpmnProcessId: row.bpmn_process_id,
        processDefinitionVersion: row.version,
        elementId: d.wait.elementId,
        elementInstanceKey: listenerElementInstanceKey(d.wait.elementInstanceKey),
        ...(d.wait.elementInstanceKey.includes(LISTENER_KEY) && { kind: 'EXECUTION_LISTENER' as const }),
        customHeaders: { ...d.wait.descriptor.headers },
        worker: d.worker.name,
        retries: d.wait.descriptor.retries,
        deadline: c.now + d.worker.timeout,
        variables: structuredClone(rt.visibleVariables(scope)),
      });
    }
    if (c.added.some((w) => w.descriptor.kind === 'job' && !c.dispatch.some((d) => d.wait === w))) for (const w of this.workers) w.poke();
    if (c.added.some((w) => w.descriptor.kind === 'timer')) {
      this.scheduleTimers(0);
      // on a virtual clock nothing polls: a timer that is already due fires now
      if (this.time.virtual && c.added.some((w) => w.descriptor.kind === 'timer' && w.descriptor.dueAt <= this.time.now())) {
        followups.push(() => this.fireDueTimers());
      }
    }
  }

  /**
   * The version of a linked form a user task shows, by the form definition's bindingType (Zeebe
   * 8.6+): the latest (default), the one deployed with the process (`deployment`), or the latest
   * whose versionTag is the one named (`versionTag`).
   */
  private async linkedForm(tx: Db, formId: string, definitionKey: number, binding?: { bindingType: 'deployment' | 'versionTag'; versionTag?: string }): Promise<{ key: number; content: string } | undefined> {
    const q = tx('engine_resources').where({ kind: 'form', resource_id: formId }).orderBy('version', 'desc');
    if (binding?.bindingType === 'deployment') {
      const caller = await tx('engine_resources').where({ key: definitionKey }).first('deployment_key');
      return q.where({ deployment_key: caller?.deployment_key ?? -1 }).first('key', 'content');
    }
    if (binding?.bindingType === 'versionTag') {
      const rows = await q.select('key', 'content', 'meta');
      return rows.find((r) => (typeof r.meta === 'string' ? JSON.parse(r.meta) : r.meta)?.versionTag === binding.versionTag);
    }
    return q.first('key', 'content');
  }

  private async insertUserTask(
    tx: Db,
    loaded: Loaded,
    w: WaitRecord,
    spec: import('./runtime-types.js').UserTaskSpec,
    variables: Variables,
    jobKey: string | undefined,
    now: number,
  ): Promise<UserTask> {
    const info = loaded.rt.model.elements.get(w.elementId);
    // a linked form (zeebe:formDefinition formId) is the latest version of that form deployed, as
    // Zeebe's default binding does; its JSON travels with the task so the tasklist validates by it
    const linked = spec.formKey?.startsWith('formId:') ? await this.linkedForm(tx, spec.formKey.slice('formId:'.length), loaded.row.definition_key, info?.userTask?.formBinding) : undefined;
    const task: Omit<UserTask, 'userTaskKey'> = {
      kind: spec.camunda ? 'camunda' : 'job',
      jobKey,
      processInstanceKey: String(loaded.row.key),
      processDefinitionKey: String(loaded.row.definition_key),
      bpmnProcessId: loaded.row.bpmn_process_id,
      elementId: w.elementId,
      elementName: info?.name,
      elementInstanceKey: w.elementInstanceKey,
      assignee: spec.assignee,
      candidateGroups: spec.candidateGroups,
      candidateUsers: spec.candidateUsers,
      dueDate: spec.dueDate,
      followUpDate: spec.followUpDate,
      formKey: linked ? String(linked.key) : spec.formKey,
      form: spec.form ?? (linked?.content as string | undefined),
      priority: spec.priority,
      variables,
      // job-based user tasks carry Zeebe's io.camunda.zeebe:* headers, as their job does
      customHeaders: w.descriptor.kind === 'job' ? { ...w.descriptor.headers } : { ...(info?.headers ?? {}) },
      createdAt: new Date(now).toISOString(),
    };
    const [row] = await tx('engine_user_tasks')
      .insert({
        instance_key: loaded.row.key,
        element_instance_key: w.elementInstanceKey,
        element_id: w.elementId,
        kind: task.kind,
        job_key: jobKey ? Number(jobKey) : null,
        state: 'CREATED',
        task: JSON.stringify(task),
        created_at: new Date(now),
      })
      .onConflict('element_instance_key')
      .merge(['state', 'task', 'job_key', 'created_at'])
      .returning('key');
    return { ...task, userTaskKey: String(row.key ?? row) };
  }

  async cancelInstance(processInstanceKey: Key): Promise<void> {
    await this.track(
      this.withInstance(processInstanceKey, (loaded) => {
        loaded.rt.cancel();
      }),
    );
    const children = await this.db('engine_instances').where({ parent_instance_key: Number(processInstanceKey), state: 'ACTIVE' }).select('key');
    for (const c of children) await this.cancelInstance(String(c.key)).catch(() => undefined);
  }

  /** ModifyProcessInstance: checked, then applied as one command (modification.ts); incidents of terminated element instances are resolved. */
  async modifyInstance(processInstanceKey: Key, request: ModifyInstanceRequest): Promise<void> {
    const terminated = await this.track(
      this.withInstance(processInstanceKey, (loaded) => {
        const plan = planModification(loaded.rt, request, { calledByParent: loaded.row.parent_instance_key != null });
        loaded.rt.modify(plan);
        return plan.terminate.map((id) => loaded.rt.elementInstanceKey(id));
      }),
    );
    if (!terminated.length) return;
    await this.db('engine_incidents')
      .where({ instance_key: Number(processInstanceKey), state: 'ACTIVE' })
      .where((q) => q.whereIn('element_instance_key', terminated).orWhere((q2) => { for (const k of terminated) q2.orWhere('element_instance_key', 'like', `${k}|%`); }))
      .update({ state: 'RESOLVED', resolved_at: new Date(this.time.now()) });
    const open = await this.db('engine_incidents').where({ instance_key: Number(processInstanceKey), state: 'ACTIVE' }).first('key');
    if (!open) await this.db('engine_instances').where({ key: Number(processInstanceKey) }).update({ has_incident: false });
  }

  /**
   * MigrateProcessInstance: the plan is checked (migration.ts), then, under the instance's lock,
   * its current state is rewritten to the target's element ids (renamed elements, another
   * process), tried on the target in memory, and only then saved as the target's with the rows
   * that name its elements (jobs, timers and subscriptions stay) and resumed on it; a state that
   * does not resume there is refused, and nothing changes.
   */
  async migrateInstance(processInstanceKey: Key, request: MigrateInstanceRequest): Promise<void> {
    const targetKey = Number(request?.targetProcessDefinitionKey);
    const target = Number.isSafeInteger(targetKey) ? await this.model(targetKey).catch(() => undefined) : undefined;
    if (!target) {
      throw new EngineError('NOT_FOUND', `Expected to migrate process instance '${processInstanceKey}' to process definition with key '${request?.targetProcessDefinitionKey}', but no such process definition was found`, { field: 'targetProcessDefinitionKey' });
    }
    const version = await this.versionOf(targetKey);
    const key = Number(processInstanceKey);
    const moved = new Error('migrated');
    let before: { definition_key: number; bpmn_process_id: string; version: number; snapshot: unknown; journal: string | null } | undefined;
    let undo: (() => Promise<void>) | undefined;
    const notMigratable = (err: unknown) =>
      new EngineError('INVALID_STATE', `process instance ${processInstanceKey} is not migratable to process definition ${targetKey}: its state does not resume on that version (${(err as Error).message})`, { field: 'targetProcessDefinitionKey' });
    try {
      await this.track(
        this.withInstance(processInstanceKey, async (loaded) => {
          const plan = checkMigration(loaded.rt, target, String(targetKey), request);
          before = await this.db('engine_instances').where({ key }).first('definition_key', 'bpmn_process_id', 'version', 'snapshot', 'journal');
          const state = JSON.parse(JSON.stringify(await loaded.rt.snapshot())) as Snapshot & { engine: { definitions?: { id?: string }[] } };
          const definitionsId = (target.sourceContext as { id?: string }).id;
          if (definitionsId) for (const d of state.engine.definitions ?? []) d.id = definitionsId;
          if (plan.renames) renameSnapshot(state, plan.mapping);
          // tried on the target in memory first: a state that does not resume there changes nothing
          const trial = new InstanceRuntime(target, this.runtimeServices(targetKey), String(key));
          try {
            await trial.resume(JSON.parse(JSON.stringify(state)) as Snapshot);
          } catch (err) {
            throw notMigratable(err);
          } finally {
            trial.stop();
          }
          const activeKeys = Object.keys(loaded.rt.data.active).map((id) => loaded.rt.elementInstanceKey(id));
          await this.db('engine_instances').where({ key }).update({ definition_key: targetKey, bpmn_process_id: target.bpmnProcessId, version, snapshot: JSON.stringify(state), journal: null, rev: this.db.raw('rev + 1') });
          await this.db('engine_timers').where({ instance_key: key }).update({ definition_key: targetKey });
          if (plan.renames) await renameRows(this.db, key, plan, target, targetKey, activeKeys);
          const back = { mapping: new Map([...plan.mapping].map(([from, to]) => [to, from])), renames: plan.renames };
          const source = loaded.rt.model;
          const sourceKey = Number(before!.definition_key);
          undo = async () => {
            if (back.renames) await renameRows(this.db, key, back, source, sourceKey, activeKeys);
          };
          // the cached runtime runs the source version: thrown out, the next command loads the target's
          throw moved;
        }),
      );
    } catch (err) {
      if (err !== moved) throw err;
    }
    try {
      await this.track(this.withInstance(processInstanceKey, () => undefined));
    } catch (err) {
      this.evict(processInstanceKey);
      const snapshot = typeof before!.snapshot === 'string' ? before!.snapshot : JSON.stringify(before!.snapshot);
      await this.db('engine_instances').where({ key }).update({ definition_key: before!.definition_key, bpmn_process_id: before!.bpmn_process_id, version: before!.version, snapshot, journal: before!.journal, rev: this.db.raw('rev + 1') });
      await this.db('engine_timers').where({ instance_key: key }).update({ definition_key: before!.definition_key });
      await undo?.();
      throw notMigratable(err);
    }
  }

  async setVariables(elementInstanceKey: Key, variables: Variables, local = false): Promise<void> {
    const instanceKey = elementInstanceKey.split('/')[0];
    await this.track(this.withInstance(instanceKey, (loaded) => loaded.rt.setVariables(elementInstanceKey, variables, local)));
  }

  // ------------------------------------------------------------------ call activities

  private async startCall(parent: Loaded, wait: WaitRecord): Promise<void> {
    if (wait.descriptor.kind !== 'call') return;
    const existing = await this.db('engine_instances').where({ parent_instance_key: parent.row.key, parent_element_instance_key: wait.elementInstanceKey }).first('key');
    if (existing) return;
    const { processId, bindingType, versionTag } = wait.descriptor;
    let def: { key: number };
    try {
      def = await this.calledDefinition(Number(parent.row.definition_key), processId, bindingType, versionTag);
    } catch (err) {
      await this.withInstance(String(parent.row.key), (loaded) => {
        const activity = loaded.rt.data.waits[wait.waitId];
        if (!activity) return;
        loaded.rt.trigger(wait.waitId, 'error', undefined);
      }).catch(() => undefined);
      await this.raiseIncident(parent, wait, 'CALLED_ELEMENT_ERROR', (err as Error).message);
      return;
    }
    await this.startInstance(def.key, structuredClone(wait.descriptor.variables), undefined, { instanceKey: Number(parent.row.key), elementInstanceKey: wait.elementInstanceKey }).catch((err) => {
      // a peer started it meanwhile (one called instance per call activity instance: a unique index)
      if ((err as { code?: string; constraint?: string }).code === '23505' && (err as { constraint?: string }).constraint === 'engine_instances_one_call') return;
      throw err;
    });
  }

  /**
   * The version a call activity calls, by its bindingType (Zeebe 8.6+): `latest` (the default),
   * `deployment` (the version deployed together with the calling process) or `versionTag` (the
   * latest version whose zeebe:versionTag is the one named). Throws the incident's message.
   */
  private async calledDefinition(callerDefinitionKey: number, processId: string, bindingType?: string, versionTag?: string): Promise<{ key: number }> {
    if (bindingType === 'deployment') {
      const caller = await this.db('engine_resources').where({ key: callerDefinitionKey }).first('deployment_key');
      const row = caller && (await this.db('engine_resources').where({ kind: 'process', resource_id: processId, deployment_key: caller.deployment_key }).first('key'));
      if (!row) throw new Error(`Expected to call process with BPMN process id '${processId}' from the same deployment as the calling process, but no such process found in the deployment.`);
      return { key: Number(row.key) };
    }
    if (bindingType === 'versionTag') {
      const rows = await this.db('engine_resources').where({ kind: 'process', resource_id: processId }).orderBy('version', 'desc').select('key', 'meta');
      const hit = rows.find((r) => (typeof r.meta === 'string' ? JSON.parse(r.meta) : r.meta)?.versionTag === versionTag);
      if (!hit) throw new Error(`Expected to call process with BPMN process id '${processId}' and version tag '${versionTag ?? ''}', but no such process found.`);
      return { key: Number(hit.key) };
    }
    return this.definition(processId).catch(() => {
      throw new Error(`Expected process with BPMN process id '${processId}' to be deployed, but not found.`);
    });
  }

  private async raiseIncident(loaded: Loaded, wait: WaitRecord, errorType: Incident['errorType'], message: string) {
    await this.db('engine_incidents').insert({
      instance_key: loaded.row.key,
      element_instance_key: wait.waitId,
      element_id: wait.elementId,
      error_type: errorType,
      error_message: message,
      state: 'ACTIVE',
      created_at: new Date(this.time.now()),
    });
    await this.db('engine_instances').where({ key: loaded.row.key }).update({ has_incident: true });
  }

  /** A called instance hands an error it cannot catch to its call activity when that can (Zeebe). */
  private async attachParent(rt: InstanceRuntime, row: Pick<InstanceRow, 'parent_instance_key' | 'parent_element_instance_key'>): Promise<void> {
    if (!row.parent_instance_key || !row.parent_element_instance_key) return;
    const parent = await this.db('engine_instances').where({ key: Number(row.parent_instance_key) }).first('definition_key');
    const event = await this.db('engine_element_events').where({ element_instance_key: row.parent_element_instance_key }).first('element_id');
    if (!parent || !event) return;
    const model = await this.model(Number(parent.definition_key));
    rt.parentCatchesError = (code) => canCatchError(model, event.element_id, code);
  }

  private async throwToParent(parentKey: string, elementInstanceKey: string, error: { errorCode: string; errorMessage?: string; variables?: Variables }): Promise<void> {
    await this.withInstance(parentKey, (loaded) => {
      const wait = Object.values(loaded.rt.data.waits).find((w) => w.elementInstanceKey === elementInstanceKey && w.descriptor.kind === 'call');
      if (wait) loaded.rt.trigger(wait.waitId, 'error', structuredClone(error));
    });
  }

  private async completeCall(parentKey: string, elementInstanceKey: string, variables: Variables): Promise<void> {
    await this.withInstance(parentKey, (loaded) => {
      const wait = Object.values(loaded.rt.data.waits).find((w) => w.elementInstanceKey === elementInstanceKey && w.descriptor.kind === 'call');
      if (wait) loaded.rt.trigger(wait.waitId, 'signal', { variables: structuredClone(variables) });
    });
  }

  /** A message buffered before a crash reaches the subscriptions it had not reached yet. */
  private async recoverMessages(): Promise<void> {
    const now = this.time.now();
    const messages = await this.db('engine_messages').where('expires_at', '>', now).orderBy('key');
    for (const m of messages) {
      const correlated = (typeof m.correlated === 'string' ? JSON.parse(m.correlated) : m.correlated) as string[];
      const subs = await this.db('engine_message_subscriptions').where({ message_name: m.name, correlation_key: m.correlation_key, state: 'OPEN' });
      for (const sub of subs) {
        const key = String(sub.instance_key);
        if (correlated.includes(key)) continue;
        const variables = typeof m.variables === 'string' ? JSON.parse(m.variables) : m.variables;
        if (await this.deliverMessage(key, sub.element_instance_key, variables, Number(m.key))) {
          correlated.push(key);
          await this.db('engine_messages').where({ key: m.key }).update({ correlated: JSON.stringify(correlated) });
        }
      }
    }
  }

  /** After a crash between saving a parent and starting its child, the child is started now. */
  private async recoverCalls(): Promise<void> {
    const active = await this.db('engine_instances').where({ state: 'ACTIVE' }).whereRaw("snapshot::text like '%\"kind\":\"call\"%'").select('key');
    for (const { key } of active) {
      const loaded = await this.load(String(key)).catch(() => undefined);
      if (!loaded) continue;
      for (const w of Object.values(loaded.rt.data.waits)) if (w.descriptor.kind === 'call') await this.startCall(loaded, w);
    }
  }

  // ------------------------------------------------------------------ messages and signals

  async publishMessage(request: PublishMessageRequest): Promise<PublishMessageResponse> {
    return this.track(this.doPublish(request));
  }

  private async doPublish(request: PublishMessageRequest): Promise<PublishMessageResponse> {
    if (!request.name) throw new EngineError('INVALID_ARGUMENT', 'a message needs a name', { field: 'name' });
    const now = this.time.now();
    const ttl = Math.max(0, request.timeToLive ?? 0);
    const correlationKey = request.correlationKey ?? '';
    const variables = request.variables ?? {};
    if (request.messageId) {
      const dup = await this.db('engine_messages').where({ name: request.name, message_id: request.messageId }).where('expires_at', '>', now).first('key');
      if (dup) {
        throw new EngineError('ALREADY_EXISTS', `Expected to publish a new message with id '${request.messageId}', but a message with that id was already published`, { field: 'messageId' });
      }
      await this.db('engine_messages').where({ name: request.name, message_id: request.messageId }).where('expires_at', '<=', now).del();
    }
    const [msg] = await this.db('engine_messages')
      .insert({
        name: request.name,
        correlation_key: correlationKey,
        message_id: request.messageId ?? null,
        variables: JSON.stringify(variables),
        expires_at: now + ttl,
        published_at: new Date(now),
      })
      .returning('key');
    const messageKey = String(msg.key ?? msg);
    const correlated: string[] = [];

    // open subscriptions: at most one per instance
    const subs = await this.db('engine_message_subscriptions').where({ message_name: request.name, correlation_key: correlationKey, state: 'OPEN' }).orderBy('key');
    const seen = new Set<string>();
    for (const sub of subs) {
      const key = String(sub.instance_key);
      if (seen.has(key)) continue;
      seen.add(key);
      const ok = await this.deliverMessage(key, sub.element_instance_key, variables, Number(messageKey));
      if (ok) correlated.push(key);
    }
    // message start events of the latest versions
    for (const start of await this.messageStarts(request.name)) {
      if (correlationKey) {
        const running = await this.db('engine_messages')
          .where({ name: request.name, correlation_key: correlationKey })
          .whereRaw('correlated::text like ?', [`%"start:${start.bpmnProcessId}:%`])
          .select('correlated');
        const active = running.flatMap((r) => (typeof r.correlated === 'string' ? JSON.parse(r.correlated) : r.correlated) as string[]).filter((c) => c.startsWith(`start:${start.bpmnProcessId}:`));
        if (active.length) {
          const keys = active.map((c) => Number(c.split(':')[2]));
          const stillActive = await this.db('engine_instances').whereIn('key', keys).where({ state: 'ACTIVE' }).first('key');
          if (stillActive) continue; // Zeebe: one active instance per message correlation key
        }
      }
      const ref = await this.startInstance(start.definitionKey, structuredClone(variables), start.elementId);
      correlated.push(`start:${start.bpmnProcessId}:${ref.processInstanceKey}`);
    }
    await this.db('engine_messages').where({ key: Number(messageKey) }).update({ correlated: JSON.stringify(correlated) });
    if (ttl === 0) await this.db('engine_messages').where({ key: Number(messageKey) }).update({ expires_at: now });
    return { messageKey };
  }

  /** Correlates message `messageKey` with one instance's subscription: saved with a record that it did, so never twice. */
  private async deliverMessage(instanceKey: string, waitId: string, variables: Variables, messageKey: number): Promise<boolean> {
    return this.withInstance(instanceKey, (loaded, ctx) => {
      const wait = loaded.rt.data.waits[waitId];
      if (!wait || wait.descriptor.kind !== 'message') return false;
      ctx.messageKey = messageKey;
      loaded.rt.setEventVariables(waitId, structuredClone(variables));
      return loaded.rt.trigger(waitId, 'signal', { variables: structuredClone(variables) });
    }).catch((err) => {
      if (err instanceof AlreadyCorrelated) return false;
      if (err instanceof EngineError && (err.code === 'NOT_FOUND' || err.code === 'INVALID_STATE')) return false;
      throw err;
    });
  }

  /** A subscription just opened: a buffered message (within its TTL) correlates now. */
  private async correlateBuffered(instanceKey: string, waitId: string, name: string, correlationKey: string): Promise<void> {
    const now = this.time.now();
    const messages = await this.db('engine_messages').where({ name, correlation_key: correlationKey }).where('expires_at', '>', now).orderBy('key');
    for (const m of messages) {
      const correlated = (typeof m.correlated === 'string' ? JSON.parse(m.correlated) : m.correlated) as string[];
      if (correlated.includes(instanceKey)) continue;
      const variables = typeof m.variables === 'string' ? JSON.parse(m.variables) : m.variables;
      const ok = await this.deliverMessage(instanceKey, waitId, variables, Number(m.key));
      if (ok) {
        await this.db('engine_messages').where({ key: m.key }).update({ correlated: JSON.stringify([...correlated, instanceKey]) });
        return;
      }
    }
  }

  private async latestModels(): Promise<{ definitionKey: number; model: ProcessModel }[]> {
    const rows = await this.db('engine_resources as r')
      .where('r.kind', 'process')
      .whereRaw('r.version = (select max(version) from engine_resources x where x.kind = r.kind and x.resource_id = r.resource_id)')
      .select('r.key');
    const out = [];
    for (const r of rows) out.push({ definitionKey: Number(r.key), model: await this.model(Number(r.key)) });
    return out;
  }

  private async messageStarts(name: string) {
    const out: { definitionKey: number; bpmnProcessId: string; elementId: string }[] = [];
    for (const { definitionKey, model } of await this.latestModels()) {
      for (const s of model.startEvents) if (s.eventKind === 'message' && s.messageName === name) out.push({ definitionKey, bpmnProcessId: model.bpmnProcessId, elementId: s.id });
    }
    return out;
  }

  async broadcastSignal(request: BroadcastSignalRequest): Promise<{ signalKey: Key }> {
    return this.track(this.doBroadcast(request));
  }

  private async doBroadcast(request: BroadcastSignalRequest): Promise<{ signalKey: Key }> {
    const variables = request.variables ?? {};
    const subs = await this.db('engine_signal_subscriptions').where({ signal_name: request.signalName }).orderBy('key');
    for (const sub of subs) {
      await this.withInstance(String(sub.instance_key), (loaded) => {
        const wait = loaded.rt.data.waits[sub.element_instance_key];
        if (!wait || wait.descriptor.kind !== 'signal') return;
        loaded.rt.setEventVariables(sub.element_instance_key, structuredClone(variables));
        loaded.rt.trigger(sub.element_instance_key, 'signal', { variables: structuredClone(variables) });
      }).catch(() => undefined);
    }
    for (const { definitionKey, model } of await this.latestModels()) {
      for (const s of model.startEvents) {
        if (s.eventKind === 'signal' && s.signalName === request.signalName) await this.startInstance(definitionKey, structuredClone(variables), s.id);
      }
    }
    return { signalKey: String(this.time.now()) };
  }

  // ------------------------------------------------------------------ timers

  private scheduleTimers(delay: number) {
    if (this.time.virtual || this.stopping || !this.started) return;
    if (this.timerHandle) clearTimeout(this.timerHandle);
    this.timerHandle = setTimeout(() => {
      this.timerHandle = undefined;
      this.track(this.fireDueTimers())
        .catch((err) => this.log.error({ err }, 'timer scheduler failed'))
        .finally(async () => {
          if (this.stopping) return;
          const next = await this.db('engine_timers').where({ state: 'CREATED' }).min('due_at as due').first().catch(() => undefined);
          const due = next?.due === null || next?.due === undefined ? undefined : Number(next.due);
          this.scheduleTimers(due === undefined ? 1000 : Math.min(1000, Math.max(0, due - this.time.now())));
        });
    }, delay);
    this.timerHandle.unref?.();
  }

  /**
   * Fires every timer that is due, oldest first; a timer that fires leaves its row TRIGGERED.
   * Due timers are claimed first (one statement, rows peers are claiming skipped, for a lease of
   * `timerLease`), so peers fire different timers; that a timer fires once is the instance's
   * revision check's doing, the TRIGGERED mark being written with the instance's save.
   */
  private async fireDueTimers(): Promise<void> {
    for (let round = 0; round < 10_000; round++) {
      const now = this.time.now();
      const candidates = this.db('engine_timers')
        .where({ state: 'CREATED' })
        .where('due_at', '<=', now)
        .where((q) => q.whereNull('claimed_until').orWhere('claimed_until', '<', now))
        .orderBy([{ column: 'due_at' }, { column: 'key' }])
        .limit(50)
        .forUpdate()
        .skipLocked()
        .select('key');
      const due = (await this.db('engine_timers')
        .whereIn('key', candidates)
        .update({ owner: this.nodeId, claimed_until: now + this.timerLease })
        .returning('*')) as { key: number; instance_key: number | null; definition_key: number; element_instance_key: string; element_id: string; repetitions: number; interval: string | null; due_at: number }[];
      if (!due.length) return;
      due.sort((a, b) => Number(a.due_at) - Number(b.due_at) || Number(a.key) - Number(b.key));
      for (const t of due) {
        if (t.instance_key === null || t.instance_key === undefined) {
          await this.fireStartTimer(t);
          continue;
        }
        const fired = await this.withInstance(String(t.instance_key), (loaded, ctx) => {
          const wait = loaded.rt.data.waits[t.element_instance_key];
          if (!wait || wait.descriptor.kind !== 'timer') return false;
          ctx.firedTimer = Number(t.key);
          return loaded.rt.trigger(t.element_instance_key, 'signal', { repeat: wait.descriptor.repeat });
        }).catch((err) => {
          if (err instanceof EngineError) return false;
          throw err;
        });
        // fired: marked TRIGGERED with the save already; else its instance no longer waits on it
        await this.db('engine_timers').where({ key: t.key, state: 'CREATED' }).update({ state: fired ? 'TRIGGERED' : 'CANCELED', owner: null, claimed_until: null });
      }
    }
  }

  /**
   * Starts the instance of a due start timer; the timer's TRIGGERED mark and its next occurrence
   * are written with the instance's first save (see `apply`), so it fires once even across a
   * crash. A cycle goes on from when it fired, as Zeebe reschedules a repeating timer: occurrences
   * missed while no Herald process ran become one start, not a burst.
   */
  private async fireStartTimer(t: { key: number; definition_key: number; element_id: string; repetitions: number; interval: string | null; due_at: number }) {
    const remaining = t.repetitions === -1 ? -1 : t.repetitions - 1;
    const next =
      t.interval && remaining !== 0
        ? { definition_key: Number(t.definition_key), element_id: t.element_id, due_at: nextCycleDue(t.interval, Math.max(Number(t.due_at), this.time.now())), repetitions: remaining, interval: t.interval }
        : undefined;
    try {
      await this.startInstance(Number(t.definition_key), {}, t.element_id, undefined, undefined, { key: Number(t.key), next });
    } catch (err) {
      if (err instanceof StartTimerFired) return;
      // left CREATED and claimed: it is tried again once the claim runs out (or on the next start)
      this.log.error({ err, timer: t.key, element: t.element_id }, 'start timer could not start its instance; it stays due');
    }
  }

  // ------------------------------------------------------------------ jobs

  private reserveWorker(type: string): EmbeddedWorker | undefined {
    if (this.stopping) return undefined;
    for (const w of this.workers) if (w.type === type && w.reserve()) return w;
    return undefined;
  }

  createWorker(options: JobWorkerOptions): JobWorker {
    const worker = new EmbeddedWorker(this, options, this.pollInterval, this.log);
    this.workers.add(worker);
    worker.onClose = () => this.workers.delete(worker);
    worker.start();
    return worker;
  }

  async activateJobs(request: ActivateJobsRequest): Promise<Job[]> {
    const now = this.time.now();
    // one statement (no transaction to hold open): the rows are locked and claimed together
    const candidates = this.db('engine_jobs')
      .where({ type: request.type })
      .where((q) => q.where({ state: 'ACTIVATABLE' }).orWhere((q2) => q2.where({ state: 'ACTIVATED' }).where('deadline', '<', now)))
      .where((q) => q.whereNull('retry_at').orWhere('retry_at', '<=', now))
      .orderBy('key')
      .limit(Math.max(1, request.maxJobsToActivate))
      .forUpdate()
      .skipLocked()
      .select('key');
    const rows = await this.db('engine_jobs')
      .whereIn('key', candidates)
      .update({ state: 'ACTIVATED', worker: request.worker, deadline: now + request.timeout, owner: this.nodeId })
      .returning('*');
    const jobs: Job[] = [];
    for (const row of rows) {
      const inst = await this.db('engine_instances').where({ key: row.instance_key }).first('definition_key', 'bpmn_process_id', 'version');
      let variables = (typeof row.variables === 'string' ? JSON.parse(row.variables) : row.variables) as Variables;
      const listener = row.listener ? (JSON.parse(row.listener) as ListenerRecord) : undefined;
      // the cached state's variables are the newest when it still has this job (a peer's save may be newer than the cache)
      const cached = listener ? undefined : this.cache.get(String(row.instance_key));
      if (cached && Object.values(cached.rt.data.waits).some((w) => w.elementInstanceKey === row.element_instance_key && w.descriptor.kind === 'job')) {
        const scope = listenerElementInstanceKey(row.element_instance_key).slice(String(row.instance_key).length + 1);
        variables = structuredClone(cached.rt.visibleVariables(scope in cached.rt.data.scopes ? scope : 'root'));
      }
      if (request.fetchVariable?.length) variables = Object.fromEntries(Object.entries(variables).filter(([k]) => request.fetchVariable!.includes(k)));
      jobs.push({
        key: String(row.key),
        type: row.type,
        processInstanceKey: String(row.instance_key),
        processDefinitionKey: String(inst?.definition_key),
        bpmnProcessId: inst?.bpmn_process_id,
        processDefinitionVersion: inst?.version,
        elementId: row.element_id,
        elementInstanceKey: listenerElementInstanceKey(row.element_instance_key),
        customHeaders: typeof row.custom_headers === 'string' ? JSON.parse(row.custom_headers) : row.custom_headers,
        worker: request.worker,
        retries: row.retries,
        deadline: Number(row.deadline),
        variables,
        ...(listener && { kind: 'TASK_LISTENER' as const, listenerEventType: listener.eventType }),
        ...(String(row.element_instance_key).includes(LISTENER_KEY) && { kind: 'EXECUTION_LISTENER' as const }),
      });
    }
    return jobs;
  }

  private async jobRow(jobKey: Key) {
    const row = await this.db('engine_jobs').where({ key: Number(jobKey) }).first();
    if (!row || ['COMPLETED', 'CANCELED'].includes(row.state)) {
      throw new EngineError('NOT_FOUND', `Expected to find job with key '${jobKey}', but no such job was found`, { field: 'jobKey' });
    }
    return row;
  }

  /** Where a job waits: from the dispatch index when this engine handed it out, else its row. */
  private async jobTarget(jobKey: Key): Promise<{ instance_key: string | number; element_instance_key: string }> {
    const hit = this.dispatched.get(String(jobKey));
    if (hit) {
      this.dispatched.delete(String(jobKey));
      return { instance_key: hit.instanceKey, element_instance_key: hit.elementInstanceKey };
    }
    return this.jobRow(jobKey);
  }

  async completeJob(jobKey: Key, variables: Variables = {}, result?: UserTaskListenerResult): Promise<void> {
    const row = await this.jobTarget(jobKey);
    if ('listener' in row && row.listener) return this.taskListeners.complete(row as unknown as { key: number; listener: string; state: string }, result);
    await this.track(
      this.withInstance(String(row.instance_key), (loaded, ctx) => {
        const wait = Object.values(loaded.rt.data.waits).find((w) => w.elementInstanceKey === row.element_instance_key && w.descriptor.kind === 'job');
        if (!wait) throw new EngineError('NOT_FOUND', `Expected to find job with key '${jobKey}', but its element is no longer waiting`);
        ctx.completedJobs.add(row.element_instance_key);
        // as JSON (as Zeebe keeps variables), and kept for the journal: replayed, it does the same
        const json = JSON.stringify(variables ?? {});
        ctx.journal = { w: wait.waitId, t: this.time.now(), json };
        loaded.rt.applyCompletion({ w: ctx.journal.w, t: ctx.journal.t, v: JSON.parse(json) as Variables });
      }),
    );
  }

  async failJob(jobKey: Key, request: FailJobRequest): Promise<void> {
    this.dispatched.delete(String(jobKey));
    const row = await this.jobRow(jobKey);
    const now = this.time.now();
    const retries = Math.max(0, request.retries);
    let incident: Incident | undefined;
    await this.db.transaction(async (tx) => {
      await tx('engine_jobs')
        .where({ key: row.key })
        .update({
          retries,
          state: retries > 0 ? 'ACTIVATABLE' : 'FAILED',
          worker: null,
          deadline: null,
          retry_at: retries > 0 && request.retryBackOff ? now + request.retryBackOff : null,
          error_message: request.errorMessage ?? null,
        });
      if (retries === 0) {
        const errorMessage = request.errorMessage || 'No more retries left.';
        // Zeebe names a listener job's incident apart from the element's (ErrorType.TASK_LISTENER_NO_RETRIES)
        const errorType = row.listener ? 'TASK_LISTENER_NO_RETRIES' : String(row.element_instance_key).includes(LISTENER_KEY) ? 'EXECUTION_LISTENER_NO_RETRIES' : 'JOB_NO_RETRIES';
        const [inc] = await tx('engine_incidents')
          .insert({
            instance_key: row.instance_key,
            element_instance_key: row.element_instance_key,
            element_id: row.element_id,
            job_key: row.key,
            error_type: errorType,
            error_message: errorMessage,
            state: 'ACTIVE',
            created_at: new Date(now),
          })
          .returning('key');
        await tx('engine_instances').where({ key: row.instance_key }).update({ has_incident: true });
        const instance = await tx('engine_instances').where({ key: row.instance_key }).first('bpmn_process_id', 'definition_key');
        // the port's incidentCreated event, as for incidents the runtime raises (metrics and warn logs follow it)
        incident = {
          incidentKey: String(inc.key ?? inc),
          processInstanceKey: String(row.instance_key),
          processDefinitionKey: String(instance?.definition_key ?? ''),
          bpmnProcessId: instance?.bpmn_process_id ?? '',
          elementId: row.element_id,
          elementInstanceKey: String(row.element_instance_key),
          jobKey: String(row.key),
          errorType,
          errorMessage,
          state: 'ACTIVE',
          createdAt: new Date(now).toISOString(),
        };
      }
    });
    if (incident) for (const h of this.eventHooks) h.incidentCreated?.(incident);
    if (retries > 0) for (const w of this.workers) w.poke(request.retryBackOff);
  }

  async throwError(jobKey: Key, request: ThrowErrorRequest): Promise<void> {
    const row = await this.jobTarget(jobKey);
    if ('listener' in row && row.listener) {
      // Zeebe rejects it too: a task listener denies (job result), it does not throw
      throw new EngineError('INVALID_STATE', `Expected to throw an error for job with key '${jobKey}', but it is a task listener job: complete it with result.denied instead`, { field: 'jobKey' });
    }
    if (String(row.element_instance_key).includes(LISTENER_KEY)) {
      throw new EngineError('INVALID_STATE', `Expected to throw an error for job with key '${jobKey}', but it is an execution listener job, which cannot throw a BPMN error: fail it instead`, { field: 'jobKey' });
    }
    if (!request.errorCode) throw new EngineError('INVALID_ARGUMENT', 'a BPMN error needs an error code', { field: 'errorCode' });
    await this.track(
      this.withInstance(String(row.instance_key), (loaded, ctx) => {
        const wait = Object.values(loaded.rt.data.waits).find((w) => w.elementInstanceKey === row.element_instance_key && w.descriptor.kind === 'job');
        if (!wait) throw new EngineError('NOT_FOUND', `Expected to find job with key '${jobKey}', but its element is no longer waiting`);
        ctx.completedJobs.add(row.element_instance_key);
        loaded.rt.trigger(wait.waitId, 'error', { errorCode: request.errorCode, errorMessage: request.errorMessage, variables: request.variables });
      }),
    );
  }

  async updateJobRetries(jobKey: Key, retries: number): Promise<void> {
    const row = await this.jobRow(jobKey);
    if (retries < 1) throw new EngineError('INVALID_ARGUMENT', 'retries must be at least 1', { field: 'retries' });
    await this.db('engine_jobs').where({ key: row.key }).update({ retries });
  }

  // ------------------------------------------------------------------ user tasks

  onUserTask(hooks: UserTaskHooks): () => void {
    this.userTaskHooks.add(hooks);
    return () => this.userTaskHooks.delete(hooks);
  }

  async listUserTasks(filter: { processInstanceKey?: Key } = {}): Promise<UserTask[]> {
    const q = this.db('engine_user_tasks').where({ state: 'CREATED' }).orderBy('key');
    if (filter.processInstanceKey) q.where({ instance_key: Number(filter.processInstanceKey) });
    return (await q).map(parseTask);
  }

  async completeUserTask(userTaskKey: Key, variables: Variables = {}): Promise<void> {
    const row = await this.db('engine_user_tasks').where({ key: Number(userTaskKey) }).first();
    if (!row || row.state !== 'CREATED') throw new EngineError('NOT_FOUND', `Expected to find user task with key '${userTaskKey}', but none was found`);
    if (row.kind === 'job') return this.completeJob(String(row.job_key), variables);
    await this.taskListeners.run(row, 'completing', { variables });
  }

  async assignUserTask(userTaskKey: Key, assignee: string | null): Promise<void> {
    if (assignee !== null && (typeof assignee !== 'string' || !assignee.trim())) throw new EngineError('INVALID_ARGUMENT', 'the assignee must be a non-empty string, or null to unassign', { field: 'assignee' });
    const row = await this.openTask(userTaskKey);
    await this.taskListeners.run(row, 'assigning', { assignee });
  }

  async updateUserTask(userTaskKey: Key, changes: UserTaskCorrections): Promise<void> {
    const row = await this.openTask(userTaskKey);
    await this.taskListeners.run(row, 'updating', { changes });
  }

  private async openTask(userTaskKey: Key): Promise<TaskRow> {
    const row = await this.db('engine_user_tasks').where({ key: Number(userTaskKey) }).first();
    if (!row || row.state !== 'CREATED') throw new EngineError('NOT_FOUND', `Expected to find user task with key '${userTaskKey}', but none was found`);
    return row;
  }

  private async taskCanceled(userTaskKey: Key): Promise<void> {
    const row = await this.db('engine_user_tasks').where({ key: Number(userTaskKey) }).first();
    if (row) await this.taskListeners.canceled(row);
  }

  /** A user task's transition, once its listeners (if any) accepted it. */
  private async performTaskTransition(eventType: TaskListenerEventType, row: TaskRow, payload: TransitionPayload): Promise<void> {
    if (eventType === 'completing') {
      await this.track(
        this.withInstance(String(row.instance_key), (loaded, ctx) => {
          const wait = Object.values(loaded.rt.data.waits).find((w) => w.elementInstanceKey === row.element_instance_key && w.descriptor.kind === 'user-task');
          if (!wait) throw new EngineError('NOT_FOUND', `user task ${row.key} is no longer waiting`);
          ctx.completedUserTasks.add(String(row.key));
          loaded.rt.trigger(wait.waitId, 'signal', { variables: structuredClone(payload.variables ?? {}) });
        }),
      );
      return;
    }
    // assigning and updating: the task row already holds the change and its corrections (task-listeners.ts)
  }

  // ------------------------------------------------------------------ incidents

  async listIncidents(filter: { processInstanceKey?: Key; state?: 'ACTIVE' | 'RESOLVED' } = {}): Promise<Incident[]> {
    const q = this.db('engine_incidents as i').join('engine_instances as p', 'p.key', 'i.instance_key').orderBy('i.key').select('i.*', 'p.definition_key', 'p.bpmn_process_id');
    if (filter.processInstanceKey) q.where('i.instance_key', Number(filter.processInstanceKey));
    if (filter.state) q.where('i.state', filter.state);
    return (await q).map((r) => ({
      incidentKey: String(r.key),
      processInstanceKey: String(r.instance_key),
      processDefinitionKey: String(r.definition_key),
      bpmnProcessId: r.bpmn_process_id,
      elementId: r.element_id,
      elementInstanceKey: r.element_instance_key.includes('/') ? r.element_instance_key : `${r.instance_key}/${r.element_instance_key}`,
      jobKey: r.job_key ? String(r.job_key) : undefined,
      errorType: r.error_type,
      errorMessage: r.error_message,
      state: r.state,
      createdAt: iso(r.created_at)!,
    }));
  }

  async resolveIncident(incidentKey: Key): Promise<void> {
    const inc = await this.db('engine_incidents').where({ key: Number(incidentKey) }).first();
    if (!inc || inc.state !== 'ACTIVE') throw new EngineError('NOT_FOUND', `Expected to find incident with key '${incidentKey}', but none was found`);
    if (inc.job_key) {
      const job = await this.db('engine_jobs').where({ key: inc.job_key }).first();
      if (job && job.retries < 1) {
        throw new EngineError('INVALID_STATE', `Expected to resolve incident ${incidentKey}, but job ${inc.job_key} has no retries left: update its retries first`);
      }
      await this.db.transaction(async (tx) => {
        await tx('engine_jobs').where({ key: inc.job_key }).update({ state: 'ACTIVATABLE', retry_at: null });
        await tx('engine_incidents').where({ key: inc.key }).update({ state: 'RESOLVED', resolved_at: new Date(this.time.now()) });
        const open = await tx('engine_incidents').where({ instance_key: inc.instance_key, state: 'ACTIVE' }).first('key');
        if (!open) await tx('engine_instances').where({ key: inc.instance_key }).update({ has_incident: false });
      });
      for (const w of this.workers) w.poke();
      return;
    }
    await this.track(
      this.withInstance(String(inc.instance_key), async (loaded) => {
        const wait = loaded.rt.data.waits[inc.element_instance_key];
        if (wait?.descriptor.kind === 'incident') loaded.rt.trigger(inc.element_instance_key, 'retry');
        else await this.db('engine_incidents').where({ key: inc.key }).update({ state: 'RESOLVED', resolved_at: new Date(this.time.now()) });
      }),
    );
  }

  // ------------------------------------------------------------------ inspection

  async getInstance(processInstanceKey: Key): Promise<InstanceDetails | undefined> {
    if (!/^\d+$/.test(processInstanceKey)) return undefined;
    const row = (await this.db('engine_instances').where({ key: Number(processInstanceKey) }).first()) as InstanceRow | undefined;
    if (!row) return undefined;
    const events = await this.db('engine_element_events').where({ instance_key: row.key }).orderBy('seq');
    const byKey = new Map<string, InstanceDetails['elements'][number]>();
    const takenFlows: string[] = [];
    for (const e of events) {
      if (e.state === 'TAKEN') {
        takenFlows.push(e.element_id);
        continue;
      }
      const el: InstanceDetails['elements'][number] = byKey.get(e.element_instance_key) ?? {
        elementInstanceKey: e.element_instance_key,
        elementId: e.element_id,
        elementName: e.element_name ?? undefined,
        elementType: e.element_type,
        state: 'ACTIVATED',
        flowScopeKey: e.flow_scope_key ?? undefined,
        startedAt: iso(e.at)!,
      };
      el.state = e.state;
      if (e.state !== 'ACTIVATED') el.endedAt = iso(e.at);
      byKey.set(e.element_instance_key, el);
    }
    const incidents = await this.listIncidents({ processInstanceKey: String(row.key) });
    for (const inc of incidents.filter((i) => i.state === 'ACTIVE')) {
      const el = byKey.get(inc.elementInstanceKey) ?? [...byKey.values()].find((e) => e.elementId === inc.elementId && e.state === 'ACTIVATED');
      if (el) el.incidentKey = inc.incidentKey;
    }
    const variables = (typeof row.variables === 'string' ? JSON.parse(row.variables) : row.variables) as Variables;
    return {
      processInstanceKey: String(row.key),
      processDefinitionKey: String(row.definition_key),
      bpmnProcessId: row.bpmn_process_id,
      version: row.version,
      state: row.state,
      variables: this.cachedAt(row)?.rt.rootVariables() ?? variables,
      elements: [...byKey.values()],
      takenFlows,
      incidents,
      parentProcessInstanceKey: row.parent_instance_key ? String(row.parent_instance_key) : undefined,
      startedAt: iso(row.started_at)!,
      endedAt: iso(row.ended_at),
    };
  }

  /** The cached state of an instance when it is the row's (a peer may have saved a newer one). */
  private cachedAt(row: { key: number | string; rev?: number }): Loaded | undefined {
    const hit = this.cache.get(String(row.key));
    return hit && (!this.shared || hit.rev === Number(row.rev)) ? hit : undefined;
  }

  async listInstances(filter: InstanceFilter = {}) {
    const q = this.db('engine_instances').orderBy('key', 'desc').limit(filter.limit ?? 100);
    if (filter.bpmnProcessId) q.where({ bpmn_process_id: filter.bpmnProcessId });
    if (filter.version) q.where({ version: filter.version });
    if (filter.state) q.where({ state: filter.state });
    if (filter.hasIncident !== undefined) q.where({ has_incident: filter.hasIncident });
    if (filter.parentProcessInstanceKey) q.where({ parent_instance_key: Number(filter.parentProcessInstanceKey) });
    const rows = await q.select('key', 'definition_key', 'bpmn_process_id', 'version', 'state', 'started_at', 'ended_at', 'parent_instance_key');
    return rows.map((r) => ({
      processInstanceKey: String(r.key),
      processDefinitionKey: String(r.definition_key),
      bpmnProcessId: r.bpmn_process_id,
      version: r.version,
      state: r.state as InstanceState,
      startedAt: iso(r.started_at)!,
      endedAt: iso(r.ended_at),
      parentProcessInstanceKey: r.parent_instance_key ? String(r.parent_instance_key) : undefined,
    }));
  }

  async getVariables(scopeKey: Key): Promise<Variables> {
    const instanceKey = scopeKey.split('/')[0];
    if (this.shared && this.cache.has(instanceKey) && /^\d+$/.test(instanceKey)) {
      const row = await this.db('engine_instances').where({ key: Number(instanceKey) }).first('key', 'rev');
      if ((!row || !this.cachedAt(row)) && !this.locks.has(instanceKey)) this.evict(instanceKey);
    }
    const loaded = await this.load(instanceKey).catch(() => undefined);
    if (loaded) {
      const vars = loaded.rt.scopeVariables(scopeKey);
      if (vars) return structuredClone(vars);
    }
    if (scopeKey === instanceKey) {
      const row = await this.db('engine_instances').where({ key: Number(instanceKey) }).first('variables');
      if (row) return typeof row.variables === 'string' ? JSON.parse(row.variables) : row.variables;
    }
    throw new EngineError('NOT_FOUND', `no variable scope ${scopeKey}`);
  }

  async evaluateDecision(request: { decisionId: string; variables: Variables }): Promise<{ output: unknown; decisionKey: Key }> {
    await this.decisions.load();
    const output = this.decisions.evaluate(request.decisionId, request.variables, () => this.time.now());
    return { output, decisionKey: this.decisions.keyOf(request.decisionId) ?? '' };
  }

  on(events: EngineEvents): () => void {
    this.eventHooks.add(events);
    return () => this.eventHooks.delete(events);
  }
}

/**
 * A file may hold several executable processes; bpmn-engine would run them all. Each model's
 * context keeps only its own process executable.
 */
function onlyProcess(model: ProcessModel): ProcessModel {
  const ctx = model.sourceContext as { elements: { processes: { id: string; behaviour: Record<string, unknown> }[] } } & object;
  if (ctx.elements.processes.filter((p) => p.behaviour.isExecutable).length <= 1) return model;
  const clone = Object.assign(Object.create(Object.getPrototypeOf(ctx)), ctx);
  clone.elements = {
    ...ctx.elements,
    processes: ctx.elements.processes.map((p) => (p.id === model.bpmnProcessId ? p : { ...p, behaviour: { ...p.behaviour, isExecutable: false } })),
  };
  return { ...model, sourceContext: clone };
}

/**
 * Zeebe's start instructions, as far as the embedded engine runs them: an element of the process
 * itself (not inside a sub-process), that is not a boundary event. Otherwise INVALID_ARGUMENT naming it.
 */
function startableAt(model: ProcessModel, elementId: string): void {
  const info = model.elements.get(elementId);
  const refuse = (why: string) => {
    throw new EngineError('INVALID_ARGUMENT', `Expected to create an instance of process '${model.bpmnProcessId}' starting at element '${elementId}', but ${why}`, { field: 'startInstructions', elementId });
  };
  if (!info || info.type === 'bpmn:SequenceFlow') return refuse('no such element exists in the process');
  if (info.parentId !== model.bpmnProcessId) return refuse(`it is inside '${info.parentId}'; the embedded engine starts only at elements of the process itself`);
  if (info.attachedTo) return refuse('it is a boundary event, which cannot be started on its own');
}

function parseTask(row: { key: number; task: unknown }): UserTask {
  const task = (typeof row.task === 'string' ? JSON.parse(row.task) : row.task) as UserTask;
  return { ...task, userTaskKey: String(row.key) };
}

/** One deployed version of a DRG (engine_resources kind 'drg'); parsed when first evaluated. */
interface DrgVersion {
  key: number;
  version: number;
  deploymentKey: number;
  resourceName: string;
  content: string;
  decisions: string[];
  drg?: DecisionRequirements;
}

function calledDecisionError(message: string): Error {
  const err = new Error(message) as Error & { errorType: string };
  err.errorType = 'CALLED_DECISION_ERROR';
  return err;
}

/**
 * Deployed decisions, every version, for the bindingType of business rule tasks (Zeebe 8.6+):
 * `latest` (the default) evaluates the latest version; `deployment` the version deployed together
 * with the calling process (also when that deployment carried it unchanged); `versionTag` the
 * latest version whose decision has that zeebe:versionTag. A miss is Zeebe's CALLED_DECISION_ERROR
 * with its text. Versions are parsed once, when first evaluated.
 */
class DecisionCache implements DecisionService {
  private byDecision = new Map<string, DrgVersion>();
  private versions: DrgVersion[] = [];
  private processDeployment = new Map<number, number>();
  private deploymentResources = new Map<number, string[]>();
  private loaded = false;
  constructor(private readonly db: Db) {}

  invalidate() {
    this.loaded = false;
  }

  async load(): Promise<void> {
    if (this.loaded) return;
    const parsed = new Map(this.versions.filter((v) => v.drg).map((v) => [v.key, v.drg!]));
    const rows = await this.db('engine_resources').where('kind', 'drg').orderBy('version').select('key', 'resource_id', 'version', 'deployment_key', 'content', 'resource_name', 'meta');
    const versions: DrgVersion[] = rows.map((row) => {
      const meta = (typeof row.meta === 'string' ? JSON.parse(row.meta) : row.meta) as { decisions?: string[] } | null;
      const v: DrgVersion = { key: Number(row.key), version: row.version as number, deploymentKey: Number(row.deployment_key), resourceName: row.resource_name, content: row.content, decisions: meta?.decisions ?? [] };
      const drg = parsed.get(v.key);
      if (drg) v.drg = drg;
      if (!meta?.decisions) v.decisions = this.parsed(v).decisions.map((d) => d.id);
      return v;
    });
    const latest = new Map<string, DrgVersion>();
    for (const row of rows) latest.set(row.resource_id, versions.find((v) => v.key === Number(row.key))!);
    const map = new Map<string, DrgVersion>();
    for (const v of latest.values()) for (const d of v.decisions) map.set(d, v);
    const processes = await this.db('engine_resources').where('kind', 'process').select('key', 'deployment_key');
    const deployments = await this.db('engine_deployments').select('key', 'resources');
    this.processDeployment = new Map(processes.map((p) => [Number(p.key), Number(p.deployment_key)]));
    this.deploymentResources = new Map(deployments.map((d) => [Number(d.key), (typeof d.resources === 'string' ? JSON.parse(d.resources) : d.resources) as string[]]));
    this.versions = versions;
    this.byDecision = map;
    this.loaded = true;
  }

  private parsed(v: DrgVersion): DecisionRequirements {
    v.drg ??= prepareDmn(v.content, v.resourceName);
    return v.drg;
  }

  keyOf(decisionId: string) {
    const v = this.byDecision.get(decisionId);
    return v && `${v.key}:${decisionId}`;
  }

  /** The version a binding names, or a CALLED_DECISION_ERROR with Zeebe's text. */
  private resolve(decisionId: string, binding?: DecisionBinding & { definitionKey?: number }): DrgVersion {
    if (binding?.bindingType === 'versionTag') {
      const tag = binding.versionTag ?? '';
      const hit = this.versions.filter((v) => v.decisions.includes(decisionId) && this.parsed(v).decisions.some((d) => d.id === decisionId && d.versionTag === tag)).at(-1);
      if (!hit) throw calledDecisionError(`Expected to evaluate decision with id '${decisionId}' and version tag '${tag}', but no such decision found. To resolve this incident, deploy a decision with the given id and version tag.`);
      return hit;
    }
    if (binding?.bindingType === 'deployment') {
      const deploymentKey = this.processDeployment.get(binding.definitionKey ?? -1) ?? -1;
      const withId = this.versions.filter((v) => v.decisions.includes(decisionId));
      // deployed in that deployment, or carried unchanged by it (then its latest version at the time)
      const names = this.deploymentResources.get(deploymentKey) ?? [];
      const hit = withId.find((v) => v.deploymentKey === deploymentKey) ?? withId.filter((v) => v.deploymentKey < deploymentKey && names.includes(v.resourceName)).at(-1);
      if (!hit) {
        throw calledDecisionError(
          `Expected to evaluate decision '${decisionId}' with binding type 'deployment', but no such decision found in the deployment with key ${deploymentKey} which contained the current process. To resolve this incident, migrate the process instance to a process definition that is deployed together with the intended decision to evaluate.`,
        );
      }
      return hit;
    }
    const latest = this.byDecision.get(decisionId);
    if (!latest) throw calledDecisionError(`Expected to evaluate decision '${decisionId}', but no decision found for id '${decisionId}'`);
    return latest;
  }

  evaluate(decisionId: string, variables: Variables, now: () => number, binding?: DecisionBinding & { definitionKey?: number }): unknown {
    return this.parsed(this.resolve(decisionId, binding)).evaluate(decisionId, variables, now);
  }
}

/** A polling job worker over the embedded engine: per-type concurrency, timeouts, backoff. */
class EmbeddedWorker implements JobWorker {
  readonly type: string;
  onClose?: () => void;
  private active = 0;
  private closed = false;
  private timer?: NodeJS.Timeout;
  private polling = false;
  /** The last poll took as many jobs as it asked for: more may be waiting. */
  private backlog = false;
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly engine: EmbeddedEngine,
    private readonly options: JobWorkerOptions,
    private readonly interval: number,
    private readonly log: Logger,
  ) {
    this.type = options.type;
  }

  get name(): string {
    return this.options.worker ?? 'herald';
  }

  get timeout(): number {
    return this.options.timeout ?? 30_000;
  }

  start() {
    this.poke();
  }

  /** Takes one slot for a job the engine is about to hand over. */
  reserve(): boolean {
    if (this.closed || this.active >= (this.options.maxJobsToActivate ?? 32)) return false;
    this.active++;
    return true;
  }

  release() {
    this.active--;
  }

  /** A job the engine activated for this worker in its own transaction. */
  deliver(job: Job) {
    this.active--;
    this.handle(job);
  }

  /** Polls after `delay` (at once by default), replacing the poll that was due. */
  poke(delay = 0) {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll();
    }, delay);
    this.timer.unref?.();
  }

  private async poll() {
    if (this.closed || this.polling) return;
    this.polling = true;
    let got = 0;
    const capacity = (this.options.maxJobsToActivate ?? 32) - this.active;
    try {
      if (capacity > 0) {
        const jobs = await this.engine.activateJobs({
          type: this.options.type,
          worker: this.options.worker ?? 'herald',
          maxJobsToActivate: capacity,
          timeout: this.options.timeout ?? 30_000,
          fetchVariable: this.options.fetchVariable,
        });
        got = jobs.length;
        for (const job of jobs) this.handle(job);
      }
    } catch (err) {
      if (!this.closed) this.log.error({ err, type: this.type }, 'job activation failed');
    } finally {
      this.polling = false;
      // a poll with no free slot learns nothing about the backlog
      if (capacity > 0) this.backlog = got >= capacity;
      if (!this.closed) this.poke(got > 0 ? 0 : this.interval);
    }
  }

  private handle(job: Job) {
    this.active++;
    const run = (async () => {
      let outcome;
      try {
        outcome = await this.options.handler(job);
      } catch (err) {
        // an unhandled throw is a failure with one retry fewer; the worker loop never dies
        outcome = { outcome: 'fail' as const, errorMessage: (err as Error).message ?? String(err), retries: job.retries - 1 };
      }
      try {
        if (outcome.outcome === 'complete') await this.engine.completeJob(job.key, outcome.variables, outcome.result);
        else if (outcome.outcome === 'error') await this.engine.throwError(job.key, outcome);
        else await this.engine.failJob(job.key, { retries: outcome.retries ?? job.retries - 1, errorMessage: outcome.errorMessage, retryBackOff: outcome.retryBackOff });
      } catch (err) {
        if (!(err instanceof EngineError && err.code === 'NOT_FOUND')) this.log.error({ err, job: job.key }, 'reporting a job outcome failed');
      }
    })().finally(() => {
      this.active--;
      this.running.delete(run);
      // a freed slot matters when jobs may be waiting: the last poll filled every slot (the engine
      // pokes by itself when it stores a job no worker took); otherwise the next periodic poll
      if (!this.closed && (this.backlog || !this.timer) && !this.polling) this.poke(this.backlog ? 0 : this.interval);
    });
    this.running.add(run);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.polling) await new Promise((r) => setTimeout(r, 5));
    await Promise.allSettled([...this.running]);
    this.onClose?.();
  }
}

export type { DeployedProcess };
