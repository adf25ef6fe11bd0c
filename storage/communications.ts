/**
 * Communications, their delivery (one row per communication id: the unique key that makes a
 * second send impossible), tracking events and the immutable archive.
 */
import type { Knex } from 'knex';
import { nextStatus, type TrackingKind } from '../domain/tracking/index.js';

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
    async ensure(c: Pick<CommunicationRow, 'id' | 'customerId' | 'templateId' | 'channel' | 'kind' | 'data'> & { processInstanceKey?: string; initiatedBy?: string }): Promise<CommunicationRow> {
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
    async saveRendered(id: string, r: { templateVersion: number; subject: string; html: string; text: string }): Promise<void> {
      await db('communications')
        .where({ id })
        .update({ template_version: r.templateVersion, subject: r.subject, html: r.html, text: r.text, status: 'rendered', updated_at: db.fn.now() });
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
