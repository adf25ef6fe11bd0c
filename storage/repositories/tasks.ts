/**
 * The tasklist: user tasks as the engine reported them (created, completed, canceled), with
 * their assignee and comments. Herald filters, claims and authorises from here.
 */
import type { Knex } from 'knex';
import type { UserTask, Variables } from '../../engine/types.js';

export type TaskState = 'CREATED' | 'COMPLETED' | 'CANCELED';

export interface Task {
  key: string;
  processInstanceKey: string;
  bpmnProcessId: string;
  elementId: string;
  name: string | null;
  candidateGroups: string[];
  candidateUsers: string[];
  assignee: string | null;
  dueDate: string | null;
  followUpDate: string | null;
  priority: number;
  form: string | null;
  variables: Variables;
  headers: Record<string, string>;
  customerId: string | null;
  state: TaskState;
  createdAt: string;
  completedAt: string | null;
  completedBy: string | null;
}

export interface TaskFilter {
  state?: TaskState;
  candidateGroup?: string;
  assignee?: string;
  bpmnProcessId?: string;
  processInstanceKey?: string;
  dueBefore?: string;
  dueAfter?: string;
  minPriority?: number;
  /** Only tasks this person may see: a candidate group or user of theirs, or assigned to them. */
  visibleTo?: { userId: string; groups: string[] };
  limit?: number;
  offset?: number;
}

export interface TaskComment {
  id: number;
  taskKey: string;
  author: string;
  body: string;
  createdAt: string;
}

type Row = Record<string, unknown>;
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);

function toTask(r: Row): Task {
  return {
    key: r.key as string,
    processInstanceKey: r.process_instance_key as string,
    bpmnProcessId: r.bpmn_process_id as string,
    elementId: r.element_id as string,
    name: (r.name as string | null) ?? null,
    candidateGroups: json<string[]>(r.candidate_groups),
    candidateUsers: json<string[]>(r.candidate_users),
    assignee: (r.assignee as string | null) ?? null,
    dueDate: iso(r.due_date),
    followUpDate: iso(r.follow_up_date),
    priority: Number(r.priority),
    form: (r.form as string | null) ?? null,
    variables: json<Variables>(r.variables),
    headers: json<Record<string, string>>(r.headers),
    customerId: (r.customer_id as string | null) ?? null,
    state: r.state as TaskState,
    createdAt: iso(r.created_at)!,
    completedAt: iso(r.completed_at),
    completedBy: (r.completed_by as string | null) ?? null,
  };
}

const validDate = (v: string | undefined) => (v && !Number.isNaN(Date.parse(v)) ? new Date(v) : null);

export function createTaskRepository(db: Knex | Knex.Transaction) {
  return {
    /** Records a task the engine created; a second report of the same task changes nothing. */
    async recordCreated(t: UserTask): Promise<void> {
      await db('tasks')
        .insert({
          key: t.userTaskKey,
          process_instance_key: t.processInstanceKey,
          bpmn_process_id: t.bpmnProcessId,
          element_id: t.elementId,
          name: t.elementName ?? null,
          candidate_groups: JSON.stringify(t.candidateGroups ?? []),
          candidate_users: JSON.stringify(t.candidateUsers ?? []),
          assignee: t.assignee ?? null,
          due_date: validDate(t.dueDate),
          follow_up_date: validDate(t.followUpDate),
          priority: t.priority ?? 50,
          form: t.form ?? null,
          variables: JSON.stringify(t.variables ?? {}),
          headers: JSON.stringify(t.customHeaders ?? {}),
          customer_id: typeof t.variables?.customerId === 'string' ? t.variables.customerId : null,
          state: 'CREATED',
          created_at: validDate(t.createdAt) ?? new Date(),
        })
        .onConflict('key')
        .ignore();
    },

    /** The engine ended a task (completed elsewhere, or its element was terminated). */
    async recordEnded(key: string, state: 'COMPLETED' | 'CANCELED'): Promise<boolean> {
      const n = await db('tasks').where({ key, state: 'CREATED' }).update({ state, completed_at: new Date() });
      return n > 0;
    },

    async get(key: string, options: { forUpdate?: boolean } = {}): Promise<Task | undefined> {
      const q = db('tasks').where({ key }).first();
      if (options.forUpdate) q.forUpdate();
      const r = (await q) as Row | undefined;
      return r && toTask(r);
    },

    async list(f: TaskFilter = {}): Promise<Task[]> {
      const q = db('tasks')
        .orderBy([{ column: 'priority', order: 'desc' }, { column: 'created_at', order: 'asc' }, { column: 'key', order: 'asc' }])
        .limit(Math.min(f.limit ?? 50, 500))
        .offset(f.offset ?? 0);
      q.where('state', f.state ?? 'CREATED');
      if (f.candidateGroup) q.whereRaw('jsonb_exists(candidate_groups, ?)', [f.candidateGroup]);
      if (f.assignee) q.where('assignee', f.assignee);
      if (f.bpmnProcessId) q.where('bpmn_process_id', f.bpmnProcessId);
      if (f.processInstanceKey) q.where('process_instance_key', f.processInstanceKey);
      if (f.dueBefore) q.where('due_date', '<=', new Date(f.dueBefore));
      if (f.dueAfter) q.where('due_date', '>=', new Date(f.dueAfter));
      if (f.minPriority !== undefined) q.where('priority', '>=', f.minPriority);
      if (f.visibleTo) {
        const v = f.visibleTo;
        q.where((w) => {
          w.whereRaw('jsonb_exists_any(candidate_groups, ?::text[])', [v.groups]).orWhereRaw('jsonb_exists(candidate_users, ?)', [v.userId]).orWhere('assignee', v.userId);
        });
      }
      return ((await q) as Row[]).map(toTask);
    },

    /** Tasks of one process instance that were completed, for the SoD history. */
    async completedIn(processInstanceKey: string): Promise<Task[]> {
      return ((await db('tasks').where({ process_instance_key: processInstanceKey, state: 'COMPLETED' }).orderBy('completed_at')) as Row[]).map(toTask);
    },

    async setAssignee(key: string, assignee: string | null): Promise<void> {
      await db('tasks').where({ key }).update({ assignee });
    },

    /** A task's schedule as changed through the tasklist (null clears a date). */
    async setSchedule(key: string, s: { dueDate: string | null; followUpDate: string | null; priority: number }): Promise<void> {
      await db('tasks').where({ key }).update({ due_date: s.dueDate ? new Date(s.dueDate) : null, follow_up_date: s.followUpDate ? new Date(s.followUpDate) : null, priority: s.priority });
    },

    async markCompleted(key: string, by: string, variables: Variables): Promise<void> {
      await db('tasks').where({ key }).update({ state: 'COMPLETED', completed_by: by, completed_at: new Date(), completion_variables: JSON.stringify(variables) });
    },

    /** Undoes markCompleted when the engine refused the completion. */
    async reopen(key: string): Promise<void> {
      await db('tasks').where({ key }).update({ state: 'CREATED', completed_by: null, completed_at: null, completion_variables: null });
    },

    async addComment(taskKey: string, author: string, body: string): Promise<TaskComment> {
      const [r] = (await db('task_comments').insert({ task_key: taskKey, author, body, created_at: new Date() }).returning('*')) as Row[];
      return { id: Number(r.id), taskKey, author, body, createdAt: iso(r.created_at)! };
    },

    async comments(taskKey: string): Promise<TaskComment[]> {
      return ((await db('task_comments').where({ task_key: taskKey }).orderBy('id')) as Row[]).map((r) => ({ id: Number(r.id), taskKey, author: r.author as string, body: r.body as string, createdAt: iso(r.created_at)! }));
    },
  };
}

export type TaskRepository = ReturnType<typeof createTaskRepository>;
