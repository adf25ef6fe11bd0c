/**
 * Errors as application/problem+json (RFC 9457): the title says what was wrong, `field`,
 * `element` or `rule` where. 5xx details stay in the log.
 */
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { EngineError } from '../../engine/types.js';

const engineStatus: Record<EngineError['code'], number> = {
  NOT_FOUND: 404,
  INVALID_ARGUMENT: 400,
  INVALID_STATE: 409,
  ALREADY_EXISTS: 409,
  DEPLOY_REFUSED: 422,
  UNAVAILABLE: 503,
};

export class HttpProblem extends Error {
  /** Set by a door that already wrote this refusal to the audit trail (the problem handler then does not). */
  audited = false;
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
  markAudited(): this {
    this.audited = true;
    return this;
  }
}

/** What the problem handler tells the audit trail of a refusal no door recorded. */
export interface UnauditedRefusal {
  actor: string;
  method: string;
  route: string;
  url: string;
  status: number;
  title: string;
  rule?: string;
  field?: string;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export const notFound = (what: string) => new HttpProblem(404, `no such ${what}`);

interface AjvError {
  instancePath?: string;
  message?: string;
  params?: { missingProperty?: string; additionalProperty?: string };
}

/** The dotted field an AJV error is about: `body.variables.amount`, `query.limit`. */
function fieldOf(context: string | undefined, v: AjvError): string {
  const path = (v.instancePath ?? '').replace(/^\//, '').split('/').filter(Boolean);
  const leaf = v.params?.missingProperty ?? v.params?.additionalProperty;
  if (leaf) path.push(leaf);
  const ctx = context === 'querystring' ? 'query' : context === 'headers' ? 'header' : (context ?? 'body');
  return [ctx, ...path].join('.');
}

/**
 * The sender of a signed event whose signature verified (`system:<source>`), for refusals of its
 * content: a verified signature names the system as surely as a token names a person.
 */
function signedSource(request: FastifyRequest): string | undefined {
  if (!(request as { signedEvent?: unknown }).signedEvent) return undefined;
  const source = (request.body as { source?: unknown } | undefined)?.source;
  return `system:${typeof source === 'string' && /^[\w.-]{1,64}$/.test(source) ? source : 'unknown'}`;
}

/**
 * `audit`: every refusal (4xx) of a state-changing request by a signed-in person that no door has
 * already put on the audit trail (a role the route needs, a schema violation, a missing subject)
 * is recorded through it, so that every refusal is on the trail whatever its status. Refusals of
 * unauthenticated callers are logged and rate-limited, not audited (they name nobody); a signed
 * event's sender is named by its verified signature, so refusals of its content are audited too.
 */
export function registerProblemHandler(app: FastifyInstance, opts: { audit?: (r: UnauditedRefusal) => Promise<void> } = {}): void {
  app.setErrorHandler(async (err: FastifyError | EngineError | HttpProblem, request, reply) => {
    let status = 500;
    let body: Record<string, unknown>;
    if (err instanceof EngineError) {
      status = engineStatus[err.code];
      body = { title: err.message, code: err.code, ...err.details };
    } else if (err instanceof HttpProblem) {
      status = err.status;
      body = { title: err.message, ...err.extra };
    } else if ((err as FastifyError).validation) {
      status = 400;
      const v = (err as FastifyError).validation![0] as AjvError;
      const field = fieldOf((err as FastifyError).validationContext, v);
      const message = v.params?.additionalProperty ? 'is not a field that can be set' : v.message;
      body = { title: `${field} ${message}`, field };
    } else if ((err as FastifyError).statusCode && (err as FastifyError).statusCode! < 500) {
      status = (err as FastifyError).statusCode!;
      body = { title: (err as unknown as { title?: string }).title ?? err.message, code: (err as FastifyError).code };
    } else {
      request.log.error({ err }, 'request failed');
      body = { title: 'Internal Server Error' };
    }
    const actor = request.principal?.id ?? signedSource(request);
    if (opts.audit && status >= 400 && status < 500 && MUTATING.has(request.method) && actor && !(err as { audited?: boolean }).audited) {
      const route = request.routeOptions.url ?? request.url.split('?')[0];
      await opts
        .audit({ actor, method: request.method, route, url: request.url.split('?')[0].slice(0, 200), status, title: String(body.title ?? ''), rule: typeof body.rule === 'string' ? body.rule : undefined, field: typeof body.field === 'string' ? body.field : undefined })
        .catch((e: Error) => request.log.warn({ err: e.message }, 'a refusal could not be audited'));
    }
    return reply.status(status).type('application/problem+json').send({ type: 'about:blank', status, ...body });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).type('application/problem+json').send({ type: 'about:blank', status: 404, title: `no route ${request.method} ${request.url.split('?')[0]}` });
  });
}
