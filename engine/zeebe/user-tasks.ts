/**
 * Camunda user tasks (zeebe:userTask) feeding Herald's tasklist. Camunda 8.8 pushes nothing to
 * a client about user tasks except through task listeners, which must be declared on each
 * task in the diagram (cluster-wide listeners do not exist in 8.8). Herald's diagrams stay
 * unchanged, so the feed polls /v2/user-tasks/search for open (CREATED) tasks:
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
import type { RestClient } from './rest.js';
import { parseValue, toUserTask, type UserTaskRecord, type VariableRecord } from './records.js';

export class UserTaskFeed {
  private readonly hooks = new Set<UserTaskHooks>();
  private readonly open = new Map<string, UserTask>();
  /** Tasks this process completed: their `completed` hook already ran. */
  private readonly completedHere = new Set<string>();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private running = false;

  constructor(
    private readonly rest: () => RestClient,
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
    const records = await this.rest().search<UserTaskRecord>('user-tasks', { state: 'CREATED', processInstanceKey: filter.processInstanceKey });
    return Promise.all(records.map((r) => this.load(r)));
  }

  async complete(userTaskKey: string, variables: Variables = {}): Promise<void> {
    await this.rest().request('POST', `/user-tasks/${encodeURIComponent(userTaskKey)}/completion`, { variables });
    let task = this.open.get(userTaskKey);
    if (!task) {
      const record = await this.rest().request<UserTaskRecord>('GET', `/user-tasks/${encodeURIComponent(userTaskKey)}`).catch(() => undefined);
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
    const records = await this.rest().search<UserTaskRecord>('user-tasks', { state: 'CREATED' });
    const seen = new Set<string>();
    for (const record of records) {
      const key = String(record.userTaskKey);
      seen.add(key);
      if (this.open.has(key) || this.completedHere.has(key)) continue;
      const task = await this.load(record);
      this.open.set(key, task);
      await this.emit('created', task);
    }
    for (const [key, task] of this.open) {
      if (seen.has(key)) continue;
      this.open.delete(key);
      const now = await this.rest().request<UserTaskRecord>('GET', `/user-tasks/${encodeURIComponent(key)}`).catch(() => undefined);
      if (now?.state === 'COMPLETED') await this.emit('completed', task, {});
      else if (now?.state === 'CANCELED') await this.emit('canceled', task);
    }
    // Keys completed here drop out once the search no longer returns them.
    for (const key of this.completedHere) if (!seen.has(key)) this.completedHere.delete(key);
  }

  private async load(record: UserTaskRecord): Promise<UserTask> {
    const key = encodeURIComponent(String(record.userTaskKey));
    const vars = await this.rest().search<VariableRecord>(`user-tasks/${key}/variables`, {});
    const variables: Variables = {};
    for (const v of vars) variables[v.name] = parseValue(v.value);
    let form: string | undefined;
    if (record.formKey) {
      const f = await this.rest().request<{ schema?: string }>('GET', `/user-tasks/${key}/form`).catch(() => undefined);
      form = f?.schema;
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
