/**
 * Herald's business-day functions for diagrams (#19), backed by domain/calendar (public holidays
 * per country from date-holidays): `is business day(date, country)`, `next business day(date,
 * country)` (the date itself when it is a business day, else the next one, as
 * domain/calendar's nextBusinessDay) and `add business days(date, n, country)` (n may be negative;
 * 0 rolls forward). A date may be a FEEL date, a date and time (its date) or an ISO date string.
 * As FEEL does for a function that cannot answer, a bad argument or an unknown country gives null.
 * These are Herald extensions: Zeebe's FEEL does not know them (the job type
 * next-allowed-instant works on both engines).
 */
import { FeelDate, FeelDateTime, FeelFunction, parseDate } from 'feelin';
import { addBusinessDays, isBusinessDay, isKnownCountry, nextBusinessDay } from '../../../domain/calendar/business-days.js';

function isoDay(value: unknown): string | undefined {
  if (value instanceof FeelDate) return value.toString();
  if (value instanceof FeelDateTime) {
    const d = value.unwrap();
    return ('toPlainDate' in d ? d.toPlainDate() : d).toString();
  }
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  return undefined;
}

const countryOf = (value: unknown) => (typeof value === 'string' && isKnownCountry(value) ? value : undefined);

/** The answer as a FEEL date; null when the domain refuses (out of range). */
function guarded(f: () => string): FeelDate | null {
  try {
    return parseDate(f()) as FeelDate | null;
  } catch {
    return null;
  }
}

export const CALENDAR_BUILTINS: Record<string, FeelFunction> = {
  'is business day': new FeelFunction((date: unknown, country: unknown) => {
    const day = isoDay(date);
    const c = countryOf(country);
    return day && c ? isBusinessDay(day, c) : null;
  }, ['date', 'country']),
  'next business day': new FeelFunction((date: unknown, country: unknown) => {
    const day = isoDay(date);
    const c = countryOf(country);
    return day && c ? guarded(() => nextBusinessDay(day, c)) : null;
  }, ['date', 'country']),
  'add business days': new FeelFunction((date: unknown, n: unknown, country: unknown) => {
    const day = isoDay(date);
    const c = countryOf(country);
    const days = typeof n === 'number' ? n : typeof n === 'object' && n !== null && 'toNumber' in n ? (n as { toNumber(): number }).toNumber() : NaN;
    return day && c && Number.isInteger(days) ? guarded(() => addBusinessDays(day, days, c)) : null;
  }, ['date', 'n', 'country']),
};
