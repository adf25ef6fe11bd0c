import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { global } from '../global.js';

const word = (s: string) => s.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : '')).replace(/^./, (c) => c.toUpperCase());

/**
 * A stable operationId from the method and the path, for routes that do not name one:
 * GET /api/tasks/:key/comments → getTasksByKeyComments (the /api prefix says nothing).
 */
export function operationIdFor(method: string, url: string): string {
  const parts = url
    .split('/')
    .filter((p) => p && p !== 'api')
    .map((p) => (p === '*' ? 'ByPath' : p.startsWith(':') ? `By${word(p.slice(1))}` : word(p)));
  return method.toLowerCase() + (parts.join('') || 'Root');
}

/**
 * Fastify's wildcard (`/t/o/*`) becomes `{*}`, which no OpenAPI tool accepts as a parameter name:
 * it is documented as `{path}`.
 */
function wildcardAsPath(url: string, schema: FastifySchema): { url: string; schema: FastifySchema } {
  if (!url.endsWith('*')) return { url, schema };
  const params = (schema.params ?? {}) as { properties?: Record<string, unknown>; required?: string[] };
  const properties = { ...(params.properties ?? {}) };
  const wildcard = properties['*'] ?? { type: 'string' };
  delete properties['*'];
  return {
    url: `${url.slice(0, -1)}{path}`,
    schema: { ...schema, params: { ...params, type: 'object', properties: { ...properties, path: wildcard }, required: [...(params.required ?? []).filter((r) => r !== '*'), 'path'] } },
  };
}

export const openapi = global(async (app: FastifyInstance) => {
  await app.register(swagger, {
    openapi: {
      info: { title: 'Herald API', version: '0.1.0', description: 'Tasklist, trigger events, audit trail and engine resources. Errors are application/problem+json.' },
      servers: [{ url: '/', description: 'this Herald (the API is served beside the UI)' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'hrd_<id>_<secret> API token' },
          session: { type: 'apiKey', in: 'cookie', name: 'herald_session' },
          signature: { type: 'apiKey', in: 'header', name: 'X-Herald-Signature', description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    // every operation has an operationId (clients are generated from it): derived when a route names none
    transform: ({ schema, url, route }) => {
      const method = Array.isArray(route.method) ? route.method[0] : route.method;
      const described = wildcardAsPath(url, schema ?? {});
      const s = described.schema as FastifySchema & { operationId?: string; hide?: boolean };
      // `/portal/` answers like `/portal`; one entry documents both (trailing slashes trip linters)
      const hide = s.hide ?? (described.url.length > 1 && described.url.endsWith('/'));
      return { url: described.url, schema: { ...s, hide, operationId: s.operationId ?? operationIdFor(method, url) } };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
});
