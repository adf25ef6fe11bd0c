/**
 * Preferences and consent, for a data steward: GET/PUT /api/customers/{id}/preferences. The
 * customer's own door is api/routes/portal/preferences.ts; both share the body, its checks and
 * the repository, which writes each change with its audit entry (who and how).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { CalendarError, checkRule, isKnownCountry } from '../../../domain/calendar/index.js';
import { PREFERENCE_CHANNELS, TOPICS, UNSUPPRESSIBLE_KINDS, type PreferenceSource } from '../../../domain/channels/preferences.js';
import { customerRepository } from '../../../storage/customers.js';
import type { Db } from '../../../storage/db.js';
import { ConsentConfirmationError, type ConfirmationSettings, type RequestEvidence } from '../../../storage/consent-confirmations.js';
import { preferenceRepository } from '../../../storage/preferences.js';
import { principal } from '../../plugins/app/auth.js';
import { HttpProblem, notFound } from '../../plugins/problem.js';
import { authProblems, Problem } from '../../schemas/common.js';

const lit = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });

export const PreferencesBody = Type.Object(
  {
    preferences: Type.Optional(Type.Array(Type.Object({ channel: lit(PREFERENCE_CHANNELS), topic: lit(TOPICS), optedIn: Type.Boolean() }, { additionalProperties: false }), { maxItems: 64 })),
    sendWindows: Type.Optional(
      Type.Array(
        Type.Object(
          { channel: lit([...PREFERENCE_CHANNELS, '*'] as const), timeZone: Type.String({ minLength: 1, maxLength: 64 }), start: Type.Optional(HHMM), end: Type.Optional(HHMM), businessDaysOf: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Z]{2}$' }), Type.Null()])) },
          { additionalProperties: false },
        ),
        { maxItems: 8 },
      ),
    ),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type PreferencesBody = Static<typeof PreferencesBody>;

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
export const PreferencesView = Type.Object({
  customerId: Type.String(),
  preferences: Type.Array(
    Type.Object({
      channel: Type.String(),
      topic: Type.String(),
      optedIn: Type.Boolean(),
      default: Type.Boolean(),
      updatedBy: Nullable(Type.String()),
      via: Nullable(Type.String()),
      updatedAt: Nullable(Type.String()),
      /** An opt-in waiting for the customer's confirmation (double opt-in): not consent yet. */
      pending: Type.Boolean(),
      pendingExpiresAt: Nullable(Type.String()),
    }),
  ),
  sendWindows: Type.Array(Type.Object({ channel: Type.String(), timeZone: Type.String(), start: Type.String(), end: Type.String(), businessDaysOf: Nullable(Type.String()), updatedBy: Type.String(), via: Type.String(), updatedAt: Type.String() })),
  unsuppressibleKinds: Type.Array(Type.String()),
  /** Confirmations this change sent (SMS code or email link), when an opt-in needs one. */
  confirmationsSent: Type.Optional(Type.Array(Type.Object({ id: Type.String(), method: Type.String(), sentTo: Type.String(), items: Type.Array(Type.Object({ channel: Type.String(), topic: Type.String() })), expiresAt: Type.String() }))),
});

/** Where a request came from: the evidence kept with a double opt-in. */
export const evidenceOf = (request: { ip?: string; headers: Record<string, unknown> }): RequestEvidence => ({ ip: request.ip ?? null, userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null });

/** A confirmation refusal as problem+json naming its field. */
export function consentProblem(err: unknown): never {
  if (err instanceof ConsentConfirmationError) throw new HttpProblem(err.status, err.message, { field: err.field });
  throw err;
}

/** Checks what the schema cannot (a real IANA zone, a non-empty window, a known country) and applies the change. */
export async function applyPreferences(db: Db, input: { customerId: string; actor: string; via: PreferenceSource; body: PreferencesBody; now: Date; evidence?: RequestEvidence; confirmation: ConfirmationSettings }) {
  const body = input.body;
  if (!body.preferences?.length && !body.sendWindows?.length) throw new HttpProblem(400, 'nothing to change: give preferences or sendWindows', { field: 'body.preferences' });
  const seen = new Set<string>();
  body.preferences?.forEach((p, i) => {
    const key = `${p.channel}/${p.topic}`;
    if (seen.has(key)) throw new HttpProblem(400, `${key} is given twice`, { field: `body.preferences.${i}` });
    seen.add(key);
  });
  body.sendWindows?.forEach((w, i) => {
    try {
      checkRule({ timeZone: w.timeZone, window: { start: w.start ?? '08:00', end: w.end ?? '20:00' } });
    } catch (err) {
      if (err instanceof CalendarError) throw new HttpProblem(400, err.message, { field: `body.sendWindows.${i}.${err.field === 'timeZone' ? 'timeZone' : err.field.replace('window.', '')}` });
      throw err;
    }
    if (w.businessDaysOf && !isKnownCountry(w.businessDaysOf)) throw new HttpProblem(400, `no holiday calendar for country '${w.businessDaysOf}'`, { field: `body.sendWindows.${i}.businessDaysOf` });
  });
  return preferenceRepository(db)
    .change({ customerId: input.customerId, actor: input.actor, via: input.via, preferences: body.preferences, sendWindows: body.sendWindows, reason: body.reason, now: input.now, evidence: input.evidence, confirmation: input.confirmation })
    .catch(consentProblem);
}

export async function preferencesView(db: Db, customerId: string) {
  return { ...(await preferenceRepository(db).view(customerId)), unsuppressibleKinds: [...UNSUPPRESSIBLE_KINDS] };
}

const STEWARDS = ['data-steward', 'admin'] as const;
const STAFF = ['analyst', 'engineer', 'approver', 'agent', 'data-steward', 'compliance', 'admin'] as const;
const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export async function customerPreferenceRoutes(app: FastifyInstance, opts: { db: Db; now?: () => Date; confirmation: ConfirmationSettings }): Promise<void> {
  const { db } = opts;
  const now = opts.now ?? (() => new Date());
  app.get(
    '/api/customers/:id/preferences',
    { config: { roles: [...STAFF] }, schema: { tags: ['customers'], summary: "A customer's preferences per channel and topic, and sending windows (quiet hours)", params: Params, response: { 200: PreferencesView, 400: Problem, 404: Problem, ...authProblems } } },
    async (request) => {
      const { id } = request.params as { id: string };
      if (!(await customerRepository(db).get(id))) throw notFound('customer');
      return preferencesView(db, id);
    },
  );
  app.put(
    '/api/customers/:id/preferences',
    {
      bodyLimit: 16 * 1024,
      config: { roles: [...STEWARDS] },
      schema: { tags: ['customers'], summary: 'Change preferences and sending windows for a customer (data stewards); audited with who and how; an opt-in to SMS or marketing waits for the customer to confirm (double opt-in)', params: Params, body: PreferencesBody, response: { 200: PreferencesView, 400: Problem, 404: Problem, ...authProblems } },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      if (!(await customerRepository(db).get(id))) throw notFound('customer');
      const changed = await applyPreferences(db, { customerId: id, actor: principal(request).id, via: 'api', body: request.body as PreferencesBody, now: now(), evidence: evidenceOf(request), confirmation: opts.confirmation });
      return { ...(await preferencesView(db, id)), ...(changed.confirmations.length ? { confirmationsSent: changed.confirmations } : {}) };
    },
  );
}
