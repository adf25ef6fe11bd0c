/**
 * Customer requests: the repository (requests, the hash-chained audit trail, adjustments and
 * credit notes, metrics) and the request service the API and inbound email call (submit a
 * request and start its process, pass on a customer's reply, complete a request task under
 * the segregation-of-duties policy, reopen). Factories over injected dependencies.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { addAmounts, requestReference, subtractAmounts, type AdjustmentKind, type ApprovalStep } from '../domain/requests/policy.js';
import { requestMetrics, type RequestMetrics } from '../domain/requests/metrics.js';
import { createAuditRepository } from './repositories/audit.js';

export type IntakeChannel = 'api' | 'portal' | 'email' | 'process';

export interface RequestRow {
  id: string;
  reference: string;
  customerId: string | null;
  invoiceId: string | null;
  category: string;
  priority: string | null;
  status: string;
  intakeChannel: IntakeChannel;
  subject: string;
  body: string | null;
  amount: string | null;
  requestedBy: string | null;
  processInstanceKey: string | null;
  team: string | null;
  assignee: string | null;
  communicationId: string | null;
  customerEmail: string | null;
  resolution: string | null;
  resolutionNote: string | null;
  slaConsumedMs: number;
  /** The SLA's escalation budget (ISO-8601 duration) the priority table gave; null until routed. */
  slaEscalateAfter: string | null;
  slaStartedAt: Date | null;
  slaBreachedAt: Date | null;
  slaRemindedAt: Date | null;
  waitingSince: Date | null;
  resolvedAt: Date | null;
  reopenCount: number;
  createdAt: Date;
}

export interface RequestEvent {
  id: number;
  requestId: string;
  action: string;
  actor: string;
  outcome: 'done' | 'allowed' | 'refused';
  detail: Record<string, unknown>;
  at: Date;
  prevHash: string | null;
  hash: string;
}

export interface Adjustment {
  id: string;
  requestId: string;
  kind: AdjustmentKind;
  amount: string;
  currency: string;
  invoiceId: string | null;
  reason: string | null;
  proposedBy: string;
  approvalGroups: ApprovalStep[];
  approvals: { level: number; by: string; approved: boolean; reason?: string; at: string }[];
  status: 'proposed' | 'approved' | 'rejected' | 'applied';
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
const date = (v: unknown) => (v == null ? null : v instanceof Date ? v : new Date(String(v)));

function toRequest(r: Record<string, any>): RequestRow {
  return {
    id: r.id,
    reference: r.reference,
    customerId: r.customer_id,
    invoiceId: r.invoice_id,
    category: r.category,
    priority: r.priority,
    status: r.status,
    intakeChannel: r.intake_channel,
    subject: r.subject,
    body: r.body,
    amount: r.amount == null ? null : String(r.amount),
    requestedBy: r.requested_by,
    processInstanceKey: r.process_instance_key,
    team: r.team,
    assignee: r.assignee,
    communicationId: r.communication_id,
    customerEmail: r.customer_email,
    resolution: r.resolution,
    resolutionNote: r.resolution_note,
    slaConsumedMs: Number(r.sla_consumed_ms ?? 0),
    slaEscalateAfter: r.sla_escalate_after ?? null,
    slaStartedAt: date(r.sla_started_at),
    slaBreachedAt: date(r.sla_breached_at),
    slaRemindedAt: date(r.sla_reminded_at),
    waitingSince: date(r.waiting_since),
    resolvedAt: date(r.resolved_at),
    reopenCount: Number(r.reopen_count ?? 0),
    createdAt: date(r.created_at)!,
  };
}

function toAdjustment(r: Record<string, any>): Adjustment {
  return {
    id: r.id,
    requestId: r.request_id,
    kind: r.kind,
    amount: String(r.amount),
    currency: r.currency,
    invoiceId: r.invoice_id,
    reason: r.reason,
    proposedBy: r.proposed_by,
    approvalGroups: json(r.approval_groups),
    approvals: json(r.approvals),
    status: r.status,
  };
}

/** JSON with sorted keys and no undefined members: jsonb gives keys back in its own order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonical(x))).join(',')}]`;
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function eventHash(prev: string | null, e: { requestId: string; action: string; actor: string; outcome: string; detail: unknown; at: string }): string {
  return createHash('sha256').update(canonical([prev, e.requestId, e.action, e.actor, e.outcome, e.detail, e.at])).digest('hex');
}

export interface CorrectionApplied {
  creditNoteNumber: string;
  creditAmount: string;
  originalNumber: string;
  originalAmount: string;
  correctedNumber: string;
  correctedAmount: string;
  currency: string;
}

/** An approval as the process variable `approvals` carries it. */
export interface CarriedApproval {
  by: string;
  level: number;
  approved?: boolean;
  reason?: string | null;
  at?: string | null;
}

export interface NewRequest {
  id?: string;
  customerId?: string | null;
  invoiceId?: string | null;
  category?: string | null;
  subject: string;
  body?: string | null;
  amount?: string | null;
  intakeChannel: IntakeChannel;
  requestedBy?: string | null;
  communicationId?: string | null;
  customerEmail?: string | null;
}

export interface RequestFilter {
  status?: string[];
  team?: string;
  customerId?: string;
  category?: string;
  priority?: string;
  intakeChannel?: string;
  assignee?: string;
  limit?: number;
  offset?: number;
}

export function requestRepository(db: Knex | Knex.Transaction) {
  const repo = {
    /** Creates the request once (an id given twice returns the first). */
    async create(input: NewRequest, now: Date): Promise<RequestRow> {
      const id = input.id ?? randomUUID();
      await db('customer_requests')
        .insert({
          id,
          reference: requestReference(id),
          customer_id: input.customerId ?? null,
          invoice_id: input.invoiceId ?? null,
          category: input.category ?? 'unclassified',
          status: 'open',
          intake_channel: input.intakeChannel,
          subject: input.subject.slice(0, 255),
          body: input.body ?? null,
          amount: input.amount ?? null,
          requested_by: input.requestedBy ?? null,
          communication_id: input.communicationId ?? null,
          customer_email: input.customerEmail ?? null,
          created_at: now,
          updated_at: now,
        })
        .onConflict('id')
        .ignore();
      return (await repo.get(id))!;
    },
    async get(id: string): Promise<RequestRow | undefined> {
      const r = await db('customer_requests').where({ id }).first();
      return r ? toRequest(r) : undefined;
    },
    async byReference(reference: string): Promise<RequestRow | undefined> {
      const r = await db('customer_requests').where({ reference: reference.toUpperCase() }).first();
      return r ? toRequest(r) : undefined;
    },
    /** What the customer sees in the portal: their requests, newest first. */
    async forCustomer(customerId: string): Promise<RequestRow[]> {
      return (await db('customer_requests').where({ customer_id: customerId }).orderBy('created_at', 'desc')).map(toRequest);
    },
    async list(filter: RequestFilter = {}): Promise<RequestRow[]> {
      const q = db('customer_requests').orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id' }]).limit(filter.limit ?? 200).offset(filter.offset ?? 0);
      if (filter.status?.length) q.whereIn('status', filter.status);
      if (filter.team) q.where({ team: filter.team });
      if (filter.customerId) q.where({ customer_id: filter.customerId });
      if (filter.category) q.where({ category: filter.category });
      if (filter.priority) q.where({ priority: filter.priority });
      if (filter.intakeChannel) q.where({ intake_channel: filter.intakeChannel });
      if (filter.assignee) q.where({ assignee: filter.assignee });
      return (await q).map(toRequest);
    },
    /** By reference (REQ-…) or id: what a caller typed. */
    async find(idOrReference: string): Promise<RequestRow | undefined> {
      return (await repo.byReference(idOrReference)) ?? (await repo.get(idOrReference));
    },
    async update(id: string, patch: Record<string, unknown>, now: Date): Promise<void> {
      await db('customer_requests').where({ id }).update({ ...patch, updated_at: now });
    },

    /** Appends to the request's audit trail; each row hashes the one before it. */
    async record(requestId: string, e: { action: string; actor: string; outcome?: RequestEvent['outcome']; detail?: Record<string, unknown> }, now: Date): Promise<void> {
      const write = async (tx: Knex | Knex.Transaction) => {
        // serialise appends per request so the chain has no forks
        await tx.raw('select id from customer_requests where id = ? for update', [requestId]);
        const last = await tx('request_events').where({ request_id: requestId }).orderBy('id', 'desc').first('hash');
        const at = now.toISOString();
        const row = { requestId, action: e.action, actor: e.actor, outcome: e.outcome ?? 'done', detail: JSON.parse(JSON.stringify(e.detail ?? {})) as Record<string, unknown>, at };
        const prev = last?.hash ?? null;
        await tx('request_events').insert({ request_id: requestId, action: row.action, actor: row.actor, outcome: row.outcome, detail: JSON.stringify(row.detail), at, prev_hash: prev, hash: eventHash(prev, row) });
        // the one audit chain (keyed, checkpointed) holds every request event too; this table is the request's own index of them
        await createAuditRepository(tx).append({ actor: row.actor, action: `request.${row.action}`, subjectType: 'request', subjectId: requestId, outcome: row.outcome, detail: { ...row.detail, at } });
      };
      if ((db as Knex.Transaction).isTransaction) await write(db);
      else await (db as Knex).transaction(write);
    },
    async events(requestId: string): Promise<RequestEvent[]> {
      const rows = await db('request_events').where({ request_id: requestId }).orderBy('id');
      return rows.map((r) => ({ id: Number(r.id), requestId: r.request_id, action: r.action, actor: r.actor, outcome: r.outcome, detail: json(r.detail), at: date(r.at)!, prevHash: r.prev_hash, hash: r.hash }));
    },
    /** Recomputes the chain; returns the first event that does not match, if any. */
    async verifyTrail(requestId: string): Promise<{ ok: boolean; brokenAt?: number }> {
      let prev: string | null = null;
      for (const e of await repo.events(requestId)) {
        const expected = eventHash(prev, { requestId, action: e.action, actor: e.actor, outcome: e.outcome, detail: e.detail, at: e.at.toISOString() });
        if (e.prevHash !== prev || e.hash !== expected) return { ok: false, brokenAt: e.id };
        prev = e.hash;
      }
      return { ok: true };
    },

    async proposeAdjustment(a: Omit<Adjustment, 'approvals' | 'status'>, now: Date): Promise<Adjustment> {
      await db('request_adjustments')
        .insert({ id: a.id, request_id: a.requestId, kind: a.kind, amount: a.amount, currency: a.currency, invoice_id: a.invoiceId, reason: a.reason, proposed_by: a.proposedBy, approval_groups: JSON.stringify(a.approvalGroups), approvals: '[]', status: 'proposed', created_at: now })
        .onConflict('id')
        .ignore();
      return (await repo.adjustment(a.id))!;
    },
    async adjustment(id: string): Promise<Adjustment | undefined> {
      const r = await db('request_adjustments').where({ id }).first();
      return r ? toAdjustment(r) : undefined;
    },
    async adjustmentsFor(requestId: string): Promise<Adjustment[]> {
      return (await db('request_adjustments').where({ request_id: requestId }).orderBy('created_at')).map(toAdjustment);
    },
    /** Records one level's decision (replacing an earlier decision at that level, e.g. after a refusal). */
    async recordApproval(id: string, approval: { level: number; by: string; approved: boolean; reason?: string }, now: Date): Promise<Adjustment> {
      const current = (await repo.adjustment(id))!;
      const approvals = [...current.approvals.filter((a) => a.level !== approval.level), { ...approval, at: now.toISOString() }].sort((a, b) => a.level - b.level);
      const status = !approval.approved ? 'rejected' : approvals.filter((a) => a.approved).length >= current.approvalGroups.length ? 'approved' : 'proposed';
      await db('request_adjustments').where({ id }).whereNot({ status: 'applied' }).update({ approvals: JSON.stringify(approvals), status });
      return (await repo.adjustment(id))!;
    },
    /**
     * Applies a correction, once: a credit note for the difference, and the invoice record
     * re-issued at the corrected amount under a revised number (`2026-0199-C1`). The invoice
     * keeps its id, so its payments and its dunning carry over to the corrected invoice and
     * every later reminder states the corrected amount.
     */
    async applyCorrection(adjustment: Adjustment, now: Date): Promise<CorrectionApplied> {
      const apply = async (tx: Knex | Knex.Transaction): Promise<CorrectionApplied> => {
        const existing = await tx('credit_notes').where({ adjustment_id: adjustment.id }).first();
        const invoice = await tx('invoices').where({ id: adjustment.invoiceId }).forUpdate().first();
        if (!invoice) throw new Error(`adjustment ${adjustment.id}: invoice ${adjustment.invoiceId} not found`);
        if (existing) {
          // replayed: the revision this note made, read back from the notes before it
          const earlier = Number((await tx('credit_notes').where({ invoice_id: invoice.id }).where('issued_at', '<', existing.issued_at).count({ n: '*' }).first())?.n ?? 0);
          const base = String(invoice.number).replace(/-C\d+$/, '');
          return { creditNoteNumber: existing.number, creditAmount: String(existing.amount), originalNumber: earlier ? `${base}-C${earlier}` : base, originalAmount: addAmounts(String(existing.corrected_invoice_amount), String(existing.amount)), correctedNumber: `${base}-C${earlier + 1}`, correctedAmount: String(existing.corrected_invoice_amount), currency: existing.currency };
        }
        const before = String(invoice.amount);
        const correctedAmount = subtractAmounts(before, adjustment.amount);
        if (correctedAmount.startsWith('-')) throw new Error(`adjustment ${adjustment.id}: credit ${adjustment.amount} exceeds the invoice amount ${before}`);
        const revisions = Number((await tx('credit_notes').where({ invoice_id: invoice.id }).count({ n: '*' }).first())?.n ?? 0);
        const baseNumber = String(invoice.number).replace(/-C\d+$/, '');
        const correctedNumber = `${baseNumber}-C${revisions + 1}`;
        const number = `CN-${baseNumber}-${adjustment.id.slice(-6).toUpperCase()}`;
        await tx('credit_notes').insert({ id: `cn-${adjustment.id}`, adjustment_id: adjustment.id, invoice_id: invoice.id, number, amount: adjustment.amount, corrected_invoice_amount: correctedAmount, currency: invoice.currency, reason: adjustment.reason, issued_at: now });
        await tx('invoices').where({ id: invoice.id }).update({ amount: correctedAmount, number: correctedNumber });
        await tx('request_adjustments').where({ id: adjustment.id }).update({ status: 'applied', applied_at: now });
        return { creditNoteNumber: number, creditAmount: adjustment.amount, originalNumber: invoice.number, originalAmount: before, correctedNumber, correctedAmount, currency: invoice.currency };
      };
      return (db as Knex.Transaction).isTransaction ? apply(db) : (db as Knex).transaction(apply);
    },
    /**
     * Takes over approvals the process carries (`approvals`, set by whichever door completed the
     * approval task: the tasklist or this service) that the adjustment does not hold yet, and
     * puts each on the request's trail under its approver. Returns the adjustment as it now is.
     */
    async adoptApprovals(requestId: string, adjustmentId: string, carried: CarriedApproval[] | null | undefined, now: Date): Promise<Adjustment | undefined> {
      let adjustment = await repo.adjustment(adjustmentId);
      if (!adjustment) return undefined;
      for (const a of carried ?? []) {
        const level = Number(a.level);
        if (!a.by || !Number.isInteger(level) || level < 1) continue;
        const held = adjustment.approvals.find((x) => x.level === level);
        if (held && held.by === a.by && held.approved === (a.approved !== false)) continue;
        adjustment = await repo.recordApproval(adjustmentId, { level, by: a.by, approved: a.approved !== false, reason: a.reason ?? undefined }, now);
        await repo.record(requestId, { action: `approve-adjustment-${level}`, actor: a.by, outcome: 'allowed', detail: { adjustmentId, approved: a.approved !== false, via: 'tasklist', at: a.at ?? null } }, now);
      }
      return adjustment;
    },
    async markApplied(id: string, now: Date): Promise<void> {
      await db('request_adjustments').where({ id }).update({ status: 'applied', applied_at: now });
    },
    async creditNotes(invoiceId: string) {
      return db('credit_notes').where({ invoice_id: invoiceId }).orderBy('issued_at');
    },

    /** The metrics over every request (or those created since a date). */
    async metrics(now: Date, since?: Date): Promise<RequestMetrics> {
      const q = db('customer_requests').select('team', 'status', 'created_at', 'resolved_at', 'sla_breached_at', 'reopen_count');
      if (since) q.where('created_at', '>=', since);
      const rows = await q;
      return requestMetrics(
        rows.map((r) => ({ team: r.team, status: r.status, createdAt: date(r.created_at)!, resolvedAt: date(r.resolved_at), slaBreachedAt: date(r.sla_breached_at), reopenCount: Number(r.reopen_count) })),
        now,
      );
    },
  };
  return repo;
}

export type RequestRepository = ReturnType<typeof requestRepository>;

