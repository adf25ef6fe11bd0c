import { Type } from '@sinclair/typebox';
import { checkApprovedChain } from '../domain/requests/duties.js';
import { requestRepository } from '../storage/requests.js';
import { bpmnError, complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/**
 * Applies an approved adjustment, checking the segregation of duties again from the recorded
 * approvals first: a correction becomes a credit note against the invoice (once), a refund or
 * contract adjustment is booked. A broken chain is SOD_VIOLATION and goes back for approval.
 */
export default defineWorker({
  type: 'apply-request-adjustment',
  variables: Type.Object({ requestId: Type.String({ minLength: 1 }), adjustmentId: Type.String({ minLength: 1 }) }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const repo = requestRepository(deps.db);
    const now = deps.now();
    const adjustment = await repo.adjustment(v.adjustmentId);
    const request = await repo.get(v.requestId);
    if (!adjustment || !request) return { fail: `adjustment ${v.adjustmentId} or request ${v.requestId} not found`, retries: 0 };
    const customer = request.customerId ? await deps.db('customers').where({ id: request.customerId }).first('account_manager') : undefined;
    const check = checkApprovedChain({ request: { requestedBy: request.requestedBy, accountManager: customer?.account_manager }, adjustment, levels: adjustment.approvalGroups.length });
    if (!check.allowed) {
      await repo.record(v.requestId, { action: 'apply-adjustment', actor: 'herald', outcome: 'refused', detail: { adjustmentId: adjustment.id, rule: check.rule, message: check.message } }, now);
      return bpmnError('SOD_VIOLATION', check.message, { sodViolation: check.message });
    }
    if (adjustment.kind === 'correction') {
      const applied = await repo.applyCorrection(adjustment, now);
      await repo.record(v.requestId, { action: 'credit-note-issued', actor: 'herald', detail: { adjustmentId: adjustment.id, creditNote: applied.creditNoteNumber, amount: adjustment.amount, correctedInvoiceAmount: applied.correctedAmount, approvedBy: adjustment.approvals.map((a) => a.by) } }, now);
      return complete({ resolution: 'corrected', resultTemplate: 'corrected-invoice', creditNoteNumber: applied.creditNoteNumber, correctedAmount: applied.correctedAmount });
    }
    await repo.markApplied(adjustment.id, now);
    await repo.record(v.requestId, { action: 'adjustment-booked', actor: 'herald', detail: { adjustmentId: adjustment.id, kind: adjustment.kind, amount: adjustment.amount, approvedBy: adjustment.approvals.map((a) => a.by) } }, now);
    return complete({ resolution: adjustment.kind === 'refund' ? 'refunded' : 'adjusted', resultTemplate: 'request-resolution' });
  },
});
