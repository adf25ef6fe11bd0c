/**
 * GET /api/communications/:id/timeline: what happened to one communication, in order. Staff see
 * everything (approvals with who decided and which rule refused whom, every send attempt); a
 * customer sees only their own communications (anyone else's is 404, as if it did not exist),
 * and of them what reached them and what they did.
 */
import type { FastifyInstance } from 'fastify';
import { buildTimeline } from '../../../domain/tracking/timeline.js';
import { timelineSources } from '../../../storage/communications.js';
import type { Db } from '../../../storage/db.js';
import { principal } from '../../plugins/app/auth.js';
import { notFound } from '../../plugins/problem.js';
import { authProblems, Problem } from '../../schemas/common.js';
import { CommunicationParams, Timeline } from './schemas.js';

const STAFF = ['analyst', 'engineer', 'approver', 'agent', 'data-steward', 'compliance', 'admin'] as const;

export async function timelineRoutes(app: FastifyInstance, opts: { db: Db }): Promise<void> {
  app.get(
    '/api/communications/:id/timeline',
    {
      schema: {
        tags: ['customers'],
        summary: "A communication's timeline: created, approvals, rendered, queued, attempts, sent, delivered or bounced, opened, clicked, replies, archived",
        params: CommunicationParams,
        response: { 200: Timeline, 400: Problem, 404: Problem, ...authProblems },
      },
    },
    async (request): Promise<Timeline> => {
      const who = principal(request);
      const staff = STAFF.some((r) => who.roles.includes(r));
      const { id } = request.params as { id: string };
      const s = await timelineSources(opts.db, id);
      if (!s || (!staff && (!who.customerId || s.customerId !== who.customerId))) throw notFound('communication');
      return {
        communicationId: id,
        customerId: s.customerId,
        channel: s.channel,
        kind: s.kind,
        status: s.status,
        trackingStatus: s.trackingStatus,
        entries: buildTimeline(s, staff ? 'staff' : 'customer'),
      };
    },
  );
}
