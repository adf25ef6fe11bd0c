import { Type } from '@sinclair/typebox';
import { cadenceFor, paymentRisk } from '../domain/customers/risk.js';
import { customerRepository } from '../storage/customers.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/** Payment-behaviour risk from the customer's history, and the dunning cadence it calls for. */
export default defineWorker({
  type: 'assess-payment-risk',
  variables: Type.Object({ customerId: Type.String({ minLength: 1 }), demoInterval: Type.Optional(Type.String()) }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const customers = customerRepository(deps.db);
    const risk = paymentRisk(await customers.payments(v.customerId));
    await customers.setRiskSegment(v.customerId, risk.segment);
    const cadence = cadenceFor(risk.segment, v.demoInterval ?? deps.demoInterval);
    // one more interval than reminders: the wait after the last reminder before escalation
    cadence.reminderIntervals.push(cadence.reminderIntervals[cadence.reminderIntervals.length - 1]);
    return complete({ riskSegment: risk.segment, lateShare: risk.lateShare, cadence });
  },
});
