/**
 * Quiet hours: a message goes out only inside the recipient's sending window in their own time
 * zone (08:00–20:00 local unless the customer or channel says otherwise), optionally only on the
 * business days of their country. `nextAllowedInstant` answers "when may this be sent?": the
 * instant itself when it is inside the window, else the start of the next window. Luxon does the
 * time-zone and daylight-saving arithmetic: a window start that falls into a spring-forward gap
 * moves to the first instant that exists. Pure: the caller passes the instant.
 */
import { DateTime } from 'luxon';
import { CalendarError, isBusinessDay } from './business-days.js';

export interface SendWindow {
  /** Local start, HH:MM (inclusive). */
  start: string;
  /** Local end, HH:MM (exclusive); earlier than start means the window runs over midnight. */
  end: string;
}

export interface QuietHoursRule {
  /** IANA time zone of the recipient, e.g. Australia/Sydney. */
  timeZone: string;
  window?: SendWindow;
  /** Only on business days of this country (ISO 3166-1 alpha-2), when set. */
  businessDaysOf?: string | null;
}

export const DEFAULT_WINDOW: SendWindow = { start: '08:00', end: '20:00' };
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function parseTime(value: string, field: string): { hour: number; minute: number } {
  const m = HHMM.exec(value);
  if (!m) throw new CalendarError(`'${value}' is not a time of day (HH:MM, 00:00–23:59)`, field);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

export function isTimeZone(zone: string): boolean {
  return typeof zone === 'string' && zone.length > 0 && DateTime.now().setZone(zone).isValid;
}

/** Checks a window and zone, naming the field that is wrong. */
export function checkRule(rule: QuietHoursRule): void {
  if (!isTimeZone(rule.timeZone)) throw new CalendarError(`'${rule.timeZone}' is not an IANA time zone`, 'timeZone');
  const w = rule.window ?? DEFAULT_WINDOW;
  const s = parseTime(w.start, 'window.start');
  const e = parseTime(w.end, 'window.end');
  if (s.hour === e.hour && s.minute === e.minute) throw new CalendarError('the window is empty: start and end are the same time', 'window.end');
}

const minutes = (t: { hour: number; minute: number }) => t.hour * 60 + t.minute;

/** Whether the instant lies inside the window (and on a business day, when asked) in the rule's zone. */
export function isInsideWindow(at: Date, rule: QuietHoursRule): boolean {
  checkRule(rule);
  const w = rule.window ?? DEFAULT_WINDOW;
  const local = DateTime.fromJSDate(at, { zone: rule.timeZone });
  const now = local.hour * 60 + local.minute;
  const s = minutes(parseTime(w.start, 'window.start'));
  const e = minutes(parseTime(w.end, 'window.end'));
  // a window over midnight belongs to the day it starts on
  const inside = s < e ? now >= s && now < e : now >= s || now < e;
  if (!inside) return false;
  if (!rule.businessDaysOf) return true;
  const opened = s < e || now >= s ? local : local.minus({ days: 1 });
  return isBusinessDay(opened.toISODate()!, rule.businessDaysOf);
}

/** The first instant at or after `at` when a message may be sent to this recipient. */
export function nextAllowedInstant(at: Date, rule: QuietHoursRule): Date {
  if (isInsideWindow(at, rule)) return at;
  const w = rule.window ?? DEFAULT_WINDOW;
  const start = parseTime(w.start, 'window.start');
  const local = DateTime.fromJSDate(at, { zone: rule.timeZone });
  // the window opening today or on a later day, the first one after `at` that is allowed
  for (let i = 0; i < 400; i++) {
    const day = local.startOf('day').plus({ days: i });
    const opens = DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour: start.hour, minute: start.minute }, { zone: rule.timeZone });
    if (opens.toMillis() <= at.getTime()) continue;
    if (rule.businessDaysOf && !isBusinessDay(opens.toISODate()!, rule.businessDaysOf)) continue;
    return opens.toJSDate();
  }
  throw new CalendarError(`no allowed send instant within 400 days after ${at.toISOString()}`, 'window');
}
