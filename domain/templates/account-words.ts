/**
 * Herald's own policy facts that credit and onboarding messages state, worded per language: the
 * standard credit terms (used when the customer has no invoice with printed terms yet), the
 * annual credit review, the setup window, and the reason stated for a limit change when the
 * process passed none (worded from the recorded direction of the change).
 */
import { compareAmounts } from '../communications/approval-policy.js';
import { language } from './facts.js';

export const STANDARD_CREDIT_TERM_DAYS = 30;
export const CREDIT_REVIEW_MONTHS = 12;
export const SETUP_WITHIN_DAYS = 14;

export function limitChangeReason(previous: string, next: string, locale: string): string {
  const raised = compareAmounts(next, previous) > 0;
  if (language(locale) === 'de') return raised ? 'das Ergebnis unserer regelmäßigen Kreditprüfung Ihres Kontos (Zahlungsverhalten und Umsatz)' : 'das Ergebnis unserer regelmäßigen Kreditprüfung Ihres Kontos (offene Posten und Zahlungsverhalten)';
  return raised ? 'the outcome of our periodic credit review of your account (payment record and order volumes)' : 'the outcome of our periodic credit review of your account (open items and payment record)';
}

/** The same calendar day `months` later (clamped to the month's end), as an ISO date. */
export function addMonths(isoDate: string, months: number): string {
  const [y, m, d] = isoDate.slice(0, 10).split('-').map(Number);
  const last = new Date(Date.UTC(y, m - 1 + months + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, m - 1 + months, Math.min(d, last))).toISOString().slice(0, 10);
}
