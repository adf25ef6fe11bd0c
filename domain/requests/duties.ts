/**
 * Segregation of duties on customer requests, as one policy: who may resolve a request, who
 * may propose and approve an adjustment. Pure: the caller supplies the request's people and
 * the actor's roles, and records the answer (allowed or refused) in the audit trail.
 *
 * - the requester never works, resolves or approves their own request;
 * - the proposer of an adjustment never approves it;
 * - two approval levels need two different people (four eyes);
 * - the customer's account manager cannot approve a refund or contract adjustment
 *   (consideration payable to their own customer);
 * - the actor must hold one of the task's candidate groups.
 */
export interface Actor {
  id: string;
  roles: string[];
}

export interface RequestPeople {
  requestedBy?: string | null;
  accountManager?: string | null;
}

export interface AdjustmentPeople {
  kind: string;
  proposedBy: string;
  approvals: { level: number; by: string; approved: boolean }[];
}

export type DutyAction = 'work' | 'approve';

export type DutyRule = 'candidate-group' | 'requester-not-resolver' | 'proposer-not-approver' | 'four-eyes' | 'account-manager-not-refund-approver';

export type DutyDecision = { allowed: true } | { allowed: false; rule: DutyRule; message: string };

export function checkDuty(input: {
  action: DutyAction;
  actor: Actor;
  candidateGroups: string[];
  request: RequestPeople;
  adjustment?: AdjustmentPeople;
  /** The approval level being decided (approve only). */
  level?: number;
}): DutyDecision {
  const { actor, request, adjustment } = input;
  const refuse = (rule: DutyRule, message: string): DutyDecision => ({ allowed: false, rule, message });
  if (input.candidateGroups.length && !input.candidateGroups.some((g) => actor.roles.includes(g))) {
    return refuse('candidate-group', `${actor.id} holds none of the task's groups (${input.candidateGroups.join(', ')})`);
  }
  if (request.requestedBy && request.requestedBy === actor.id) {
    return refuse('requester-not-resolver', `${actor.id} raised this request and cannot ${input.action === 'approve' ? 'approve' : 'work'} it`);
  }
  if (input.action === 'approve' && adjustment) {
    if (adjustment.proposedBy === actor.id) return refuse('proposer-not-approver', `${actor.id} proposed this ${adjustment.kind} and cannot approve it`);
    if (adjustment.approvals.some((a) => a.by === actor.id && a.level !== input.level)) {
      return refuse('four-eyes', `${actor.id} already approved level ${adjustment.approvals.find((a) => a.by === actor.id)!.level}; level ${input.level} needs a different person`);
    }
    if ((adjustment.kind === 'refund' || adjustment.kind === 'contract') && request.accountManager === actor.id) {
      return refuse('account-manager-not-refund-approver', `${actor.id} manages this customer's account and cannot approve a ${adjustment.kind} to them`);
    }
  }
  return { allowed: true };
}

/** The same policy over a finished chain, for the worker that applies the adjustment. */
export function checkApprovedChain(input: { request: RequestPeople; adjustment: AdjustmentPeople; levels: number }): DutyDecision {
  const approved = input.adjustment.approvals.filter((a) => a.approved);
  // the door a task came through may not know the requester; the proposal is checked here again
  if (input.request.requestedBy && input.adjustment.proposedBy === input.request.requestedBy) {
    return { allowed: false, rule: 'requester-not-resolver', message: `${input.adjustment.proposedBy} raised this request and cannot propose its ${input.adjustment.kind}` };
  }
  if (approved.length < input.levels) return { allowed: false, rule: 'four-eyes', message: `${approved.length} of ${input.levels} approvals recorded` };
  const people = new Set<string>();
  for (const a of approved) {
    const d = checkDuty({ action: 'approve', actor: { id: a.by, roles: [] }, candidateGroups: [], request: input.request, adjustment: { ...input.adjustment, approvals: [] }, level: a.level });
    if (!d.allowed) return d;
    if (people.has(a.by)) return { allowed: false, rule: 'four-eyes', message: `${a.by} approved more than one level` };
    people.add(a.by);
  }
  return { allowed: true };
}
