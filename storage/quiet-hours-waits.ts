/**
 * Which queued communications wait for their recipient's sending window (quiet hours), and until
 * when: the delivery is still queued and its `deferred` event (one per communication, written at
 * enqueue) names an instant still ahead. The local time is in the recipient's zone, as shown in the
 * instance view ("waiting for quiet hours until 2026-12-10 09:00, Australia/Sydney").
 */
import type { Knex } from 'knex';
import { DateTime } from 'luxon';

export interface QuietHoursWait {
  until: string;
  timeZone: string;
  localUntil: string;
}

export async function quietHoursWaits(db: Knex, ids: string[], now: Date = new Date()): Promise<Map<string, QuietHoursWait>> {
  const waits = new Map<string, QuietHoursWait>();
  if (!ids.length) return waits;
  const queued = ((await db('deliveries').whereIn('communication_id', ids).where({ state: 'queued' }).select('communication_id')) as { communication_id: string }[]).map((r) => r.communication_id);
  if (!queued.length) return waits;
  const events = (await db('tracking_events').whereIn('communication_id', queued).where({ kind: 'deferred' }).orderBy('id').select('communication_id', 'meta')) as { communication_id: string; meta: unknown }[];
  for (const e of events) {
    const meta = (typeof e.meta === 'string' ? JSON.parse(e.meta) : e.meta) as { until?: string; timeZone?: string };
    if (!meta.until || !meta.timeZone || new Date(meta.until).getTime() <= now.getTime()) continue;
    waits.set(e.communication_id, { until: meta.until, timeZone: meta.timeZone, localUntil: DateTime.fromISO(meta.until, { zone: meta.timeZone }).toFormat('yyyy-LL-dd HH:mm') });
  }
  return waits;
}
