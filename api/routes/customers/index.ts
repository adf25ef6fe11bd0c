/**
 * Communications (requests live in api/routes/requests), scoped by who asks: a customer sees only their own (another
 * customer's id is 404, as if it did not exist); staff see all.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../../storage/db.js';
import { quietHoursWaits } from '../../../storage/quiet-hours-waits.js';
import { principal, type Principal } from '../../plugins/app/auth.js';
import { notFound } from '../../plugins/problem.js';
import { authProblems, Problem } from '../../schemas/common.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const ListQuery = Type.Object(
  { customerId: Type.Optional(Type.String({ maxLength: 64 })), processInstanceKey: Type.Optional(Type.String({ pattern: '^[0-9]{1,30}$' })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) },
  { additionalProperties: false },
);
type ListQuery = Static<typeof ListQuery>;
const Nullable = (t: ReturnType<typeof Type.String>) => Type.Union([t, Type.Null()]);
/** A queued message held for the recipient's sending window (quiet hours): until when, in their zone. */
const QuietHoursWait = Type.Union([Type.Object({ until: Type.String(), timeZone: Type.String(), localUntil: Type.String() }), Type.Null()]);
const Communication = Type.Object({ id: Type.String(), customerId: Type.String(), channel: Type.String(), kind: Type.String(), status: Type.String(), subject: Nullable(Type.String()), createdAt: Type.String(), waitingForQuietHours: Type.Optional(QuietHoursWait) });

const STAFF = ['analyst', 'engineer', 'approver', 'agent', 'data-steward', 'compliance', 'admin'] as const;

/** The customer a principal is confined to, or undefined for staff. A customer without one sees nothing. */
function scope(who: Principal): string | null | undefined {
  if (STAFF.some((r) => who.roles.includes(r))) return undefined;
  return who.customerId ?? null;
}

type Row = Record<string, unknown>;
const iso = (v: unknown) => new Date(v as string).toISOString();
const toCommunication = (r: Row) => ({ id: r.id as string, customerId: r.customer_id as string, channel: r.channel as string, kind: r.kind as string, status: r.status as string, subject: (r.subject as string | null) ?? null, createdAt: iso(r.created_at) });

export async function customerRoutes(app: FastifyInstance, opts: { db: Db }): Promise<void> {
  const { db } = opts;
  const resources = [
    { path: '/api/communications', table: 'communications', schema: Communication, map: toCommunication, what: 'communication' },
  ] as const;
  for (const res of resources) {
    app.get(res.path, { schema: { tags: ['customers'], summary: `List ${res.what}s, newest first (a customer sees only their own)`, querystring: ListQuery, response: { 200: Type.Array(res.schema), 400: Problem, ...authProblems } } }, async (request) => {
      const s = scope(principal(request));
      const q = request.query as ListQuery;
      const query = db(res.table).orderBy('created_at', 'desc').limit(q.limit ?? 50);
      if (s === null) return [];
      if (s !== undefined) query.where('customer_id', s);
      else if (q.customerId) query.where('customer_id', q.customerId);
      if (q.processInstanceKey) query.where('process_instance_key', q.processInstanceKey);
      const map = res.map as (r: Row) => unknown;
      const rows = (await query) as Row[];
      const waits = await quietHoursWaits(db, rows.map((r) => r.id as string));
      return rows.map((r) => ({ ...(map(r) as object), waitingForQuietHours: waits.get(r.id as string) ?? null }));
    });
    app.get(`${res.path}/:id`, { schema: { tags: ['customers'], summary: `One ${res.what} by id (404 outside the caller's scope)`, params: IdParams, response: { 200: res.schema, 400: Problem, 404: Problem, ...authProblems } } }, async (request) => {
      const s = scope(principal(request));
      const row = (await db(res.table).where({ id: (request.params as { id: string }).id }).first()) as Row | undefined;
      if (!row || s === null || (s !== undefined && row.customer_id !== s)) throw notFound(res.what);
      const waits = await quietHoursWaits(db, [row.id as string]);
      return { ...((res.map as (r: Row) => unknown)(row) as object), waitingForQuietHours: waits.get(row.id as string) ?? null };
    });
  }
}
