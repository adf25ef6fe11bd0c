import { Type } from '@sinclair/typebox';
import { customerRepository } from '../storage/customers.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/** Marks the invoice paid; running twice changes nothing. */
export default defineWorker({
  type: 'close-invoice',
  variables: Type.Object({ invoiceId: Type.String({ minLength: 1 }) }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const changed = await customerRepository(deps.db).markPaid(v.invoiceId, deps.now());
    return complete({ invoiceClosed: true, invoiceClosedNow: changed });
  },
});
