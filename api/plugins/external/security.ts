/**
 * Security headers (helmet) with a Content-Security-Policy no wider than the web UI needs, signed cookies, and a rate limit per token (or session, or
 * address when anonymous).
 */
import { createHash } from 'node:crypto';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { global } from '../global.js';

export interface SecurityOptions {
  cookieSecret: string;
  rateLimit: { max: number; timeWindow: number };
}

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
});
