/**
 * The segregation-of-duties policy: pure functions over the rules in rules.ts. The caller
 * supplies the actor, the duty about to be done, the subject and what was done to it before;
 * the answer is allowed, or refused naming the rule. The caller audits either answer.
 */
import { compareAmounts, isAmount } from '../money.js';
import { defaultSodPolicy, type Duty, type SodPolicy, type SodRule, type SubjectKind } from './rules.js';

export interface SodActor {
  id: string;
  /** Every group the person holds: role names, `approver-l<level>`, team groups. */
  groups: string[];
}

export interface DutyRecord {
  actor: string;
  duty: Duty;
  /** The approval level, for approvals. */
  level?: number;
  /** For approvals: false when the person rejected; a rejection never counts towards release. */
  approved?: boolean;
}

export interface SodCheck {
  actor: SodActor;
  duty: Duty;
  subject: {
    kind: SubjectKind;
    id: string;
    amount?: string | null;
    /** The subject's type within its kind (an adjustment's kind: correction, refund, contract). */
    type?: string | null;
    /**
     * Distinct approvers the subject's own policy asks for, computed from the facts in the
     * database (a communication's kind, amount and customer risk; an adjustment's approval chain).
     * Release needs the larger of this and the amount thresholds.
     */
    required?: number;
  };
  /** Duties already done on this subject, by anyone. */
  history: DutyRecord[];
  /** The task through which the duty is done, when there is one. */
  task?: { candidateGroups: string[]; candidateUsers?: string[]; assignee?: string | null };
  /** The approval level being decided (approvals). */
  level?: number;
}

export type SodDecision = { allowed: true } | { allowed: false; rule: SodRule; reason: string };

const allow: SodDecision = { allowed: true };
const refuse = (rule: SodRule, reason: string): SodDecision => ({ allowed: false, rule, reason });

/** Whether `actor` leads one of the task's candidate groups, or holds a group that leads every task. */
export function leadsTask(actor: SodActor, task: { candidateGroups: string[] }, policy: SodPolicy = defaultSodPolicy): boolean {
  const { leadSuffix, leadGroups } = policy.schedule;
  return actor.groups.some((g) => leadGroups.includes(g)) || task.candidateGroups.some((g) => actor.groups.includes(`${g}${leadSuffix}`));
}

function candidateGroup(c: SodCheck, policy: SodPolicy): SodDecision {
  if (!c.task) return allow;
  // rescheduling is the assignee's or a lead's, whoever else the task is open for
  if (c.duty === policy.scheduleDuty) {
    if (c.task.assignee === c.actor.id || leadsTask(c.actor, c.task, policy)) return allow;
    const { leadSuffix } = policy.schedule;
    const leads = c.task.candidateGroups.map((g) => `${g}${leadSuffix}`);
    return refuse(policy.schedule.rule, `${c.actor.id} is neither the task's assignee (${c.task.assignee ?? 'nobody'}) nor a lead of its groups (${[...leads, ...policy.schedule.leadGroups].join(', ')})`);
  }
  const groups = c.task.candidateGroups;
  const users = c.task.candidateUsers ?? [];
  if (!groups.length && !users.length) return allow;
  if (users.includes(c.actor.id) || groups.some((g) => c.actor.groups.includes(g))) return allow;
  return refuse('candidate-group', `${c.actor.id} holds none of the task's candidate groups (${groups.join(', ') || 'none'})`);
}

function conflicts(c: SodCheck, policy: SodPolicy): SodDecision {
  for (const conflict of policy.conflicts) {
    if (conflict.second !== c.duty) continue;
    if (conflict.subjects !== '*' && !conflict.subjects.includes(c.subject.kind)) continue;
    if (conflict.types && !conflict.types.includes(c.subject.type ?? '')) continue;
    if (c.history.some((h) => h.actor === c.actor.id && h.duty === conflict.first)) {
      return refuse(conflict.rule, `${c.actor.id} ${conflict.did} ${c.subject.kind} ${c.subject.id} and cannot ${conflict.must} it`);
    }
  }
  return allow;
}

function distinctApprovers(c: SodCheck, policy: SodPolicy): SodDecision {
  if (c.duty !== policy.approvalDuty) return allow;
  const earlier = c.history.find((h) => h.duty === policy.approvalDuty && h.actor === c.actor.id);
  if (!earlier) return allow;
  const at = earlier.level === undefined ? 'an earlier level' : `level ${earlier.level}`;
  return refuse('distinct-approvers', `${c.actor.id} already approved ${c.subject.kind} ${c.subject.id} at ${at}; ${c.level === undefined ? 'this level' : `level ${c.level}`} needs a different person`);
}

/** How many distinct approvers an amount needs before release; an unreadable amount needs the most. */
export function requiredApprovers(amount: string | null | undefined, policy: SodPolicy = defaultSodPolicy): number {
  const most = Math.max(0, ...policy.thresholds.map((t) => t.approvers));
  if (amount === undefined || amount === null) return 0;
  if (!isAmount(amount)) return most;
  return Math.max(0, ...policy.thresholds.filter((t) => compareAmounts(amount, t.above) > 0).map((t) => t.approvers));
}

function fourEyes(c: SodCheck, policy: SodPolicy): SodDecision {
  if (c.duty !== policy.releaseDuty) return allow;
  const amount = c.subject.amount;
  if (amount !== undefined && amount !== null && !isAmount(amount)) return refuse('four-eyes', `amount ${JSON.stringify(amount)} of ${c.subject.kind} ${c.subject.id} is not a decimal string`);
  const needed = Math.max(requiredApprovers(amount, policy), c.subject.required ?? 0);
  if (!needed) return allow;
  // an approval by someone who also made the subject does not count
  const makers = new Set(
    c.history
      .filter((h) => policy.conflicts.some((k) => k.first === h.duty && k.second === policy.approvalDuty && (k.subjects === '*' || k.subjects.includes(c.subject.kind)) && (!k.types || k.types.includes(c.subject.type ?? ''))))
      .map((h) => h.actor),
  );
  const approvers = new Set(c.history.filter((h) => h.duty === policy.approvalDuty && h.approved !== false && !makers.has(h.actor)).map((h) => h.actor));
  if (approvers.size >= needed) return allow;
  const what = amount === undefined || amount === null ? '' : ` for ${amount}`;
  return refuse('four-eyes', `${c.subject.kind} ${c.subject.id}${what} needs ${needed} distinct approver${needed > 1 ? 's' : ''}, has ${approvers.size}`);
}

/**
 * At release, the whole history is held to the table: no person did both duties of a conflict
 * on this subject, whichever door let each of them through.
 */
function consistentHistory(c: SodCheck, policy: SodPolicy): SodDecision {
  if (c.duty !== policy.releaseDuty) return allow;
  for (const conflict of policy.conflicts) {
    if (conflict.subjects !== '*' && !conflict.subjects.includes(c.subject.kind)) continue;
    if (conflict.types && !conflict.types.includes(c.subject.type ?? '')) continue;
    const seconds = c.history.filter((h) => h.duty === conflict.second && (h.duty !== policy.approvalDuty || h.approved !== false));
    const both = seconds.find((h) => c.history.some((f) => f.actor === h.actor && f.duty === conflict.first));
    if (both) return refuse(conflict.rule, `${both.actor} ${conflict.did} ${c.subject.kind} ${c.subject.id} and also did ${conflict.must} it; nothing is released`);
  }
  return allow;
}

const RULES: ((c: SodCheck, p: SodPolicy) => SodDecision)[] = [candidateGroup, conflicts, distinctApprovers, consistentHistory, fourEyes];

/** Evaluates every rule in order; the first refusal wins. */
export function checkSod(check: SodCheck, policy: SodPolicy = defaultSodPolicy): SodDecision {
  for (const rule of RULES) {
    const d = rule(check, policy);
    if (!d.allowed) return d;
  }
  return allow;
}
