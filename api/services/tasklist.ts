/**
 * The one door for claiming and completing tasks, whichever route is used (the tasklist, a
 * request's task route, the demo, the CLI). Every decision, allowed or refused and whatever its
 * status (a hidden task's 404, a claimed task's 409, a form's 400, the policy's 403), is appended
 * to the audit trail; an allowed one in the same transaction as the change it allows. The policy
 * is asked through services/controls with facts read from the database, never from variables a
 * task could have set. The engine is told after the commit; if it refuses, the task reopens and
 * that is audited too.
 */
import type { Knex } from 'knex';
import { EngineError, type Engine, type UserTaskCorrections, type Variables } from '../../engine/types.js';
import { controlVariable, leadsTask, type Duty, type SodDecision } from '../../domain/sod/index.js';
import { isOverseer } from '../../domain/identity/index.js';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { createTaskRepository, type Task } from '../../storage/repositories/tasks.js';
import { requestRepository } from '../../storage/requests.js';
import { judge, recordApproval, recordDecision, type DecisionInput, type SubjectFacts } from '../../services/controls.js';
import { approvalLevel, taskFacts } from '../../services/task-facts.js';

export { approvalLevel, taskFacts };
import type { Principal } from '../plugins/app/auth.js';
import { HttpProblem, notFound } from '../plugins/problem.js';
import { declaredOutputs, validateAgainstForm } from './form-validation.js';

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
/** An engine's date as the tasklist keeps it (ISO, or null for none or a cleared one). */
const validIso = (v: string | undefined) => (v && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString() : null);

/** A task may be seen by its candidate groups and users, its assignee, and overseers. */
export function canSee(task: Task, who: Principal): boolean {
  if (isOverseer(who)) return true;
  if (task.assignee === who.id || task.candidateUsers.includes(who.id)) return true;
  return task.candidateGroups.some((g) => who.groups.includes(g));
}

function refusal(d: Extract<SodDecision, { allowed: false }>): HttpProblem {
  return new HttpProblem(403, `segregation of duties: ${d.reason}`, { rule: d.rule });
}

type Action = 'task.claim' | 'task.complete' | 'task.update';

/** What a person may change of a task's schedule; null clears a date. */
export interface ScheduleChanges {
  dueDate?: string | null;
  followUpDate?: string | null;
  priority?: number;
}

/** A refusal before the policy is asked (not found, wrong state, claimed, form): audited, then thrown. */
class Refused extends Error {
  constructor(readonly problem: HttpProblem, readonly rule: string) {
    super(problem.message);
  }
}

export function createTasklist(deps: { db: Knex; engine: Engine }) {
  const { db, engine } = deps;

  /**
   * A claim in Herald's tasklist is the engine's assignee too (Camunda's Tasklist and Operate show
   * it, and `assigning` listeners see it). A job-based user task has no engine assignee; an engine
   * that refuses puts the claim back and the refusal on the record.
   */
  async function tellEngineAssignee(key: string, assignee: string | null, previous: string | null, who: Principal): Promise<void> {
    try {
      await engine.assignUserTask(key, assignee);
    } catch (err) {
      if (err instanceof EngineError && (err.code === 'NOT_FOUND' || err.code === 'INVALID_ARGUMENT')) return;
      await db.transaction(async (tx) => {
        await createTaskRepository(tx).setAssignee(key, previous);
        await createAuditRepository(tx).append({ actor: who.id, action: assignee ? 'task.claim' : 'task.unclaim', subjectType: 'task', subjectId: key, outcome: 'refused', rule: 'engine', detail: { error: (err as Error).message } });
      });
      throw new HttpProblem(409, (err as Error).message, { rule: 'engine' }).markAudited();
    }
  }

  /**
   * Runs `work` on the locked task after the checks and the policy; every refusal is audited
   * (in its own committed transaction) and thrown after the commit.
   */
  async function decide<T>(key: string, who: Principal, action: Action, work: (task: Task, tx: Knex.Transaction, facts: SubjectFacts, level: number | undefined) => Promise<T>, options: { detail?: Record<string, unknown>; precheck?: (task: Task) => void; duty?: Duty } = {}): Promise<T> {
    const detail = options.detail ?? {};
    const outcome = await db.transaction(async (tx) => {
      const tasks = createTaskRepository(tx);
      const audit = createAuditRepository(tx);
      const task = await tasks.get(key, { forUpdate: true });
      const refuse = async (problem: HttpProblem, rule: string) => {
        await audit.append({ actor: who.id, action, subjectType: 'task', subjectId: key, outcome: 'refused', rule, detail: { ...detail, status: problem.status, reason: problem.message, ...(task ? { processInstanceKey: task.processInstanceKey, elementId: task.elementId } : {}) } });
        return { ok: false as const, problem: problem.markAudited() };
      };
      // a lead sees the tasks of the groups they lead, to reschedule them
      const visible = task && (canSee(task, who) || (options.duty === 'schedule' && leadsTask(who, task)));
      if (!task || !visible) return refuse(notFound('task'), task ? 'not-visible' : 'not-found');
      if (task.state !== 'CREATED') return refuse(new HttpProblem(409, `task ${key} is ${task.state.toLowerCase()}`), 'task-state');
      const facts = await taskFacts(tx, task, await tasks.completedIn(task.processInstanceKey));
      const level = approvalLevel(task);
      const input: DecisionInput = {
        actor: { id: who.id, groups: who.groups },
        duty: options.duty ?? (level ? 'approve' : 'work'),
        facts,
        action,
        audit: { subjectType: 'task', subjectId: key, detail: { ...detail, processInstanceKey: task.processInstanceKey, elementId: task.elementId } },
        task: { candidateGroups: task.candidateGroups, candidateUsers: task.candidateUsers, assignee: task.assignee },
        level,
      };
      // the policy first (who may do this at all), then the task's state (claimed, form): one decision on the record
      const decision = judge(input);
      if (!decision.allowed) {
        await recordDecision(audit, input, decision);
        // a request's own trail names the refusal too, beside the audit chain
        const requestId = str(task.variables.requestId);
        if (requestId && (await tx('customer_requests').where({ id: requestId }).first('id'))) {
          await requestRepository(tx).record(requestId, { action: task.elementId, actor: who.id, outcome: 'refused', detail: { rule: decision.rule, message: decision.reason } }, new Date(engine.clock?.now() ?? Date.now()));
        }
        return { ok: false as const, problem: refusal(decision).markAudited() };
      }
      try {
        options.precheck?.(task);
      } catch (err) {
        if (err instanceof Refused) return refuse(err.problem, err.rule);
        throw err;
      }
      await recordDecision(audit, input, decision);
      return { ok: true as const, result: await work(task, tx, facts, level) };
    });
    if (!outcome.ok) throw outcome.problem;
    return outcome.result;
  }

  return {
    /** Records a refusal decided by a route before the door (a task that is not that route's), then throws it. */
    async refuse(key: string, who: Principal, action: Action, problem: HttpProblem, rule: string, detail: Record<string, unknown> = {}): Promise<never> {
      await createAuditRepository(db).append({ actor: who.id, action, subjectType: 'task', subjectId: key, outcome: 'refused', rule, detail: { ...detail, status: problem.status, reason: problem.message } });
      throw problem.markAudited();
    },

    async claim(key: string, who: Principal): Promise<Task> {
      const claimed = await decide(
        key,
        who,
        'task.claim',
        async (task, tx) => {
          await createTaskRepository(tx).setAssignee(key, who.id);
          return { ...task, assignee: who.id };
        },
        {
          precheck: (task) => {
            if (task.assignee && task.assignee !== who.id) throw new Refused(new HttpProblem(409, `task ${key} is claimed by ${task.assignee}`), 'claimed');
          },
        },
      );
      await tellEngineAssignee(key, who.id, claimed.assignee === who.id ? null : claimed.assignee, who);
      return claimed;
    },

    async unclaim(key: string, who: Principal): Promise<Task> {
      const outcome = await db.transaction(async (tx) => {
        const tasks = createTaskRepository(tx);
        const audit = createAuditRepository(tx);
        const task = await tasks.get(key, { forUpdate: true });
        const refuse = async (problem: HttpProblem, rule: string) => {
          await audit.append({ actor: who.id, action: 'task.unclaim', subjectType: 'task', subjectId: key, outcome: 'refused', rule, detail: { status: problem.status, reason: problem.message } });
          return { ok: false as const, problem: problem.markAudited() };
        };
        if (!task || !canSee(task, who)) return refuse(notFound('task'), task ? 'not-visible' : 'not-found');
        if (task.state !== 'CREATED') return refuse(new HttpProblem(409, `task ${key} is ${task.state.toLowerCase()}`), 'task-state');
        if (!task.assignee) return refuse(new HttpProblem(409, `task ${key} is not claimed`), 'not-claimed');
        if (task.assignee !== who.id && !who.roles.includes('admin')) return refuse(new HttpProblem(403, `task ${key} is claimed by ${task.assignee}; only they or an admin can unclaim it`, { rule: 'assignee' }), 'assignee');
        await tasks.setAssignee(key, null);
        await audit.append({ actor: who.id, action: 'task.unclaim', subjectType: 'task', subjectId: key, detail: { previousAssignee: task.assignee } });
        return { ok: true as const, task: { ...task, assignee: null } };
      });
      if (!outcome.ok) throw outcome.problem;
      await tellEngineAssignee(key, null, outcome.task.assignee, who);
      return outcome.task;
    },

    /**
     * Changes a task's due date, follow-up date or priority: its assignee's or a lead's (domain/sod's
     * `schedule` duty). Herald's tasklist changes in the decision's transaction; the engine's user
     * task after the commit, through its update (Zeebe: PATCH /v2/user-tasks/{key}), whose
     * `updating` listeners may correct the values (kept) or deny (undone and audited, 409). A
     * job-based user task has no engine schedule: Herald's tasklist holds it.
     */
    async reschedule(key: string, who: Principal, requested: ScheduleChanges): Promise<Task> {
      const iso = (v: string | null | undefined) => (v === undefined || v === null ? v : new Date(v).toISOString());
      const changes: ScheduleChanges = { ...requested, ...('dueDate' in requested ? { dueDate: iso(requested.dueDate) } : {}), ...('followUpDate' in requested ? { followUpDate: iso(requested.followUpDate) } : {}) };
      const { before, after } = await decide(
        key,
        who,
        'task.update',
        async (task, tx) => {
          const after = { dueDate: changes.dueDate === undefined ? task.dueDate : changes.dueDate, followUpDate: changes.followUpDate === undefined ? task.followUpDate : changes.followUpDate, priority: changes.priority ?? task.priority };
          await createTaskRepository(tx).setSchedule(key, after);
          return { before: task, after };
        },
        {
          duty: 'schedule',
          detail: { changes },
          precheck: (task) => {
            const due = changes.dueDate === undefined ? task.dueDate : changes.dueDate;
            const followUp = changes.followUpDate === undefined ? task.followUpDate : changes.followUpDate;
            // a follow-up is a reminder before the deadline, as in Camunda Tasklist
            if (due && followUp && Date.parse(followUp) > Date.parse(due)) {
              const field = changes.followUpDate === undefined ? 'body.dueDate' : 'body.followUpDate';
              throw new Refused(new HttpProblem(400, `${field.slice(5)} would put the follow-up date (${followUp}) after the due date (${due})`, { field }), 'schedule-order');
            }
          },
        },
      );
      const engineChanges: UserTaskCorrections = {};
      // Zeebe clears a date given as an empty string
      if (changes.dueDate !== undefined) engineChanges.dueDate = changes.dueDate ?? '';
      if (changes.followUpDate !== undefined) engineChanges.followUpDate = changes.followUpDate ?? '';
      if (changes.priority !== undefined) engineChanges.priority = changes.priority;
      try {
        await engine.updateUserTask(key, engineChanges);
      } catch (err) {
        if (err instanceof EngineError && (err.code === 'NOT_FOUND' || err.code === 'INVALID_ARGUMENT')) return { ...before, ...after };
        await db.transaction(async (tx) => {
          await createTaskRepository(tx).setSchedule(key, { dueDate: before.dueDate, followUpDate: before.followUpDate, priority: before.priority });
          await createAuditRepository(tx).append({ actor: who.id, action: 'task.update', subjectType: 'task', subjectId: key, outcome: 'refused', rule: 'engine', detail: { changes, error: (err as Error).message } });
        });
        throw new HttpProblem(409, (err as Error).message, { rule: 'engine' }).markAudited();
      }
      // an `updating` listener may have corrected the values: the engine's task is the truth
      const held = (await engine.listUserTasks({ processInstanceKey: before.processInstanceKey }).catch(() => [])).find((t) => t.userTaskKey === key);
      if (!held) return { ...before, ...after };
      const corrected = { dueDate: validIso(held.dueDate), followUpDate: validIso(held.followUpDate), priority: held.priority ?? after.priority };
      if (corrected.dueDate !== after.dueDate || corrected.followUpDate !== after.followUpDate || corrected.priority !== after.priority) {
        await db.transaction(async (tx) => {
          await createTaskRepository(tx).setSchedule(key, corrected);
          await createAuditRepository(tx).append({ actor: 'engine', action: 'task.update', subjectType: 'task', subjectId: key, outcome: 'done', detail: { corrected: { ...corrected }, requested: changes } });
        });
      }
      return { ...before, ...corrected };
    },

    /**
     * Completes a task the caller has claimed. The variables are checked first: no control
     * variable (domain/sod CONTROL_VARIABLES), and only what the task's form declares.
     */
    async complete(key: string, who: Principal, input: Variables): Promise<{ task: Task; variables: Variables }> {
      const { task, variables } = await decide(
        key,
        who,
        'task.complete',
        async (task, tx, facts, level) => {
          const now = new Date(engine.clock?.now() ?? Date.now());
          const variables: Variables = { ...input, workedBy: who.id };
          const requestId = str(task.variables.requestId);
          if (level) {
            const approved = input.approved !== false;
            const reason = str(input.reason) ?? str(input.rejectionReason);
            await recordApproval(tx, { actor: who.id, subject: facts.subject, level, approved, taskKey: key, processInstanceKey: task.processInstanceKey, reason });
            // the process carries the chain for its own conditions; controls read the audit trail, not this
            const earlier = Array.isArray(task.variables.approvals) ? (task.variables.approvals as { level?: unknown }[]).filter((a) => Number(a?.level) !== level) : [];
            variables.approvals = [...earlier, { by: who.id, level, approved, reason: reason ?? null, at: now.toISOString() }];
            if (facts.subject.kind === 'adjustment') {
              const requests = requestRepository(tx);
              await requests.recordApproval(facts.subject.id, { level, by: who.id, approved, reason }, now);
              if (requestId) await requests.record(requestId, { action: task.elementId, actor: who.id, outcome: 'allowed', detail: { adjustmentId: facts.subject.id, approved, level } }, now);
            }
          } else if (requestId && facts.subject.kind === 'request') {
            const requests = requestRepository(tx);
            await requests.update(requestId, { assignee: who.id }, now);
            await requests.record(requestId, { action: task.elementId, actor: who.id, outcome: 'allowed', detail: { variables: input } }, now);
          }
          await createTaskRepository(tx).markCompleted(key, who.id, variables);
          return { task, variables };
        },
        {
          detail: { variables: Object.keys(input) },
          precheck: (task) => {
            if (task.assignee !== who.id) throw new Refused(new HttpProblem(409, task.assignee ? `task ${key} is claimed by ${task.assignee}` : `claim task ${key} before completing it`), task.assignee ? 'claimed' : 'not-claimed');
            for (const name of Object.keys(input)) {
              const control = controlVariable(name);
              if (control) throw new Refused(new HttpProblem(400, `variables.${name} is a process control variable and cannot be set by completing a task`, { field: `variables.${name}` }), 'control-variable');
            }
            const violation = validateAgainstForm(task.form, input, declaredOutputs(task.headers));
            if (violation) throw new Refused(new HttpProblem(400, `${violation.field} ${violation.message}`, { field: violation.field }), 'form');
          },
        },
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
