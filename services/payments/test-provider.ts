/**
 * Herald's built-in test payment provider, for development and tests: a hosted-checkout-like page
 * that Herald itself serves (api/routes/payments/test-checkout.ts) and a webhook signed like
 * Stripe's (`Test-Provider-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`).
 * It moves no money: the customer clicks "Pay" on its page, the provider signs the result with
 * its secret and posts it to Herald's webhook, and only that verified webhook marks anything paid.
 * A checkout is stateless: its facts ride in a token signed with the same secret, so the page
 * cannot be made to show or settle another amount.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Checkout, CheckoutRequest, PaymentProvider, PaymentResult, WebhookVerdict } from './provider.js';

export const TEST_PROVIDER_ID = 'test';
export const TEST_SIGNATURE_HEADER = 'test-provider-signature';
/** Where Herald serves the test provider's hosted page. */
export const TEST_CHECKOUT_PATH = '/payments/test-checkout';
/** How long a checkout page can be paid after it was created, and a webhook signature is good for. */
const CHECKOUT_TTL_S = 3600;
const TOLERANCE_S = 300;

const b64 = (s: string) => Buffer.from(s).toString('base64url');
const hmac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');
const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** A checkout as its signed token carries it. */
export interface TestCheckout extends CheckoutRequest {
  sessionId: string;
  /** Unix seconds after which the page refuses to pay. */
  expires: number;
}

export interface TestProvider extends PaymentProvider {
  /** The checkout a page token stands for, or why not (bad signature, expired). */
  readCheckout(token: string, now?: number): { ok: true; checkout: TestCheckout } | { ok: false; reason: string };
  /** The provider's side of a click on its page: the webhook it sends (body and signature header) and where the browser goes. */
  settle(checkout: TestCheckout, outcome: 'paid' | 'canceled', now?: number): { body: string; signature: string; redirect: string };
}

export function createTestProvider(options: { secret: string }): TestProvider {
  const { secret } = options;
  const signBody = (body: string, t: number) => `t=${t},v1=${hmac(secret, `${t}.${body}`)}`;
  return {
    id: TEST_PROVIDER_ID,

    async createCheckout(request: CheckoutRequest): Promise<Checkout> {
      const checkout: TestCheckout = { ...request, sessionId: `tcs_${randomUUID()}`, expires: Math.floor(Date.now() / 1000) + CHECKOUT_TTL_S };
      const payload = b64(JSON.stringify(checkout));
      return { sessionId: checkout.sessionId, url: `${TEST_CHECKOUT_PATH}?checkout=${payload}.${hmac(secret, `checkout.${payload}`)}` };
    },

    readCheckout(token, now = Date.now()) {
      const [payload, mac] = token.split('.');
      if (!payload || !mac || !same(mac, hmac(secret, `checkout.${payload}`))) return { ok: false, reason: 'this checkout link is not one the test provider made' };
      const checkout = JSON.parse(Buffer.from(payload, 'base64url').toString()) as TestCheckout;
      if (checkout.expires < Math.floor(now / 1000)) return { ok: false, reason: 'this checkout has expired; start the payment again from the portal' };
      return { ok: true, checkout };
    },

    settle(checkout, outcome, now = Date.now()) {
      const result: PaymentResult =
        outcome === 'paid'
          ? { status: 'paid', sessionId: checkout.sessionId, invoiceId: checkout.invoiceId, paymentId: `tpay_${randomUUID()}`, amount: checkout.amount, currency: checkout.currency }
          : { status: 'canceled', sessionId: checkout.sessionId, invoiceId: checkout.invoiceId, reason: 'the customer canceled on the checkout page' };
      const body = JSON.stringify({ type: outcome === 'paid' ? 'checkout.completed' : 'checkout.canceled', data: result });
      return { body, signature: signBody(body, Math.floor(now / 1000)), redirect: outcome === 'paid' ? checkout.successUrl : checkout.cancelUrl };
    },

    verifyWebhook(rawBody, headers, now = Date.now()): WebhookVerdict {
      const header = headers[TEST_SIGNATURE_HEADER];
      if (typeof header !== 'string') return { ok: false, reason: `${TEST_SIGNATURE_HEADER} is missing` };
      const parts = Object.fromEntries(header.split(',').map((p) => [p.slice(0, p.indexOf('=')).trim(), p.slice(p.indexOf('=') + 1).trim()]));
      const t = Number(parts.t);
      if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(parts.v1 ?? '')) return { ok: false, reason: `${TEST_SIGNATURE_HEADER} must be "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">"` };
      if (Math.abs(Math.floor(now / 1000) - t) > TOLERANCE_S) return { ok: false, reason: `${TEST_SIGNATURE_HEADER} timestamp is more than ${TOLERANCE_S} s from now` };
      if (!same(parts.v1, hmac(secret, `${t}.${rawBody}`))) return { ok: false, reason: `${TEST_SIGNATURE_HEADER} does not match the body` };
      const event = JSON.parse(rawBody) as { data?: PaymentResult };
      if (!event.data || typeof event.data.invoiceId !== 'string' || typeof event.data.sessionId !== 'string') return { ok: false, reason: 'the webhook body has no checkout result (data)' };
      return { ok: true, result: event.data };
    },
  };
}
