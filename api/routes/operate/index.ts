/**
 * What an operator needs beside the engine routes (routes/engine.ts): the instances a call
 * activity started (parent/child navigation, a child's incident shown on its parent), variable
 * editing before a retry, and the delivery queue as the database records it.
 *
 * Editing variables goes through the engine's setVariables and writes one audit row naming the
 * instance, the scope and the variables changed (names only: the trail is append-only and values
 * may be personal data). The row is written right after the engine answers, as the engine routes
 * do; a refusal (role, body, unknown instance) is recorded by the problem handler.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../../engine/types.js';
import type { Db } from '../../../storage/db.js';
import { createAuditRepository } from '../../../storage/repositories/audit.js';
import { principal } from '../../plugins/app/auth.js';
import { HttpProblem } from '../../plugins/problem.js';
import { authProblems, Problem, Variables } from '../../schemas/common.js';
import { QUEUE_BOARD } from '../system/index.js';

const operate = { roles: ['engineer' as const, 'admin' as const] };
const inspect = { roles: ['engineer' as const, 'admin' as const, 'analyst' as const, 'compliance' as const] };
const KeyParams = Type.Object({ key: Type.String({ pattern: '^[0-9]{1,30}$' }) });
const CHANNELS = ['email', 'sms', 'portal', 'crm'] as const;

export interface OperateOptions {
  engine: Engine;
  db: Db;
  /** REDIS_URL: the queue view links to bull-board when the queues run on Redis. */
  redisUrl?: string;
}

export async function operateRoutes(app: FastifyInstance, opts: OperateOptions): Promise<void> {
  const { engine, db } = opts;
  const audit = createAuditRepository(db);

  app.get(
    '/api/instances/:key/children',
    {
      config: inspect,
      schema: {
        tags: ['engine'],
        summary: "The instances this instance's call activities started, each with its open incidents",
        params: KeyParams,
        response: { ...authProblems, 200: Type.Array(Type.Unknown()), 404: Problem },
      },
    },
    async (request) => {
      const key = (request.params as { key: string }).key;
      const children = await engine.listInstances({ parentProcessInstanceKey: key, limit: 500 });
      const open = await engine.listIncidents({ state: 'ACTIVE' });
      return children
        .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
        .map((c) => ({ ...c, incidents: open.filter((i) => i.processInstanceKey === c.processInstanceKey).map((i) => ({ incidentKey: i.incidentKey, elementId: i.elementId, errorType: i.errorType, errorMessage: i.errorMessage })) }));
    },
  );

  app.put(
    '/api/instances/:key/variables',
    {
      config: operate,
      bodyLimit: 256 * 1024,
      schema: {
        tags: ['engine'],
        summary: "Set variables on an instance (or one of its element instances' scope), e.g. to correct data before retrying an incident; audited",
        params: KeyParams,
        body: Type.Object(
          {
            variables: Type.Intersect([Variables, Type.Object({}, { minProperties: 1 })]),
            /** An element instance key of this instance; the instance's root scope when absent. */
            scope: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
            reason: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { ...authProblems, 204: Type.Null(), 400: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      const key = (request.params as { key: string }).key;
      const body = request.body as { variables: Record<string, unknown>; scope?: string; reason?: string };
      const instance = await engine.getInstance(key);
      if (!instance) throw new HttpProblem(404, 'no such process instance', { field: 'key' });
      if (instance.state !== 'ACTIVE') throw new HttpProblem(409, `instance ${key} is ${instance.state.toLowerCase()}: its variables can no longer change`);
      const scope = body.scope ?? key;
      if (scope !== key && !instance.elements.some((e) => e.elementInstanceKey === scope && e.state === 'ACTIVATED')) {
        throw new HttpProblem(400, `scope ${scope} is not an active element instance of instance ${key}`, { field: 'scope' });
      }
      const before = scope === key ? instance.variables : await engine.getVariables(scope).catch(() => ({}) as Record<string, unknown>);
      // the names as they were: the embedded engine hands out its live scope, which setVariables then changes
      const had = new Set(Object.keys(before));
      const names = Object.keys(body.variables).sort();
      await engine.setVariables(scope, body.variables);
      await audit.append({
        actor: principal(request).id,
        action: 'instance.variables',
        subjectType: 'instance',
        subjectId: key,
        outcome: 'allowed',
        detail: {
          processInstanceKey: key,
          scope,
          changed: names.filter((n) => had.has(n)),
          added: names.filter((n) => !had.has(n)),
          ...(body.reason ? { reason: body.reason } : {}),
        },
      });
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/delivery-queue',
    {
      config: operate,
      schema: {
        tags: ['system'],
        summary: 'The delivery queue as the database records it: depth per channel, unfinished and failed jobs (newest first), and the queue board when Redis runs the queues',
        querystring: Type.Object({ state: Type.Optional(Type.Union([Type.Literal('queued'), Type.Literal('sending'), Type.Literal('sent'), Type.Literal('failed')])), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }),
        response: { ...authProblems, 200: Type.Unknown(), 400: Problem },
      },
    },
    async (request) => {
      const q = request.query as { state?: string; limit?: number };
      const rows = (await db('deliveries').select('channel', 'state').count<{ channel: string; state: string; count: string | number }[]>({ count: '*' }).groupBy('channel', 'state')) as { channel: string; state: string; count: string | number }[];
      const channels = CHANNELS.map((channel) => {
        const c = { channel, queued: 0, sending: 0, sent: 0, failed: 0 };
        for (const r of rows) if (r.channel === channel && r.state in c) (c as Record<string, number | string>)[r.state] = Number(r.count);
        return c;
      });
      const jobs = db('deliveries as d')
        .join('communications as c', 'c.id', 'd.communication_id')
        .select('d.communication_id as communicationId', 'd.channel', 'd.state', 'd.attempts', 'd.error', 'd.queued_at as queuedAt', 'd.sent_at as sentAt', 'c.customer_id as customerId', 'c.template_id as templateId', 'c.subject', 'c.process_instance_key as processInstanceKey')
        .orderBy('d.queued_at', 'desc')
        .limit(q.limit ?? 100);
      if (q.state) jobs.where('d.state', q.state);
      else jobs.whereIn('d.state', ['queued', 'sending', 'failed']);
      const redis = opts.redisUrl;
      const who = principal(request);
      return {
        backend: redis ? 'redis' : 'memory',
        ...(redis && who.roles.some((r) => r === 'engineer' || r === 'admin') ? { board: QUEUE_BOARD } : {}),
        depth: channels.reduce((n, c) => n + c.queued + c.sending, 0),
        channels,
        jobs: (await jobs).map((j) => ({ ...j, queuedAt: iso(j.queuedAt), sentAt: iso(j.sentAt) })),
      };
    },
  );
}

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? new Date(v).toISOString() : undefined);
