/**
 * GET /api/communications/:id/evidence: the evidence pack of one communication as a ZIP (the exact
 * bytes sent and their hash, template version and approval, data snapshot, consent at send time,
 * approvals with their audit rows verified, provider ids, every event; services/evidence.ts).
 * Compliance and admins only; each export is itself an audit row (`evidence.export`) holding the
 * SHA-256 of the pack's manifest.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { buildEvidencePack, EvidenceUnavailable, zipEvidence } from '../../../services/evidence.js';
import type { Db } from '../../../storage/db.js';
import { createAuditRepository } from '../../../storage/repositories/audit.js';
import { principal } from '../../plugins/app/auth.js';
import { HttpProblem, notFound } from '../../plugins/problem.js';
import { authProblems, Problem } from '../../schemas/common.js';
import { CommunicationParams } from './schemas.js';

export async function evidenceRoutes(app: FastifyInstance, opts: { db: Db }): Promise<void> {
  app.get(
    '/api/communications/:id/evidence',
    {
      config: { roles: ['compliance', 'admin'] },
      schema: {
        tags: ['customers'],
        summary: "A communication's evidence pack (ZIP): the exact bytes sent and their SHA-256, template version and approval, data snapshot, consent at send time, approvals with their audit rows verified, provider ids, every tracking event, a manifest of hashes and a README on verifying it",
        params: CommunicationParams,
        response: { 200: { description: 'the evidence pack', content: { 'application/zip': { schema: Type.String({ format: 'binary' }) } } }, 400: Problem, 404: Problem, 409: Problem, ...authProblems },
      },
    },
    async (request, reply) => {
      const who = principal(request);
      const { id } = request.params as { id: string };
      let pack;
      try {
        pack = await buildEvidencePack(opts.db, id, { exportedBy: who.id });
      } catch (err) {
        if (err instanceof EvidenceUnavailable) throw new HttpProblem(409, err.message, { rule: 'archived' });
        throw err;
      }
      if (!pack) throw notFound('communication');
      const zip = await zipEvidence(pack);
      const manifest = pack.files.find((f) => f.name === 'manifest.json')!;
      await createAuditRepository(opts.db).append({
        actor: who.id,
        action: 'evidence.export',
        subjectType: 'communication',
        subjectId: id,
        outcome: 'allowed',
        detail: { manifestSha256: manifest.sha256, messageSha256: pack.manifest.message.sha256, auditRowsOk: pack.manifest.audit.ok, files: pack.files.length },
      });
      request.log.info({ communicationId: id, by: who.id, manifestSha256: manifest.sha256 }, 'evidence pack exported');
      const name = `evidence-${id.replace(/[^A-Za-z0-9._-]/g, '_')}.zip`;
      return reply
        .type('application/zip')
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('x-content-type-options', 'nosniff')
        .header('x-evidence-manifest-sha256', manifest.sha256)
        .header('x-evidence-audit-rows', pack.manifest.audit.ok ? 'verified' : 'broken')
        .send(zip);
    },
  );
}
