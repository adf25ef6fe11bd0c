/**
 * Camunda user tasks (zeebe:userTask) feeding Herald's tasklist. Camunda 8.8 pushes nothing to
 * a client about user tasks except through task listeners, which must be declared on each
 * task in the diagram (cluster-wide listeners do not exist in 8.8). Herald's diagrams stay
 * unchanged, so the feed polls /v2/user-tasks/search for open (CREATED) tasks, every page:
 *
 * - a task seen for the first time → `created` (at least once: after a restart every open task
 *   is announced again, so the tasklist upserts by userTaskKey);
 * - a task completed through `completeUserTask` → `completed` with the variables given;
 * - a task that left the open set otherwise → looked up: COMPLETED → `completed` with `{}`
 *   (completed elsewhere, e.g. Camunda Tasklist), CANCELED → `canceled`.
 *
 * Latency is the poll interval plus the exporter lag of secondary storage.
 */
import type { Logger } from '../../config/log.js';
import type { UserTask, UserTaskHooks, Variables } from '../types.js';
import { ProcessInstanceKey, UserTaskKey } from '@camunda8/orchestration-cluster-api';
import { asKey, NOW, type ZeebeRest } from './rest.js';
import { parseValue, toUserTask, type UserTaskRecord } from './records.js';

/** Tasks whose variables (and form) are read at the same time: a restart with 1,000 open tasks is not 1,000 round trips in a row, nor 1,000 at once. */
const LOADS_AT_ONCE = 8;

/** `run` over `items`, `size` at a time; each batch's results go to `then` (if given) before the next starts. */
async function inBatches<T, R>(items: T[], size: number, run: (item: T) => Promise<R>, then?: (batch: R[]) => Promise<void>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) {
    const batch = await Promise.all(items.slice(i, i + size).map(run));
    if (then) await then(batch);
    else out.push(...batch);
  }
  return out;
}

export class UserTaskFeed {
  private readonly hooks = new Set<UserTaskHooks>();
  private readonly open = new Map<string, UserTask>();
  /** Tasks this process completed: their `completed` hook already ran. */
  private readonly completedHere = new Set<string>();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private running = false;

  constructor(
    private readonly rest: () => ZeebeRest,
    private readonly pollMs: number,
    private readonly log: Logger,
  ) {}

  subscribe(hooks: UserTaskHooks): () => void {
    this.hooks.add(hooks);
    if (this.running) this.schedule(0);
    return () => {
      this.hooks.delete(hooks);
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  async list(filter: { processInstanceKey?: string } = {}): Promise<UserTask[]> {
    const records = await this.open_(filter.processInstanceKey);
    return inBatches(records, LOADS_AT_ONCE, (r) => this.load(r));
  }

  async complete(userTaskKey: string, variables: Variables = {}): Promise<void> {
    await this.rest().call('completeUserTask', `complete user task ${userTaskKey}`, (api) => api.completeUserTask({ userTaskKey: asKey(UserTaskKey, userTaskKey, 'userTaskKey'), variables }));
    let task = this.open.get(userTaskKey);
    if (!task) {
      const record = await this.get(userTaskKey);
      task = record ? await this.load(record) : undefined;
    }
    this.open.delete(userTaskKey);
    this.completedHere.add(userTaskKey);
    if (task) await this.emit('completed', task, variables);
  }

  private schedule(ms: number) {
    if (!this.running || this.hooks.size === 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.polling = this.poll()
        .catch((err: Error) => this.log.warn({ err: err.message }, 'user-task poll failed; retrying'))
        .finally(() => {
          this.polling = undefined;
          this.schedule(this.pollMs);
        });
    }, ms);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const records = await this.open_();
    const seen = new Set<string>();
    for (const record of records) seen.add(String(record.userTaskKey));
    const fresh = records.filter((r) => !this.open.has(String(r.userTaskKey)) && !this.completedHere.has(String(r.userTaskKey)));
    await inBatches(fresh, LOADS_AT_ONCE, (r) => this.load(r), async (loaded) => {
      for (const task of loaded) {
        this.open.set(task.userTaskKey, task);
        await this.emit('created', task);
      }
    });
    for (const [key, task] of this.open) {
      if (seen.has(key)) continue;
      this.open.delete(key);
      const now = await this.get(key);
      if (now?.state === 'COMPLETED') await this.emit('completed', task, {});
      else if (now?.state === 'CANCELED') await this.emit('canceled', task);
    }
    // Keys completed here drop out once the search no longer returns them.
    for (const key of this.completedHere) if (!seen.has(key)) this.completedHere.delete(key);
  }

  /** Every open (CREATED) task, all pages. */
  private open_(processInstanceKey?: string): Promise<UserTaskRecord[]> {
    return this.rest().all('searchUserTasks', 'open user tasks', (api, page) =>
      api.searchUserTasks({ filter: { state: 'CREATED', ...(processInstanceKey && { processInstanceKey: asKey(ProcessInstanceKey, processInstanceKey, 'processInstanceKey') }) }, page }, NOW),
    );
  }

  /** The task as secondary storage has it now; undefined when it cannot be read. */
  private get(userTaskKey: string): Promise<UserTaskRecord | undefined> {
    return this.rest()
      .call('getUserTask', `read user task ${userTaskKey}`, (api) => api.getUserTask({ userTaskKey: asKey(UserTaskKey, userTaskKey, 'userTaskKey') }, NOW))
      .catch((err: Error) => {
        this.log.debug({ err: err.message, userTaskKey }, 'user task not readable');
        return undefined;
      });
  }

  private async load(record: UserTaskRecord): Promise<UserTask> {
    const userTaskKey = String(record.userTaskKey);
    // Full values: the search would otherwise truncate long ones.
    const vars = await this.rest().all('searchUserTaskVariables', `variables of user task ${userTaskKey}`, (api, page) =>
      api.searchUserTaskVariables({ userTaskKey: record.userTaskKey, truncateValues: false, page }, NOW),
    );
    const variables: Variables = {};
    for (const v of vars) variables[v.name] = parseValue(v.value);
    let form: string | undefined;
    if (record.formKey) {
      const f = await this.rest()
        .call('getUserTaskForm', `form of user task ${userTaskKey}`, (api) => api.getUserTaskForm({ userTaskKey: record.userTaskKey }, NOW))
        .catch((err: Error) => {
          this.log.debug({ err: err.message, userTaskKey }, 'user task form not readable');
          return undefined;
        });
      // The form's JSON, as text whichever way the server sends it.
      const schema: unknown = f?.schema;
      form = schema === undefined || schema === null ? undefined : typeof schema === 'string' ? schema : JSON.stringify(schema);
    }
    return toUserTask(record, variables, form);
  }

  private async emit(event: 'created' | 'canceled', task: UserTask): Promise<void>;
  private async emit(event: 'completed', task: UserTask, variables: Variables): Promise<void>;
  private async emit(event: keyof UserTaskHooks, task: UserTask, variables?: Variables): Promise<void> {
    for (const hooks of [...this.hooks]) {
      try {
        if (event === 'completed') await hooks.completed?.(task, variables ?? {});
        else await hooks[event]?.(task);
      } catch (err) {
        this.log.error({ err: (err as Error).message, userTaskKey: task.userTaskKey, event }, 'user-task hook failed');
      }
    }
  }
}
