/**
 * Payment-behaviour risk from a customer's payment history, and the dunning cadence it implies:
 * high-risk accounts get earlier and firmer reminders and an earlier escalation.
 */
export type RiskSegment = 'low' | 'medium' | 'high';

export interface PaymentRecord {
  dueAt: string;
  paidAt: string;
}

export interface Cadence {
  segment: RiskSegment;
  /** ISO 8601 durations between the notice and each reminder. */
  reminderIntervals: string[];
  maxReminders: number;
  /** Reminder templates, firmer each time. */
  reminderTemplates: string[];
}

function daysLate(p: PaymentRecord): number {
  return Math.max(0, Math.round((Date.parse(p.paidAt) - Date.parse(p.dueAt)) / 86_400_000));
}

/** Risk from the last twelve payments: the share paid late and the average days late. */
export function paymentRisk(history: PaymentRecord[]): { segment: RiskSegment; lateShare: number; averageDaysLate: number } {
  const recent = [...history].sort((a, b) => b.dueAt.localeCompare(a.dueAt)).slice(0, 12);
  if (!recent.length) return { segment: 'medium', lateShare: 0, averageDaysLate: 0 };
  const late = recent.filter((p) => daysLate(p) > 0);
  const lateShare = late.length / recent.length;
  const averageDaysLate = late.length ? late.reduce((sum, p) => sum + daysLate(p), 0) / late.length : 0;
  let segment: RiskSegment = 'low';
  if (lateShare > 0.5 || averageDaysLate > 30) segment = 'high';
  else if (lateShare > 0.2 || averageDaysLate > 10) segment = 'medium';
  return { segment, lateShare, averageDaysLate };
}

const CADENCES: Record<RiskSegment, Omit<Cadence, 'segment'>> = {
  low: { reminderIntervals: ['P14D', 'P14D', 'P14D'], maxReminders: 3, reminderTemplates: ['payment-reminder-1', 'payment-reminder-2', 'payment-reminder-3'] },
  medium: { reminderIntervals: ['P7D', 'P10D', 'P10D'], maxReminders: 3, reminderTemplates: ['payment-reminder-1', 'payment-reminder-2', 'payment-reminder-3'] },
  high: { reminderIntervals: ['P3D', 'P5D'], maxReminders: 2, reminderTemplates: ['payment-reminder-2', 'payment-reminder-3'] },
};

/** Every template a cadence can send as a reminder (deploy checks their data contracts). */
export const REMINDER_TEMPLATES = [...new Set(Object.values(CADENCES).flatMap((c) => c.reminderTemplates))];

/**
 * The cadence for a segment. `scale` shrinks every interval (the demo runs a 14-day cadence in
 * seconds): 'PT5S' replaces each interval when given.
 */
export function cadenceFor(segment: RiskSegment, demoInterval?: string): Cadence {
  const base = CADENCES[segment];
  return {
    segment,
    ...base,
    reminderIntervals: demoInterval ? base.reminderIntervals.map(() => demoInterval) : [...base.reminderIntervals],
    reminderTemplates: [...base.reminderTemplates],
  };
}
