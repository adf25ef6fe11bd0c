/**
 * The test payment provider's hosted checkout page (services/payments/test-provider.ts), served by
 * Herald in development so the portal's payment can be walked end to end without a real
 * provider. It stands where Stripe Checkout's page would: "Pay" makes the provider sign the
 * result and post it to Herald's webhook (through the real route, signature checked), then sends
 * the browser back to the portal. No script: a plain form, so the page works under Herald's CSP.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TEST_CHECKOUT_PATH, TEST_PROVIDER_ID, TEST_SIGNATURE_HEADER, type TestProvider } from '../../../services/payments/test-provider.js';
import { HttpProblem } from '../../plugins/problem.js';

// the checkout's facts ride in its signed token: too long for a path segment, so in the query
const Query = Type.Object({ checkout: Type.String({ minLength: 10, maxLength: 4000 }) });
const Outcome = Type.Object({ outcome: Type.Union([Type.Literal('pay'), Type.Literal('cancel')]) }, { additionalProperties: false });

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const money = (amount: string, currency: string) => {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).format(Number(amount));
  } catch {
    return `${amount} ${currency}`;
  }
};

function page(reply: FastifyReply, status: number, title: string, body: string) {
  return reply
    .status(status)
    .type('text/html; charset=utf-8')
    .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}.muted{color:#555}dt{font-weight:600}button{font:inherit;padding:.5rem 1rem;margin:.25rem .25rem 0 0}</style></head><body><main class="test-checkout"><p class="muted">Herald test payment provider: development only, no money moves</p><h1>${escape(title)}</h1>${body}</main></body></html>`);
}

export async function testCheckoutRoutes(app: FastifyInstance, opts: { provider: TestProvider }): Promise<void> {
  const { provider } = opts;
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request: FastifyRequest, body: string | Buffer, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body.toString())));
  });
  const read = (token: string) => {
    const found = provider.readCheckout(token);
    if (!found.ok) throw new HttpProblem(404, found.reason, { field: 'query.checkout' });
    return found.checkout;
  };

  app.get(TEST_CHECKOUT_PATH, { config: { auth: 'none' }, schema: { hide: true, querystring: Query } }, async (request, reply) => {
    const c = read((request.query as { checkout: string }).checkout);
    const amount = money(c.amount, c.currency);
    return page(
      reply,
      200,
      `Pay invoice ${c.invoiceNumber}`,
      `<dl class="facts"><dt>Invoice</dt><dd>${escape(c.invoiceNumber)}</dd><dt>Amount</dt><dd id="checkout-amount">${escape(amount)}</dd><dt>Checkout</dt><dd>${escape(c.sessionId)}</dd></dl>` +
        `<form method="post" class="actions"><button type="submit" class="primary" name="outcome" value="pay">Pay ${escape(amount)}</button> <button type="submit" name="outcome" value="cancel">Cancel and return</button></form>`,
    );
  });

  app.post(TEST_CHECKOUT_PATH, { bodyLimit: 1024, config: { auth: 'none' }, schema: { hide: true, querystring: Query, body: Outcome } }, async (request, reply) => {
    const c = read((request.query as { checkout: string }).checkout);
    const outcome = (request.body as { outcome: 'pay' | 'cancel' }).outcome === 'pay' ? 'paid' : 'canceled';
    const { body, signature, redirect } = provider.settle(c, outcome);
    // the provider's server posts its signed result to Herald's webhook, as a real provider's would
    const answer = await app.inject({ method: 'POST', url: `/api/webhooks/payments/${TEST_PROVIDER_ID}`, headers: { 'content-type': 'application/json', [TEST_SIGNATURE_HEADER]: signature }, payload: body });
    if (answer.statusCode !== 200) {
      const problem = answer.json() as { title?: string };
      return page(reply, 502, 'The payment could not be recorded', `<p role="alert">Herald answered the provider ${answer.statusCode}: ${escape(problem.title ?? answer.body)}</p><p><a href="${escape(c.cancelUrl)}">Back to the portal</a></p>`);
    }
    return reply.redirect(redirect, 303);
  });
}
