/**
 * The customer's restructuring agreements in the portal: the terms as recorded (the schedule
 * the notice states) and the acceptance the notice asks for, by the 'accept by' date. Only the
 * customer's own agreements; acceptance goes through the one door in services/restructuring.ts.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../../engine/types.js';
import { agreementFacts } from '../../../domain/restructuring/agreement.js';
import { restructuringService } from '../../services/restructuring.js';
import type { Db } from '../../../storage/db.js';
import { restructuringRepository, type Agreement } from '../../../storage/restructuring.js';
import { principal } from '../../plugins/app/auth.js';
import { customerOf } from './index.js';
import { HttpProblem } from '../../plugins/problem.js';
import { authProblems, Problem } from '../../schemas/common.js';

const config = { roles: ['customer' as const] };
const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' }) });
const PortalAgreement = Type.Object({
  id: Type.String(),
  reference: Type.String(),
  status: Type.String(),
  agreementDate: Type.String(),
  totalAmount: Type.String(),
  currency: Type.String(),
  acceptBy: Type.String(),
  graceDays: Type.Integer(),
  installments: Type.Array(Type.Object({ number: Type.Integer(), dueDate: Type.String(), amount: Type.String() })),
  invoiceIds: Type.Array(Type.String()),
  acceptedAt: Type.Union([Type.String(), Type.Null()]),
});

function view(a: Agreement) {
  const f = agreementFacts(a);
  return {
    id: a.agreementId,
    reference: f.reference,
    status: a.status,
    agreementDate: f.agreementDate,
    totalAmount: f.totalAmount,
    currency: f.currency,
    acceptBy: f.acceptBy,
    graceDays: f.graceDays,
    installments: a.installments.map((i, n) => ({ number: n + 1, dueDate: i.dueDate, amount: i.amount })),
    invoiceIds: a.invoiceIds,
    acceptedAt: a.acceptedAt,
  };
}

export async function portalAgreementRoutes(app: FastifyInstance, opts: { db: Db; engine: Engine; now?: () => Date }): Promise<void> {
  const { db, engine } = opts;
  const now = opts.now ?? (() => new Date(engine.clock?.now() ?? Date.now()));

  app.get('/api/portal/agreements', { config, schema: { tags: ['portal'], operationId: 'listPortalAgreements', summary: 'Your restructuring agreements, newest first', response: { 200: Type.Array(PortalAgreement), ...authProblems } } }, async (request) => {
    return (await restructuringRepository(db).forCustomer(customerOf(principal(request)))).map(view);
  });

  app.get(
    '/api/portal/agreements/:id',
    { config, schema: { tags: ['portal'], operationId: 'getPortalAgreement', summary: 'One of your restructuring agreements with its instalment schedule', params: Params, response: { 200: PortalAgreement, 404: Problem, ...authProblems } } },
    async (request) => {
      const customerId = customerOf(principal(request));
      const a = await restructuringRepository(db).get((request.params as { id: string }).id);
      // another customer's agreement answers as if there were none
      if (!a || a.customerId !== customerId) throw new HttpProblem(404, `agreement ${(request.params as { id: string }).id} was not found`);
      return view(a);
    },
  );

  app.post(
    '/api/portal/agreements/:id/acceptance',
    { config, schema: { tags: ['portal'], operationId: 'acceptPortalAgreement', summary: 'Accept your restructuring agreement (by its accept-by date)', params: Params, response: { 200: PortalAgreement, 404: Problem, 409: Problem, ...authProblems } } },
    async (request) => {
      const who = principal(request);
      const customerId = customerOf(who);
      const id = (request.params as { id: string }).id;
      await restructuringService(db).accept({ agreementId: id, customerId, actor: who.id, at: now() });
      return view((await restructuringRepository(db).get(id))!);
    },
  );
}
