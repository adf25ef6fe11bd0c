/**
 * The customer portal: a customer's inbox, requests and invoices, raising a request and
 * promising to pay. Customers only, and each sees only their own: another customer's invoice
 * id is answered 404, exactly like one that does not exist.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { EngineError, type Engine } from '../../../engine/types.js';
import type { Db } from '../../../storage/db.js';
import { createAuditRepository } from '../../../storage/repositories/audit.js';
import { requestRepository, type RequestEvent, type RequestRow } from '../../../storage/requests.js';
import { requestService } from '../../../services/requests.js';
import { documentUploadService, referenceOf } from '../../../services/document-uploads.js';
import type { DocumentReference } from '../../../services/documents.js';
import { uploadView } from '../documents/index.js';
import { principal, type Principal } from '../../plugins/app/auth.js';
import { HttpProblem, notFound } from '../../plugins/problem.js';
import { authProblems, Problem } from '../../schemas/common.js';
import {
  InvoiceParams,
  NewPortalRequestBody,
  PortalInvoice,
  PortalMessage,
  PortalProfile,
  PortalReplyAccepted,
  PortalReplyBody,
  PortalRequest,
  PortalRequestDetail,
  PromiseAccepted,
  RequestRefParams,
  PromiseToPayBody,
  SubmittedPortalRequest,
} from '../../schemas/portal.js';

const SMALL_BODY = 32 * 1024;
const config = { roles: ['customer' as const] };
/** How long a promise waits for the invoice's dunning instance to be at its catch event. */
const PROMISE_TTL_MS = 24 * 3_600_000;

type Row = Record<string, any>;
const iso = (v: unknown) => (v == null ? null : new Date(v as string).toISOString());
/** A `date` column as YYYY-MM-DD whichever way the driver hands it over. */
const day = (v: unknown) => {
  if (v == null) return null;
  if (v instanceof Date) return `${v.getFullYear()}-${String(v.getMonth() + 1).padStart(2, '0')}-${String(v.getDate()).padStart(2, '0')}`;
  return String(v).slice(0, 10);
};

function toInvoice(r: Row) {
  const dueAt = day(r.due_at)!;
  const paidAt = iso(r.paid_at);
  return { id: r.id, number: r.number, amount: String(r.amount), currency: r.currency, issuedAt: day(r.issued_at)!, dueAt, status: r.status, promisedAt: day(r.promised_at), paidAt, due_at: dueAt, paid_at: paidAt };
}

/** The customer a portal user acts for; a customer account that names none may do nothing. */
export function customerOf(who: Principal): string {
  if (!who.customerId) throw new HttpProblem(403, `${who.id} is not linked to a customer account`, { rule: 'role' });
  return who.customerId;
}

const today = (now: Date) => now.toISOString().slice(0, 10);

/** A trail event in the customer's words, or nothing when it is internal (checks, staff decisions, refusals). */
function customerStep(e: RequestEvent, me: string): { at: string; what: string; by: 'you' | 'us' }[] {
  const at = e.at.toISOString();
  const d = e.detail as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  switch (e.action) {
    case 'received':
      return [{ at, what: 'Request received', by: e.actor === me ? 'you' : 'us' }];
    case 'assigned':
      return [{ at, what: `Being handled by our ${text(d.team) ?? 'service'} team`, by: 'us' }];
    case 'waiting-on-customer':
      return [{ at, what: `We asked you: ${text(d.question) ?? text(d.infoNeeded) ?? 'for more information'}`, by: 'us' }];
    case 'customer-replied':
    case 'customer-message':
      return [{ at, what: `You wrote: ${text(d.text) ?? ''}`, by: 'you' }];
    case 'credit-note-issued':
      return [{ at, what: `Credit note ${text(d.creditNote) ?? ''} issued`.replace('  ', ' '), by: 'us' }];
    case 'reopened':
      return [{ at, what: `Reopened: ${text(d.reason) ?? ''}`, by: e.actor === me ? 'you' : 'us' }];
    case 'closed':
      return [{ at, what: `Resolved${text(d.resolution) ? ` (${String(d.resolution).replace(/-/g, ' ')})` : ''}`, by: 'us' }];
    default:
      return [];
  }
}

export async function portalRoutes(app: FastifyInstance, opts: { db: Db; engine: Engine; now?: () => Date }): Promise<void> {
  const { db, engine } = opts;
  // the engine's clock: the same time the workers and timers see (a virtual one in tests)
  const now = opts.now ?? (() => new Date(engine.clock?.now() ?? Date.now()));
  const requests = requestService({ db, engine, now });
  const uploads = documentUploadService({ db, now });

  /** The customer's own uploads, not yet attached, as references; 422 names the first that is not. */
  const attachable = async (customerId: string, ids: string[] | undefined): Promise<DocumentReference[]> => {
    if (!ids?.length) return [];
    const refused = (await uploads.unattachable(ids, customerId))[0];
    if (refused) throw new HttpProblem(422, refused.why, { field: `body.attachments.${refused.index}` });
    return (await uploads.repo.many(ids)).sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id)).map(referenceOf);
  };

  const ownInvoice = async (customerId: string, invoiceId: string) => {
    const row = (await db('invoices').where({ id: invoiceId, customer_id: customerId }).first()) as Row | undefined;
    if (!row) throw notFound('invoice');
    return row;
  };

  app.get('/api/portal/profile', { config, schema: { tags: ['portal'], summary: 'Your customer account: name and the locale amounts are shown in', response: { 200: PortalProfile, 404: Problem, ...authProblems } } }, async (request) => {
    const customerId = customerOf(principal(request));
    const row = (await db('customers').where({ id: customerId }).first('id', 'legal_name', 'locale')) as Row | undefined;
    if (!row) throw notFound('customer');
    return { customerId: row.id, name: row.legal_name, locale: row.locale ?? 'en-US' };
  });

  app.get('/api/portal/messages', { config, schema: { tags: ['portal'], summary: 'Every message you were sent, on any channel (portal, email, SMS), newest first', response: { 200: Type.Array(PortalMessage), ...authProblems } } }, async (request) => {
    const customerId = customerOf(principal(request));
    const inbox = (await db('portal_messages').where({ customer_id: customerId }).orderBy('created_at', 'desc').limit(200)) as Row[];
    // what left the building on the other channels: the communications whose delivery was sent, as rendered
    const sent = (await db('communications as c')
      .join('deliveries as d', 'd.communication_id', 'c.id')
      .where('c.customer_id', customerId)
      .whereNotNull('d.sent_at')
      .whereNot('c.channel', 'portal')
      .orderBy('d.sent_at', 'desc')
      .limit(200)
      .select('c.id', 'c.channel', 'c.subject', 'c.html', 'c.text', 'd.sent_at')) as Row[];
    // a message sent by email with a portal copy is one message, shown as the channel it was sent on
    const sentIds = new Set(sent.map((r) => String(r.id)));
    const messages = [
      ...inbox.filter((r) => !sentIds.has(String(r.communication_id))).map((r) => ({ communicationId: r.communication_id, channel: 'portal', subject: r.subject, html: r.html, text: r.text, createdAt: iso(r.created_at)!, readAt: iso(r.read_at), created_at: iso(r.created_at)! })),
      ...sent.map((r) => ({ communicationId: r.id, channel: r.channel, subject: r.subject ?? '(no subject)', html: r.html ?? '', text: r.text ?? '', createdAt: iso(r.sent_at)!, readAt: null, created_at: iso(r.sent_at)! })),
    ];
    return messages.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, 200);
  });

  app.get('/api/portal/requests', { config, schema: { tags: ['portal'], summary: 'Your requests, newest first', response: { 200: Type.Array(PortalRequest), ...authProblems } } }, async (request) => {
    const rows = await requestRepository(db).forCustomer(customerOf(principal(request)));
    return rows.map((r) => ({ id: r.id, reference: r.reference, subject: r.subject, status: r.status, category: r.category, invoiceId: r.invoiceId, amount: r.amount, resolution: r.resolution, createdAt: r.createdAt.toISOString() }));
  });

  /** The customer's own request by reference or id; another customer's is 404 like one that does not exist. */
  const ownRequest = async (customerId: string, ref: string): Promise<RequestRow> => {
    const r = await requestRepository(db).find(ref);
    if (!r || r.customerId !== customerId) throw notFound('request');
    return r;
  };

  app.get(
    '/api/portal/requests/:ref',
    { config, schema: { tags: ['portal'], summary: 'One of your requests with its progress and the messages about it', params: RequestRefParams, response: { 200: PortalRequestDetail, 400: Problem, 404: Problem, ...authProblems } } },
    async (request) => {
      const r = await ownRequest(customerOf(principal(request)), (request.params as { ref: string }).ref);
      const events = await requestRepository(db).events(r.id);
      const messages = (await db('communications as c')
        .leftJoin('deliveries as d', 'd.communication_id', 'c.id')
        .where('c.customer_id', r.customerId)
        .where('c.id', 'like', `${r.id.replace(/[\\%_]/g, '\\$&')}-%`)
        .where((q) => q.whereNotNull('d.sent_at').orWhere('c.channel', 'portal'))
        .orderBy('c.created_at')
        .select('c.id', 'c.channel', 'c.subject', 'c.created_at', 'd.sent_at')) as Row[];
      return {
        id: r.id,
        reference: r.reference,
        subject: r.subject,
        status: r.status,
        category: r.category,
        invoiceId: r.invoiceId,
        amount: r.amount,
        resolution: r.resolution,
        createdAt: r.createdAt.toISOString(),
        body: r.body,
        resolutionNote: r.resolutionNote,
        steps: events.flatMap((e) => customerStep(e, principal(request).id)),
        messages: messages.map((m) => ({ communicationId: m.id, channel: m.channel, subject: m.subject ?? null, createdAt: iso(m.sent_at ?? m.created_at)! })),
        attachments: (await uploads.repo.forRequest(r.id)).map(uploadView),
      };
    },
  );

  app.post(
    '/api/portal/requests/:ref/replies',
    {
      bodyLimit: SMALL_BODY,
      config,
      schema: {
        tags: ['portal'],
        summary: 'Reply on one of your requests: a request waiting for you resumes; on any other, your message joins its trail for the team',
        params: RequestRefParams,
        body: PortalReplyBody,
        response: { 202: PortalReplyAccepted, 400: Problem, 404: Problem, 413: Problem, ...authProblems },
      },
    },
    async (request, reply) => {
      const who = principal(request);
      const me = customerOf(who);
      const r = await ownRequest(me, (request.params as { ref: string }).ref);
      const { text, attachments: ids } = request.body as PortalReplyBody;
      const files = await attachable(me, ids);
      const resumed = r.status === 'waiting_customer';
      if (ids?.length) await uploads.attach(ids, r.id);
      if (resumed) await requests.customerReply(r.id, { text, from: who.id, attachments: files });
      else await requestRepository(db).record(r.id, { action: 'customer-message', actor: who.id, detail: { text: text.slice(0, 2000), status: r.status, ...(files.length ? { attachments: files.map((f) => f.metadata.fileName) } : {}) } }, now());
      reply.status(202);
      return { reference: r.reference, status: r.status, resumed };
    },
  );

  app.post(
    '/api/portal/requests',
    {
      bodyLimit: SMALL_BODY,
      config,
      schema: { tags: ['portal'], summary: 'Raise a request (dispute, refund, payment question); you get its reference', body: NewPortalRequestBody, response: { 201: SubmittedPortalRequest, 400: Problem, 413: Problem, 422: Problem, ...authProblems } },
    },
    async (request, reply) => {
      const who = principal(request);
      const customerId = customerOf(who);
      const b = request.body as NewPortalRequestBody;
      if (b.invoiceId && !(await db('invoices').where({ id: b.invoiceId, customer_id: customerId }).first('id'))) {
        throw new HttpProblem(422, `there is no invoice ${b.invoiceId} on your account`, { field: 'body.invoiceId' });
      }
      const attachments = await attachable(customerId, b.attachments);
      const r = await requests.submit({ customerId, subject: b.subject, body: b.body ?? null, invoiceId: b.invoiceId ?? null, amount: b.amount ?? null, requestedBy: who.id, intakeChannel: 'portal', attachments });
      if (b.attachments?.length) await uploads.attach(b.attachments, r.id);
      reply.status(201);
      return { id: r.id, reference: r.reference, status: 'open' };
    },
  );

  app.get('/api/portal/invoices', { config, schema: { tags: ['portal'], summary: 'Your invoices, newest due date first', response: { 200: Type.Array(PortalInvoice), ...authProblems } } }, async (request) => {
    const rows = (await db('invoices').where({ customer_id: customerOf(principal(request)) }).orderBy([{ column: 'due_at', order: 'desc' }, { column: 'id' }]).limit(500)) as Row[];
    return rows.map(toInvoice);
  });

  app.post(
    '/api/portal/invoices/:id/promise-to-pay',
    {
      bodyLimit: SMALL_BODY,
      config,
      schema: {
        tags: ['portal'],
        summary: 'Promise to pay an open invoice by a future date; the dunning cadence pauses until then',
        params: InvoiceParams,
        body: PromiseToPayBody,
        response: { 202: PromiseAccepted, 400: Problem, 404: Problem, 409: Problem, 413: Problem, 422: Problem, ...authProblems },
      },
    },
    async (request, reply) => {
      const who = principal(request);
      const invoiceId = (request.params as { id: string }).id;
      const b = request.body as PromiseToPayBody;
      const invoice = await ownInvoice(customerOf(who), invoiceId);
      if (invoice.status === 'paid' || invoice.paid_at) throw new HttpProblem(409, `invoice ${invoiceId} is already paid`);
      if (b.date <= today(now())) throw new HttpProblem(422, `date ${b.date} is not in the future; promise a day after ${today(now())}`, { field: 'body.date' });
      const amount = b.amount ?? String(invoice.amount);
      // published first: a refused duplicate leaves no second record behind (and the engine needs
      // its own connection, which PGlite's single one cannot give while a transaction holds it).
      // The dunning process waits on promisedBy (end of the promised day); promisedDate as the events route sends it.
      try {
        await engine.publishMessage({
          name: 'promise-to-pay',
          correlationKey: invoiceId,
          messageId: `promise-to-pay-${invoiceId}-${b.date}`,
          timeToLive: PROMISE_TTL_MS,
          variables: { promisedDate: b.date, promisedBy: `${b.date}T23:59:59Z`, promisedAmount: amount },
        });
      } catch (err) {
        if (err instanceof EngineError && err.code === 'ALREADY_EXISTS') throw new HttpProblem(409, `you already promised to pay invoice ${invoiceId} by ${b.date}`);
        throw err;
      }
      await db.transaction(async (tx) => {
        await tx('invoices').where({ id: invoiceId }).whereIn('status', ['open', 'promised']).update({ status: 'promised', promised_at: b.date });
        await createAuditRepository(tx).append({ actor: who.id, action: 'invoice.promise-to-pay', subjectType: 'invoice', subjectId: invoiceId, detail: { promisedDate: b.date, promisedAmount: amount, via: 'portal' } });
      });
      reply.status(202);
      return { invoiceId, promisedDate: b.date, promisedAmount: amount };
    },
  );
}
