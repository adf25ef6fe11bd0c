import { Type } from '@sinclair/typebox';
import { compileTemplate, MissingPlaceholderError, renderMessage, TemplateDataError } from '../domain/templates/index.js';
import { communicationRepository } from '../storage/communications.js';
import { customerRepository } from '../storage/customers.js';
import { CATEGORY_LABELS, type Category } from '../domain/requests/policy.js';
import { requestRepository } from '../storage/requests.js';
import { templateRepository } from '../storage/templates.js';
import { complete, defineWorker, fail } from './runtime.js';
import type { WorkerDeps } from './deps.js';

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' ? merge(out[k] as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** A request's resolution code as the customer reads it in the outcome message. */
const RESOLUTIONS: Record<string, string> = {
  corrected: 'we corrected the invoice',
  answered: 'we answered your question',
  refunded: 'we refunded the amount',
  adjusted: 'we adjusted your contract',
  restructured: 'we agreed new payment terms',
  declined: 'we could not grant it',
  'no-response': 'we closed it after we did not hear back',
  rejected: 'we could not accept it',
};

/**
 * Fills the approved template version (compiled once per version) with the customer, invoice
 * and process data; HTML-escaped, plain-text part included. A missing placeholder is named.
 */
export default defineWorker({
  type: 'render-communication',
  variables: Type.Object({
    communicationId: Type.String({ minLength: 1 }),
    templateId: Type.String({ minLength: 1 }),
    // null or "" when the message concerns no invoice (a request without one)
    invoiceId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    locale: Type.Optional(Type.String()),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const comms = communicationRepository(deps.db);
    const communication = await comms.get(v.communicationId);
    if (!communication) return fail(`communication ${v.communicationId} was not created (validate-customer-data runs first)`);
    if (communication.subject && communication.status !== 'created') return complete({ templateVersion: communication.templateVersion });
    const customers = customerRepository(deps.db);
    const customer = (await customers.get(communication.customerId))!;
    const contact = (await customers.contacts(customer.id)).find((c) => c.channel === communication.channel);
    const locale = v.locale ?? customer.locale;
    const version = await templateRepository(deps.db).usable(v.templateId, locale);
    if (!version) return { fail: `no approved version of template '${v.templateId}' for locale ${locale}: a template is used only after someone other than its author approved it`, retries: 0 };
    const now = deps.now();
    const base = deps.baseUrl ?? 'http://127.0.0.1:3000';
    let data: Record<string, unknown> = {
      company: deps.company ?? { name: 'Herald Finance Operations', email: 'receivables@herald.example', phone: '+1 555 0100' },
      customer: { name: customer.legalName, contactName: contact?.displayName ?? customer.legalName, number: customer.id },
      links: { portal: `${base}/portal/` },
      reminder: { payBy: new Date(now.getTime() + 10 * 86_400_000).toISOString().slice(0, 10) },
    };
    const invoiceId = v.invoiceId || (communication.data.invoiceId as string | undefined);
    if (invoiceId) {
      const invoice = await customers.invoice(invoiceId);
      if (invoice) {
        const daysOverdue = Math.max(0, Math.floor((now.getTime() - Date.parse(invoice.dueAt)) / 86_400_000));
        data = merge(data, {
          invoice: { number: invoice.number, amount: invoice.amount, openAmount: invoice.amount, currency: invoice.currency, issueDate: invoice.issuedAt, dueDate: invoice.dueAt, terms: 'net 30 days', daysOverdue },
          links: { invoice: `${base}/portal/invoices/${encodeURIComponent(invoice.id)}`, pay: `${base}/portal/pay/${encodeURIComponent(invoice.id)}` },
        });
      }
    }
    // a message about a customer request (acknowledgement, resolution, ...) names it by reference
    const reference = (v.data?.reference ?? communication.data.reference) as unknown;
    if (typeof reference === 'string' && reference) {
      const request = await requestRepository(deps.db).byReference(reference);
      if (request && request.customerId === communication.customerId) {
        data = merge(data, {
          request: {
            reference: request.reference,
            subject: request.subject,
            type: CATEGORY_LABELS[request.category as Category] ?? request.category.replace(/-/g, ' '),
            receivedDate: request.createdAt.toISOString().slice(0, 10),
            ...(request.team ? { team: request.team } : {}),
            ...(request.resolutionNote || request.resolution ? { resolution: request.resolutionNote ?? RESOLUTIONS[request.resolution!] ?? request.resolution } : {}),
          },
          links: { request: `${base}/#/portal` },
        });
      }
    }
    data = merge(merge(data, communication.data), v.data ?? {});
    try {
      const compiled = await compileTemplate(version);
      const rendered = renderMessage(compiled, data, { locale });
      await comms.saveRendered(v.communicationId, { templateVersion: version.version, ...rendered });
      return complete({ templateVersion: version.version, locale: version.locale });
    } catch (err) {
      if (err instanceof MissingPlaceholderError || err instanceof TemplateDataError) {
        // data, not a passing fault: an incident that names the placeholder, retried once fixed
        return { fail: `template ${v.templateId} v${version.version}: ${(err as Error).message}`, retries: 0 };
      }
      throw err;
    }
  },
});
