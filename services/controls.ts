/**
 * The controls' one door to the policy: what a subject is and what people did to it, read from
 * the database (never from process variables a task could have set), the decision of the one
 * segregation-of-duties policy (domain/sod), and the decision on the one audit chain in the
 * same transaction. The tasklist (claim, complete) and the workers that send or book (deliver a
 * communication, apply an adjustment, apply a credit change) all decide through here.
 */
import type { Knex } from 'knex';
import { approvalLevels, compareAmounts } from '../domain/communications/approval-policy.js';
import type { MessageKind } from '../domain/customers/validation.js';
import type { RiskSegment } from '../domain/customers/risk.js';
import { checkSod, type Duty, type DutyRecord, type SodActor, type SodCheck, type SodDecision, type SubjectKind } from '../domain/sod/index.js';
import { createAuditRepository, type AuditRepository } from '../storage/repositories/audit.js';

export type Subject = SodCheck['subject'];

/** A subject by kind and id, with what the policy needs to know of it. */
export interface SubjectFacts {
  subject: Subject;
  history: DutyRecord[];
  /** Facts for the audit row (customer, amount, risk...). */
  facts: Record<string, unknown>;
}

/** The audit action that records one approval of a subject; release reads these back. */
export const APPROVAL_RECORDED = 'approval.recorded';

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/** Approvals of a subject as the audit trail holds them (one row per approval given through the tasklist). */
export async function recordedApprovals(db: Knex | Knex.Transaction, kind: SubjectKind, id: string): Promise<DutyRecord[]> {
  const rows = await createAuditRepository(db).list({ subjectType: kind, subjectId: id, action: APPROVAL_RECORDED, limit: 1000 });
  return rows.map((r) => ({ actor: r.actor, duty: 'approve' as const, level: Number(r.detail.level) || undefined, approved: r.detail.approved !== false }));
}

/** Writes one approval of a subject to the audit chain (inside the completing transaction). */
export async function recordApproval(tx: Knex.Transaction, a: { actor: string; subject: Subject; level: number; approved: boolean; taskKey: string; processInstanceKey: string; reason?: string }): Promise<void> {
  await createAuditRepository(tx).append({
    actor: a.actor,
    action: APPROVAL_RECORDED,
    subjectType: a.subject.kind,
    subjectId: a.subject.id,
    outcome: 'done',
    detail: { level: a.level, approved: a.approved, taskKey: a.taskKey, processInstanceKey: a.processInstanceKey, reason: a.reason },
  });
}

async function customerOf(db: Knex | Knex.Transaction, id: string | null | undefined): Promise<{ accountManager: string | null; risk: RiskSegment } | undefined> {
  if (!id) return undefined;
  const row = await db('customers').where({ id }).first('account_manager', 'risk_segment');
  return row ? { accountManager: row.account_manager ?? null, risk: (row.risk_segment ?? 'medium') as RiskSegment } : undefined;
}

/** A communication: who initiated it, its kind, amount and customer risk, and the approvals recorded. */
export async function communicationFacts(db: Knex | Knex.Transaction, id: string): Promise<SubjectFacts | undefined> {
  const row = await db('communications').where({ id }).first('id', 'customer_id', 'kind', 'amount', 'initiated_by', 'data');
  if (!row) return undefined;
  const data = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data ?? {}) as Record<string, unknown>;
  const customer = await customerOf(db, row.customer_id);
  // an invoice the message is about: its amount as the database has it now, if larger
  const invoiceId = str(data.invoiceId) ?? str((data.invoice as Record<string, unknown> | undefined)?.id);
  const invoice = invoiceId ? await db('invoices').where({ id: invoiceId }).first('amount') : undefined;
  const amounts = [row.amount, invoice?.amount].filter((a) => a !== null && a !== undefined).map(String);
  const amount = amounts.sort((a, b) => Number(b) - Number(a))[0];
  const risk = customer?.risk ?? 'high';
  const required = approvalLevels({ kind: row.kind as MessageKind, amount, risk });
  const history: DutyRecord[] = [...(row.initiated_by ? [{ actor: row.initiated_by as string, duty: 'initiate' as const }] : []), ...(await recordedApprovals(db, 'communication', id))];
  return { subject: { kind: 'communication', id, amount: amount ?? null, required }, history, facts: { customerId: row.customer_id, kind: row.kind, amount: amount ?? null, risk, required } };
}

/** A customer request: who raised it and who manages the customer. */
export async function requestFacts(db: Knex | Knex.Transaction, id: string): Promise<SubjectFacts | undefined> {
  const row = await db('customer_requests').where({ id }).first('id', 'customer_id', 'requested_by', 'amount');
  if (!row) return undefined;
  const customer = await customerOf(db, row.customer_id);
  const history: DutyRecord[] = [];
  if (row.requested_by) history.push({ actor: row.requested_by, duty: 'initiate' });
  if (customer?.accountManager) history.push({ actor: customer.accountManager, duty: 'manage' });
  return { subject: { kind: 'request', id, amount: row.amount === null ? null : String(row.amount) }, history, facts: { customerId: row.customer_id, requestedBy: row.requested_by ?? null } };
}

/** An adjustment: its request's people, its proposer, its approval chain and the approvals recorded on it. */
export async function adjustmentFacts(db: Knex | Knex.Transaction, id: string): Promise<SubjectFacts | undefined> {
  const row = await db('request_adjustments').where({ id }).first('id', 'request_id', 'kind', 'amount', 'proposed_by', 'approval_groups', 'approvals');
  if (!row) return undefined;
  const request = await requestFacts(db, row.request_id);
  const chain = (typeof row.approval_groups === 'string' ? JSON.parse(row.approval_groups) : row.approval_groups ?? []) as unknown[];
  const held = (typeof row.approvals === 'string' ? JSON.parse(row.approvals) : row.approvals ?? []) as { level: number; by: string; approved: boolean }[];
  const recorded = await recordedApprovals(db, 'adjustment', id);
  const history: DutyRecord[] = [...(request?.history ?? []), { actor: row.proposed_by, duty: 'propose' }, ...recorded];
  // approvals held on the adjustment but not on the trail (given before the trail held them) still bind distinct-approvers
  for (const a of held) if (!recorded.some((r) => r.actor === a.by && r.level === a.level)) history.push({ actor: a.by, duty: 'approve', level: a.level, approved: false });
  return {
    subject: { kind: 'adjustment', id, amount: String(row.amount), type: row.kind, required: chain.length },
    history,
    facts: { requestId: row.request_id, kind: row.kind, amount: String(row.amount), required: chain.length, proposedBy: row.proposed_by },
  };
}

/**
 * A credit change (one credit-update instance): initiated by whoever the start named; an approval
 * is required for a credit approval or a limit above the customer's current one (the database's);
 * approvals from the audit trail.
 */
export async function creditChangeFacts(db: Knex | Knex.Transaction, processInstanceKey: string, change: { customerId: string; changeType: string; newLimit: string; startedBy: string[] }): Promise<SubjectFacts> {
  const customer = await db('customers').where({ id: change.customerId }).first('credit_limit');
  const current = customer?.credit_limit === null || customer?.credit_limit === undefined ? '0' : String(customer.credit_limit);
  const required = change.changeType === 'approval' || compareAmounts(change.newLimit, current) > 0 ? 1 : 0;
  const history: DutyRecord[] = [...change.startedBy.map((actor) => ({ actor, duty: 'initiate' as const })), ...(await recordedApprovals(db, 'credit-change', processInstanceKey))];
  return { subject: { kind: 'credit-change', id: processInstanceKey, required }, history, facts: { customerId: change.customerId, changeType: change.changeType, newLimit: change.newLimit, currentLimit: current, required, startedBy: change.startedBy } };
}

export class PolicyRefusal extends Error {
  constructor(readonly decision: Extract<SodDecision, { allowed: false }>) {
    super(decision.reason);
    this.name = 'PolicyRefusal';
  }
}

export interface DecisionInput {
  actor: SodActor;
  duty: Duty;
  facts: SubjectFacts;
  action: string;
  audit: { subjectType: string; subjectId: string; detail?: Record<string, unknown> };
  task?: SodCheck['task'];
  level?: number;
  extraHistory?: DutyRecord[];
}

/** The policy's answer for `actor` doing `duty` to the subject; pure (see decide). */
export function judge(input: DecisionInput): SodDecision {
  return checkSod({ actor: input.actor, duty: input.duty, subject: input.facts.subject, history: [...input.facts.history, ...(input.extraHistory ?? [])], task: input.task, level: input.level });
}

/** Writes a decision to the audit chain (allowed, or refused with the rule and reason). */
export async function recordDecision(audit: AuditRepository, input: DecisionInput, decision: SodDecision): Promise<void> {
  const detail = { ...input.audit.detail, subject: input.facts.subject, duty: input.duty, level: input.level, facts: input.facts.facts };
  if (decision.allowed) await audit.append({ actor: input.actor.id, action: input.action, subjectType: input.audit.subjectType, subjectId: input.audit.subjectId, outcome: 'allowed', detail });
  else await audit.append({ actor: input.actor.id, action: input.action, subjectType: input.audit.subjectType, subjectId: input.audit.subjectId, outcome: 'refused', rule: decision.rule, detail: { ...detail, reason: decision.reason } });
}

/**
 * Asks the policy whether `actor` may do `duty` to the subject, and writes the answer to the
 * audit chain in `tx` (allowed or refused, with the rule). Returns the decision; the caller
 * acts on it in the same transaction.
 */
export async function decide(tx: Knex.Transaction, input: DecisionInput, audit: AuditRepository = createAuditRepository(tx)): Promise<SodDecision> {
  const decision = judge(input);
  await recordDecision(audit, input, decision);
  return decision;
}

/** The system actor that sends and books: it holds no group and made nothing. */
export const HERALD: SodActor = { id: 'herald:release', groups: [] };

/**
 * Before anything leaves the building or is booked: the release decision from the database's
 * facts and the approvals on the audit trail, audited in its own transaction. `then` runs in
 * that transaction when allowed (queue the delivery, book the adjustment).
 */
export async function release<T>(db: Knex, input: { facts: SubjectFacts; action: string }, then: (tx: Knex.Transaction) => Promise<T>): Promise<{ allowed: true; result: T } | { allowed: false; decision: Extract<SodDecision, { allowed: false }> }> {
  return db.transaction(async (tx) => {
    const decision = await decide(tx, { actor: HERALD, duty: 'release', facts: input.facts, action: input.action, audit: { subjectType: input.facts.subject.kind, subjectId: input.facts.subject.id } });
    if (!decision.allowed) return { allowed: false as const, decision };
    return { allowed: true as const, result: await then(tx) };
  });
}
