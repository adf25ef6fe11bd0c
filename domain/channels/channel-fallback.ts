/**
 * Cross-channel failover (#19): when a channel cannot carry a message (every provider's breaker
 * is open, or the address hard-bounced), it may go on another channel the customer consented to
 * for that topic. Pure: the caller gathers the facts per candidate; this picks one or says why none.
 * CRM is a system webhook, not a way to reach a person, so it is never a fallback.
 */
export const FALLBACK_ORDER: Record<string, readonly string[]> = {
  sms: ['email', 'portal'],
  email: ['sms', 'portal'],
  portal: [],
  crm: [],
};

export interface FallbackCandidate {
  channel: string;
  /** The customer's address on this channel (undefined: none on file). */
  address?: string;
  /** The contact's own consent flag in the customer master. */
  contactConsent: boolean;
  /** The preference verdict for this message's topic on this channel (pending counts as no). */
  consented: boolean;
  /** The address is on the suppression list (hard bounce, complaint). */
  suppressed: boolean;
  /** The channel cannot send now (not configured, or every provider's breaker open). */
  unavailable: boolean;
}

/** The channel chosen and why the ones before it were passed over; or why none would do. */
export type FallbackChoice = { channel: string; passedOver: string[] } | { reasons: string[] };

export function chooseFallback(from: string, candidates: FallbackCandidate[]): FallbackChoice {
  const reasons: string[] = [];
  for (const name of FALLBACK_ORDER[from] ?? []) {
    const c = candidates.find((x) => x.channel === name);
    const why = !c || !c.address ? 'no address on file' : !c.contactConsent ? 'the contact has no consent' : !c.consented ? 'no consent for this topic' : c.suppressed ? 'the address is suppressed' : c.unavailable ? 'the channel is unavailable' : undefined;
    if (!why) return { channel: name, passedOver: reasons };
    reasons.push(`${name}: ${why}`);
  }
  return { reasons };
}
