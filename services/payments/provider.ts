/**
 * The payment provider boundary: how Herald hands a customer to a hosted checkout and how it
 * learns the outcome. Every provider implements this contract; what a provider needs beyond it
 * (API keys, its SDK) stays inside its own file.
 *
 * The flow is a hosted checkout's (Stripe Checkout, Adyen, Mollie...):
 *  1. `createCheckout` asks the provider for a page where the customer pays exactly the invoice's
 *     open amount, and returns its URL; the portal sends the browser there.
 *  2. The provider tells Herald the outcome server to server, signed: its webhook arrives at
 *     `POST /api/webhooks/payments/{provider.id}` and `verifyWebhook` checks the signature over the
 *     raw body and reads the result. Nothing is marked paid without a verified webhook; the browser
 *     coming back to the portal proves nothing.
 *  3. A paid result goes through the same door as the ERP's `payment.received`
 *     (services/payments/received.ts): the invoice's dunning process hears `payment-received`,
 *     closes the invoice, sends the payment confirmation and stops the reminders.
 */

/** What the customer is asked to pay: one invoice's amount, in its currency. */
export interface CheckoutRequest {
  invoiceId: string;
  invoiceNumber: string;
  customerId: string;
  /** A decimal string, exactly the invoice's. */
  amount: string;
  currency: string;
  /** Where the provider sends the browser back after a payment, and after the customer gives up. */
  successUrl: string;
  cancelUrl: string;
}

export interface Checkout {
  /** The provider's id for this checkout (Stripe: the Checkout Session id). */
  sessionId: string;
  /** The hosted page the customer's browser goes to. */
  url: string;
}

/** A verified outcome of a checkout, as the provider's signed webhook states it. */
export type PaymentResult =
  | { status: 'paid'; sessionId: string; invoiceId: string; paymentId: string; amount: string; currency: string }
  | { status: 'canceled' | 'failed'; sessionId: string; invoiceId: string; reason?: string };

export type WebhookVerdict = { ok: true; result: PaymentResult } | { ok: false; reason: string };

export interface PaymentProvider {
  /** A short lowercase name; also the last segment of its webhook's path. */
  readonly id: string;
  createCheckout(request: CheckoutRequest): Promise<Checkout>;
  /**
   * Checks the webhook's signature over the exact raw body (headers lowercased) and reads the
   * result; a bad or missing signature is `{ ok: false, reason }` naming what was wrong.
   */
  verifyWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): WebhookVerdict;
}
