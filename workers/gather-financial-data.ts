import { Type } from '@sinclair/typebox';
import { paymentRisk } from '../domain/customers/risk.js';
import { customerRepository } from '../storage/customers.js';
import { requestRepository } from '../storage/requests.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/** The customer's financial picture for the credit team: limit, exposure, payment behaviour. */
export default defineWorker({
  type: 'gather-financial-data',
  variables: Type.Object({ requestId: Type.String({ minLength: 1 }), customerId: Type.String({ minLength: 1 }) }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const customer = await deps.db('customers').where({ id: v.customerId }).first('credit_limit', 'credit_currency', 'risk_segment');
    const exposure = await deps.db('invoices').where({ customer_id: v.customerId }).whereNot({ status: 'paid' }).sum({ total: 'amount' }).first();
    const behaviour = paymentRisk(await customerRepository(deps.db).payments(v.customerId));
    const data = {
      creditLimit: customer?.credit_limit == null ? null : String(customer.credit_limit),
      creditCurrency: customer?.credit_currency ?? null,
      exposure: exposure?.total == null ? '0.00' : String(exposure.total),
      paymentBehaviour: { segment: behaviour.segment, lateShare: behaviour.lateShare, averageDaysLate: behaviour.averageDaysLate },
    };
    await requestRepository(deps.db).record(v.requestId, { action: 'financial-data-gathered', actor: 'herald', detail: data }, deps.now());
    return complete({ financialData: data });
  },
});
