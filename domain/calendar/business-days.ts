/**
 * Business days on a calendar per country: Saturdays, Sundays and the country's public holidays
 * (date-holidays, type `public`; bank holidays and observances such as Christmas Eve afternoon in
 * Germany are working days) are not business days. Dates are local calendar days, `YYYY-MM-DD`.
 * Pure: no clock, no I/O.
 */
import Holidays from 'date-holidays';
import { DateTime } from 'luxon';

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const cache = new Map<string, Set<string>>();
const calendars = new Map<string, Holidays>();

export class CalendarError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'CalendarError';
  }
}

/** The countries date-holidays knows (ISO 3166-1 alpha-2). */
export function isKnownCountry(country: string): boolean {
  return /^[A-Z]{2}$/.test(country) && Object.prototype.hasOwnProperty.call(new Holidays().getCountries(), country);
}

function calendar(country: string): Holidays {
  let h = calendars.get(country);
  if (!h) {
    if (!isKnownCountry(country)) throw new CalendarError(`no holiday calendar for country '${country}'`, 'country');
    h = new Holidays(country);
    calendars.set(country, h);
  }
  return h;
}

/** The public holidays of a country in a year, as local days. */
export function publicHolidays(country: string, year: number): Set<string> {
  const key = `${country}:${year}`;
  let days = cache.get(key);
  if (!days) {
    days = new Set(
      (calendar(country).getHolidays(year) || [])
        .filter((h) => h.type === 'public')
        .map((h) => h.date.slice(0, 10)),
    );
    cache.set(key, days);
  }
  return days;
}

function parse(day: string): DateTime {
  const d = ISO_DAY.test(day) ? DateTime.fromISO(day, { zone: 'UTC' }) : DateTime.invalid('format');
  if (!d.isValid) throw new CalendarError(`'${day}' is not a calendar day (YYYY-MM-DD)`, 'date');
  return d;
}

export function isBusinessDay(day: string, country: string): boolean {
  const d = parse(day);
  if (d.weekday >= 6) return false;
  return !publicHolidays(country, d.year).has(day);
}

/** The day itself when it is a business day, else the next one. */
export function nextBusinessDay(day: string, country: string): string {
  let d = parse(day);
  for (let i = 0; i < 366; i++) {
    const iso = d.toISODate()!;
    if (isBusinessDay(iso, country)) return iso;
    d = d.plus({ days: 1 });
  }
  throw new CalendarError(`no business day within a year after ${day} in ${country}`, 'date');
}

/**
 * `n` business days after `day` (n > 0), or before it (n < 0); 0 gives `day` rolled forward to a
 * business day. A dunning cadence of "3 business days after the due date" is addBusinessDays(due, 3).
 */
export function addBusinessDays(day: string, n: number, country: string): string {
  if (!Number.isInteger(n) || Math.abs(n) > 3660) throw new CalendarError(`business days must be a whole number within ±3660, not ${n}`, 'days');
  if (n === 0) return nextBusinessDay(day, country);
  let d = parse(day);
  const step = n > 0 ? 1 : -1;
  let left = Math.abs(n);
  while (left > 0) {
    d = d.plus({ days: step });
    if (isBusinessDay(d.toISODate()!, country)) left--;
  }
  return d.toISODate()!;
}

/** Business days strictly after `from` up to and including `to` (0 when `to` is not after `from`). */
export function businessDaysBetween(from: string, to: string, country: string): number {
  let d = parse(from);
  const end = parse(to);
  let count = 0;
  while (d < end) {
    d = d.plus({ days: 1 });
    if (isBusinessDay(d.toISODate()!, country)) count++;
  }
  return count;
}
