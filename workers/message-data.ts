/**
 * The one data builder for a customer message: what render-communication fills a template
 * with, and what the approval preview and the template preview show, so the approver reads
 * the message the customer gets. Every fact is derived here, never assumed: the invoice's terms
 * and dates as the ERP issued them, days overdue against the send time (the engine's clock),
 * the reminder's ordinal from the reminders actually sent, the sender from the brand the
 * message goes out under, the request from its row.
 */
import type { Knex } from 'knex';
import { addDays, dueFacts, language, reminderTemplateFor, termsFromDates, type DueFacts } from '../domain/templates/facts.js';
import { informationQuestionIn, requestOutcome, requestType } from '../domain/templates/request-words.js';
import { addMonths, CREDIT_REVIEW_MONTHS, limitChangeReason, SETUP_WITHIN_DAYS, STANDARD_CREDIT_TERM_DAYS } from '../domain/templates/account-words.js';
import { creditFacts } from '../storage/account-facts.js';
import { customerRepository, type Invoice } from '../storage/customers.js';
import { createIdentityRepository } from '../storage/repositories/identity.js';
import { requestRepository } from '../storage/requests.js';
import { restructuringRepository } from '../storage/restructuring.js';
import { agreementFacts } from '../domain/restructuring/agreement.js';

export interface Brand {
  name: string;
  email: string;
  phone: string;
}

/** The brand of the default sender (HERALD_FROM's default, "Herald Receivables"). */
export const DEFAULT_BRAND: Brand = { name: 'Herald Receivables', email: 'receivables@herald.example', phone: '+1 555 0100' };

/** The brand a "Name <address>" sender stands for; the phone is the brand's, not the address's. */
export function brandFromSender(from: string | undefined, phone = DEFAULT_BRAND.phone): Brand {
  const m = from ? /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(from) : null;
  if (!m) return from && from.includes('@') ? { name: DEFAULT_BRAND.name, email: from.trim(), phone } : DEFAULT_BRAND;
  return { name: m[1].trim() || DEFAULT_BRAND.name, email: m[2].trim(), phone };
}

export interface MessageDataDeps {
  db: Knex;
  now(): Date;
  baseUrl?: string | undefined;
  company?: Brand | undefined;
}

export interface MessageSubject {
  customerId: string;
  channel: string;
  templateId: string;
  /** The communication being written (excluded when counting reminders already sent). */
  communicationId?: string | undefined;
  invoiceId?: string | null | undefined;
  /** The process's own data for the message (request reference, payment, correction, ...). */
  data?: Record<string, unknown> | undefined;
}

export interface MessageData {
  /** The template to render: a reminder for an invoice not yet due says "due on", not "overdue". */
  templateId: string;
  data: Record<string, unknown>;
  invoice?: Invoice | undefined;
  due?: DueFacts | undefined;
}

/** Where Herald listens unless HERALD_BASE_URL says otherwise. */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:3000';

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

export function mergeData(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObject(v) && isObject(out[k]) ? mergeData(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** A process passes null for what it does not know (a payment without a reference): that is no value, not a value. */
function withoutNulls(v: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = isObject(x) ? withoutNulls(x) : x;
  return out;
}

/** Days the customer has to act after a reminder or an escalation (stated as a date). */
const PAY_WITHIN_DAYS = 10;
const RESPOND_WITHIN_DAYS = 7;

export async function buildMessageData(deps: MessageDataDeps, m: MessageSubject, locale: string): Promise<MessageData> {
  const customers = customerRepository(deps.db);
  const customer = await customers.get(m.customerId);
  if (!customer) throw new Error(`customer ${m.customerId} is not in the customer master`);
  const contact = (await customers.contacts(customer.id)).find((c) => c.channel === m.channel);
  const now = deps.now();
  const base = (deps.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const company = deps.company ?? DEFAULT_BRAND;
  let data: Record<string, unknown> = {
    company,
    customer: { name: customer.legalName, contactName: contact?.displayName ?? customer.legalName, number: customer.id },
    links: { portal: `${base}/portal/` },
  };
  let templateId = m.templateId;
  const invoiceId = m.invoiceId || (typeof m.data?.invoiceId === 'string' ? m.data.invoiceId : undefined);
  const invoice = invoiceId ? await customers.invoice(invoiceId) : undefined;
  let due: DueFacts | undefined;
  if (invoice && invoice.customerId === customer.id) {
    due = dueFacts(invoice.dueAt, now);
    templateId = reminderTemplateFor(m.templateId, due);
    const sent = await customers.remindersSent(invoice.id, m.communicationId);
    const manager = customer.accountManager ? await createIdentityRepository(deps.db).getUser(customer.accountManager) : undefined;
    const payment = isObject(m.data?.payment) ? m.data.payment : {};
    const paid = typeof payment.amount === 'string' || typeof payment.amount === 'number' ? String(payment.amount) : undefined;
    data = mergeData(data, {
      invoice: {
        number: invoice.number,
        amount: invoice.amount,
        openAmount: invoice.status === 'paid' ? '0.00' : invoice.amount,
        currency: invoice.currency,
        issueDate: invoice.issuedAt,
        dueDate: invoice.dueAt,
        terms: invoice.paymentTerms ?? termsFromDates(invoice.issuedAt, invoice.dueAt, locale),
        daysOverdue: due.daysOverdue,
        daysUntilDue: due.daysUntilDue,
      },
      reminder: {
        number: sent.length + 1,
        previous: sent.length,
        // when we last wrote about the invoice: the last reminder, else the notice, else its issue date
        lastSentDate: (sent.at(-1)?.sentAt ?? (await customers.communicationDate(`${invoice.id}-notice`)) ?? invoice.issuedAt).slice(0, 10),
        payBy: addDays(now, PAY_WITHIN_DAYS),
      },
      // the account manager takes the account over from the reminders: a named person, reachable
      collections: { agentName: manager?.name ?? `${company.name} Collections`, phone: company.phone, ...(manager?.email ? { email: manager.email } : {}) },
      escalation: { respondBy: addDays(now, RESPOND_WITHIN_DAYS) },
      links: { invoice: `${base}/portal/invoices/${encodeURIComponent(invoice.id)}`, pay: `${base}/portal/pay/${encodeURIComponent(invoice.id)}` },
      ...(invoice.status === 'paid' || paid
        ? {
            // the payment's own amount and reference come with the process data; the invoice's stand in
            payment: { currency: invoice.currency, amount: paid ?? invoice.amount, reference: invoice.number, receivedDate: (invoice.paidAt ?? now.toISOString()).slice(0, 10) },
          }
        : {}),
    });
  }
  // credit and onboarding messages: the limit as booked, the limit it replaced and the day, the
  // customer's printed terms, the account manager, each from where it was recorded
  if (m.templateId === 'credit-approval' || m.templateId === 'credit-limit-change') {
    const c = await creditFacts(deps.db, customer.id);
    const effective = (c.bookedAt ?? now.toISOString()).slice(0, 10);
    const passed = isObject(m.data?.credit) ? m.data.credit : {};
    data = mergeData(data, {
      credit: {
        ...(c.limit ? { limit: c.limit, newLimit: c.limit } : {}),
        ...(c.currency ? { currency: c.currency } : {}),
        ...(c.previousLimit ? { previousLimit: c.previousLimit } : {}),
        effectiveDate: effective,
        reviewDate: addMonths(effective, CREDIT_REVIEW_MONTHS),
        terms: c.invoiceTerms ?? termsFromDates(effective, addDays(new Date(`${effective}T00:00:00Z`), STANDARD_CREDIT_TERM_DAYS), locale),
        ...(c.previousLimit && c.limit && typeof passed.reason !== 'string' ? { reason: limitChangeReason(c.previousLimit, c.limit, locale) } : {}),
      },
    });
  }
  if (m.templateId === 'welcome' || m.templateId === 'account-setup') {
    const manager = customer.accountManager ? await createIdentityRepository(deps.db).getUser(customer.accountManager) : undefined;
    data = mergeData(data, {
      accountManager: manager ? { name: manager.name, email: manager.email ?? company.email } : { name: `${company.name} Customer Service`, email: company.email },
      setup: { deadline: addDays(now, SETUP_WITHIN_DAYS) },
      // the portal is where the setup steps are done (its own route, signing the customer in)
      links: { setup: `${base}/portal/` },
    });
  }
  // a message about a customer request (acknowledgement, resolution, ...) names it by reference
  const reference = m.data?.reference;
  let question: string | undefined;
  if (typeof reference === 'string' && reference) {
    const requests = requestRepository(deps.db);
    const request = await requests.byReference(reference);
    if (request && request.customerId === customer.id) {
      const outcome = requestOutcome(request.resolution, request.resolutionNote, locale);
      data = mergeData(data, {
        request: {
          reference: request.reference,
          subject: request.subject,
          type: requestType(request.category, locale),
          receivedDate: request.createdAt.toISOString().slice(0, 10),
          ...(request.team ? { team: request.team } : {}),
          ...(outcome ? { resolution: outcome } : {}),
        },
        links: { request: `${base}/portal/requests/${encodeURIComponent(request.reference)}` },
      });
      // the process words its question in English; a customer in another language is asked in theirs,
      // from what the request's trail recorded (the missing data and the agent's own question)
      if (language(locale) !== 'en' && Array.isArray(m.data?.infoNeeded)) {
        const asked = (await requests.events(request.id)).filter((e) => e.action === 'waiting-on-customer').at(-1)?.detail;
        const own = typeof asked?.infoNeeded === 'string' ? asked.infoNeeded : null;
        question = informationQuestionIn(locale, (m.data.infoNeeded as unknown[]).filter((x): x is string => typeof x === 'string'), own);
      }
    }
  }
  if (m.data) data = mergeData(data, withoutNulls(m.data));
  if (question) data.question = question;
  // a restructuring notice states the agreement as recorded, whatever the process's variables say
  if (m.templateId === 'restructuring-terms') {
    const agreementId = typeof m.data?.agreementId === 'string' ? m.data.agreementId : undefined;
    const agreement = agreementId ? await restructuringRepository(deps.db).get(agreementId) : undefined;
    if (!agreement || agreement.customerId !== customer.id) throw new Error(`restructuring-terms needs a recorded agreement of ${customer.id}: ${agreementId ? `agreement ${agreementId} is not recorded for this customer` : 'no agreementId in the message data'} (the ERP's restructuring.agreed records it)`);
    data.restructuring = agreementFacts(agreement);
    data.links = { ...(data.links as Record<string, unknown>), agreement: `${base}/portal/agreements/${encodeURIComponent(agreement.agreementId)}` };
  }
  return { templateId, data, invoice, due };
}
