import { Type } from '@sinclair/typebox';
import { validateForCommunication } from '../domain/customers/validation.js';
import { approvalLevels } from '../domain/communications/approval-policy.js';
import { customerRepository } from '../storage/customers.js';
import { communicationRepository } from '../storage/communications.js';
import { templateRepository } from '../storage/templates.js';
import { contractOf } from '../domain/templates/contract.js';
import { bpmnError, complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/** A template path that prints an invoice's amount (the invoice's own or the one it corrects). */
const INVOICE_AMOUNT = /^(invoice|originalInvoice)\.(amount|openAmount)$/;

/** Checks the customer master before anything is prepared; a failure opens a data-steward task. */
export default defineWorker({
  type: 'validate-customer-data',
  variables: Type.Object({
    communicationId: Type.String({ minLength: 1 }),
    customerId: Type.String({ minLength: 1 }),
    templateId: Type.String({ minLength: 1 }),
    channel: Type.Union([Type.Literal('email'), Type.Literal('sms'), Type.Literal('portal'), Type.Literal('crm')]),
    kind: Type.Optional(Type.Union([Type.Literal('transactional'), Type.Literal('dunning'), Type.Literal('legal'), Type.Literal('marketing')])),
    // null once a dunning instance took over an invoice amount it did not have (see below)
    amount: Type.Optional(Type.Union([Type.String({ pattern: '^\\d+(\\.\\d+)?$' }), Type.Null()])),
    invoiceId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    initiatedBy: Type.Optional(Type.String()),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
  async handler({ job, variables: v }, deps: WorkerDeps) {
    const customers = customerRepository(deps.db);
    const customer = await customers.get(v.customerId);
    if (!customer) return bpmnError('INVALID_CUSTOMER_DATA', `customer ${v.customerId} is not in the customer master`, { validationErrors: [{ rule: 'customer-known', message: `customer ${v.customerId} is not in the customer master` }] });
    const kind = v.kind ?? 'transactional';
    const suppressed = kind === 'marketing' && !!(await deps.db('suppressions').where({ customer_id: customer.id, channel: v.channel, kind: 'marketing' }).first());
    const failures = validateForCommunication({ customer, contacts: await customers.contacts(customer.id), channel: v.channel, kind, today: deps.now().toISOString().slice(0, 10), suppressed });
    if (failures.length) {
      return bpmnError('INVALID_CUSTOMER_DATA', failures.map((f) => f.message).join('; '), { validationErrors: failures });
    }
    // A message about an invoice carries that invoice's amount as it stands now when it states an
    // amount or its template prints the invoice's (any usable version names one), whatever the
    // variables say: an instance started by hand may omit or understate it, and the approvals the
    // policy requires follow this fact. After a correction the reminders are approved on the
    // corrected amount, and the dunning instance takes it over (invoiceAmount, mapped back to its
    // amount). An invoice of another customer is refused: nobody is told of someone else's invoice.
    const invoice = v.invoiceId ? await customers.invoice(v.invoiceId) : undefined;
    if (invoice && invoice.customerId !== customer.id) {
      const message = `invoice ${v.invoiceId} is not on customer ${customer.id}'s account`;
      return bpmnError('INVALID_CUSTOMER_DATA', message, { validationErrors: [{ rule: 'invoice-of-customer', message }] });
    }
    const printsInvoice = async () => (await templateRepository(deps.db).usableAll(v.templateId)).some((t) => contractOf(t).paths.some((p) => INVOICE_AMOUNT.test(p)));
    const amount = invoice && (v.amount != null || (await printsInvoice())) ? invoice.amount : (v.amount ?? undefined);
    await communicationRepository(deps.db).ensure({
      id: v.communicationId,
      customerId: customer.id,
      templateId: v.templateId,
      channel: v.channel,
      kind,
      data: v.data ?? {},
      processInstanceKey: job.processInstanceKey,
      initiatedBy: v.initiatedBy,
      amount,
    });
    return complete({
      approvalLevels: approvalLevels({ kind, amount, risk: customer.riskSegment }),
      // always set (null without an amount): the dunning's output mapping reads it
      invoiceAmount: amount ?? null,
      customerName: customer.legalName,
      locale: customer.locale,
      riskSegment: customer.riskSegment,
      validationErrors: [],
    });
  },
});
