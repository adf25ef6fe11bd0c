/**
 * Security headers (helmet) with a Content-Security-Policy no wider than the web UI needs, signed cookies, and a rate limit per token (or session, or
 * address when anonymous). Failed authentications are counted apart, per client address: the auth hook answers a bad
 * token before @fastify/rate-limit's per-token bucket ever sees it, so without this count a guesser is never slowed.
 */
import { createHash } from 'node:crypto';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { global } from '../global.js';
import { HttpProblem } from '../problem.js';

export interface SecurityOptions {
  cookieSecret: string;
  rateLimit: { max: number; timeWindow: number };
  /** Failed authentications per client address per window; past `max` the address is refused (429) for a window. */
  authFailures?: { max: number; timeWindow: number };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route checks credentials in its body (sign-in): its 401s count as failed authentications. */
    signIn?: boolean;
  }
}

export const DEFAULT_AUTH_FAILURES = { max: 20, timeWindow: 60_000 } as const;

export const SESSION_COOKIE = 'herald_session';

/** The rate-limit bucket: the token id (never the secret), the session, or the address. */
export function rateLimitKey(request: FastifyRequest): string {
  const auth = request.headers.authorization;
  if (auth?.startsWith('Bearer ')) {
    const m = /^hrd_([a-z0-9-]{1,40})_/.exec(auth.slice(7).trim());
    return m ? `token:${m[1]}` : `bad-token:${request.ip}`;
  }
  const session = request.cookies?.[SESSION_COOKIE];
  if (session) return `session:${createHash('sha256').update(session).digest('hex').slice(0, 32)}`;
  return `ip:${request.ip}`;
}

/** How a route authenticates: the route's `auth` config, else a user under /api/ and nothing elsewhere. */
export function authModeOf(request: FastifyRequest): 'user' | 'none' | 'signature' {
  return request.routeOptions.config?.auth ?? (request.url.startsWith('/api/') ? 'user' : 'none');
}

/**
 * Failed authentications per address in a fixed window that opens at the first failure. The
 * `max`-th failure blocks the address for a whole window from then on; failures while blocked are
 * refused before they are checked, so they neither count nor extend the block. In memory, per
 * process, like the rate-limit buckets: each API process counts what it sees.
 */
export function createFailureCounter(limit: { max: number; timeWindow: number }, now: () => number = Date.now) {
  const byAddress = new Map<string, { count: number; windowEnd: number; blockedUntil: number }>();
  // an attacker rotating addresses must not grow the map without bound: expired entries go first, then the oldest
  const MAX_ADDRESSES = 100_000;
  const prune = (t: number) => {
    for (const [address, e] of byAddress) if (e.windowEnd <= t && e.blockedUntil <= t) byAddress.delete(address);
    for (const address of byAddress.keys()) {
      if (byAddress.size < MAX_ADDRESSES) break;
      byAddress.delete(address);
    }
  };
  return {
    /** Milliseconds the address stays refused; 0 when it is not. */
    blockedFor(address: string): number {
      const e = byAddress.get(address);
      return e ? Math.max(0, e.blockedUntil - now()) : 0;
    },
    /** Counts one failure; says how many the window holds and whether this one blocked the address. */
    fail(address: string): { count: number; blocked: boolean } {
      const t = now();
      let e = byAddress.get(address);
      if (!e || e.windowEnd <= t) {
        if (!e && byAddress.size >= MAX_ADDRESSES) prune(t);
        e = { count: 0, windowEnd: t + limit.timeWindow, blockedUntil: e?.blockedUntil ?? 0 };
        byAddress.set(address, e);
      }
      e.count++;
      const blocked = e.count >= limit.max && e.blockedUntil <= t;
      if (blocked) e.blockedUntil = t + limit.timeWindow;
      return { count: e.count, blocked };
    },
  };
}

/** A 401 counts when the caller offered something to check: a token, a session cookie, a signature, a sign-in. */
function offeredCredentials(request: FastifyRequest): boolean {
  return !!(request.headers.authorization || request.headers['x-herald-signature'] || request.cookies?.[SESSION_COOKIE] || request.routeOptions.config?.signIn);
}

export const security = global(async (app: FastifyInstance, opts: SecurityOptions) => {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        // the bundle is one module file: no inline or evaluated script
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        // bpmn-js, diagram-js and form-js position and colour elements with inline styles
        styleSrc: ["'self'", "'unsafe-inline'"],
        // bpmn-js' palette icons and markers are data: URIs; chart.js draws on canvas, exported as blob:
        imgSrc: ["'self'", 'data:', 'blob:'],
        // the bpmn icon font is embedded in the stylesheet as a data: URI
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        // rendered messages are shown in sandboxed srcdoc iframes, which this policy also governs
        frameSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'self'"],
      },
    },
  });
  await app.register(cookie, { secret: opts.cookieSecret });
  await app.register(rateLimit, {
    max: opts.rateLimit.max,
    timeWindow: opts.rateLimit.timeWindow,
    keyGenerator: rateLimitKey,
    errorResponseBuilder: (_request, ctx) => ({ statusCode: 429, type: 'about:blank', status: 429, title: `rate limit exceeded: ${ctx.max} requests per ${ctx.after}` }),
  });

  // An address past its failure limit is refused on every route that checks credentials, a valid
  // token included: a guesser that finds a token in the window gains nothing from it, and the
  // owner of a good token behind the same address waits out one window (Retry-After says how long).
  // Public routes (health, the UI, tracking links) stay open.
  const limit = opts.authFailures ?? DEFAULT_AUTH_FAILURES;
  const failures = createFailureCounter(limit);
  const checksCredentials = (request: FastifyRequest) => authModeOf(request) !== 'none' || !!request.routeOptions.config?.signIn;
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!checksCredentials(request)) return;
    const ms = failures.blockedFor(request.ip);
    if (!ms) return;
    const retryAfter = Math.ceil(ms / 1000);
    request.log.warn({ address: request.ip, method: request.method, route: request.routeOptions.url, retryAfterSeconds: retryAfter, rule: 'auth-failures' }, 'auth: refused, too many failed authentications from this address');
    void reply.header('Retry-After', String(retryAfter));
    throw new HttpProblem(429, `too many failed authentications from this address (${limit.max} within ${limit.timeWindow / 1000} s); it is refused for ${retryAfter} s more, whatever the credentials`, { rule: 'auth-failures', retryAfter });
  });
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    if (reply.statusCode !== 401 || !offeredCredentials(request)) return;
    const { count, blocked } = failures.fail(request.ip);
    if (blocked) request.log.warn({ address: request.ip, failures: count, limit: limit.max, windowSeconds: limit.timeWindow / 1000, route: request.routeOptions.url, rule: 'auth-failures' }, 'auth: address blocked after repeated failed authentications');
    else request.log.info({ address: request.ip, failures: count, route: request.routeOptions.url }, 'auth: failed authentication');
  });
});
