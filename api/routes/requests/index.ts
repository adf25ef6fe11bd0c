/**
 * Customer requests for the people who work them: list and filter, read one with its audit
 * trail, raise one on a customer's behalf (agents, or an ERP's token), pass on a customer's
 * reply, reopen a resolved one, complete a request task under the request's duties, metrics.
 * A customer reaches only their own requests here too: another's is 404.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { hasRole } from '../../../domain/identity/index.js';
import type { Engine } from '../../../engine/types.js';
import type { Db } from '../../../storage/db.js';
import { createTaskRepository } from '../../../storage/repositories/tasks.js';
import type { RequestRow } from '../../../storage/requests.js';
import { requestService } from '../../../services/requests.js';
import { documentUploadRepository } from '../../../storage/repositories/document-uploads.js';
import { uploadView } from '../documents/index.js';
import type { Tasklist } from '../../services/tasklist.js';
import { principal, type Principal } from '../../plugins/app/auth.js';
import { HttpProblem, notFound } from '../../plugins/problem.js';
import { slaOf } from './sla.js';
import { authProblems, Problem } from '../../schemas/common.js';
import {
  CompletedRequestTask,
  CompleteRequestTaskBody,
  CustomerRequest,
  CustomerRequestDetail,
  MetricsQuery,
  NewRequestBody,
  Reopened,
  ReopenBody,
  ReplyBody,
  RequestAccepted,
  RequestMetricsView,
  RequestParams,
  RequestQuery,
  RequestTaskParams,
  SubmittedRequest,
} from '../../schemas/requests.js';

const SMALL_BODY = 32 * 1024;
const STAFF = ['analyst', 'engineer', 'approver', 'agent', 'data-steward', 'compliance', 'admin'] as const;
/** Who raises a request for a customer: service agents, and the agent-role service account an ERP's token belongs to. */
const SUBMITTERS = ['agent', 'admin'] as const;

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const HOUR = 3_600_000;
/** How many rows an SLA filter or sort looks at before paging: the open backlog, not the archive. */
const SLA_SCAN = 2000;

function view(r: RequestRow, now: Date) {
  return {
    id: r.id,
    reference: r.reference,
    customerId: r.customerId,
    invoiceId: r.invoiceId,
    category: r.category,
    priority: r.priority,
    status: r.status,
    intakeChannel: r.intakeChannel,
    subject: r.subject,
    amount: r.amount,
    requestedBy: r.requestedBy,
    team: r.team,
    assignee: r.assignee,
    resolution: r.resolution,
    processInstanceKey: r.processInstanceKey,
    slaBreached: r.slaBreachedAt !== null,
    reopenCount: r.reopenCount,
    createdAt: r.createdAt.toISOString(),
    resolvedAt: iso(r.resolvedAt),
    sla: slaOf(r, now),
  };
}

/** The customer a caller is confined to: undefined for staff, null for a customer account without one. */
function scope(who: Principal): string | null | undefined {
  if (hasRole(who, ...STAFF)) return undefined;
  return who.customerId ?? null;
}

export async function requestRoutes(app: FastifyInstance, opts: { db: Db; engine: Engine; tasklist: Tasklist; now?: () => Date }): Promise<void> {
  const { db, engine, tasklist } = opts;
  // the engine's clock: the same time the workers and timers see (a virtual one in tests)
  const now = opts.now ?? (() => new Date(engine.clock?.now() ?? Date.now()));
  const service = requestService({ db, engine, now });
  const repo = service.repo;
  const tasks = createTaskRepository(db);

  /** The request by reference or id, if the caller may see it; otherwise 404 as if it did not exist. */
  const visible = async (idOrReference: string, who: Principal): Promise<RequestRow> => {
    const s = scope(who);
    const r = await repo.find(idOrReference);
    if (!r || s === null || (s !== undefined && r.customerId !== s)) throw notFound('request');
    return r;
  };

  /** The customer-communication instances the request's process started: <requestId>-ack|info|result-<cycle>[-<n>]. */
  const PURPOSE = { ack: 'acknowledgement', info: 'information-request', result: 'outcome' } as const;
  const messagesOf = async (r: RequestRow) => {
    const rows = await db('communications').where('id', 'like', `${r.id.replace(/[\\%_]/g, '\\$&')}-%`).orderBy([{ column: 'created_at' }, { column: 'id' }]).select('id', 'template_id', 'channel', 'status', 'subject', 'created_at');
    return rows.flatMap((c) => {
      const m = /^-(ack|info|result)-\d+(-\d+)?$/.exec(String(c.id).slice(r.id.length));
      if (!m) return [];
      return [{ communicationId: c.id, purpose: PURPOSE[m[1] as keyof typeof PURPOSE], templateId: c.template_id, channel: c.channel, status: c.status, subject: c.subject ?? null, createdAt: new Date(c.created_at).toISOString() }];
    });
  };

  // customerRoutes served a first cut of these two reads; while it still does, its versions stay
  // (the router refuses a second route on a path), and this says so once at start-up
  const route = (options: RouteOptions) => {
    if (app.hasRoute({ method: options.method as 'GET', url: options.url })) {
      app.log.warn({ route: `${String(options.method)} ${options.url}` }, 'requests: route already registered elsewhere; the richer version here is not mounted');
      return;
    }
    app.route(options);
  };

  route({
    method: 'GET',
    url: '/api/requests',
    schema: { tags: ['requests'], summary: 'Requests, newest first, filtered (customers see only theirs)', querystring: RequestQuery, response: { 200: Type.Array(CustomerRequest), 400: Problem, ...authProblems } },
    handler: async (request) => {
      const s = scope(principal(request));
      if (s === null) return [];
      const { slaWithinHours, sort, ...q } = request.query as RequestQuery;
      const at = now();
      // a customerId filter never widens a customer's view
      if (slaWithinHours === undefined && sort !== 'sla') return (await repo.list({ ...q, limit: q.limit ?? 50, customerId: s ?? q.customerId })).map((r) => view(r, at));
      // the SLA's remaining time is computed (a budget less consumed and running time), so these read the backlog, then page
      const limit = q.limit ?? 50;
      const offset = q.offset ?? 0;
      let rows = (await repo.list({ ...q, limit: SLA_SCAN, offset: 0, customerId: s ?? q.customerId })).map((r) => view(r, at));
      if (slaWithinHours !== undefined) rows = rows.filter((r) => r.sla.remainingMs !== null && r.sla.remainingMs <= slaWithinHours * HOUR);
      if (sort === 'sla') rows.sort((a, b) => (a.sla.remainingMs ?? Infinity) - (b.sla.remainingMs ?? Infinity) || b.createdAt.localeCompare(a.createdAt));
      return rows.slice(offset, offset + limit);
    },
  });

  app.get(
    '/api/requests/metrics',
    {
      config: { roles: [...STAFF] },
      schema: { tags: ['requests'], summary: 'Resolution time, backlog by team and age, SLA breach and reopen rates', querystring: MetricsQuery, response: { 200: RequestMetricsView, 400: Problem, ...authProblems } },
    },
    async (request) => {
      const { since } = request.query as MetricsQuery;
      return repo.metrics(now(), since ? new Date(since) : undefined);
    },
  );

  route({
    method: 'GET',
    url: '/api/requests/:id',
    schema: {
      tags: ['requests'],
      summary: 'One request by reference (REQ-…) or id; staff also get its hash-chained trail',
      params: RequestParams,
      response: { 200: CustomerRequestDetail, 400: Problem, 404: Problem, ...authProblems },
    },
    handler: async (request) => {
      const who = principal(request);
      const r = await visible((request.params as { id: string }).id, who);
      const detail = { ...view(r, now()), body: r.body, resolutionNote: r.resolutionNote, messages: await messagesOf(r), attachments: (await documentUploadRepository(db).forRequest(r.id)).map(uploadView) };
      // the trail names staff and refusals: internal, not for the customer
      if (scope(who) !== undefined) return detail;
      const events = await repo.events(r.id);
      const verdict = await repo.verifyTrail(r.id);
      return { ...detail, events: events.map((e) => ({ at: e.at.toISOString(), action: e.action, actor: e.actor, outcome: e.outcome, detail: e.detail, hash: e.hash })), trailIntact: verdict.ok };
    },
  });

  app.post(
    '/api/requests',
    {
      bodyLimit: SMALL_BODY,
      config: { roles: [...SUBMITTERS] },
      schema: {
        tags: ['requests'],
        summary: "Raise a request on a customer's behalf; it gets a reference and its customer-request instance starts",
        body: NewRequestBody,
        response: { 201: SubmittedRequest, 400: Problem, 409: Problem, 413: Problem, 422: Problem, ...authProblems },
      },
    },
    async (request, reply) => {
      const who = principal(request);
      const b = request.body as NewRequestBody;
      if (!(await db('customers').where({ id: b.customerId }).first('id'))) throw new HttpProblem(422, `there is no customer ${b.customerId}`, { field: 'body.customerId' });
      if (b.invoiceId && !(await db('invoices').where({ id: b.invoiceId, customer_id: b.customerId }).first('id'))) {
        throw new HttpProblem(422, `customer ${b.customerId} has no invoice ${b.invoiceId}`, { field: 'body.invoiceId' });
      }
      if (b.externalId) {
        const existing = await repo.get(b.externalId);
        if (existing && existing.customerId !== b.customerId) throw new HttpProblem(409, `externalId ${b.externalId} already names a request of another customer`, { field: 'body.externalId' });
      }
      const r = await service.submit({
        id: b.externalId,
        customerId: b.customerId,
        subject: b.subject,
        body: b.body ?? null,
        invoiceId: b.invoiceId ?? null,
        amount: b.amount ?? null,
        category: b.category ?? null,
        requestedBy: who.id,
        intakeChannel: 'api',
      });
      const row = (await repo.get(r.id))!;
      reply.status(201);
      return { ...r, status: row.status };
    },
  );

  app.post(
    '/api/requests/:id/replies',
    {
      bodyLimit: SMALL_BODY,
      config: { roles: ['customer', 'agent', 'admin'] },
      schema: {
        tags: ['requests'],
        summary: "The customer's answer to a request waiting on them (from the customer, or passed on by an agent); the request resumes",
        params: RequestParams,
        body: ReplyBody,
        response: { 202: RequestAccepted, 400: Problem, 404: Problem, 409: Problem, 413: Problem, 422: Problem, ...authProblems },
      },
    },
    async (request, reply) => {
      const who = principal(request);
      const r = await visible((request.params as { id: string }).id, who);
      const b = request.body as ReplyBody;
      if (r.status !== 'waiting_customer') throw new HttpProblem(409, `request ${r.reference} is ${r.status.replace('_', ' ')}, not waiting for the customer`);
      if (b.invoiceId && !(await db('invoices').where({ id: b.invoiceId, customer_id: r.customerId }).first('id'))) {
        throw new HttpProblem(422, `there is no invoice ${b.invoiceId} on the customer's account`, { field: 'body.invoiceId' });
      }
      await service.customerReply(r.id, { text: b.text, invoiceId: b.invoiceId, amount: b.amount, from: who.id });
      reply.status(202);
      return { reference: r.reference, status: r.status };
    },
  );

  app.post(
    '/api/requests/:id/reopening',
    {
      bodyLimit: SMALL_BODY,
      config: { roles: ['customer', 'agent', 'admin'] },
      schema: {
        tags: ['requests'],
        summary: 'Reopen a resolved request the customer says is not resolved: it runs again under the same reference',
        params: RequestParams,
        body: ReopenBody,
        response: { 201: Reopened, 400: Problem, 404: Problem, 409: Problem, 413: Problem, ...authProblems },
      },
    },
    async (request, reply) => {
      const who = principal(request);
      const r = await visible((request.params as { id: string }).id, who);
      if (!r.resolvedAt) throw new HttpProblem(409, `request ${r.reference} is ${r.status.replace('_', ' ')}; only a resolved request can be reopened`);
      const { processInstanceKey } = await service.reopen(r.id, who.id, (request.body as ReopenBody).reason);
      const after = (await repo.get(r.id))!;
      reply.status(201);
      return { reference: after.reference, status: after.status, reopenCount: after.reopenCount, processInstanceKey };
    },
  );

  app.post(
    '/api/requests/:id/tasks/:key/completion',
    {
      bodyLimit: SMALL_BODY,
      config: { roles: [...STAFF] },
      schema: {
        tags: ['requests'],
        summary: "Complete one of the request's tasks under its duties (not the requester; not the proposer of an adjustment; four eyes); 403 names the rule",
        params: RequestTaskParams,
        body: CompleteRequestTaskBody,
        response: { 200: CompletedRequestTask, 400: Problem, 404: Problem, 409: Problem, 413: Problem, ...authProblems },
      },
    },
    async (request) => {
      const who = principal(request);
      const { id, key } = request.params as { id: string; key: string };
      // a request the caller may not see is a refusal like any other: on the record, then 404
      const r = await visible(id, who).catch((err: unknown) => tasklist.refuse(key, who, 'task.complete', err instanceof HttpProblem ? err : notFound('request'), 'not-found', { requestId: id }));
      const task = await tasks.get(key);
      // a task of another request is not this request's: 404, on the record like any refusal
      if (!task || task.processInstanceKey !== r.processInstanceKey || task.variables.requestId !== r.id) {
        await tasklist.refuse(key, who, 'task.complete', notFound('open task of this request'), 'not-this-request', { requestId: r.id });
      }
      // the same door as the tasklist: claimed by the caller (claimed here when free), then completed
      if (task!.assignee !== who.id) await tasklist.claim(key, who);
      await tasklist.complete(key, who, (request.body as CompleteRequestTaskBody).variables ?? {});
      return { key, elementId: task!.elementId, completedBy: who.id };
    },
  );
}
