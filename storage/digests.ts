/**
 * What digests and frequency caps read and write: the payment demands held for a customer and
 * channel, the invoice each one demands payment for, the messages a cap counted, and each
 * customer's caps. Every function takes a Knex or a transaction, so the merge can claim its parts
 * and create the digest in one transaction.
 */
import type { Knex } from 'knex';
import type { CapRow } from '../domain/communications/digest.js';
import { createAuditRepository } from './repositories/audit.js';

type Db = Knex | Knex.Transaction;

const json = (v: unknown): Record<string, unknown> => (typeof v === 'string' ? (JSON.parse(v) as Record<string, unknown>) : ((v ?? {}) as Record<string, unknown>));

export interface HeldPart {
  communicationId: string;
  customerId: string;
  channel: string;
  templateId: string;
  kind: string;
  holdUntil: Date;
  data: Record<string, unknown>;
  renderedData: Record<string, unknown>;
}

export function digestRepository(db: Db) {
  return {
    /** The latest close of a digest window still open for this customer and channel (a demand held until after `now`). */
    async openWindow(customerId: string, channel: string, now: Date): Promise<Date | undefined> {
      const row = (await db('deliveries as d')
        .join('communications as c', 'c.id', 'd.communication_id')
        .where({ 'c.customer_id': customerId, 'd.channel': channel, 'd.state': 'queued' })
        .where('d.hold_until', '>', now)
        .max({ until: 'd.hold_until' })
        .first()) as { until: unknown } | undefined;
      return row?.until ? new Date(row.until as string) : undefined;
    },
    async setHold(communicationId: string, until: Date | null): Promise<void> {
      await db('deliveries').where({ communication_id: communicationId }).update({ hold_until: until });
    },
    /** The demands of this customer and channel still held for a digest, oldest first. */
    async held(customerId: string, channel: string): Promise<HeldPart[]> {
      const rows = await db('deliveries as d')
        .join('communications as c', 'c.id', 'd.communication_id')
        .where({ 'c.customer_id': customerId, 'd.channel': channel, 'd.state': 'queued' })
        .whereNotNull('d.hold_until')
        .orderBy([{ column: 'd.queued_at' }, { column: 'd.communication_id' }])
        .select('c.id', 'c.customer_id', 'c.template_id', 'c.kind', 'c.data', 'c.rendered_data', 'd.channel', 'd.hold_until');
      return rows.map((r: Record<string, unknown>) => ({
        communicationId: r.id as string,
        customerId: r.customer_id as string,
        channel: r.channel as string,
        templateId: r.template_id as string,
        kind: r.kind as string,
        holdUntil: new Date(r.hold_until as string),
        data: json(r.data),
        renderedData: json(r.rendered_data),
      }));
    },
    /**
     * Locks the given parts if they are still held and returns the ids locked; a part another
     * merge claimed meanwhile is no longer `queued` and is skipped.
     */
    async lockHeld(ids: string[]): Promise<string[]> {
      const rows = await db('deliveries').whereIn('communication_id', ids).where({ state: 'queued' }).whereNotNull('hold_until').forUpdate().select('communication_id');
      return rows.map((r: { communication_id: string }) => r.communication_id);
    },
    /** The invoice a demand is about: named in its data, or the invoice of its customer whose number it was rendered with. */
    async invoiceIdOf(part: Pick<HeldPart, 'customerId' | 'data' | 'renderedData'>): Promise<string | undefined> {
      if (typeof part.data.invoiceId === 'string' && part.data.invoiceId) return part.data.invoiceId;
      const number = (part.renderedData.invoice as { number?: unknown } | undefined)?.number;
      if (typeof number !== 'string') return undefined;
      return ((await db('invoices').where({ customer_id: part.customerId, number }).first('id')) as { id: string } | undefined)?.id;
    },
    /** The parts a digest carried. */
    async parts(digestId: string): Promise<string[]> {
      const rows = await db('deliveries').where({ digest_id: digestId }).orderBy('communication_id').select('communication_id');
      return rows.map((r: { communication_id: string }) => r.communication_id);
    },
    async caps(customerId: string): Promise<CapRow[]> {
      const rows = await db('customer_frequency_caps').where({ customer_id: customerId });
      return rows.map((r: Record<string, unknown>) => ({ channel: r.channel as string, maxMessages: Number(r.max_messages), windowSeconds: Number(r.window_seconds) }));
    },
    /** When each message the cap let through to this customer on this channel went, since `since`. */
    async counted(customerId: string, channel: string, since: Date): Promise<Date[]> {
      const rows = await db('deliveries as d')
        .join('communications as c', 'c.id', 'd.communication_id')
        .where({ 'c.customer_id': customerId, 'd.channel': channel })
        .where('d.counted_at', '>', since)
        .select('d.counted_at');
      return rows.map((r: { counted_at: unknown }) => new Date(r.counted_at as string));
    },
  };
}

export interface FrequencyCapChange {
  /** A channel, or '*' for each channel without its own cap. */
  channel: string;
  /** null removes the cap (the default applies again). */
  maxMessages: number | null;
  windowSeconds?: number;
}

/**
 * Sets or removes a customer's frequency caps, audited like every preference change
 * (`customer.preferences-changed`, with who, how and each cap from → to), in one transaction.
 */
export async function changeFrequencyCaps(db: Knex, input: { customerId: string; actor: string; via: string; caps: FrequencyCapChange[]; now: Date }) {
  return db.transaction(async (tx) => {
    const changed: { channel: string; from: CapRow | null; to: CapRow | null }[] = [];
    for (const cap of input.caps) {
      const before = (await tx('customer_frequency_caps').where({ customer_id: input.customerId, channel: cap.channel }).forUpdate().first()) as Record<string, unknown> | undefined;
      const from = before ? { channel: cap.channel, maxMessages: Number(before.max_messages), windowSeconds: Number(before.window_seconds) } : null;
      if (cap.maxMessages === null) {
        await tx('customer_frequency_caps').where({ customer_id: input.customerId, channel: cap.channel }).delete();
        if (from) changed.push({ channel: cap.channel, from, to: null });
        continue;
      }
      const to = { channel: cap.channel, maxMessages: cap.maxMessages, windowSeconds: cap.windowSeconds ?? from?.windowSeconds ?? 86_400 };
      await tx('customer_frequency_caps')
        .insert({ customer_id: input.customerId, channel: cap.channel, max_messages: to.maxMessages, window_seconds: to.windowSeconds, updated_by: input.actor, via: input.via, updated_at: input.now })
        .onConflict(['customer_id', 'channel'])
        .merge();
      if (!from || from.maxMessages !== to.maxMessages || from.windowSeconds !== to.windowSeconds) changed.push({ channel: cap.channel, from, to });
    }
    if (changed.length) {
      await createAuditRepository(tx).append({ actor: input.actor, action: 'customer.preferences-changed', subjectType: 'customer', subjectId: input.customerId, at: input.now, detail: { via: input.via, frequencyCaps: changed } });
    }
    return changed;
  });
}
