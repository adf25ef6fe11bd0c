/**
 * Browser sessions: people sign in with their user name and password (or an API token) and then
 * carry a signed, HttpOnly cookie. `GET /api/me` says who you are to Herald. Sign-in attempts
 * are rate-limited per address, and a wrong password and an unknown user get the same answer; each
 * refused sign-in also counts as a failed authentication of the address (plugins/external/security.ts).
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

export interface SessionRouteOptions {
  identity: IdentityRepository;
  sessionTtlMs: number;
  secureCookies: boolean;
  /** Sign-in attempts per address per window; 10 a minute unless told. */
  signInLimit?: { max: number; timeWindow: number };
}

export async function sessionRoutes(app: FastifyInstance, opts: SessionRouteOptions): Promise<void> {
  const { identity } = opts;
  const limit = opts.signInLimit ?? { max: 10, timeWindow: 60_000 };

  app.get('/api/me', { schema: { tags: ['session'], summary: 'Who is signed in: id, name, roles, groups and approval level', response: { 200: Me, ...authProblems } } }, async (request) => me(principal(request)));

  app.post(
    '/api/session',
    {
      bodyLimit: 4096,
      config: { auth: 'none', signIn: true, rateLimit: { max: limit.max, timeWindow: limit.timeWindow, keyGenerator: (request) => `sign-in:${request.ip}` } },
      schema: {
        tags: ['session'],
        summary: 'Sign in with user name and password, or with an API token; sets the session cookie',
        security: [],
        body: SignIn,
        response: { 201: Me, 400: Problem, 401: Problem, 429: Problem },
      },
    },
    async (request, reply) => {
      const body = request.body as SignIn;
      let user: User | undefined;
      if ('token' in body) {
        user = (await identity.userForToken(body.token))?.user;
        if (!user) throw new HttpProblem(401, 'the API token is unknown, revoked or expired', { field: 'body.token' });
      } else {
        user = await identity.userForPassword(body.username.trim(), body.password);
        if (!user) throw new HttpProblem(401, 'unknown user name or wrong password');
      }
      const sid = await identity.createSession(user.id, opts.sessionTtlMs);
      void reply.setCookie(SESSION_COOKIE, sid, { signed: true, httpOnly: true, sameSite: 'strict', secure: opts.secureCookies, path: '/', maxAge: Math.floor(opts.sessionTtlMs / 1000) });
      reply.status(201);
      return me(user);
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
