/**
 * Timer values as Zeebe reads them, on one library (luxon for durations and date-times,
 * cron-parser for cron). Deploy validation (engine/bpmn/validate.ts), the embedded engine's
 * timers and the process tests' `increase-time` all go through this module, so a value that
 * deploys is a value that runs, with the same arithmetic.
 *
 * - Durations follow Zeebe's `Interval`: a java.time `Period` (years, months, weeks, days; whole
 *   numbers) plus a `Duration` (hours, minutes, seconds; only seconds may have a fraction), added
 *   to a zoned date-time in that order. Months and years are calendar steps clamped to the end of
 *   the month, so P1M from 31 January is 28 (or 29) February, as `ZonedDateTime.plus(Period)` does.
 * - Cycles are `R[n]/[start/]duration` (n omitted: unbounded) or a Spring cron expression: six
 *   fields (second minute hour day-of-month month day-of-week) or a macro (@yearly, @annually,
 *   @monthly, @weekly, @daily, @midnight, @hourly), as Zeebe's `CronTimer` accepts. As in Spring,
 *   a restricted day-of-month and a restricted day-of-week must both match.
 * - Date-times are ISO 8601 with an offset or zone (`2026-03-01T09:00:00Z`, `…+01:00`,
 *   `…[Europe/Berlin]`); one without is read as UTC, the zone Zeebe's brokers run in.
 * Everything is computed in UTC: Zeebe uses the broker's system zone, which is UTC in Camunda's images.
 *
 * FEEL values (durations, date-times) arrive already evaluated, as strings or feelin/luxon objects.
 */
import { CronExpressionParser, type CronExpression } from 'cron-parser';
import { DateTime, Duration } from 'luxon';

export class TimerValueError extends Error {}

// Zeebe's Interval.parse splits at 'T': the period part goes to java.time.Period (integers, W allowed),
// the time part to java.time.Duration (only seconds fractional, '.' or ',').
const DURATION = /^([-+])?P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)W)?(?:(-?\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?\d+(?:[.,]\d{1,9})?)S)?)?$/;

/** A duration split as Zeebe splits it: calendar period and exact time. */
export interface IsoDuration {
  years: number;
  months: number;
  /** Weeks and days, as days (Period.parse folds weeks into days too). */
  days: number;
  /** Hours, minutes and seconds, as milliseconds. */
  ms: number;
}

export function parseDuration(text: string): IsoDuration {
  const s = text.trim();
  const m = DURATION.exec(s);
  if (!m || /^[-+]?P$/.test(s) || s.endsWith('T')) throw new TimerValueError(`'${text}' is not an ISO 8601 duration (e.g. PT15M, P14D, P1M)`);
  const sign = m[1] === '-' ? -1 : 1;
  const n = (i: number) => sign * Number((m[i] ?? '0').replace(',', '.'));
  return { years: n(2), months: n(3), days: n(4) * 7 + n(5), ms: Math.round(n(6) * 3_600_000 + n(7) * 60_000 + n(8) * 1000) };
}

export function isIsoDuration(text: string): boolean {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}

/** `from + duration` in epoch milliseconds: period first (calendar, clamped), then the exact time. */
export function addDuration(text: string | IsoDuration, from: number): number {
  const d = typeof text === 'string' ? parseDuration(text) : text;
  const start = DateTime.fromMillis(from, { zone: 'utc' });
  // luxon adds years and months as calendar steps clamped to the month's end, then days, as Period.plus does
  const shifted = start.plus(Duration.fromObject({ years: d.years, months: d.months, days: d.days }));
  return shifted.toMillis() + d.ms;
}

/** Milliseconds from `from` until `from + duration`. */
export function durationMs(text: string, from: number): number {
  return addDuration(text, from) - from;
}

// -------------------------------------------------------------------------------- date-times

const DATE_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)(Z|[+-]\d{2}(?::?\d{2})?)?(?:\[([A-Za-z0-9_+\-/]+)\])?$/;

export function parseDate(text: string): number {
  const m = DATE_TIME.exec(text.trim());
  const zone = m?.[3] ?? (m?.[2] ? undefined : 'utc');
  const dt = m ? DateTime.fromISO(`${m[1]}${m[2] ?? ''}`, { zone: m[2] ? undefined : zone, setZone: true }) : undefined;
  if (!dt || !dt.isValid) throw new TimerValueError(`'${text}' is not an ISO 8601 date-time (e.g. 2026-03-01T09:00:00Z)`);
  return dt.toMillis();
}

export function isIsoDateTime(text: string): boolean {
  try {
    parseDate(text);
    return true;
  } catch {
    return false;
  }
}

// -------------------------------------------------------------------------------- cycles

/** Spring's CronExpression macros (Zeebe's CronTimer parses with Spring's rules). */
const CRON_MACROS: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

export type Cycle =
  | {
      kind: 'interval';
      /** -1: unbounded. */
      repetitions: number;
      interval: string;
      start?: number;
    }
  | { kind: 'cron'; repetitions: -1; cron: string };

function cronFields(text: string): string {
  const macro = CRON_MACROS[text.trim().toLowerCase()];
  if (macro) return macro;
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 6) throw new TimerValueError(`'${text}' is not a cron expression: Zeebe takes six fields (second minute hour day-of-month month day-of-week), e.g. 0 0 9 * * MON-FRI`);
  return fields.join(' ');
}

function cronParse(fields: string, from: number): CronExpression {
  try {
    return CronExpressionParser.parse(fields, { currentDate: new Date(from), tz: 'UTC' });
  } catch (err) {
    throw new TimerValueError(`'${fields}' is not a valid cron expression: ${(err as Error).message}`);
  }
}

/** The first time strictly after `from` that the cron expression names. */
export function nextCron(text: string, from: number): number {
  const fields = cronFields(text);
  const expr = cronParse(fields, from);
  const [, , , dom, , dow] = fields.split(' ');
  const restricted = (f: string) => f !== '*' && f !== '?';
  if (!(restricted(dom) && restricted(dow))) return expr.next().getTime();
  // Spring requires both day fields to match; cron-parser (like Vixie cron) takes either, so filter
  const byDom = cronParse(fields.replace(/^(\S+ \S+ \S+ \S+ \S+) \S+$/, '$1 *'), from);
  const byDow = cronParse(fields.replace(/^(\S+ \S+ \S+) \S+ (\S+ \S+)$/, '$1 * $2'), from);
  for (let i = 0; i < 100_000; i++) {
    const next = expr.next();
    const date = next.toDate();
    if (byDom.includesDate(date) && byDow.includesDate(date)) return next.getTime();
  }
  throw new TimerValueError(`the cron expression '${text}' names no time in the foreseeable future`);
}

export function parseCycle(text: string): Cycle {
  const s = text.trim();
  if (!/^R\d*\//.test(s)) {
    const cron = cronFields(s);
    cronParse(cron, 0);
    return { kind: 'cron', repetitions: -1, cron };
  }
  const parts = s.split('/');
  const repetitions = parts[0] === 'R' ? -1 : Number(parts[0].slice(1));
  if (parts.length === 3) {
    const start = parseDate(parts[1]);
    parseDuration(parts[2]);
    return { kind: 'interval', repetitions, interval: parts[2], start };
  }
  if (parts.length !== 2) throw new TimerValueError(`'${text}' is not an ISO 8601 repeating interval (R<n>/<duration> or R<n>/<start>/<duration>)`);
  parseDuration(parts[1]);
  return { kind: 'interval', repetitions, interval: parts[1] };
}

export function isTimeCycle(text: string): boolean {
  try {
    parseCycle(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The next due time of a cycle step after `from`: `step` is what a cycle repeats, the interval's
 * duration (`PT10M`) or the cron expression, as stored with a start timer between firings.
 */
export function nextCycleDue(step: string, from: number): number {
  return /^[-+]?P/.test(step.trim()) ? addDuration(step, from) : nextCron(step, from);
}

/** The first due time of a cycle evaluated at `now`. */
export function firstCycleDue(cycle: Cycle, now: number): number {
  if (cycle.kind === 'cron') return nextCron(cycle.cron, now);
  if (cycle.start !== undefined && cycle.start > now) return cycle.start;
  return addDuration(cycle.interval, now);
}

/** What a cycle repeats: its interval or its cron expression (see nextCycleDue). */
export function cycleStep(cycle: Cycle): string {
  return cycle.kind === 'cron' ? cycle.cron : cycle.interval;
}

/** Turns a FEEL result (string, luxon-like duration or date-time) into timer text. */
export function timerText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as { toISO?: () => string; toISOString?: () => string };
    if (typeof v.toISO === 'function') return v.toISO();
    if (typeof v.toISOString === 'function') return v.toISOString();
  }
  throw new TimerValueError(`expected a duration, cycle or date-time but got ${JSON.stringify(value)}`);
}
