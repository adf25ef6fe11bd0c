/**
 * The studio's live preview on a real customer: the data production fills a template with for a
 * customer (and an invoice of theirs: the one asked for, else their newest open one), so the
 * template editor can render unsaved MJML against it through POST /api/templates/preview.
 * Staff only, like the template routes; read-only, so not audited.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../../engine/types.js';
import type { Db } from '../../../storage/db.js';
import { customerRepository } from '../../../storage/customers.js';
import { buildMessageData, type Brand } from '../../../workers/message-data.js';
import { HttpProblem } from '../../plugins/problem.js';
import { authProblems, Problem } from '../../schemas/common.js';

const STAFF = ['analyst', 'engineer', 'approver', 'agent', 'compliance', 'admin'] as const;

export async function studioRoutes(app: FastifyInstance, opts: { db: Db; engine?: Engine; messages?: { baseUrl?: string; company?: Brand } }): Promise<void> {
  const { db } = opts;
  app.post(
    '/api/templates/:id/customer-data',
    {
      config: { roles: [...STAFF] },
      bodyLimit: 4 * 1024,
      schema: {
        tags: ['templates'],
        summary: "The data a template is filled with for a real customer (their newest open invoice unless one is named), for a live preview of unsaved MJML",
        params: Type.Object({ id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$' }) }),
        body: Type.Object(
          { customerId: Type.String({ minLength: 1, maxLength: 64 }), invoiceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), channel: Type.Optional(Type.Union([Type.Literal('email'), Type.Literal('sms'), Type.Literal('portal')])) },
          { additionalProperties: false },
        ),
        response: { ...authProblems, 200: Type.Object({ customerId: Type.String(), invoiceId: Type.Union([Type.String(), Type.Null()]), locale: Type.String(), data: Type.Record(Type.String(), Type.Unknown()) }), 400: Problem, 404: Problem, 422: Problem },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const b = request.body as { customerId: string; invoiceId?: string; channel?: 'email' | 'sms' | 'portal' };
      const customer = await customerRepository(db).get(b.customerId);
      if (!customer) throw new HttpProblem(404, `no such customer ${b.customerId}`, { field: 'body.customerId' });
      const invoiceId =
        b.invoiceId ?? ((await db('invoices').where({ customer_id: customer.id }).whereNot({ status: 'paid' }).orderBy('due_at', 'desc').first('id')) as { id: string } | undefined)?.id;
      let built;
      try {
        built = await buildMessageData(
          { db, now: () => new Date(opts.engine?.clock?.now() ?? Date.now()), baseUrl: opts.messages?.baseUrl, company: opts.messages?.company },
          { customerId: customer.id, channel: b.channel ?? 'email', templateId: id, invoiceId },
          customer.locale,
        );
      } catch (err) {
        throw new HttpProblem(422, (err as Error).message, { field: 'body' });
      }
      if (b.invoiceId && !built.invoice) throw new HttpProblem(404, `no invoice ${b.invoiceId} of customer ${customer.id}`, { field: 'body.invoiceId' });
      return { customerId: customer.id, invoiceId: invoiceId ?? null, locale: customer.locale, data: built.data };
    },
  );
}
