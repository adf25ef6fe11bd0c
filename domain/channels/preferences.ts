/**
 * Preferences and consent at send time. A customer opts in or out per channel and topic; a
 * communication's topic follows from its kind (and its data). Legal notices are never suppressed
 * and may go out in quiet hours (docs/delivery.md lists them). Pure: the caller loads the rows.
 */
import type { QuietHoursRule } from '../calendar/quiet-hours.js';

export const TOPICS = ['invoices', 'reminders', 'account-updates', 'marketing'] as const;
export type Topic = (typeof TOPICS)[number];
export const PREFERENCE_CHANNELS = ['email', 'sms', 'portal', 'crm'] as const;
export type PreferenceChannel = (typeof PREFERENCE_CHANNELS)[number];
/** Kinds that cannot be suppressed by a preference nor held by quiet hours (they override, audited). */
export const UNSUPPRESSIBLE_KINDS = ['legal'] as const;
export const PREFERENCE_SOURCES = ['portal', 'api', 'erp-event'] as const;
export type PreferenceSource = (typeof PREFERENCE_SOURCES)[number];

export interface PreferenceRow {
  channel: string;
  topic: string;
  optedIn: boolean;
  /** An opt-in the customer has not confirmed yet (double opt-in): not consent. */
  pending?: boolean;
}

/** Marketing is opt-in; everything else is sent unless the customer opted out. */
export const defaultOptIn = (topic: Topic): boolean => topic !== 'marketing';

/** The topic of a communication: `data.topic` when set to a known topic, else by kind. */
export function topicOf(kind: string, data: Record<string, unknown> = {}): Topic | 'legal' {
  if (kind === 'legal') return 'legal';
  if (typeof data.topic === 'string' && (TOPICS as readonly string[]).includes(data.topic)) return data.topic as Topic;
  if (kind === 'marketing') return 'marketing';
  if (kind === 'dunning') return 'reminders';
  return typeof data.invoiceId === 'string' && data.invoiceId ? 'invoices' : 'account-updates';
}

export const isUnsuppressible = (kind: string) => (UNSUPPRESSIBLE_KINDS as readonly string[]).includes(kind);

export type PreferenceVerdict = { send: true; topic: Topic | 'legal'; override?: string } | { send: false; topic: Topic; reason: string };

/** Whether a communication of this kind may go to this channel under the customer's preferences. */
export function preferenceVerdict(rows: PreferenceRow[], channel: string, kind: string, data: Record<string, unknown> = {}): PreferenceVerdict {
  // the confirmation of a double opt-in answers the customer's own request: no preference holds it back
  if (typeof data.consentConfirmationId === 'string') return { send: true, topic: 'account-updates' };
  const topic = topicOf(kind, data);
  if (topic === 'legal') {
    const optedOut = rows.some((r) => r.channel === channel && r.optedIn === false);
    return { send: true, topic, ...(optedOut ? { override: 'a legal notice cannot be suppressed by preferences' } : {}) };
  }
  const row = rows.find((r) => r.channel === channel && r.topic === topic);
  const optedIn = row ? row.optedIn : defaultOptIn(topic);
  if (optedIn) return { send: true, topic };
  if (row?.pending) return { send: false, topic, reason: `${topic} on ${channel} awaits the customer's confirmation (double opt-in)` };
  return { send: false, topic, reason: row ? `the customer opted out of ${topic} on ${channel}` : `${topic} on ${channel} needs the customer's opt-in` };
}

export interface WindowRow {
  channel: string;
  timeZone: string;
  start: string;
  end: string;
  businessDaysOf: string | null;
}

/** The quiet-hours rule for a channel: the channel's own row, else the customer's '*' row, else none. */
export function windowFor(rows: WindowRow[], channel: string): QuietHoursRule | undefined {
  const row = rows.find((r) => r.channel === channel) ?? rows.find((r) => r.channel === '*');
  return row ? { timeZone: row.timeZone, window: { start: row.start, end: row.end }, businessDaysOf: row.businessDaysOf } : undefined;
}
