/**
 * Facts a message states, derived from the invoice and the moment of sending, never assumed:
 * days overdue or days until due, the payment terms (as printed; derived from the dates only for
 * invoices recorded without them), and which reminder this is. Pure: the caller passes the clock.
 */
const DAY = 86_400_000;

const utcDay = (isoDate: string) => Date.parse(`${isoDate.slice(0, 10)}T00:00:00Z`);
const startOfDay = (at: Date) => Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());

export interface DueFacts {
  /** Whole days past the due date on the day of sending; 0 when not yet due. */
  daysOverdue: number;
  /** Whole days until the due date; 0 when due today or overdue. */
  daysUntilDue: number;
  overdue: boolean;
}

export function dueFacts(dueDate: string, at: Date): DueFacts {
  const diff = Math.round((startOfDay(at) - utcDay(dueDate)) / DAY);
  return { daysOverdue: Math.max(0, diff), daysUntilDue: Math.max(0, -diff), overdue: diff > 0 };
}

/** Where an invoice stands on the day of sending, in the customer's language: "7 days overdue", "today", "in 23 days". */
const STANDING: Record<string, (due: DueFacts) => string> = {
  en: (d) => (d.overdue ? `${d.daysOverdue} ${d.daysOverdue === 1 ? 'day' : 'days'} overdue` : d.daysUntilDue === 0 ? 'today' : d.daysUntilDue === 1 ? 'tomorrow' : `in ${d.daysUntilDue} days`),
  de: (d) => (d.overdue ? `${d.daysOverdue} ${d.daysOverdue === 1 ? 'Tag' : 'Tage'} überfällig` : d.daysUntilDue === 0 ? 'heute' : d.daysUntilDue === 1 ? 'morgen' : `in ${d.daysUntilDue} Tagen`),
};

export function dueStanding(due: DueFacts, locale: string): string {
  return (STANDING[language(locale)] ?? STANDING.en)(due);
}

/** "net 30 days" in the customer's language, from the issue and due dates. */
const TERMS: Record<string, (days: number) => string> = {
  en: (d) => (d === 0 ? 'due on receipt' : `net ${d} days`),
  de: (d) => (d === 0 ? 'sofort fällig' : `${d} Tage netto`),
};

export function termsFromDates(issueDate: string, dueDate: string, locale: string): string {
  const days = Math.max(0, Math.round((utcDay(dueDate) - utcDay(issueDate)) / DAY));
  return (TERMS[language(locale)] ?? TERMS.en)(days);
}

/** "de-CH" -> "de". */
export function language(locale: string): string {
  return locale.replace(/_/g, '-').split('-')[0].toLowerCase();
}

/**
 * The payment reminders of the library, each of which states that the invoice is overdue. Sent
 * for an invoice that is not yet due (a cadence counted from the notice can fire before the due
 * date), the message says "due on …" instead: the courtesy reminder is rendered in its place.
 */
export const OVERDUE_REMINDERS = new Set(['payment-reminder-1', 'payment-reminder-2', 'payment-reminder-3']);
export const NOT_YET_DUE_REMINDER = 'payment-reminder-upcoming';

/** The template a reminder is rendered from, given whether its invoice is overdue when sent. */
export function reminderTemplateFor(templateId: string, due: DueFacts | undefined): string {
  return due && !due.overdue && OVERDUE_REMINDERS.has(templateId) ? NOT_YET_DUE_REMINDER : templateId;
}

/** Adds whole days to a date (calendar days, UTC), as an ISO date. */
export function addDays(at: Date, days: number): string {
  return new Date(startOfDay(at) + days * DAY).toISOString().slice(0, 10);
}
