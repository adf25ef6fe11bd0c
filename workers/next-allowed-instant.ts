import { Type } from '@sinclair/typebox';
import { DateTime } from 'luxon';
import { nextAllowedInstant } from '../domain/calendar/quiet-hours.js';
import { isUnsuppressible, preferenceVerdict, windowFor } from '../domain/channels/preferences.js';
import { customerRepository } from '../storage/customers.js';
import { preferenceRepository } from '../storage/preferences.js';
import { bpmnError, complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/**
 * The next instant a message may reach the customer on a channel: inside their sending window
 * (quiet hours, time zone, business days), now when they have none or for a legal notice. Sets
 * nextAllowedAt (ISO instant, for a timer: =date and time(nextAllowedAt)), waitsForQuietHours,
 * nextAllowedLocal and timeZone, and whether the customer consents to the topic on that channel.
 */
export default defineWorker({
  type: 'next-allowed-instant',
  variables: Type.Object({
    customerId: Type.String({ minLength: 1 }),
    channel: Type.Union([Type.Literal('email'), Type.Literal('sms'), Type.Literal('portal'), Type.Literal('crm')]),
    topic: Type.Optional(Type.Union([Type.Literal('invoices'), Type.Literal('reminders'), Type.Literal('account-updates'), Type.Literal('marketing')])),
    kind: Type.Optional(Type.String()),
    // an ISO instant: the earliest the message may go (a due date), else now
    notBefore: Type.Optional(Type.String({ minLength: 1 })),
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    if (!(await customerRepository(deps.db).get(v.customerId))) return bpmnError('CUSTOMER_NOT_FOUND', `customer ${v.customerId} is not in the customer master`);
    const notBefore = v.notBefore ? new Date(v.notBefore) : undefined;
    if (notBefore && Number.isNaN(notBefore.getTime())) return bpmnError('INVALID_INSTANT', `notBefore '${v.notBefore}' is not an ISO instant (e.g. 2026-12-24T09:00:00Z)`);
    const from = notBefore && notBefore > deps.now() ? notBefore : deps.now();
    const prefs = preferenceRepository(deps.db);
    const kind = v.kind ?? 'transactional';
    const consented = preferenceVerdict(await prefs.rows(v.customerId), v.channel, kind, v.topic ? { topic: v.topic } : {}).send;
    const rule = isUnsuppressible(kind) ? undefined : windowFor(await prefs.windows(v.customerId), v.channel);
    const at = rule ? nextAllowedInstant(from, rule) : from;
    const waits = at.getTime() > from.getTime();
    return complete({
      nextAllowedAt: at.toISOString(),
      waitsForQuietHours: waits,
      nextAllowedLocal: rule ? DateTime.fromJSDate(at, { zone: rule.timeZone }).toFormat("yyyy-LL-dd HH:mm") : null,
      timeZone: rule?.timeZone ?? null,
      consented,
    });
  },
});
