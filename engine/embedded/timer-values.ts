/**
 * Timer definitions as Zeebe reads them: ISO 8601 durations (P1DT2H, with calendar years and
 * months), repeating intervals (R3/PT10M, R/P1D, with an optional start date) and date-times.
 * FEEL values (durations, date-times) arrive already evaluated, as strings or feelin objects.
 */

const DURATION = /^(-)?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export class TimerValueError extends Error {}

/** Milliseconds from `from` until `from + duration`, honouring calendar months and years. */
export function durationMs(iso: string, from: number): number {
  const m = DURATION.exec(iso.trim());
  if (!m || iso.trim() === 'P' || iso.trim().endsWith('T')) throw new TimerValueError(`'${iso}' is not an ISO 8601 duration`);
  const [, neg, y, mo, w, d, h, mi, s] = m;
  const sign = neg ? -1 : 1;
  const date = new Date(from);
  if (y) date.setUTCFullYear(date.getUTCFullYear() + sign * Number(y));
  if (mo) date.setUTCMonth(date.getUTCMonth() + sign * Number(mo));
  let ms = date.getTime() - from;
  ms += sign * (Number(w ?? 0) * 7 * 86_400_000 + Number(d ?? 0) * 86_400_000);
  ms += sign * (Number(h ?? 0) * 3_600_000 + Number(mi ?? 0) * 60_000 + Number(s ?? 0) * 1000);
  return Math.round(ms);
}

export interface Cycle {
  /** -1: unbounded. */
  repetitions: number;
  interval: string;
  start?: number;
}

export function parseCycle(text: string): Cycle {
  const parts = text.trim().split('/');
  const rep = /^R(\d*)$/.exec(parts[0] ?? '');
  if (!rep || parts.length < 2 || parts.length > 3) throw new TimerValueError(`'${text}' is not an ISO 8601 repeating interval (R<n>/<duration>)`);
  const repetitions = rep[1] === '' ? -1 : Number(rep[1]);
  if (parts.length === 3) {
    const start = Date.parse(parts[1]);
    if (Number.isNaN(start)) throw new TimerValueError(`'${parts[1]}' in '${text}' is not a date-time`);
    durationMs(parts[2], 0);
    return { repetitions, interval: parts[2], start };
  }
  durationMs(parts[1], 0);
  return { repetitions, interval: parts[1] };
}

export function parseDate(text: string): number {
  const t = Date.parse(text.trim().replace(/\[.*\]$/, ''));
  if (Number.isNaN(t)) throw new TimerValueError(`'${text}' is not an ISO 8601 date-time`);
  return t;
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
