/**
 * The links messages carry into the customer portal (`/portal/`, `/portal/invoices/:id`,
 * `/portal/pay/:id`, `/portal/requests/:reference`, `/portal/agreements/:id`) are real addresses: each answers with a
 * redirect into the web UI's portal route (`/#/portal/...`), where a customer who is not signed
 * in is asked to sign in first and then sees only their own invoices and requests. Nothing is
 * looked up here, so a link never tells a stranger whether an invoice exists.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../../storage/db.js';

const Ref = Type.Object({ ref: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' }) });
const Redirect = { 302: Type.Null({ description: 'to the web UI portal route' }) };

export async function portalDeepLinkRoutes(app: FastifyInstance, _opts: { db: Db }): Promise<void> {
  const to = (hash: string) => `/#/portal${hash}`;
  for (const path of ['/portal', '/portal/']) {
    app.get(path, { config: { auth: 'none' }, schema: { tags: ['portal'], summary: 'The customer portal (link target in messages)', security: [], response: Redirect } }, async (_request, reply) => reply.redirect(to(''), 302));
  }
  for (const [segment, what] of [['invoices', 'an invoice'], ['pay', 'paying an invoice'], ['requests', 'a request'], ['agreements', 'a restructuring agreement']] as const) {
    app.get(
      `/portal/${segment}/:ref`,
      { config: { auth: 'none' }, schema: { tags: ['portal'], operationId: `openPortalDeepLink${segment[0].toUpperCase()}${segment.slice(1)}`, summary: `Deep link to ${what} in the customer portal (sign-in first)`, security: [], params: Ref, response: { ...Redirect, 400: Type.Object({}, { additionalProperties: true }) } } },
      async (request, reply) => reply.redirect(to(`/${segment}/${encodeURIComponent((request.params as { ref: string }).ref)}`), 302),
    );
  }
}
