import { Type } from '@sinclair/typebox';
import { groupsOf } from '../domain/identity/index.js';
import { createAuditRepository } from '../storage/repositories/audit.js';
import { createIdentityRepository } from '../storage/repositories/identity.js';
import { createTaskRepository } from '../storage/repositories/tasks.js';
import { decide, recordApproval } from '../services/controls.js';
import { approvalLevel, taskFacts } from '../services/task-facts.js';
import { complete, deny, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

const HEADER = 'io.camunda.zeebe:';

/**
 * Herald's segregation-of-duties policy as a Camunda user task listener (`assigning` and
 * `completing`), so that a task claimed or completed outside Herald's tasklist (Camunda's own
 * Tasklist, its REST API, zbctl) cannot skip the rules. A transition Herald's tasklist already
 * decided (the claim or completion is on the audit trail, allowed, for this person) passes; any
 * other is decided here, for the person the task is assigned to, from the database's facts, and
 * audited; a refusal denies the transition and the task stays as it was.
 */
export default defineWorker({
  type: 'check-task-policy',
  variables: Type.Object({}),
  async handler({ job }, deps: WorkerDeps) {
    if (job.kind !== 'TASK_LISTENER') return { fail: 'check-task-policy runs as a user task listener (zeebe:taskListener eventType="assigning" or "completing")', retries: 0 };
    const event = job.listenerEventType;
    if (event !== 'assigning' && event !== 'completing') return complete();
    const key = job.customHeaders[`${HEADER}userTaskKey`];
    const person = job.customHeaders[`${HEADER}assignee`] || undefined;
    // giving a task back needs no decision
    if (event === 'assigning' && !person) return complete();
    if (!person) return deny(`segregation of duties: claim the task before completing it; nobody is assigned to task ${key}`);
    const task = await createTaskRepository(deps.db).get(key);
    // the tasklist records tasks as the engine creates them; until then, try again shortly
    if (!task) return { fail: `task ${key} is not in Herald's tasklist yet`, retries: Math.max(1, job.retries - 1), retryBackOff: 500 };
    const action = event === 'assigning' ? 'task.claim' : 'task.complete';
    const decided = await createAuditRepository(deps.db).list({ subjectType: 'task', subjectId: key, action, actor: person, outcome: 'allowed' });
    if (decided.length) return complete();

    const user = await createIdentityRepository(deps.db).getUser(person);
    if (!user) return deny(`segregation of duties: ${person} is not a Herald user, so nothing shows they may ${event === 'assigning' ? 'claim' : 'complete'} task ${key}`);
    const level = approvalLevel(task);
    const verdict = await deps.db.transaction(async (tx) => {
      const facts = await taskFacts(tx, task, await createTaskRepository(tx).completedIn(task.processInstanceKey));
      const decision = await decide(tx, {
        actor: { id: person, groups: groupsOf(user) },
        duty: level ? 'approve' : 'work',
        facts,
        action,
        audit: { subjectType: 'task', subjectId: key, detail: { via: 'task-listener', event, processInstanceKey: task.processInstanceKey, elementId: task.elementId } },
        task: { candidateGroups: task.candidateGroups, candidateUsers: task.candidateUsers },
        level,
      });
      if (decision.allowed && event === 'completing' && level) {
        const approved = job.variables.approved !== false;
        await recordApproval(tx, { actor: person, subject: facts.subject, level, approved, taskKey: key, processInstanceKey: task.processInstanceKey });
      }
      return decision;
    });
    if (!verdict.allowed) return deny(`segregation of duties (${verdict.rule}): ${verdict.reason}`);
    return complete();
  },
});
