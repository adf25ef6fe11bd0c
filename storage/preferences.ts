/**
 * Preferences and sending windows per customer. Every change is written with its audit entry in
 * one transaction (who, how: portal, api or erp, and what changed from what), so the trail and the
 * state never disagree.
 */
import type { Knex } from 'knex';
import { DEFAULT_WINDOW } from '../domain/calendar/quiet-hours.js';
import { defaultOptIn, PREFERENCE_CHANNELS, TOPICS, type PreferenceRow, type PreferenceSource, type WindowRow } from '../domain/channels/preferences.js';
import { needsDoubleOptIn } from '../domain/channels/double-opt-in.js';
import { consentConfirmationRepository, type ConfirmationSent, type ConfirmationSettings, type RequestEvidence } from './consent-confirmations.js';
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
  preferences: (PreferenceRow & { default: boolean; updatedBy: string | null; via: string | null; updatedAt: string | null; pending: boolean; pendingExpiresAt: string | null })[];
  sendWindows: (WindowRow & { updatedBy: string; via: string; updatedAt: string })[];
}

const iso = (v: unknown) => new Date(v as string).toISOString();

export function preferenceRepository(db: Knex) {
  async function rows(customerId: string): Promise<PreferenceRow[]> {
    const r = await db('customer_preferences').where({ customer_id: customerId }).select('channel', 'topic', 'opted_in', 'pending_confirmation');
    return r.map((x: Record<string, unknown>) => ({ channel: x.channel as string, topic: x.topic as string, optedIn: Boolean(x.opted_in), pending: !x.opted_in && Boolean(x.pending_confirmation) }));
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
      const stored = await db('customer_preferences as p')
        .leftJoin('consent_confirmations as c', function () {
          this.on('c.id', '=', 'p.pending_confirmation').andOnVal('c.state', '=', 'pending');
        })
        .where({ 'p.customer_id': customerId })
        .select('p.*', 'c.expires_at as pending_expires_at');
      const preferences = PREFERENCE_CHANNELS.flatMap((channel) =>
        TOPICS.map((topic) => {
          const s = stored.find((x: Record<string, unknown>) => x.channel === channel && x.topic === topic);
          const pending = Boolean(s && !s.opted_in && s.pending_expires_at);
          return s
            ? { channel, topic, optedIn: Boolean(s.opted_in), default: false, updatedBy: s.updated_by as string, via: s.via as string, updatedAt: iso(s.updated_at), pending, pendingExpiresAt: pending ? iso(s.pending_expires_at) : null }
            : { channel, topic, optedIn: defaultOptIn(topic), default: true, updatedBy: null, via: null, updatedAt: null, pending: false, pendingExpiresAt: null };
        }),
      );
      const w = await db('customer_send_windows').where({ customer_id: customerId }).orderBy('channel');
      return {
        customerId,
        preferences,
        sendWindows: w.map((x: Record<string, unknown>) => ({ channel: x.channel as string, timeZone: x.time_zone as string, start: x.window_start as string, end: x.window_end as string, businessDaysOf: (x.business_days_of as string | null) ?? null, updatedBy: x.updated_by as string, via: x.via as string, updatedAt: iso(x.updated_at) })),
      };
    },
    /**
     * Applies the changes (upserts) and audits them; returns what actually changed. Turning on SMS
     * or marketing (double opt-in) leaves the preference off and pending, and asks the customer to
     * confirm (`confirmations`, one message per method); a later opt-out or request supersedes it.
     */
    async change(input: {
      customerId: string;
      actor: string;
      via: PreferenceSource;
      preferences?: PreferenceChange[];
      sendWindows?: WindowChange[];
      reason?: string;
      now: Date;
      /** Where the request came from (evidence of a double opt-in). */
      evidence?: RequestEvidence;
      /** Needed when an opt-in needs confirming: the key links are signed with and where they point. */
      confirmation?: ConfirmationSettings;
    }) {
      return db.transaction(async (tx) => {
        const changed: { channel: string; topic: string; from: boolean; to: boolean | 'pending' }[] = [];
        const toConfirm: { channel: string; topic: string; index: number }[] = [];
        for (const [index, p] of (input.preferences ?? []).entries()) {
          const before = await tx('customer_preferences').where({ customer_id: input.customerId, channel: p.channel, topic: p.topic }).forUpdate().first();
          const from = before ? Boolean(before.opted_in) : defaultOptIn(p.topic as (typeof TOPICS)[number]);
          // an opt-in that needs confirming changes nothing yet: the row stays off and waits
          const confirming = p.optedIn && !from && needsDoubleOptIn(p.channel, p.topic);
          await tx('customer_preferences')
            .insert({ customer_id: input.customerId, channel: p.channel, topic: p.topic, opted_in: confirming ? false : p.optedIn, updated_by: input.actor, via: input.via, updated_at: input.now, pending_confirmation: null, ...(p.optedIn ? {} : { confirmation_id: null }) })
            .onConflict(['customer_id', 'channel', 'topic'])
            .merge();
          if (confirming) toConfirm.push({ channel: p.channel, topic: p.topic, index });
          else if (from !== p.optedIn || !before || before.pending_confirmation) changed.push({ channel: p.channel, topic: p.topic, from, to: p.optedIn });
        }
        let confirmations: ConfirmationSent[] = [];
        if (toConfirm.length) {
          if (!input.confirmation) throw new Error(`${toConfirm.map((i) => `${i.topic} on ${i.channel}`).join(', ')} needs a double opt-in, and no confirmation settings were given`);
          const sent = await consentConfirmationRepository(tx).request({ customerId: input.customerId, items: toConfirm, actor: input.actor, via: input.via, evidence: input.evidence, settings: input.confirmation, now: input.now });
          for (const c of sent) {
            for (const i of c.itemsIndex) {
              const item = toConfirm.find((x) => x.index === i)!;
              await tx('customer_preferences').where({ customer_id: input.customerId, channel: item.channel, topic: item.topic }).update({ pending_confirmation: c.id });
              changed.push({ channel: item.channel, topic: item.topic, from: false, to: 'pending' });
            }
          }
          confirmations = sent.map(({ itemsIndex: _, ...c }) => c);
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
            detail: {
              via: input.via,
              preferences: changed,
              sendWindows: windowsChanged,
              ...(input.reason ? { reason: input.reason } : {}),
              ...(input.evidence?.ip || input.evidence?.userAgent ? { ip: input.evidence.ip ?? null, userAgent: input.evidence.userAgent ?? null } : {}),
              ...(confirmations.length ? { confirmations: confirmations.map((c) => c.id) } : {}),
            },
          });
        }
        return { preferences: changed, sendWindows: windowsChanged, confirmations };
      });
    },
  };
}
