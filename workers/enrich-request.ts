import { Type } from '@sinclair/typebox';
import { customerRepository } from '../storage/customers.js';
import { requestRepository } from '../storage/requests.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

const Nullable = (t: ReturnType<typeof Type.String>) => Type.Optional(Type.Union([t, Type.Null()]));

/**
 * Validates the request against the customer master and the invoice it names, and adds what
 * classification and priority read: the customer's risk, the invoice's age and amount.
 */
export default defineWorker({
  type: 'enrich-request',
  variables: Type.Object({
    requestId: Type.String({ minLength: 1 }),
    customerId: Nullable(Type.String()),
    invoiceId: Nullable(Type.String()),
    requestAmount: Nullable(Type.String({ pattern: '^\\d+(\\.\\d+)?$' })),
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const customers = customerRepository(deps.db);
    const repo = requestRepository(deps.db);
    const now = deps.now();
    const customer = v.customerId ? await customers.get(v.customerId) : undefined;
    const found = v.invoiceId ? await customers.invoice(v.invoiceId) : undefined;
    const invoice = found && found.customerId === v.customerId ? found : undefined;
    const ageDays = invoice ? Math.max(0, Math.floor((now.getTime() - Date.parse(`${invoice.issuedAt}T00:00:00Z`)) / 86_400_000)) : 0;
    const requestAmount = v.requestAmount ?? invoice?.amount ?? null;
    const problems: string[] = [];
    if (v.customerId && !customer) problems.push(`customer ${v.customerId} is not in the customer master`);
    if (v.invoiceId && !invoice) problems.push(found ? `invoice ${v.invoiceId} belongs to another customer` : `invoice ${v.invoiceId} is unknown`);
    await repo.update(v.requestId, { invoice_id: invoice?.id ?? null, amount: requestAmount, age_days: ageDays, customer_id: customer?.id ?? null }, now);
    await repo.record(v.requestId, { action: 'enriched', actor: 'herald', detail: { riskSegment: customer?.riskSegment ?? null, invoice: invoice?.number ?? null, ageDays, problems } }, now);
    return complete({
      customerName: customer?.legalName ?? null,
      riskSegment: customer?.riskSegment ?? 'medium',
      accountManager: customer?.accountManager ?? null,
      invoiceKnown: !!invoice,
      invoiceId: invoice?.id ?? null,
      invoiceNumber: invoice?.number ?? null,
      invoiceAmount: invoice?.amount ?? null,
      currency: invoice?.currency ?? 'USD',
      requestAmount,
      ageDays,
      enrichmentProblems: problems,
    });
  },
});
