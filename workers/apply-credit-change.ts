import { Type } from '@sinclair/typebox';
import { creditChangeFacts, release } from '../services/controls.js';
import { bpmnError, complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/**
 * Sets the customer's credit limit; the same change applied twice leaves the same limit. Before
 * booking, the release is decided again from the approvals on the audit trail (one approver who
 * neither requested nor initiated the change), in the transaction that books it. A violation
 * books nothing and throws SOD_VIOLATION naming the rule.
 */
export default defineWorker({
  type: 'apply-credit-change',
  variables: Type.Object({
    customerId: Type.String({ minLength: 1 }),
    changeType: Type.Union([Type.Literal('approval'), Type.Literal('limit-change')]),
    newLimit: Type.String({ pattern: '^\\d+(\\.\\d{1,2})?$' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    requestedBy: Type.Optional(Type.String()),
    initiatedBy: Type.Optional(Type.String()),
  }),
  async handler({ job, variables: v }, deps: WorkerDeps) {
    const startedBy = [v.requestedBy, v.initiatedBy].filter((x): x is string => !!x);
    const facts = await creditChangeFacts(deps.db, job.processInstanceKey, { customerId: v.customerId, changeType: v.changeType, newLimit: v.newLimit, startedBy });
    const verdict = await release(deps.db, { facts, action: 'credit-change.book' }, async (tx) =>
      tx('customers').where({ id: v.customerId }).update({ credit_limit: v.newLimit, credit_currency: v.currency, updated_at: tx.fn.now() }),
    );
    if (!verdict.allowed) return bpmnError('SOD_VIOLATION', `${verdict.decision.rule}: ${verdict.decision.reason}; nothing was booked`, { sodViolation: verdict.decision.reason });
    if (!verdict.result) return { fail: `customer ${v.customerId} is not in the customer master`, retries: 0 };
    return complete({ creditLimitApplied: v.newLimit });
  },
});
