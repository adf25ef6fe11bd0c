/**
 * Claiming and completing tasks under the segregation-of-duties policy. Every decision,
 * allowed or refused, is appended to the audit trail in the same transaction as the change
 * it allows (a refusal commits its audit row alone). The engine is told after the commit;
 * if it refuses, the task reopens and that is audited too.
 */
import type { Knex } from 'knex';
import type { Engine, Variables } from '../../engine/types.js';
import { checkSod, type DutyRecord, type SodCheck, type SodDecision, type SubjectKind } from '../../domain/sod/index.js';
import { isOverseer } from '../../domain/identity/index.js';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { createTaskRepository, type Task } from '../../storage/repositories/tasks.js';
import type { Principal } from '../plugins/app/auth.js';
import { HttpProblem, notFound } from '../plugins/problem.js';
import { validateAgainstForm } from './form-validation.js';

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/** A task may be seen by its candidate groups and users, its assignee, and overseers. */
export function canSee(task: Task, who: Principal): boolean {
  if (isOverseer(who)) return true;
  if (task.assignee === who.id || task.candidateUsers.includes(who.id)) return true;
  return task.candidateGroups.some((g) => who.groups.includes(g));
}

export function approvalLevel(task: Pick<Task, 'headers'>): number | undefined {
  const n = Number(task.headers.approvalLevel);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The subject a task works on, and what people did to it before, from the task and its instance. */
export function sodCheckFor(task: Task, who: Principal, completedInInstance: Task[]): SodCheck {
  const v = task.variables;
  const level = approvalLevel(task);
  let kind: SubjectKind = 'communication';
  let id = str(v.communicationId) ?? task.processInstanceKey;
  if (str(v.adjustmentId)) [kind, id] = ['adjustment', str(v.adjustmentId)!];
  else if (task.bpmnProcessId.startsWith('customer-request')) [kind, id] = ['request', str(v.requestId) ?? id];
  else if (task.bpmnProcessId.startsWith('credit-update')) kind = 'credit-change';
  const history: DutyRecord[] = [];
  for (const name of ['initiatedBy', 'requestedBy'] as const) if (str(v[name])) history.push({ actor: str(v[name])!, duty: 'initiate' });
  if (str(v.proposedBy)) history.push({ actor: str(v.proposedBy)!, duty: 'propose' });
  if (kind === 'adjustment' && str(v.workedBy)) history.push({ actor: str(v.workedBy)!, duty: 'propose' });
  if (Array.isArray(v.approvals)) {
    for (const a of v.approvals as { by?: unknown; level?: unknown }[]) if (str(a?.by)) history.push({ actor: str(a.by)!, duty: 'approve', level: Number(a.level) || undefined });
  }
  for (const done of completedInInstance) {
    const l = approvalLevel(done);
    if (l && done.completedBy && done.key !== task.key) history.push({ actor: done.completedBy, duty: 'approve', level: l });
  }
  const amount = str(v.amount) ?? str(v.adjustmentAmount);
  return {
    actor: { id: who.id, groups: who.groups },
    duty: level ? 'approve' : 'work',
    subject: { kind, id, amount },
    history,
    task: { candidateGroups: task.candidateGroups, candidateUsers: task.candidateUsers },
    level,
  };
}

function refusal(d: Extract<SodDecision, { allowed: false }>): HttpProblem {
  return new HttpProblem(403, `segregation of duties: ${d.reason}`, { rule: d.rule });
}

export function createTasklist(deps: { db: Knex; engine: Engine }) {
  const { db, engine } = deps;

  /** Runs `work` on the locked task after the SoD check; a refusal is audited and thrown after commit. */
  async function decide<T>(key: string, who: Principal, action: 'task.claim' | 'task.complete', work: (task: Task, tx: Knex.Transaction, check: SodCheck) => Promise<T>, detail: Record<string, unknown> = {}): Promise<T> {
    const outcome = await db.transaction(async (tx) => {
      const tasks = createTaskRepository(tx);
      const task = await tasks.get(key, { forUpdate: true });
      if (!task || !canSee(task, who)) throw notFound('task');
      if (task.state !== 'CREATED') throw new HttpProblem(409, `task ${key} is ${task.state.toLowerCase()}`);
      const check = sodCheckFor(task, who, await tasks.completedIn(task.processInstanceKey));
      const decision = checkSod(check);
      const audit = createAuditRepository(tx);
      const base = { actor: who.id, action, subjectType: 'task', subjectId: key };
      const context = { processInstanceKey: task.processInstanceKey, elementId: task.elementId, subject: check.subject, duty: check.duty, level: check.level, ...detail };
      if (!decision.allowed) {
        await audit.append({ ...base, outcome: 'refused', rule: decision.rule, detail: { ...context, reason: decision.reason } });
        return { ok: false as const, decision };
      }
      const result = await work(task, tx, check);
      await audit.append({ ...base, outcome: 'allowed', detail: context });
      return { ok: true as const, result };
    });
    if (!outcome.ok) throw refusal(outcome.decision);
    return outcome.result;
  }

  return {
    async claim(key: string, who: Principal): Promise<Task> {
      return decide(key, who, 'task.claim', async (task, tx) => {
        if (task.assignee && task.assignee !== who.id) throw new HttpProblem(409, `task ${key} is claimed by ${task.assignee}`);
        await createTaskRepository(tx).setAssignee(key, who.id);
        return { ...task, assignee: who.id };
      });
    },

    async unclaim(key: string, who: Principal): Promise<Task> {
      return db.transaction(async (tx) => {
        const tasks = createTaskRepository(tx);
        const task = await tasks.get(key, { forUpdate: true });
        if (!task || !canSee(task, who)) throw notFound('task');
        if (task.state !== 'CREATED') throw new HttpProblem(409, `task ${key} is ${task.state.toLowerCase()}`);
        if (!task.assignee) throw new HttpProblem(409, `task ${key} is not claimed`);
        if (task.assignee !== who.id && !who.roles.includes('admin')) throw new HttpProblem(403, `task ${key} is claimed by ${task.assignee}; only they or an admin can unclaim it`, { rule: 'assignee' });
        await tasks.setAssignee(key, null);
        await createAuditRepository(tx).append({ actor: who.id, action: 'task.unclaim', subjectType: 'task', subjectId: key, detail: { previousAssignee: task.assignee } });
        return { ...task, assignee: null };
      });
    },

    async complete(key: string, who: Principal, input: Variables): Promise<{ task: Task; variables: Variables }> {
      const preview = await createTaskRepository(db).get(key);
      if (!preview || !canSee(preview, who)) throw notFound('task');
      const violation = validateAgainstForm(preview.form, input);
      if (violation) throw new HttpProblem(400, `${violation.field} ${violation.message}`, { field: violation.field });
      const { task, variables } = await decide(
        key,
        who,
        'task.complete',
        async (task, tx, check) => {
          if (task.assignee !== who.id) throw new HttpProblem(409, task.assignee ? `task ${key} is claimed by ${task.assignee}` : `claim task ${key} before completing it`);
          const variables: Variables = { ...input, workedBy: who.id };
          if (check.level) {
            const earlier = Array.isArray(task.variables.approvals) ? (task.variables.approvals as unknown[]) : [];
            variables.approvals = [...earlier, { by: who.id, level: check.level, approved: input.approved !== false, at: new Date().toISOString() }];
          }
          await createTaskRepository(tx).markCompleted(key, who.id, variables);
          return { task, variables };
        },
        { variables: Object.keys(input) },
      );
      try {
        await engine.completeUserTask(key, variables);
      } catch (err) {
        await db.transaction(async (tx) => {
          await createTaskRepository(tx).reopen(key);
          await createAuditRepository(tx).append({ actor: who.id, action: 'task.complete', subjectType: 'task', subjectId: key, outcome: 'failed', detail: { error: (err as Error).message } });
        });
        throw err;
      }
      return { task: { ...task, state: 'COMPLETED', completedBy: who.id, assignee: who.id }, variables };
    },

    /** Keeps the tasks table in step with the engine; returns an unsubscribe function. */
    follow(log: { warn(obj: object, msg: string): void }): () => void {
      const tasks = createTaskRepository(db);
      const safely = async (what: string, p: Promise<unknown>): Promise<void> => {
        await p.catch((err: Error) => log.warn({ err: err.message }, `tasklist: ${what} failed`));
      };
      return engine.onUserTask({
        created: (t) => safely('recording a created task', tasks.recordCreated(t)),
        completed: (t) => safely('recording a completed task', tasks.recordEnded(t.userTaskKey, 'COMPLETED')),
        canceled: (t) => safely('recording a canceled task', tasks.recordEnded(t.userTaskKey, 'CANCELED')),
      });
    },

    /** Adds open tasks the engine has but the table lacks (after a restart, or a new database). */
    async rebuild(): Promise<number> {
      const tasks = createTaskRepository(db);
      const open = await engine.listUserTasks();
      for (const t of open) await tasks.recordCreated(t);
      return open.length;
    },
  };
}

export type Tasklist = ReturnType<typeof createTasklist>;
