import { Type } from '@sinclair/typebox';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/** Sets the customer's credit limit; the same change applied twice leaves the same limit. */
export default defineWorker({
  type: 'apply-credit-change',
  variables: Type.Object({
    customerId: Type.String({ minLength: 1 }),
    changeType: Type.Union([Type.Literal('approval'), Type.Literal('limit-change')]),
    newLimit: Type.String({ pattern: '^\\d+(\\.\\d{1,2})?$' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const n = await deps.db('customers').where({ id: v.customerId }).update({ credit_limit: v.newLimit, credit_currency: v.currency, updated_at: deps.db.fn.now() });
    if (!n) return { fail: `customer ${v.customerId} is not in the customer master`, retries: 0 };
    return complete({ creditLimitApplied: v.newLimit });
  },
});
