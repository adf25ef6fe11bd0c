/**
 * Browser sessions: the UI signs in once with an API token and then carries a signed, HttpOnly
 * cookie. `GET /api/me` says who you are to Herald.
 */
import type { FastifyInstance } from 'fastify';
import { groupsOf, type User } from '../../../domain/identity/index.js';
import type { IdentityRepository } from '../../../storage/repositories/identity.js';
import { principal } from '../../plugins/app/auth.js';
import { SESSION_COOKIE } from '../../plugins/external/security.js';
import { HttpProblem } from '../../plugins/problem.js';
import { authProblems, Problem } from '../../schemas/common.js';
import { Me, SignIn } from '../../schemas/session.js';
import { Type } from '@sinclair/typebox';

const me = (u: User) => ({ id: u.id, name: u.name, roles: u.roles, approverLevel: u.approverLevel ?? null, groups: groupsOf(u), customerId: u.customerId ?? null });

export async function sessionRoutes(app: FastifyInstance, opts: { identity: IdentityRepository; sessionTtlMs: number; secureCookies: boolean }): Promise<void> {
  const { identity } = opts;

  app.get('/api/me', { schema: { tags: ['session'], response: { 200: Me, ...authProblems } } }, async (request) => me(principal(request)));

  app.post(
    '/api/session',
    { bodyLimit: 4096, config: { auth: 'none' }, schema: { tags: ['session'], summary: 'Sign in with an API token; sets the session cookie', security: [], body: SignIn, response: { 201: Me, 400: Problem, 401: Problem, 429: Problem } } },
    async (request, reply) => {
      const found = await identity.userForToken((request.body as SignIn).token);
      if (!found) throw new HttpProblem(401, 'the API token is unknown, revoked or expired', { field: 'body.token' });
      const sid = await identity.createSession(found.user.id, opts.sessionTtlMs);
      void reply.setCookie(SESSION_COOKIE, sid, { signed: true, httpOnly: true, sameSite: 'strict', secure: opts.secureCookies, path: '/', maxAge: Math.floor(opts.sessionTtlMs / 1000) });
      reply.status(201);
      return me(found.user);
    },
  );

  app.delete('/api/session', { schema: { tags: ['session'], summary: 'Sign out', response: { 204: Type.Null(), ...authProblems } } }, async (request, reply) => {
    principal(request);
    const raw = request.cookies[SESSION_COOKIE];
    const unsigned = raw ? request.unsignCookie(raw) : undefined;
    if (unsigned?.valid && unsigned.value) await identity.deleteSession(unsigned.value);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.status(204).send();
  });
}
