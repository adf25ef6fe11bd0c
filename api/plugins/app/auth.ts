/**
 * Who is calling: a Bearer API token or a signed session cookie. Every route under /api needs
 * one unless its config says `auth: 'none'` (health, docs) or `auth: 'signature'` (trigger
 * events, HMAC-signed); `roles` narrows a route to some roles. A 401 to a caller that offered
 * credentials counts as a failed authentication of its address (plugins/external/security.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { groupsOf, type Role, type User } from '../../../domain/identity/index.js';
import type { IdentityRepository } from '../../../storage/repositories/identity.js';
import { global } from '../global.js';
import { HttpProblem } from '../problem.js';
import { authModeOf, SESSION_COOKIE } from '../external/security.js';

export interface Principal extends User {
  groups: string[];
  via: 'token' | 'session';
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    auth?: 'user' | 'none' | 'signature';
    roles?: Role[];
  }
}

export function principal(request: FastifyRequest): Principal {
  if (!request.principal) throw new HttpProblem(401, 'authentication required');
  return request.principal;
}

export const auth = global(async (app: FastifyInstance, opts: { identity: IdentityRepository }) => {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config ?? {};
    if (authModeOf(request) !== 'user') return;
    const header = request.headers.authorization;
    let user: User | undefined;
    let via: Principal['via'] = 'token';
    if (header) {
      if (!header.startsWith('Bearer ')) throw new HttpProblem(401, 'Authorization must be "Bearer <token>"', { field: 'header.authorization' });
      user = (await opts.identity.userForToken(header.slice(7).trim()))?.user;
      if (!user) throw new HttpProblem(401, 'the API token is unknown, revoked or expired', { field: 'header.authorization' });
    } else {
      const raw = request.cookies?.[SESSION_COOKIE];
      if (raw) {
        const unsigned = request.unsignCookie(raw);
        if (unsigned.valid && unsigned.value) user = await opts.identity.userForSession(unsigned.value);
        via = 'session';
        // a bad or expired cookie is dropped, so a browser that kept one counts one failed authentication, not one per request
        if (!user) void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      }
    }
    if (!user) {
      void reply.header('WWW-Authenticate', 'Bearer realm="herald"');
      throw new HttpProblem(401, 'authentication required: send "Authorization: Bearer <token>" or sign in');
    }
    request.principal = { ...user, groups: groupsOf(user), via };
    if (config.roles && !config.roles.some((r) => user.roles.includes(r))) {
      throw new HttpProblem(403, `this needs one of the roles ${config.roles.join(', ')}; ${user.id} has ${user.roles.join(', ')}`, { rule: 'role' });
    }
  });
});
