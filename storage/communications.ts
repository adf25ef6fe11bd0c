/**
 * Communications, their delivery (one row per communication id: the unique key that makes a
 * second send impossible), tracking events and the immutable archive.
 */
import type { Knex } from 'knex';
import { nextStatus, type TrackingKind } from '../domain/tracking/index.js';
import type { TimelineSources } from '../domain/tracking/timeline.js';

export interface CommunicationRow {
  id: string;
  customerId: string;
  templateId: string;
  templateVersion?: number | null;
  channel: string;
  kind: string;
  status: string;
  processInstanceKey?: string | null;
  initiatedBy?: string | null;
  data: Record<string, unknown>;
  subject?: string | null;
  html?: string | null;
  text?: string | null;
}

function toRow(r: Record<string, any>): CommunicationRow {
  return {
    id: r.id,
    customerId: r.customer_id,
    templateId: r.template_id,
    templateVersion: r.template_version,
    channel: r.channel,
    kind: r.kind,
    status: r.status,
    processInstanceKey: r.process_instance_key,
    initiatedBy: r.initiated_by,
    data: typeof r.data === 'string' ? JSON.parse(r.data) : r.data,
    subject: r.subject,
    html: r.html,
    text: r.text,
  };
}

export function communicationRepository(db: Knex | Knex.Transaction) {
  return {
    /** Creates the communication once; later calls return the existing row. */
    async ensure(c: Pick<CommunicationRow, 'id' | 'customerId' | 'templateId' | 'channel' | 'kind' | 'data'> & { processInstanceKey?: string; initiatedBy?: string; amount?: string }): Promise<CommunicationRow> {
      await db('communications')
        .insert({
          id: c.id,
          customer_id: c.customerId,
          template_id: c.templateId,
          channel: c.channel,
          kind: c.kind,
          status: 'created',
          process_instance_key: c.processInstanceKey ?? null,
          initiated_by: c.initiatedBy ?? null,
          amount: c.amount ?? null,
          data: JSON.stringify(c.data ?? {}),
        })
        .onConflict('id')
        .ignore();
      return (await this.get(c.id))!;
    },
    async get(id: string): Promise<CommunicationRow | undefined> {
      const r = await db('communications').where({ id }).first();
      return r ? toRow(r) : undefined;
    },
    async setStatus(id: string, status: string): Promise<void> {
      await db('communications').where({ id }).update({ status, updated_at: db.fn.now() });
    },
    /** `data`: what the template was filled with (the evidence pack's data snapshot). */
    async saveRendered(id: string, r: { templateVersion: number; subject: string; html: string; text: string; data?: Record<string, unknown> }): Promise<void> {
      await db('communications')
        .where({ id })
        .update({ template_version: r.templateVersion, subject: r.subject, html: r.html, text: r.text, ...(r.data ? { rendered_data: JSON.stringify(r.data) } : {}), status: 'rendered', rendered_at: db.fn.now(), updated_at: db.fn.now() });
    },
    async listForCustomer(customerId: string, limit = 100): Promise<CommunicationRow[]> {
      return (await db('communications').where({ customer_id: customerId }).orderBy('created_at', 'desc').limit(limit)).map(toRow);
    },
    async addEvent(communicationId: string, kind: string, at: Date, meta: Record<string, unknown> = {}, providerEventId?: string): Promise<boolean> {
      const rows = await db('tracking_events')
        .insert({ communication_id: communicationId, kind, at, meta: JSON.stringify(meta), provider_event_id: providerEventId ?? null })
        .onConflict(['communication_id', 'provider_event_id'])
        .ignore()
        .returning('id');
      return rows.length > 0;
    },
    async events(communicationId: string): Promise<{ kind: string; at: string; meta: Record<string, unknown> }[]> {
      const rows = await db('tracking_events').where({ communication_id: communicationId }).orderBy([{ column: 'at' }, { column: 'id' }]);
      return rows.map((r) => ({ kind: r.kind, at: new Date(r.at).toISOString(), meta: typeof r.meta === 'string' ? JSON.parse(r.meta) : r.meta }));
    },
  };
}

export type CommunicationRepository = ReturnType<typeof communicationRepository>;

export interface TrackingOutcome {
  /** false when the same event (same provider event id) was recorded before. */
  recorded: boolean;
  /** The delivery's tracking status after the event (monotonic, see domain/tracking nextStatus). */
  status: string | null;
}

export interface AddressSuppression {
  channel: string;
  address: string;
  reason: 'hard-bounce' | 'complaint';
  communicationId: string | null;
  provider: string | null;
  detail: string | null;
  at: string;
}

/**
 * Tracking events and suppressions. The event row and the status change are one transaction,
 * and the delivery row is locked while the next status is computed, so concurrent and repeated
 * events give one monotonic status.
 */
export function trackingRepository(db: Knex) {
  return {
    async record(communicationId: string, kind: TrackingKind, at: Date, meta: Record<string, unknown>, eventId: string, options: { changesStatus?: boolean } = {}): Promise<TrackingOutcome> {
      return db.transaction(async (tx) => {
        const delivery = await tx('deliveries').where({ communication_id: communicationId }).forUpdate().first('tracking_status', 'state');
        const recorded = await communicationRepository(tx).addEvent(communicationId, kind, at, meta, eventId);
        if (!delivery) return { recorded, status: null };
        const current = delivery.tracking_status ?? (delivery.state === 'sent' ? 'sent' : 'queued');
        const status = recorded && options.changesStatus !== false ? nextStatus(current, kind) : current;
        if (status !== delivery.tracking_status) await tx('deliveries').where({ communication_id: communicationId }).update({ tracking_status: status });
        return { recorded, status };
      });
    },
    async status(communicationId: string): Promise<string | null> {
      const row = await db('deliveries').where({ communication_id: communicationId }).first('tracking_status');
      return row?.tracking_status ?? null;
    },
    /** The first reason wins: a later complaint does not overwrite the bounce that came first. */
    async suppress(s: Omit<AddressSuppression, 'at'> & { at: Date }): Promise<void> {
      await db('address_suppressions')
        .insert({ channel: s.channel, address: s.address.toLowerCase(), reason: s.reason, communication_id: s.communicationId, provider: s.provider, detail: s.detail, at: s.at })
        .onConflict(['channel', 'address'])
        .ignore();
    },
    async suppression(channel: string, address: string): Promise<AddressSuppression | undefined> {
      const r = await db('address_suppressions').where({ channel, address: address.toLowerCase() }).first();
      if (!r) return undefined;
      return { channel: r.channel, address: r.address, reason: r.reason, communicationId: r.communication_id, provider: r.provider, detail: r.detail, at: new Date(r.at).toISOString() };
    },
  };
}

export type TrackingRepository = ReturnType<typeof trackingRepository>;

const json = <T>(v: unknown, fallback: T): T => (v == null ? fallback : typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const date = (v: unknown) => new Date(v as string);
const dateOrNull = (v: unknown) => (v == null ? null : new Date(v as string));

/**
 * Everything the timeline of one communication is built from (domain/tracking/timeline), or
 * undefined when there is no such communication.
 */
export async function timelineSources(db: Knex, communicationId: string): Promise<(TimelineSources & { customerId: string; channel: string; kind: string; status: string; trackingStatus: string | null }) | undefined> {
  const c = await db('communications').where({ id: communicationId }).first();
  if (!c) return undefined;
  const tasks = c.process_instance_key ? await db('tasks').where({ process_instance_key: c.process_instance_key }).orderBy('created_at') : [];
  const keys = tasks.map((t: { key: string }) => t.key);
  const [audit, delivery, attempts, events, replies, archive] = await Promise.all([
    keys.length ? db('audit_log').where({ subject_type: 'task', action: 'task.complete' }).whereIn('subject_id', keys).orderBy('id') : Promise.resolve([]),
    db('deliveries').where({ communication_id: communicationId }).first(),
    db('delivery_attempts').where({ communication_id: communicationId }).orderBy('id'),
    db('tracking_events').where({ communication_id: communicationId }).orderBy([{ column: 'at' }, { column: 'id' }]),
    db('customer_requests').where({ communication_id: communicationId }).orderBy('created_at').select('id', 'reference', 'created_at'),
    db('communication_archive').where({ communication_id: communicationId }).first('archived_at', 'content_sha256', 'template_version', 'approvals'),
  ]);
  return {
    customerId: c.customer_id,
    channel: c.channel,
    kind: c.kind,
    status: c.status,
    trackingStatus: delivery?.tracking_status ?? null,
    communication: { id: c.id, createdAt: date(c.created_at), renderedAt: dateOrNull(c.rendered_at), initiatedBy: c.initiated_by ?? null, templateId: c.template_id, templateVersion: c.template_version ?? null },
    tasks: tasks.map((t: Record<string, unknown>) => ({
      key: t.key as string,
      elementId: t.element_id as string,
      name: (t.name as string | null) ?? null,
      state: t.state as string,
      completedAt: dateOrNull(t.completed_at),
      completedBy: (t.completed_by as string | null) ?? null,
      completionVariables: json<Record<string, unknown> | null>(t.completion_variables, null),
    })),
    audit: (audit as Record<string, unknown>[]).map((a) => ({ id: Number(a.id), at: date(a.at), actor: a.actor as string, subjectId: a.subject_id as string, outcome: a.outcome as string, rule: (a.rule as string | null) ?? null, detail: json(a.detail, {}) })),
    delivery: delivery ? { queuedAt: date(delivery.queued_at), sentAt: dateOrNull(delivery.sent_at), state: delivery.state, messageId: delivery.message_id ?? null } : null,
    attempts: (attempts as Record<string, unknown>[]).map((a) => ({ attempt: Number(a.attempt), messageId: (a.message_id as string | null) ?? null, startedAt: date(a.started_at), outcome: (a.outcome as string | null) ?? null, error: (a.error as string | null) ?? null, finishedAt: dateOrNull(a.finished_at) })),
    events: (events as Record<string, unknown>[]).map((e) => ({ id: Number(e.id), kind: e.kind as string, at: date(e.at), meta: json(e.meta, {}) })),
    replies: (replies as Record<string, unknown>[]).map((r) => ({ id: r.id as string, reference: r.reference as string, createdAt: date(r.created_at) })),
    archive: archive ? { archivedAt: date(archive.archived_at), contentSha256: archive.content_sha256, templateVersion: archive.template_version ?? null, approvals: json<unknown[]>(archive.approvals, []) } : null,
  };
}
