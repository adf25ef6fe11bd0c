/** ISO 8601 durations for `increase-time` and friends: P14D, PT15M, P1M (calendar month), P1Y2M3DT4H. */

const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export interface Duration {
  years: number;
  months: number;
  /** Weeks and days, as days. */
  days: number;
  /** Hours, minutes and seconds, as milliseconds. */
  ms: number;
}

export function parseDuration(text: string): Duration {
  const s = text.trim();
  const m = DURATION.exec(s);
  if (!m || s === 'P' || s.endsWith('T')) throw new RangeError(`'${text}' is not an ISO 8601 duration (e.g. PT15M, P14D, P1M)`);
  const n = (i: number) => Number(m[i] ?? 0);
  return { years: n(1), months: n(2), days: n(3) * 7 + n(4), ms: n(5) * 3_600_000 + n(6) * 60_000 + Math.round(n(7) * 1000) };
}

/** Milliseconds from `from` to `from + duration`; years and months are calendar (UTC) steps. */
export function durationToMs(text: string, from: number): number {
  const d = parseDuration(text);
  const date = new Date(from);
  if (d.years) date.setUTCFullYear(date.getUTCFullYear() + d.years);
  if (d.months) date.setUTCMonth(date.getUTCMonth() + d.months);
  return date.getTime() - from + d.days * 86_400_000 + d.ms;
}
