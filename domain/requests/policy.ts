/**
 * Customer request rules that are not decision tables: which team works a category, the
 * approval chain an adjustment needs by kind and amount, the request reference, and the SLA clock's arithmetic. Amounts are decimal strings.
 */
import { createHash } from 'node:crypto';
import { compareAmounts } from '../communications/approval-policy.js';

export const CATEGORIES = ['billing-dispute', 'payment-clarification', 'refund-adjustment', 'credit-restructuring', 'unclassified'] as const;
export type Category = (typeof CATEGORIES)[number];
export type Priority = 'critical' | 'high' | 'medium' | 'low';
export type AdjustmentKind = 'correction' | 'refund' | 'contract' | 'restructuring';

/** Candidate group per category: the team that works it. Its lead group is `<team>-lead`. */
export const TEAMS: Record<Category, string> = {
  'billing-dispute': 'finance',
  'payment-clarification': 'cash-application',
  'refund-adjustment': 'customer-service',
  'credit-restructuring': 'credit',
  unclassified: 'triage',
};

/** Each category in the customer's words (messages about a request name its type so). */
export const CATEGORY_LABELS: Record<Category, string> = {
  'billing-dispute': 'billing dispute',
  'payment-clarification': 'payment clarification',
  'refund-adjustment': 'refund or contract adjustment',
  'credit-restructuring': 'credit restructuring',
  unclassified: 'customer',
};

export function teamFor(category: string): string {
  return TEAMS[category as Category] ?? TEAMS.unclassified;
}

export function leadGroup(team: string): string {
  return `${team}-lead`;
}

export interface ApprovalStep {
  level: number;
  group: string;
}

/**
 * Approval chains by amount. Corrections: none up to 1,000; a finance lead above it; above
 * 10,000 a second approver from the controllers (four eyes). Refunds and contract adjustments
 * (consideration payable to the customer): a service lead up to 5,000, then finance lead, then
 * above 25,000 the controllers as well. Restructuring is decided by the credit committee.
 */
export const APPROVAL_THRESHOLDS = {
  correction: [
    { above: '1000.00', group: 'finance-lead' },
    { above: '10000.00', group: 'finance-controller' },
  ],
  refund: [
    { above: '0.00', group: 'customer-service-lead' },
    { above: '5000.00', group: 'finance-lead' },
    { above: '25000.00', group: 'finance-controller' },
  ],
  restructuring: [{ above: '0.00', group: 'credit-committee' }],
} as const;

export function approvalChain(kind: AdjustmentKind, amount: string): ApprovalStep[] {
  const table = kind === 'correction' ? APPROVAL_THRESHOLDS.correction : kind === 'restructuring' ? APPROVAL_THRESHOLDS.restructuring : APPROVAL_THRESHOLDS.refund;
  const groups = table.filter((t) => compareAmounts(amount, t.above) > 0).map((t) => t.group);
  // refunds above the first threshold replace the service lead with finance: at most two levels
  const chain = kind === 'refund' || kind === 'contract' ? groups.slice(-2) : groups;
  return chain.map((group, i) => ({ level: i + 1, group }));
}

/** A short reference the customer can quote: REQ- and 8 characters from the request id. */
export function requestReference(requestId: string): string {
  return `REQ-${createHash('sha256').update(requestId).digest('hex').slice(0, 8).toUpperCase()}`;
}

const ISO_DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

export function durationToMs(iso: string): number {
  const m = ISO_DURATION.exec(iso);
  if (!m || iso === 'P' || iso.endsWith('T')) throw new Error(`'${iso}' is not an ISO-8601 duration of days, hours, minutes or seconds`);
  const [, d, h, min, s] = m.map((x) => Number(x ?? 0));
  return (((d * 24 + h) * 60 + min) * 60 + s) * 1000;
}

/**
 * When the SLA reminder and escalation fall due, given the time already consumed before the
 * request last waited on the customer. Time spent waiting is not counted.
 */
export function slaDeadlines(input: { now: Date; consumedMs: number; reminderAfter: string; escalateAfter: string }): { reminderAt: string; escalateAt: string } {
  const at = (budget: string) => new Date(input.now.getTime() + Math.max(0, durationToMs(budget) - input.consumedMs)).toISOString();
  return { reminderAt: at(input.reminderAfter), escalateAt: at(input.escalateAfter) };
}

const cents = (x: string) => {
  const [i, f = ''] = x.trim().split('.');
  return BigInt(i + f.padEnd(2, '0').slice(0, 2));
};
const amount = (c: bigint) => {
  const abs = c < 0n ? -c : c;
  return `${c < 0n ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
};

/** Subtracts exactly: an invoice amount less a credit note. */
export function subtractAmounts(a: string, b: string): string {
  return amount(cents(a) - cents(b));
}

/** Adds exactly: a corrected amount and its credit note give the original. */
export function addAmounts(a: string, b: string): string {
  return amount(cents(a) + cents(b));
}

const MISSING_DATA: Record<string, string> = {
  invoiceNumber: 'the number of the invoice your request concerns',
  amount: 'the amount in question',
};

/**
 * What the customer is asked for, in one sentence: the data classification found missing and
 * the agent's own question. Templates show text, not lists.
 */
export function informationQuestion(missingData: readonly string[], agentQuestion?: string | null): string {
  const parts = missingData.map((m) => MISSING_DATA[m] ?? m.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase());
  const asked = parts.length ? `Please tell us ${parts.join(' and ')}.` : '';
  const question = agentQuestion?.trim() ?? '';
  return [asked, question].filter(Boolean).join(' ') || 'Please tell us more about your request.';
}
