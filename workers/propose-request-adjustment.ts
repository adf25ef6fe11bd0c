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
    adjustmentId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    invoiceId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    currency: Type.Optional(Type.String({ minLength: 3, maxLength: 3 })),
  }),
  async handler({ job, variables: v }, deps: WorkerDeps) {
    const repo = requestRepository(deps.db);
    const now = deps.now();
    const chain = approvalChain(v.adjustmentKind, v.adjustmentAmount);
    // back from a broken chain (SOD_VIOLATION) the undecided proposal's proposer stays the proposer,
    // not whoever completed a task last
    const previous = v.adjustmentId ? await repo.adjustment(v.adjustmentId) : undefined;
    const proposer = previous && (previous.status === 'proposed' || previous.status === 'approved') ? previous.proposedBy : v.workedBy;
    const adjustment = await repo.proposeAdjustment(
      { id: `adj-${createHash('sha256').update(`${v.requestId}|${job.elementInstanceKey}`).digest('hex').slice(0, 24)}`, requestId: v.requestId, kind: v.adjustmentKind, amount: v.adjustmentAmount, currency: v.currency ?? 'USD', invoiceId: v.invoiceId ?? null, reason: v.adjustmentReason ?? null, proposedBy: proposer, approvalGroups: chain },
      now,
    );
    await repo.record(v.requestId, { action: 'adjustment-proposed', actor: proposer, detail: { adjustmentId: adjustment.id, kind: v.adjustmentKind, amount: v.adjustmentAmount, approvalChain: chain.map((s) => s.group) } }, now);
    // a new proposal starts a new chain: approvals of an earlier one do not carry over
    return complete({ approvals: [], proposedBy: proposer, adjustmentId: adjustment.id, approvalGroups: chain.map((s) => s.group), approvalLevels: chain.length, approved: false, resolution: 'declined', resultTemplate: 'request-resolution' });
  },
});
