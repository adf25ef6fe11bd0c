/**
 * The customer's word at send time: preferences per channel and topic (an opted-out topic is not
 * sent, recorded as suppressed with the reason) and the sending window (outside it the message is
 * deferred to the next allowed instant). Legal notices are neither suppressed nor held; when one
 * goes out against an opt-out or in quiet hours, the override is audited.
 */
import type { Knex } from 'knex';
import { isInsideWindow, nextAllowedInstant } from '../../domain/calendar/quiet-hours.js';
import { isUnsuppressible, preferenceVerdict, windowFor, type PreferenceVerdict } from '../../domain/channels/preferences.js';
import { preferenceRepository } from '../../storage/preferences.js';

export type SendGate = { action: 'send'; topic: string; overrides: string[] } | { action: 'suppress'; topic: string; reason: string } | { action: 'defer'; topic: string; until: Date; timeZone: string };

export async function sendGate(db: Knex, communicationId: string, channel: string, now: Date): Promise<SendGate> {
  const c = await db('communications').where({ id: communicationId }).first('customer_id', 'kind', 'data');
  if (!c) return { action: 'send', topic: 'unknown', overrides: [] };
  const data = (typeof c.data === 'string' ? JSON.parse(c.data) : (c.data ?? {})) as Record<string, unknown>;
  const prefs = preferenceRepository(db);
  const verdict: PreferenceVerdict = preferenceVerdict(await prefs.rows(c.customer_id), channel, c.kind, data);
  if (!verdict.send) return { action: 'suppress', topic: verdict.topic, reason: verdict.reason };
  const overrides = verdict.override ? [verdict.override] : [];
  // a confirmation code or link the customer just asked for is not held for their quiet hours
  const rule = typeof data.consentConfirmationId === 'string' ? undefined : windowFor(await prefs.windows(c.customer_id), channel);
  if (rule && !isInsideWindow(now, rule)) {
    if (isUnsuppressible(c.kind)) overrides.push(`a legal notice is sent in the recipient's quiet hours (${rule.timeZone})`);
    else return { action: 'defer', topic: verdict.topic, until: nextAllowedInstant(now, rule), timeZone: rule.timeZone };
  }
  return { action: 'send', topic: verdict.topic, overrides };
}
