/**
 * A customer's frequency caps (issue #19; docs/delivery.md, "Digests and frequency caps"):
 * GET/PUT /api/customers/{id}/frequency-caps. At most `maxMessages` per channel reach the
 * customer in any rolling `windowSeconds`; '*' is every channel without a cap of its own; `remove: true`
 * removes a cap (HERALD_FREQUENCY_CAP, else none, applies again). Data stewards change them,
 * audited as customer.preferences-changed with who, how and each cap from → to.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { PREFERENCE_CHANNELS, UNSUPPRESSIBLE_KINDS } from '../../../domain/channels/preferences.js';
import { customerRepository } from '../../../storage/customers.js';
import type { Db } from '../../../storage/db.js';
import { changeFrequencyCaps, digestRepository } from '../../../storage/digests.js';
import { principal } from '../../plugins/app/auth.js';
import { HttpProblem, notFound } from '../../plugins/problem.js';
import { authProblems, Problem } from '../../schemas/common.js';

const Channel = Type.Union([...PREFERENCE_CHANNELS, '*'].map((c) => Type.Literal(c)));
export const FrequencyCapsBody = Type.Object(
  {
    caps: Type.Array(
      Type.Object(
        {
          channel: Channel,
          maxMessages: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          windowSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 31 * 86_400 })),
          /** Removes the customer's cap on this channel (the default applies again). */
          remove: Type.Optional(Type.Literal(true)),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 5 },
    ),
  },
  { additionalProperties: false },
);
export type FrequencyCapsBody = Static<typeof FrequencyCapsBody>;

export const FrequencyCapsView = Type.Object({
  customerId: Type.String(),
  caps: Type.Array(Type.Object({ channel: Type.String(), maxMessages: Type.Integer(), windowSeconds: Type.Integer() })),
  /** Kinds never counted nor held (legal notices). */
  uncappedKinds: Type.Array(Type.String()),
});

const STEWARDS = ['data-steward', 'admin'] as const;
const STAFF = ['analyst', 'engineer', 'approver', 'agent', 'data-steward', 'compliance', 'admin'] as const;
const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export async function customerFrequencyCapRoutes(app: FastifyInstance, opts: { db: Db; now?: () => Date }): Promise<void> {
  const { db } = opts;
  const now = opts.now ?? (() => new Date());
  const view = async (customerId: string) => ({ customerId, caps: await digestRepository(db).caps(customerId), uncappedKinds: [...UNSUPPRESSIBLE_KINDS] });
  app.get(
    '/api/customers/:id/frequency-caps',
    { config: { roles: [...STAFF] }, schema: { tags: ['customers'], summary: "A customer's frequency caps per channel (at most N messages per rolling window)", params: Params, response: { 200: FrequencyCapsView, 400: Problem, 404: Problem, ...authProblems } } },
    async (request) => {
      const { id } = request.params as Static<typeof Params>;
      if (!(await customerRepository(db).get(id))) throw notFound('customer');
      return view(id);
    },
  );
  app.put(
    '/api/customers/:id/frequency-caps',
    {
      bodyLimit: 8 * 1024,
      config: { roles: [...STEWARDS] },
      schema: { tags: ['customers'], summary: "Set or remove a customer's frequency caps (data stewards); audited with who and how", params: Params, body: FrequencyCapsBody, response: { 200: FrequencyCapsView, 400: Problem, 404: Problem, ...authProblems } },
    },
    async (request) => {
      const { id } = request.params as Static<typeof Params>;
      const body = request.body as FrequencyCapsBody;
      if (!(await customerRepository(db).get(id))) throw notFound('customer');
      const seen = new Set<string>();
      body.caps.forEach((c, i) => {
        if (seen.has(c.channel)) throw new HttpProblem(400, `the cap for ${c.channel} is given twice`, { field: `body.caps.${i}.channel` });
        seen.add(c.channel);
        if ((c.maxMessages === undefined) === (c.remove === undefined)) throw new HttpProblem(400, 'give either maxMessages (1-1000) or remove: true', { field: `body.caps.${i}.maxMessages` });
      });
      const caps = body.caps.map((c) => ({ channel: c.channel, maxMessages: c.remove ? null : c.maxMessages!, windowSeconds: c.windowSeconds }));
      await changeFrequencyCaps(db, { customerId: id, actor: principal(request).id, via: 'api', caps, now: now() });
      return view(id);
    },
  );
}
