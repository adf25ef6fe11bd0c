import { Type } from '@sinclair/typebox';
import { checkApprovedChain } from '../domain/requests/duties.js';
import { requestRepository } from '../storage/requests.js';
import { bpmnError, complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/** An approval as the process carries it (set by the tasklist or the request service). */
const CarriedApprovalSchema = Type.Object({ by: Type.String(), level: Type.Number(), approved: Type.Optional(Type.Boolean()), reason: Type.Optional(Type.Union([Type.String(), Type.Null()])), at: Type.Optional(Type.Union([Type.String(), Type.Null()])) });

/**
 * Applies an approved adjustment, checking the segregation of duties again from the recorded
 * approvals first: a correction becomes a credit note against the invoice (once), a refund or
 * contract adjustment is booked. A broken chain is SOD_VIOLATION and goes back for approval.
 */
export default defineWorker({
  type: 'apply-request-adjustment',
  variables: Type.Object({
    requestId: Type.String({ minLength: 1 }),
    adjustmentId: Type.String({ minLength: 1 }),
    approvals: Type.Optional(Type.Union([Type.Array(CarriedApprovalSchema), Type.Null()])),
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const repo = requestRepository(deps.db);
    const now = deps.now();
    // approvals given through the tasklist reach the adjustment (and the trail) here
    const adjustment = await repo.adoptApprovals(v.requestId, v.adjustmentId, v.approvals, now);
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
      await repo.record(v.requestId, { action: 'credit-note-issued', actor: 'herald', detail: { adjustmentId: adjustment.id, creditNote: applied.creditNoteNumber, amount: adjustment.amount, originalInvoice: applied.originalNumber, correctedInvoice: applied.correctedNumber, correctedInvoiceAmount: applied.correctedAmount, approvedBy: adjustment.approvals.map((a) => a.by) } }, now);
      // what the corrected-invoice template shows beyond the invoice row and the request
      const resultData = {
        reference: request.reference,
        invoice: { number: applied.correctedNumber, amount: applied.correctedAmount, currency: applied.currency },
        originalInvoice: { number: applied.originalNumber, amount: applied.originalAmount },
        correction: { reason: adjustment.reason ?? `a credit of ${applied.creditAmount} ${applied.currency} (credit note ${applied.creditNoteNumber})` },
        creditNote: { number: applied.creditNoteNumber, amount: applied.creditAmount },
      };
      return complete({ resolution: 'corrected', resultTemplate: 'corrected-invoice', creditNoteNumber: applied.creditNoteNumber, correctedAmount: applied.correctedAmount, resultData });
    }
    await repo.markApplied(adjustment.id, now);
    await repo.record(v.requestId, { action: 'adjustment-booked', actor: 'herald', detail: { adjustmentId: adjustment.id, kind: adjustment.kind, amount: adjustment.amount, approvedBy: adjustment.approvals.map((a) => a.by) } }, now);
    return complete({ resolution: adjustment.kind === 'refund' ? 'refunded' : 'adjusted', resultTemplate: 'request-resolution' });
  },
});
