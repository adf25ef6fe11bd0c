/** The audit trail, for compliance and admins: read it page by page, and verify the chain. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../../storage/db.js';
import { createAuditRepository } from '../../../storage/repositories/audit.js';
import { authProblems, Problem } from '../../schemas/common.js';
import { AuditQuery, AuditRow, AuditVerdict } from '../../schemas/audit.js';

export async function auditRoutes(app: FastifyInstance, opts: { db: Db }): Promise<void> {
  const audit = createAuditRepository(opts.db);
  const config = { roles: ['compliance' as const, 'admin' as const] };

  app.get('/api/audit', { config, schema: { tags: ['audit'], summary: 'Audit rows in order; page with afterId', querystring: AuditQuery, response: { 200: Type.Array(AuditRow), 400: Problem, ...authProblems } } }, async (request) =>
    audit.list(request.query as AuditQuery),
  );

  app.get('/api/audit/verify', { config, schema: { tags: ['audit'], summary: 'Recompute the hash chain; names the first broken row', response: { 200: AuditVerdict, ...authProblems } } }, async () => {
    const verdict = await audit.verify();
    return verdict.ok ? { ok: true, checked: verdict.checked } : verdict;
  });
}
