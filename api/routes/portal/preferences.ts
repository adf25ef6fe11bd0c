/**
 * The customer's preference centre: GET/PUT /api/portal/preferences, for their own customer
 * only; each change is audited with the portal user and `via: portal`.
 */
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../../storage/db.js';
import { principal } from '../../plugins/app/auth.js';
import { HttpProblem } from '../../plugins/problem.js';
import { authProblems, Problem } from '../../schemas/common.js';
import { applyPreferences, PreferencesBody, PreferencesView, preferencesView } from '../customers/preferences.js';

const config = { roles: ['customer' as const] };

export async function portalPreferenceRoutes(app: FastifyInstance, opts: { db: Db; now?: () => Date }): Promise<void> {
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
      await applyPreferences(db, { customerId, actor: who.id, via: 'portal', body: request.body as PreferencesBody, now: now() });
      return preferencesView(db, customerId);
    },
  );
}
