/**
 * Paying an invoice from the portal through a payment provider (services/payments/provider.ts):
 * the customer starts a hosted checkout for exactly the invoice's amount, and the provider's
 * signed webhook, verified over its raw body, is what marks anything paid, through the same door
 * as the ERP's payment.received (services/payments/received.ts). Every checkout started, every
 * outcome and every refused webhook is on the audit trail.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EngineError, type Engine } from '../../../engine/types.js';
import type { Db } from '../../../storage/db.js';
import { customerRepository } from '../../../storage/customers.js';
import { createAuditRepository } from '../../../storage/repositories/audit.js';
import type { PaymentProvider } from '../../../services/payments/provider.js';
import { publishReceivedPayment } from '../../../services/payments/received.js';
import { principal } from '../../plugins/app/auth.js';
import { HttpProblem, notFound } from '../../plugins/problem.js';
import { authProblems, Problem } from '../../schemas/common.js';
import { InvoiceParams } from '../../schemas/portal.js';

const Checkout = Type.Object({ provider: Type.String(), sessionId: Type.String(), url: Type.String() });
const WebhookParams = Type.Object({ provider: Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$' }) });
const WebhookAnswer = Type.Object({
  invoiceId: Type.String(),
  state: Type.Union([Type.Literal('received'), Type.Literal('duplicate'), Type.Literal('already-paid'), Type.Literal('canceled')]),
});
/** Invoices a customer can no longer pay from the portal, and why. */
const NOT_PAYABLE: Record<string, string> = {
  paid: 'is already paid',
  written_off: 'was written off',
  disputed: 'is under dispute; it can be paid once the request about it is resolved',
};

export async function paymentRoutes(app: FastifyInstance, opts: { db: Db; engine: Engine; providers: PaymentProvider[] }): Promise<void> {
  const { db, engine } = opts;
  const providers = new Map(opts.providers.map((p) => [p.id, p]));
  const invoices = customerRepository(db);
  // the webhook's signature is over the exact bytes: this plugin's JSON parser keeps them
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request: FastifyRequest, body: string | Buffer, done) => {
    request.rawBody = body.toString();
    try {
      done(null, request.rawBody ? JSON.parse(request.rawBody) : {});
    } catch {
      done(new HttpProblem(400, 'the body is not valid JSON', { field: 'body' }), undefined);
    }
  });

  app.post(
    '/api/portal/invoices/:id/checkout',
    {
      bodyLimit: 1024,
      config: { roles: ['customer'] },
      schema: {
        tags: ['portal'],
        summary: "Start paying an open invoice at the payment provider's hosted checkout; the answer's url is where the browser goes",
        params: InvoiceParams,
        response: { 201: Checkout, 404: Problem, 409: Problem, 503: Problem, ...authProblems },
      },
    },
    async (request, reply) => {
      const who = principal(request);
      const invoiceId = (request.params as { id: string }).id;
      const invoice = await invoices.invoice(invoiceId);
      // another customer's invoice is answered like one that does not exist
      if (!invoice || !who.customerId || invoice.customerId !== who.customerId) throw notFound('invoice');
      if (NOT_PAYABLE[invoice.status]) throw new HttpProblem(409, `invoice ${invoice.number} ${NOT_PAYABLE[invoice.status]}`);
      const provider = opts.providers[0];
      if (!provider) throw new HttpProblem(503, 'no payment provider is configured; pay by bank transfer quoting the invoice number');
      const origin = `${request.protocol}://${request.host}`;
      const back = `${origin}/#/portal/invoices/${encodeURIComponent(invoice.id)}`;
      const checkout = await provider.createCheckout({ invoiceId: invoice.id, invoiceNumber: invoice.number, customerId: invoice.customerId, amount: invoice.amount, currency: invoice.currency, successUrl: `${back}?payment=returned`, cancelUrl: `${back}?payment=canceled` });
      await createAuditRepository(db).append({ actor: who.id, action: 'payment.checkout-started', subjectType: 'invoice', subjectId: invoice.id, detail: { provider: provider.id, sessionId: checkout.sessionId, amount: invoice.amount, currency: invoice.currency } });
      reply.status(201);
      return { provider: provider.id, sessionId: checkout.sessionId, url: checkout.url };
    },
  );

  app.post(
    '/api/webhooks/payments/:provider',
    {
      bodyLimit: 64 * 1024,
      config: { auth: 'signature' },
      schema: {
        tags: ['payments'],
        summary: "A payment provider's signed checkout outcome; a paid one is recorded as the ERP's payment.received is",
        description: "Authenticated by the provider's own signature (the test provider: Test-Provider-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">), checked over the raw body.",
        security: [{ signature: [] }],
        params: WebhookParams,
        response: { 200: WebhookAnswer, 400: Problem, 401: Problem, 404: Problem, 422: Problem, 429: Problem },
      },
    },
    async (request) => {
      const id = (request.params as { provider: string }).provider;
      const provider = providers.get(id);
      if (!provider) throw notFound('payment provider');
      const actor = `provider:${id}`;
      const audit = createAuditRepository(db);
      const verdict = provider.verifyWebhook(request.rawBody ?? '', request.headers);
      if (!verdict.ok) {
        request.log.warn({ provider: id, address: request.ip, reason: verdict.reason }, 'payments: webhook refused');
        await audit.append({ actor, action: 'payment.webhook', subjectType: 'payment-provider', subjectId: id, outcome: 'refused', rule: 'signature', detail: { reason: verdict.reason, address: request.ip } });
        throw new HttpProblem(401, verdict.reason, { field: 'header.signature', rule: 'signature' }).markAudited();
      }
      const result = verdict.result;
      const invoice = await invoices.invoice(result.invoiceId);
      if (!invoice) {
        await audit.append({ actor, action: 'payment.received', subjectType: 'invoice', subjectId: result.invoiceId, outcome: 'refused', rule: 'unknown-invoice', detail: { ...result } });
        throw notFound('invoice').markAudited();
      }
      if (result.status !== 'paid') {
        await audit.append({ actor, action: 'payment.checkout-canceled', subjectType: 'invoice', subjectId: invoice.id, detail: { ...result } });
        return { invoiceId: invoice.id, state: 'canceled' as const };
      }
      // a payment of another amount than the invoice's is for people to look at, not to close the invoice
      if (result.amount !== invoice.amount || result.currency !== invoice.currency) {
        await audit.append({ actor, action: 'payment.received', subjectType: 'invoice', subjectId: invoice.id, outcome: 'refused', rule: 'amount-mismatch', detail: { ...result, invoiceAmount: invoice.amount, invoiceCurrency: invoice.currency } });
        throw new HttpProblem(422, `payment ${result.paymentId} is ${result.amount} ${result.currency}; invoice ${invoice.number} is ${invoice.amount} ${invoice.currency}`, { field: 'body.data.amount', rule: 'amount-mismatch' }).markAudited();
      }
      if (invoice.status === 'paid') {
        await audit.append({ actor, action: 'payment.received', subjectType: 'invoice', subjectId: invoice.id, detail: { ...result, note: 'the invoice was already paid' } });
        return { invoiceId: invoice.id, state: 'already-paid' as const };
      }
      try {
        const { messageKey } = await publishReceivedPayment(engine, { invoiceId: invoice.id, paymentId: result.paymentId, amount: result.amount, currency: result.currency });
        await audit.append({ actor, action: 'payment.received', subjectType: 'invoice', subjectId: invoice.id, detail: { ...result, messageKey } });
        return { invoiceId: invoice.id, state: 'received' as const };
      } catch (err) {
        if (err instanceof EngineError && err.code === 'ALREADY_EXISTS') return { invoiceId: invoice.id, state: 'duplicate' as const };
        throw err;
      }
    },
  );
}
