import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { global } from '../global.js';

export const openapi = global(async (app: FastifyInstance) => {
  await app.register(swagger, {
    openapi: {
      info: { title: 'Herald API', version: '0.1.0', description: 'Tasklist, trigger events, audit trail and engine resources. Errors are application/problem+json.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'hrd_<id>_<secret> API token' },
          session: { type: 'apiKey', in: 'cookie', name: 'herald_session' },
          signature: { type: 'apiKey', in: 'header', name: 'X-Herald-Signature', description: 't=<unix seconds>,id=<event id>,v1=<hex HMAC-SHA256 of "<t>.<id>.<raw body>">; the id makes it single-use (trigger events; provider webhooks sign "<t>.<raw body>" without an id)' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
});
