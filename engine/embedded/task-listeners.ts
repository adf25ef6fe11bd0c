/**
 * User task listeners (Camunda 8.8 `zeebe:taskListeners`) in the embedded engine, as Zeebe runs
 * them: a transition of a Camunda user task (assigning, updating, completing) first runs the
 * listeners of that event, in their order, each as a job of the listener's type; a listener job
 * that completes with `result.denied` stops the transition (the task stays as it was and the
 * command that asked for it is rejected with Zeebe's text), one without it lets the next run, and
 * after the last the transition happens with their corrections applied. `canceling` listeners
 * run when the task is terminated; they cannot deny.
 *
 * State lives in engine_jobs: a listener job row carries its `listener` record (event, task,
 * transition, position, the command's payload and the corrections so far) and, once completed,
 * the outcome. Its element_instance_key is the task's with `|tl:<transition>:<index>`, so the
 * rows of one transition are found together and never collide with the task's own job. The last
 * accepted listener performs the transition itself, durably; the caller only waits to report.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../storage/db.js';
import { EngineError, type TaskListenerEventType, type UserTask, type UserTaskCorrections, type UserTaskListenerResult, type Variables } from '../types.js';

export interface TaskListenerDefinition {
  eventType: TaskListenerEventType;
  type: string;
  retries: string;
}

/** What the command asked for: the completion's variables, the new assignee, or the changes. */
export interface TransitionPayload {
  variables?: Variables;
  assignee?: string | null;
  changes?: UserTaskCorrections;
}

export interface ListenerRecord {
  eventType: TaskListenerEventType;
  userTaskKey: string;
  transition: string;
  index: number;
  payload: TransitionPayload;
  corrections: UserTaskCorrections;
  /** On the row of the job that ended the transition. */
  outcome?: 'denied' | 'done';
  deniedReason?: string;
}

export interface TaskRow {
  key: number | string;
  instance_key: number | string;
  element_instance_key: string;
  element_id: string;
  kind: string;
  state: string;
  task: unknown;
}

/** What the engine lends the listeners. */
export interface ListenerHost {
  db: Db;
  now(): number;
  /** The listeners the task's element declares. */
  listenersOf(task: TaskRow): Promise<TaskListenerDefinition[]>;
  /** Variables the listener job sees: those visible at the task. */
  variablesAt(task: TaskRow): Promise<Variables>;
  pokeWorkers(): void;
  /** Performs the transition once every listener accepted it (corrections already in the task row). */
  perform(eventType: TaskListenerEventType, task: TaskRow, payload: TransitionPayload): Promise<void>;
}

const DENIED: Record<string, string> = {
  completing: "Completion of the User Task with key '%k' was denied by Task Listener. Reason to deny: '%r'",
  assigning: "Assignment of the User Task with key '%k' was denied by Task Listener. Reason to deny: '%r'",
  updating: "Update of the User Task with key '%k' was denied by Task Listener. Reason to deny: '%r'",
};

const ACTION: Record<TaskListenerEventType, string> = { completing: 'complete', assigning: 'assign', updating: 'update', canceling: 'cancel' };

/** How long a command waits for its listeners before it reports that they are still running. */
const WAIT_MS = 30_000;

export function parseTaskJson(row: TaskRow): UserTask {
  return (typeof row.task === 'string' ? JSON.parse(row.task) : row.task) as UserTask;
}

/** The task as a listener job's custom headers carry it (Zeebe 8.8's io.camunda.zeebe:* headers). */
function taskHeaders(task: UserTask, userTaskKey: string, eventType: TaskListenerEventType, payload: TransitionPayload): Record<string, string> {
  const assignee = eventType === 'assigning' ? payload.assignee ?? '' : task.assignee ?? '';
  const headers: Record<string, string> = {
    'io.camunda.zeebe:userTaskKey': userTaskKey,
    'io.camunda.zeebe:action': ACTION[eventType],
    'io.camunda.zeebe:assignee': assignee,
    'io.camunda.zeebe:candidateGroups': JSON.stringify(payload.changes?.candidateGroups ?? task.candidateGroups ?? []),
    'io.camunda.zeebe:candidateUsers': JSON.stringify(payload.changes?.candidateUsers ?? task.candidateUsers ?? []),
  };
  const dueDate = payload.changes?.dueDate ?? task.dueDate;
  const followUpDate = payload.changes?.followUpDate ?? task.followUpDate;
  const priority = payload.changes?.priority ?? task.priority;
  if (dueDate) headers['io.camunda.zeebe:dueDate'] = dueDate;
  if (followUpDate) headers['io.camunda.zeebe:followUpDate'] = followUpDate;
  if (task.formKey) headers['io.camunda.zeebe:formKey'] = task.formKey;
  if (priority !== undefined) headers['io.camunda.zeebe:priority'] = String(priority);
  if (payload.changes) headers['io.camunda.zeebe:changedAttributes'] = JSON.stringify(Object.keys(payload.changes));
  return headers;
}

function checkCorrections(c: UserTaskCorrections | undefined): UserTaskCorrections {
  if (!c) return {};
  const out: UserTaskCorrections = {};
  const bad = (field: string, what: string) => new EngineError('INVALID_ARGUMENT', `result.corrections.${field} must be ${what}`, { field: `result.corrections.${field}` });
  if (c.assignee !== undefined) {
    if (typeof c.assignee !== 'string') throw bad('assignee', 'a string');
    out.assignee = c.assignee;
  }
  for (const f of ['dueDate', 'followUpDate'] as const) {
    if (c[f] === undefined) continue;
    if (typeof c[f] !== 'string' || Number.isNaN(Date.parse(c[f]!))) throw bad(f, 'an ISO 8601 date-time');
    out[f] = c[f];
  }
  for (const f of ['candidateUsers', 'candidateGroups'] as const) {
    if (c[f] === undefined) continue;
    if (!Array.isArray(c[f]) || !c[f]!.every((v) => typeof v === 'string')) throw bad(f, 'a list of strings');
    out[f] = [...c[f]!];
  }
  if (c.priority !== undefined) {
    if (!Number.isInteger(c.priority) || c.priority < 0 || c.priority > 100) throw bad('priority', 'an integer from 0 to 100');
    out.priority = c.priority;
  }
  return out;
}

/** The task with a command's changes and the listeners' corrections applied (corrections win). */
export function applyToTask(task: UserTask, eventType: TaskListenerEventType, payload: TransitionPayload, corrections: UserTaskCorrections): UserTask {
  const next: UserTask = { ...task };
  if (eventType === 'assigning') next.assignee = payload.assignee ?? undefined;
  if (eventType === 'updating' && payload.changes) Object.assign(next, payload.changes);
  Object.assign(next, corrections);
  if (next.assignee === undefined || next.assignee === '') delete next.assignee;
  return next;
}

export class TaskListeners {
  private readonly wakers = new Map<string, Set<() => void>>();

  constructor(private readonly host: ListenerHost) {}

  private suffix(transition: string, index: number) {
    return `|tl:${transition}:${index}`;
  }

  /**
   * Runs `eventType`'s listeners of the task, then the transition; resolves when it happened and
   * rejects with Zeebe's text when a listener denied it. Without listeners the transition runs at once.
   */
  async run(task: TaskRow, eventType: Exclude<TaskListenerEventType, 'canceling'>, payload: TransitionPayload): Promise<void> {
    const listeners = task.kind === 'camunda' ? (await this.host.listenersOf(task)).filter((l) => l.eventType === eventType) : [];
    if (!listeners.length) {
      if (eventType !== 'completing') await this.write(task, applyToTask(parseTaskJson(task), eventType, payload, {}));
      return this.host.perform(eventType, task, payload);
    }
    const open = await this.host.db('engine_jobs')
      .where('element_instance_key', 'like', `${task.element_instance_key}|tl:%`)
      .whereIn('state', ['ACTIVATABLE', 'ACTIVATED', 'FAILED'])
      .first('listener');
    if (open) {
      const busy = JSON.parse(open.listener) as ListenerRecord;
      throw new EngineError('INVALID_STATE', `Expected to ${ACTION[eventType]} user task with key '${task.key}', but it is in state '${busy.eventType.toUpperCase()}': its ${busy.eventType} listeners are still running`);
    }
    const transition = randomUUID().slice(0, 8);
    const record: ListenerRecord = { eventType, userTaskKey: String(task.key), transition, index: 0, payload, corrections: {} };
    await this.createJob(task, listeners[0], record);
    await this.awaitOutcome(task, transition);
  }

  /** A terminated task's canceling listeners, each as a job; they cannot deny and nothing waits for them. */
  async canceled(task: TaskRow): Promise<void> {
    if (task.kind !== 'camunda') return;
    // a transition still waiting for its listeners ends with the task (Zeebe cancels their jobs)
    const open = await this.host.db('engine_jobs').where('element_instance_key', 'like', `${task.element_instance_key}|tl:%`).whereIn('state', ['ACTIVATABLE', 'ACTIVATED', 'FAILED']).select('key', 'listener');
    if (open.length) {
      await this.host.db('engine_jobs').whereIn('key', open.map((j) => j.key)).update({ state: 'CANCELED' });
      for (const j of open) this.wake((JSON.parse(j.listener) as ListenerRecord).transition);
    }
    const listeners = (await this.host.listenersOf(task)).filter((l) => l.eventType === 'canceling');
    const transition = randomUUID().slice(0, 8);
    for (const [index, l] of listeners.entries()) {
      await this.createJob(task, l, { eventType: 'canceling', userTaskKey: String(task.key), transition, index, payload: {}, corrections: {} });
    }
  }

  private async createJob(task: TaskRow, listener: TaskListenerDefinition, record: ListenerRecord): Promise<void> {
    const variables = { ...(await this.host.variablesAt(task)), ...(record.payload.variables ?? {}) };
    await this.host.db('engine_jobs').insert({
      instance_key: task.instance_key,
      element_instance_key: `${task.element_instance_key}${this.suffix(record.transition, record.index)}`,
      element_id: task.element_id,
      type: listener.type,
      retries: Number(listener.retries) || 3,
      state: 'ACTIVATABLE',
      custom_headers: JSON.stringify(taskHeaders(parseTaskJson(task), String(task.key), record.eventType, record.payload)),
      variables: JSON.stringify(variables),
      listener: JSON.stringify(record),
      created_at: new Date(this.host.now()),
    });
    this.host.pokeWorkers();
  }

  /** A listener job completed (CompleteJob with its result). */
  async complete(row: { key: number | string; listener: string; state: string }, result: UserTaskListenerResult | undefined): Promise<void> {
    const record = JSON.parse(row.listener) as ListenerRecord;
    const corrections = { ...record.corrections, ...checkCorrections(result?.corrections) };
    const finish = async (update: Partial<ListenerRecord>) => {
      await this.host.db('engine_jobs')
        .where({ key: row.key })
        .update({ state: 'COMPLETED', worker: null, deadline: null, listener: JSON.stringify({ ...record, corrections, ...update }) });
    };
    if (record.eventType === 'canceling') return finish({ outcome: 'done' });
    const task = await this.host.db('engine_user_tasks').where({ key: Number(record.userTaskKey) }).first();
    if (!task || task.state !== 'CREATED') {
      // the task ended meanwhile (its element was terminated): nothing left to allow or deny
      await finish({ outcome: 'done' });
      return this.wake(record.transition);
    }
    if (result?.denied) {
      await finish({ outcome: 'denied', deniedReason: result.deniedReason ?? '' });
      return this.wake(record.transition);
    }
    const listeners = (await this.host.listenersOf(task)).filter((l) => l.eventType === record.eventType);
    const next = listeners[record.index + 1];
    if (next) {
      await finish({});
      await this.createJob(task, next, { ...record, index: record.index + 1, corrections });
      return;
    }
    // the last listener accepted: the task takes the changes and corrections, then the transition runs
    const updated = applyToTask(parseTaskJson(task), record.eventType, record.payload, corrections);
    await this.write(task, updated);
    try {
      await this.host.perform(record.eventType, { ...task, task: updated }, record.payload);
    } finally {
      await finish({ outcome: 'done' });
      this.wake(record.transition);
    }
  }

  private async write(task: TaskRow, updated: UserTask): Promise<void> {
    await this.host.db('engine_user_tasks').where({ key: Number(task.key) }).update({ task: JSON.stringify(updated) });
  }

  private wake(transition: string) {
    for (const w of this.wakers.get(transition) ?? []) w();
  }

  private async awaitOutcome(task: TaskRow, transition: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const last = await this.host.db('engine_jobs')
        .where('element_instance_key', 'like', `${task.element_instance_key}|tl:${transition}:%`)
        .orderBy('key', 'desc')
        .first('key', 'state', 'listener', 'type');
      const record = last ? (JSON.parse(last.listener) as ListenerRecord) : undefined;
      if (record?.outcome === 'done') return;
      if (last?.state === 'CANCELED') {
        throw new EngineError('NOT_FOUND', `Expected to find user task with key '${task.key}', but it was terminated while its ${record?.eventType ?? ''} listeners ran`, { elementId: task.element_id });
      }
      if (record?.outcome === 'denied') {
        throw new EngineError('INVALID_STATE', (DENIED[record.eventType] ?? DENIED.completing).replace('%k', String(task.key)).replace('%r', record.deniedReason ?? ''), {
          elementId: task.element_id,
          field: 'deniedReason',
        });
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new EngineError(
          'UNAVAILABLE',
          `the ${record?.eventType ?? 'task'} listener job ${last?.key} (type '${last?.type}') of user task ${task.key} has not completed yet; the transition happens when it does`,
          { elementId: task.element_id },
        );
      }
      // woken by a completion in this process, or polling for one in another
      await new Promise<void>((resolve) => {
        const set = this.wakers.get(transition) ?? new Set();
        const done = () => {
          clearTimeout(timer);
          set.delete(done);
          if (!set.size) this.wakers.delete(transition);
          resolve();
        };
        const timer = setTimeout(done, Math.min(100, left));
        set.add(done);
        this.wakers.set(transition, set);
      });
    }
  }
}

/** The element instance key of a listener job's row: without the `|tl:` (task listener) or `|el:` (execution listener) suffix. */
export function listenerElementInstanceKey(elementInstanceKey: string): string {
  const at = elementInstanceKey.search(/\|(tl|el):/);
  return at < 0 ? elementInstanceKey : elementInstanceKey.slice(0, at);
}

