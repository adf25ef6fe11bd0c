/**
 * The customer's preference centre: GET/PUT /api/portal/preferences, for their own customer
 * only; each change is audited with the portal user and `via: portal`. An opt-in to SMS is
 * confirmed with the code sent by SMS: POST /api/portal/preferences/confirm.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { consentConfirmationRepository, type ConfirmationSettings } from '../../../storage/consent-confirmations.js';
import type { Db } from '../../../storage/db.js';
import { principal } from '../../plugins/app/auth.js';
import { HttpProblem } from '../../plugins/problem.js';
import { authProblems, Problem } from '../../schemas/common.js';
import { applyPreferences, consentProblem, evidenceOf, PreferencesBody, PreferencesView, preferencesView } from '../customers/preferences.js';

const config = { roles: ['customer' as const] };

const ConfirmBody = Type.Object({ code: Type.String({ pattern: '^\\s*[0-9]{6}\\s*$' }) }, { additionalProperties: false });

export async function portalPreferenceRoutes(app: FastifyInstance, opts: { db: Db; now?: () => Date; confirmation: ConfirmationSettings }): Promise<void> {
  const { db } = opts;
  const now = opts.now ?? (() => new Date());
  const customerOf = (id: string, customerId: string | null | undefined) => {
    if (!customerId) throw new HttpProblem(403, `${id} is not linked to a customer account`, { rule: 'role' });
    return customerId;
  };
  app.get('/api/portal/preferences', { config, schema: { tags: ['portal'], summary: 'My preferences per channel and topic, and my sending windows', response: { 200: PreferencesView, ...authProblems } } }, async (request) => {
    const who = principal(request);
    return preferencesView(db, customerOf(who.id, who.customerId));
  });
  app.put(
    '/api/portal/preferences',
    { bodyLimit: 16 * 1024, config, schema: { tags: ['portal'], summary: 'Opt in or out per channel and topic, set my quiet hours (legal notices are always sent)', body: PreferencesBody, response: { 200: PreferencesView, 400: Problem, ...authProblems } } },
    async (request) => {
      const who = principal(request);
      const customerId = customerOf(who.id, who.customerId);
      const changed = await applyPreferences(db, { customerId, actor: who.id, via: 'portal', body: request.body as PreferencesBody, now: now(), evidence: evidenceOf(request), confirmation: opts.confirmation });
      return { ...(await preferencesView(db, customerId)), ...(changed.confirmations.length ? { confirmationsSent: changed.confirmations } : {}) };
    },
  );
  app.post(
    '/api/portal/preferences/confirm',
    {
      bodyLimit: 1024,
      config,
      schema: { tags: ['portal'], summary: 'Confirm an SMS opt-in with the code sent by SMS (double opt-in); the evidence is kept and audited', body: ConfirmBody, response: { 200: PreferencesView, 400: Problem, 404: Problem, 409: Problem, 410: Problem, ...authProblems } },
    },
    async (request) => {
      const who = principal(request);
      const customerId = customerOf(who.id, who.customerId);
      await consentConfirmationRepository(db)
        .confirmByCode(customerId, (request.body as { code: string }).code, { actor: who.id, evidence: evidenceOf(request) }, now())
        .catch(consentProblem);
      return preferencesView(db, customerId);
    },
  );
}
