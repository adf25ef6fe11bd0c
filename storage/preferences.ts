/**
 * Preferences and sending windows per customer. Every change is written with its audit entry in
 * one transaction (who, how: portal, api or erp, and what changed from what), so the trail and the
 * state never disagree.
 */
import type { Knex } from 'knex';
import { DEFAULT_WINDOW } from '../domain/calendar/quiet-hours.js';
import { defaultOptIn, PREFERENCE_CHANNELS, TOPICS, type PreferenceRow, type PreferenceSource, type WindowRow } from '../domain/channels/preferences.js';
import { createAuditRepository } from './repositories/audit.js';

export interface PreferenceChange {
  channel: string;
  topic: string;
  optedIn: boolean;
}

export interface WindowChange {
  channel: string;
  timeZone: string;
  start?: string;
  end?: string;
  businessDaysOf?: string | null;
}

export interface PreferencesView {
  customerId: string;
  preferences: (PreferenceRow & { default: boolean; updatedBy: string | null; via: string | null; updatedAt: string | null })[];
  sendWindows: (WindowRow & { updatedBy: string; via: string; updatedAt: string })[];
}

const iso = (v: unknown) => new Date(v as string).toISOString();

export function preferenceRepository(db: Knex) {
  async function rows(customerId: string): Promise<PreferenceRow[]> {
    const r = await db('customer_preferences').where({ customer_id: customerId }).select('channel', 'topic', 'opted_in');
    return r.map((x: Record<string, unknown>) => ({ channel: x.channel as string, topic: x.topic as string, optedIn: Boolean(x.opted_in) }));
  }
  async function windows(customerId: string): Promise<WindowRow[]> {
    const r = await db('customer_send_windows').where({ customer_id: customerId });
    return r.map((x: Record<string, unknown>) => ({ channel: x.channel as string, timeZone: x.time_zone as string, start: x.window_start as string, end: x.window_end as string, businessDaysOf: (x.business_days_of as string | null) ?? null }));
  }
  return {
    rows,
    windows,
    /** The full matrix (every channel × topic), stored choices over defaults, and the sending windows. */
    async view(customerId: string): Promise<PreferencesView> {
      const stored = await db('customer_preferences').where({ customer_id: customerId });
      const preferences = PREFERENCE_CHANNELS.flatMap((channel) =>
        TOPICS.map((topic) => {
          const s = stored.find((x: Record<string, unknown>) => x.channel === channel && x.topic === topic);
          return s
            ? { channel, topic, optedIn: Boolean(s.opted_in), default: false, updatedBy: s.updated_by as string, via: s.via as string, updatedAt: iso(s.updated_at) }
            : { channel, topic, optedIn: defaultOptIn(topic), default: true, updatedBy: null, via: null, updatedAt: null };
        }),
      );
      const w = await db('customer_send_windows').where({ customer_id: customerId }).orderBy('channel');
      return {
        customerId,
        preferences,
        sendWindows: w.map((x: Record<string, unknown>) => ({ channel: x.channel as string, timeZone: x.time_zone as string, start: x.window_start as string, end: x.window_end as string, businessDaysOf: (x.business_days_of as string | null) ?? null, updatedBy: x.updated_by as string, via: x.via as string, updatedAt: iso(x.updated_at) })),
      };
    },
    /** Applies the changes (upserts) and audits them; returns what actually changed. */
    async change(input: { customerId: string; actor: string; via: PreferenceSource; preferences?: PreferenceChange[]; sendWindows?: WindowChange[]; reason?: string; now: Date }) {
      return db.transaction(async (tx) => {
        const changed: { channel: string; topic: string; from: boolean; to: boolean }[] = [];
        for (const p of input.preferences ?? []) {
          const before = await tx('customer_preferences').where({ customer_id: input.customerId, channel: p.channel, topic: p.topic }).forUpdate().first();
          const from = before ? Boolean(before.opted_in) : defaultOptIn(p.topic as (typeof TOPICS)[number]);
          await tx('customer_preferences')
            .insert({ customer_id: input.customerId, channel: p.channel, topic: p.topic, opted_in: p.optedIn, updated_by: input.actor, via: input.via, updated_at: input.now })
            .onConflict(['customer_id', 'channel', 'topic'])
            .merge();
          if (from !== p.optedIn || !before) changed.push({ channel: p.channel, topic: p.topic, from, to: p.optedIn });
        }
        const windowsChanged: WindowRow[] = [];
        for (const w of input.sendWindows ?? []) {
          const row = { channel: w.channel, timeZone: w.timeZone, start: w.start ?? DEFAULT_WINDOW.start, end: w.end ?? DEFAULT_WINDOW.end, businessDaysOf: w.businessDaysOf ?? null };
          await tx('customer_send_windows')
            .insert({ customer_id: input.customerId, channel: row.channel, time_zone: row.timeZone, window_start: row.start, window_end: row.end, business_days_of: row.businessDaysOf, updated_by: input.actor, via: input.via, updated_at: input.now })
            .onConflict(['customer_id', 'channel'])
            .merge();
          windowsChanged.push(row);
        }
        if (changed.length || windowsChanged.length) {
          await createAuditRepository(tx).append({
            actor: input.actor,
            action: 'customer.preferences-changed',
            subjectType: 'customer',
            subjectId: input.customerId,
            at: input.now,
            detail: { via: input.via, preferences: changed, sendWindows: windowsChanged, ...(input.reason ? { reason: input.reason } : {}) },
          });
        }
        return { preferences: changed, sendWindows: windowsChanged };
      });
    },
  };
}
