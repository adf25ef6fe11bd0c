/**
 * Communications, their delivery (one row per communication id: the unique key that makes a
 * second send impossible), tracking events and the immutable archive.
 */
import type { Knex } from 'knex';

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
