/**
 * What a task works on and what people did to it, read from the database: the subject of the
 * policy for a claim, a completion, or a task listener's check of either.
 */
import type { Knex } from 'knex';
import type { DutyRecord } from '../domain/sod/index.js';
import type { Task } from '../storage/repositories/tasks.js';
import { adjustmentFacts, communicationFacts, creditChangeFacts, requestFacts, type SubjectFacts } from './controls.js';

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/** Elements of customer-request that approve an adjustment (level 1 when the diagram names none). */
const ADJUSTMENT_APPROVALS = new Set(['approve-adjustment-1', 'approve-adjustment-2']);

export function approvalLevel(task: Pick<Task, 'headers'> & Partial<Pick<Task, 'elementId'>>): number | undefined {
  const n = Number(task.headers.approvalLevel);
  if (Number.isInteger(n) && n > 0) return n;
  return task.elementId && ADJUSTMENT_APPROVALS.has(task.elementId) ? 1 : undefined;
}

/**
 * The subject a task works on and what people did to it, from the database: the adjustment, the
 * request, the communication or the credit change, plus the approvals completed in the instance.
 */
export async function taskFacts(db: Knex | Knex.Transaction, task: Task, completedInInstance: Task[]): Promise<SubjectFacts> {
  const v = task.variables;
  let facts: SubjectFacts | undefined;
  // a communication's approval works on the communication, even when the request or adjustment
  // that asked for it passed its variables down (requestId, adjustmentId) through the call
  if (task.bpmnProcessId.startsWith('customer-communication') && str(v.communicationId)) facts = await communicationFacts(db, str(v.communicationId)!);
  if (!facts && str(v.adjustmentId) && approvalLevel(task)) facts = await adjustmentFacts(db, str(v.adjustmentId)!);
  if (!facts && str(v.requestId)) facts = await requestFacts(db, str(v.requestId)!);
  if (!facts && str(v.communicationId)) facts = await communicationFacts(db, str(v.communicationId)!);
  if (!facts && task.bpmnProcessId.startsWith('credit-update')) {
    facts = await creditChangeFacts(db, task.processInstanceKey, { customerId: str(v.customerId) ?? '', changeType: str(v.changeType) ?? 'approval', newLimit: str(v.newLimit) ?? '0', startedBy: [str(v.requestedBy), str(v.initiatedBy)].filter((x): x is string => !!x) });
  }
  // a subject the database does not hold (yet): the instance itself, made by whoever started it
  facts ??= { subject: { kind: 'communication', id: task.processInstanceKey }, history: [str(v.initiatedBy), str(v.requestedBy)].filter((x): x is string => !!x).map((actor) => ({ actor, duty: 'initiate' as const })), facts: { instance: task.processInstanceKey } };
  const history: DutyRecord[] = [...facts.history];
  for (const done of completedInInstance) {
    const l = approvalLevel(done);
    if (l && done.completedBy && done.key !== task.key && !history.some((h) => h.duty === 'approve' && h.actor === done.completedBy && h.level === l)) history.push({ actor: done.completedBy, duty: 'approve', level: l });
  }
  return { ...facts, history };
}

