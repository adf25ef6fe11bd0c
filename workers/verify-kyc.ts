import { Type } from '@sinclair/typebox';
import { customerRepository } from '../storage/customers.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/** KYC as the customer master records it: verified and not expired, or it needs a compliance review. */
export default defineWorker({
  type: 'verify-kyc',
  variables: Type.Object({ customerId: Type.String({ minLength: 1 }) }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const customer = await customerRepository(deps.db).get(v.customerId);
    if (!customer) return { fail: `customer ${v.customerId} is not in the customer master`, retries: 0 };
    const today = deps.now().toISOString().slice(0, 10);
    const expired = !!customer.kycExpiresAt && customer.kycExpiresAt < today;
    const kycStatus = customer.kycStatus === 'verified' && expired ? 'expired' : customer.kycStatus;
    return complete({ kycStatus, kycExpiresAt: customer.kycExpiresAt ?? null });
  },
});
