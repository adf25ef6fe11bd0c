import { Type } from '@sinclair/typebox';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/**
 * Sets the customer's credit limit; the same change applied twice leaves the same limit. Before
 * booking, segregation of duties is checked again on what the instance carries (the tasklist
 * checked it when the approval was given): the requester never approved the change. A violation
 * books nothing and raises an incident that names the rule.
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
    approvals: Type.Optional(Type.Array(Type.Object({ by: Type.String() }, { additionalProperties: true }))),
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    for (const maker of [v.requestedBy, v.initiatedBy]) {
      if (maker && (v.approvals ?? []).some((a) => a.by === maker)) {
        return { fail: `segregation of duties (maker-checker): ${maker} requested the credit change for ${v.customerId} and also approved it; nothing was booked`, retries: 0 };
      }
    }
    const n = await deps.db('customers').where({ id: v.customerId }).update({ credit_limit: v.newLimit, credit_currency: v.currency, updated_at: deps.db.fn.now() });
    if (!n) return { fail: `customer ${v.customerId} is not in the customer master`, retries: 0 };
    return complete({ creditLimitApplied: v.newLimit });
  },
});
