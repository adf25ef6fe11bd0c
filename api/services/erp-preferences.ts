/**
 * Preference changes from the ERP (#19): a customer.updated event may carry `preferences`
 * (opt-outs, or opt-ins that need no confirmation), applied through the same preference
 * repository as the portal and the API, audited as the event's source (system:erp) with
 * `via: erp-event`. An ERP cannot give a customer's double opt-in (SMS, marketing): only the
 * customer can confirm one, so such an opt-in is refused, naming the entry.
 */
import { needsDoubleOptIn } from '../../domain/channels/double-opt-in.js';
import { customerRepository } from '../../storage/customers.js';
import type { Db } from '../../storage/db.js';
import { preferenceRepository, type PreferenceChange } from '../../storage/preferences.js';
import { HttpProblem } from '../plugins/problem.js';

const FIELD = 'body.data.preferences';

/** Refuses what cannot be applied before the event is accepted. */
export async function checkErpPreferences(db: Db, customerId: string, preferences: PreferenceChange[], createsCustomer: boolean): Promise<void> {
  const seen = new Set<string>();
  const current = await preferenceRepository(db).rows(customerId);
  for (const [i, p] of preferences.entries()) {
    const key = `${p.channel}/${p.topic}`;
    if (seen.has(key)) throw new HttpProblem(400, `${FIELD}.${i}: ${key} is given twice`, { field: `${FIELD}.${i}` });
    seen.add(key);
    const already = current.find((r) => r.channel === p.channel && r.topic === p.topic)?.optedIn;
    if (p.optedIn && needsDoubleOptIn(p.channel, p.topic) && already !== true) {
      throw new HttpProblem(422, `${FIELD}.${i}: an opt-in to ${p.topic} on ${p.channel} needs the customer's own confirmation (double opt-in), which an ERP event cannot give; the customer opts in in the portal`, { field: `${FIELD}.${i}` });
    }
  }
  if (!createsCustomer && !(await customerRepository(db).get(customerId))) throw new HttpProblem(422, `body.data.customerId: customer ${customerId} is not in the customer master`, { field: 'body.data.customerId' });
}

/** Applies them, audited as the event's source with `via: erp-event` and the event's id as the reason. */
export async function applyErpPreferences(db: Db, input: { customerId: string; actor: string; eventId: string; preferences: PreferenceChange[]; now: Date }) {
  return preferenceRepository(db).change({ customerId: input.customerId, actor: input.actor, via: 'erp-event', preferences: input.preferences, reason: `customer.updated event ${input.eventId}`, now: input.now });
}
