import { Type } from '@sinclair/typebox';
import { requestRepository } from '../storage/requests.js';
import { adjustmentFacts, release } from '../services/controls.js';
import { bpmnError, complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/**
 * Applies an approved adjustment, deciding the release again from the database first (the
 * adjustment's approval chain, its proposer, the request's requester and the customer's account
 * manager, the approvals on the audit trail; never process variables): a correction becomes a
 * credit note against the invoice (once), a refund or contract adjustment is booked, in the
 * transaction that audits the release. A broken chain is SOD_VIOLATION and goes back for approval.
 */
export default defineWorker({
  type: 'apply-request-adjustment',
  variables: Type.Object({
    requestId: Type.String({ minLength: 1 }),
    adjustmentId: Type.String({ minLength: 1 }),
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const repo = requestRepository(deps.db);
    const now = deps.now();
    const adjustment = await repo.adjustment(v.adjustmentId);
    const request = await repo.get(v.requestId);
    const facts = adjustment ? await adjustmentFacts(deps.db, adjustment.id) : undefined;
    if (!adjustment || !request || !facts) return { fail: `adjustment ${v.adjustmentId} or request ${v.requestId} not found`, retries: 0 };
    const approvedBy = facts.history.filter((h) => h.duty === 'approve' && h.approved !== false).map((h) => h.actor);
    const verdict = await release(deps.db, { facts, action: 'adjustment.book' }, async (tx) => {
      const trail = requestRepository(tx);
      if (adjustment.kind !== 'correction') {
        await trail.markApplied(adjustment.id, now);
        await trail.record(v.requestId, { action: 'adjustment-booked', actor: 'herald', detail: { adjustmentId: adjustment.id, kind: adjustment.kind, amount: adjustment.amount, approvedBy } }, now);
        return undefined;
      }
      const applied = await trail.applyCorrection(adjustment, now);
      await trail.record(v.requestId, { action: 'credit-note-issued', actor: 'herald', detail: { adjustmentId: adjustment.id, creditNote: applied.creditNoteNumber, amount: adjustment.amount, originalInvoice: applied.originalNumber, correctedInvoice: applied.correctedNumber, correctedInvoiceAmount: applied.correctedAmount, approvedBy } }, now);
      return applied;
    });
    if (!verdict.allowed) {
      await repo.record(v.requestId, { action: 'apply-adjustment', actor: 'herald', outcome: 'refused', detail: { adjustmentId: adjustment.id, rule: verdict.decision.rule, message: verdict.decision.reason } }, now);
      return bpmnError('SOD_VIOLATION', verdict.decision.reason, { sodViolation: verdict.decision.reason });
    }
    const applied = verdict.result;
    if (applied) {
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
    return complete({ resolution: adjustment.kind === 'refund' ? 'refunded' : 'adjusted', resultTemplate: 'request-resolution' });
  },
});
