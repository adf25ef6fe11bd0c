/**
 * Stand-ins for API routes the UI calls that the server does not have yet. Each is registered
 * only when the real route is absent (`hasRoute`), so the browser tests exercise the real route
 * as soon as it lands. Identity, the tasklist, audit, deployments and drafts, process
 * definitions, templates and the portal are real now; what is left:
 *
 * - `GET /api/system`: which engine and queue backend run, for the UI's link to bull-board.
 *
 * Who is calling comes from the real authentication (`principal(request)`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { principal } from '../../../api/plugins/app/auth.js';
import type { Engine } from '../../../engine/types.js';
import type { Db } from '../../../storage/db.js';

export function registerStandins(app: FastifyInstance, deps: { engine: Engine; db: Db }): string[] {
  const { engine } = deps;
  const added: string[] = [];
  const route = (method: HTTPMethods, url: string, handler: (req: FastifyRequest, reply: FastifyReply) => unknown) => {
    if (app.hasRoute({ method, url })) return;
    app.route({ method, url, handler: handler as never });
    added.push(`${method} ${url}`);
  };

  route('GET', '/api/system', async (req) => {
    principal(req);
    return { engine: engine.kind, queues: { backend: 'memory' } };
  });
  return added;
}
