/**
 * A disputed invoice gets no demand for payment: its notice, reminders and escalation are not
 * sent while the customer disputes it, even when one was rendered and approved before the dispute
 * came in. Messages that answer the customer (the request's acknowledgement, the corrected invoice,
 * a payment confirmation) still go. Pure: the caller reads the invoice and its open requests.
 */
export const PAYMENT_DEMANDS = new Set(['invoice-notice', 'payment-reminder-upcoming', 'payment-reminder-1', 'payment-reminder-2', 'payment-reminder-3', 'dunning-escalation']);

export interface DisputeState {
  invoiceId: string;
  invoiceNumber?: string | undefined;
  invoiceStatus?: string | undefined;
  /** References of requests open on the invoice (not resolved or closed). */
  openRequests: string[];
}

/** Why the message is held, or undefined when it may go. */
export function disputeHold(templateId: string, state: DisputeState | undefined): string | undefined {
  if (!state || !PAYMENT_DEMANDS.has(templateId)) return undefined;
  if (state.invoiceStatus !== 'disputed' && state.openRequests.length === 0) return undefined;
  const invoice = `invoice ${state.invoiceNumber ?? state.invoiceId}`;
  const requests = state.openRequests.length ? ` (request ${state.openRequests.join(', ')} open on it)` : '';
  return `${invoice} is disputed${requests}: no ${templateId} is sent for a disputed amount; the request's outcome (a corrected invoice or the decision) is what the customer hears next`;
}
