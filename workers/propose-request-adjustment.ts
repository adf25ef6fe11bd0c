import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { approvalChain } from '../domain/requests/policy.js';
import { requestRepository } from '../storage/requests.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/**
 * Records the proposed correction, refund or contract adjustment with its proposer, and the
 * approval chain its kind and amount need. Until it is applied, the outcome is "declined".
 */
export default defineWorker({
  type: 'propose-request-adjustment',
  variables: Type.Object({
    requestId: Type.String({ minLength: 1 }),
    adjustmentKind: Type.Union([Type.Literal('correction'), Type.Literal('refund'), Type.Literal('contract')]),
    adjustmentAmount: Type.String({ pattern: '^\\d+(\\.\\d{1,2})?$' }),
    adjustmentReason: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    workedBy: Type.String({ minLength: 1 }),
    invoiceId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    currency: Type.Optional(Type.String({ minLength: 3, maxLength: 3 })),
  }),
  async handler({ job, variables: v }, deps: WorkerDeps) {
    const repo = requestRepository(deps.db);
    const now = deps.now();
    const chain = approvalChain(v.adjustmentKind, v.adjustmentAmount);
    const adjustment = await repo.proposeAdjustment(
      { id: `adj-${createHash('sha256').update(`${v.requestId}|${job.elementInstanceKey}`).digest('hex').slice(0, 24)}`, requestId: v.requestId, kind: v.adjustmentKind, amount: v.adjustmentAmount, currency: v.currency ?? 'USD', invoiceId: v.invoiceId ?? null, reason: v.adjustmentReason ?? null, proposedBy: v.workedBy, approvalGroups: chain },
      now,
    );
    await repo.record(v.requestId, { action: 'adjustment-proposed', actor: v.workedBy, detail: { adjustmentId: adjustment.id, kind: v.adjustmentKind, amount: v.adjustmentAmount, approvalChain: chain.map((s) => s.group) } }, now);
    return complete({ adjustmentId: adjustment.id, approvalGroups: chain.map((s) => s.group), approvalLevels: chain.length, approved: false, resolution: 'declined', resultTemplate: 'request-resolution' });
  },
});
