/**
 * The audit trail, for compliance and admins: read it page by page, verify the chain (alone or
 * against a signed checkpoint), and take a checkpoint on demand.
 */
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { readSetting } from '../../../config/index.js';
import { openCheckpoint, type ChainVerdict } from '../../../domain/audit/index.js';
import type { Db } from '../../../storage/db.js';
import { createAuditRepository, defaultAuditKeys } from '../../../storage/repositories/audit.js';
import { principal } from '../../plugins/app/auth.js';
import { HttpProblem } from '../../plugins/problem.js';
import { authProblems, Problem } from '../../schemas/common.js';
import { AuditQuery, AuditRow, AuditVerdict, CheckpointTaken, VerifyBody } from '../../schemas/audit.js';
import { createCheckpointStore } from './checkpoints.js';

export interface AuditRouteOptions {
  /** Where checkpoints are written; HERALD_AUDIT_CHECKPOINT_DIR, else <HERALD_DATA_DIR>/audit-checkpoints. */
  checkpointDir?: string;
  /** Write a checkpoint this often while the chain grows; no periodic writer when unset or 0. */
  checkpointEverySeconds?: number;
}

function verdictBody(verdict: ChainVerdict) {
  if (!verdict.ok) return verdict;
  const { checked, lastId, lastHash, legacyRows } = verdict;
  return { ok: true, checked, lastId, lastHash, legacyRows };
}

export async function auditRoutes(app: FastifyInstance, opts: { db: Db } & AuditRouteOptions): Promise<void> {
  // the keys come from the environment, as for every other writer of the chain in this process
  const audit = createAuditRepository(opts.db);
  const keys = () => defaultAuditKeys();
  const config = { roles: ['compliance' as const, 'admin' as const] };
  const dir = opts.checkpointDir ?? readSetting('auditCheckpointDir') ?? path.join(readSetting('dataDir'), 'audit-checkpoints');
  const checkpoints = createCheckpointStore({ db: opts.db, dir, logger: app.log });
  // main.ts passes the interval (0 included); tests and tools that build the app alone do not
  if (opts.checkpointEverySeconds !== undefined && keys().source === 'derived') {
    app.log.warn({ keyId: keys().signing.id }, 'audit: the chain key is derived from HERALD_SECRET; set HERALD_AUDIT_KEY (or HERALD_AUDIT_KEYS) to a key kept apart from it (docs/audit.md)');
  }
  if (opts.checkpointEverySeconds) {
    const stop = checkpoints.every(opts.checkpointEverySeconds * 1000);
    app.addHook('onClose', async () => stop());
  }

  app.get('/api/audit', { config, schema: { tags: ['audit'], summary: 'Audit rows in order; page with afterId', querystring: AuditQuery, response: { 200: Type.Array(AuditRow), 400: Problem, ...authProblems } } }, async (request) =>
    audit.list(request.query as AuditQuery),
  );

  app.get(
    '/api/audit/verify',
    {
      config,
      schema: {
        tags: ['audit'],
        summary: "Recompute the keyed hash chain; names the first broken row. `against=latest` also checks the newest checkpoint in the server's folder",
        querystring: Type.Object({ against: Type.Optional(Type.Literal('latest')) }, { additionalProperties: false }),
        response: { 200: AuditVerdict, 400: Problem, ...authProblems },
      },
    },
    async (request) => {
      const latest = (request.query as { against?: 'latest' }).against ? await checkpoints.latest() : undefined;
      if (!latest) return verdictBody(await audit.verify());
      return { ...verdictBody(await audit.verify({ pin: latest })), checkpoint: { lastId: latest.lastId, rows: latest.rows, at: latest.at } };
    },
  );

  app.post(
    '/api/audit/verify',
    {
      config,
      bodyLimit: 8 * 1024,
      schema: {
        tags: ['audit'],
        summary: 'Verify the chain against a signed checkpoint: also finds a rewrite of the rows it covers and a truncation after it',
        body: VerifyBody,
        response: { 200: AuditVerdict, 400: Problem, 422: Problem, ...authProblems },
      },
    },
    async (request) => {
      const opened = openCheckpoint((request.body as VerifyBody).checkpoint, keys());
      if (!opened.ok) throw new HttpProblem(422, `the checkpoint does not verify: ${opened.field} ${opened.reason}`, { field: `body.${opened.field}` });
      const { lastId, rows, at } = opened.checkpoint;
      return { ...verdictBody(await audit.verify({ pin: opened.checkpoint })), checkpoint: { lastId, rows, at } };
    },
  );

  app.post(
    '/api/audit/checkpoints',
    {
      config,
      schema: {
        tags: ['audit'],
        summary: 'Verify the chain and write a signed checkpoint of its head outside the database',
        response: { 201: CheckpointTaken, 409: Problem, ...authProblems },
      },
    },
    async (request, reply) => {
      const who = principal(request);
      const taken = await checkpoints.take({ force: true });
      if (!taken.ok) {
        await audit.append({ actor: who.id, action: 'audit.checkpoint', subjectType: 'audit', subjectId: 'chain', outcome: 'refused', rule: 'chain-verifies', detail: { brokenAt: taken.verdict.brokenAt } });
        throw new HttpProblem(409, `the chain does not verify at row ${taken.verdict.brokenAt.id}: ${taken.verdict.brokenAt.reason}; no checkpoint was written`, { brokenAt: taken.verdict.brokenAt, rule: 'chain-verifies' });
      }
      if (!('file' in taken)) throw new Error('a forced checkpoint is always written');
      // recorded after the checkpoint it names, so the next checkpoint covers this row
      await audit.append({ actor: who.id, action: 'audit.checkpoint', subjectType: 'audit', subjectId: 'chain', outcome: 'allowed', detail: { lastId: taken.checkpoint.lastId, rows: taken.checkpoint.rows, file: path.basename(taken.file) } });
      reply.status(201);
      return { checkpoint: taken.checkpoint, file: taken.file };
    },
  );
}
