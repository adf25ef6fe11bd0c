import { Type } from '@sinclair/typebox';
import { customerRepository } from '../storage/customers.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/** Before a reminder: is the invoice still open, paid meanwhile, or disputed (reminders held)? */
export default defineWorker({
  type: 'check-invoice-status',
  variables: Type.Object({ invoiceId: Type.String({ minLength: 1 }) }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const invoice = await customerRepository(deps.db).invoice(v.invoiceId);
    // an invoice Herald does not hold (issued by an ERP that sends only events) counts as open
    return complete({ invoiceStatus: invoice?.status ?? 'open' });
  },
});
