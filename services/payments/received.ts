/**
 * The one door for a received payment, whoever reports it: the ERP's signed `payment.received`
 * event (api/routes/events) and a payment provider's verified webhook (api/routes/payments) both
 * become the same `payment-received` message, correlated by the invoice id. The invoice's dunning
 * process catches it (processes/invoice-dunning.bpmn): it closes the invoice (close-invoice), sends
 * the payment confirmation and stops the reminders.
 */
import type { Engine } from '../../engine/types.js';

export interface ReceivedPayment {
  invoiceId: string;
  paymentId: string;
  /** A decimal string. */
  amount: string;
  currency?: string;
}

/** The engine message a received payment is. */
export function paymentReceivedMessage(p: ReceivedPayment): { name: 'payment-received'; correlationKey: string; variables: Record<string, unknown> } {
  return { name: 'payment-received', correlationKey: p.invoiceId, variables: { paymentId: p.paymentId, paidAmount: p.amount, paidCurrency: p.currency } };
}

/**
 * Publishes the payment with its payment id as the message id, so a provider that sends the same
 * webhook twice pays nothing twice (the engine answers ALREADY_EXISTS). Kept for `ttlMs` for a
 * dunning instance that is not yet waiting.
 */
export async function publishReceivedPayment(engine: Engine, p: ReceivedPayment, ttlMs = 3_600_000): Promise<{ messageKey: string }> {
  const { messageKey } = await engine.publishMessage({ ...paymentReceivedMessage(p), messageId: `payment:${p.paymentId}`, timeToLive: ttlMs });
  return { messageKey: String(messageKey) };
}
