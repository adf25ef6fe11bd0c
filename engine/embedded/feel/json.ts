/**
 * FEEL values as the JSON Zeebe stores: numbers, strings, booleans, lists and objects as they
 * are; dates, times and durations as java.time writes them (Zeebe's variables are JSON, and its
 * FEEL-scala value mapper turns temporals into these strings); functions and ranges as null.
 */
import { Decimal } from 'decimal.js';
import { FeelDate, FeelDateTime, FeelDuration, FeelFunction, FeelRange, FeelTime } from 'feelin';

const D = Decimal.clone({ precision: 34, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 40 });


function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** java.time's LocalTime.toString: seconds and fractions only when present. */
function javaTime(t: { hour: number; minute: number; second: number; millisecond?: number; microsecond?: number; nanosecond?: number }): string {
  const nanos = (t.millisecond ?? 0) * 1_000_000 + (t.microsecond ?? 0) * 1000 + (t.nanosecond ?? 0);
  let s = `${pad(t.hour)}:${pad(t.minute)}`;
  if (t.second || nanos) s += `:${pad(t.second)}`;
  if (nanos) {
    if (nanos % 1_000_000 === 0) s += `.${pad(nanos / 1_000_000, 3)}`;
    else if (nanos % 1000 === 0) s += `.${pad(nanos / 1000, 6)}`;
    else s += `.${pad(nanos, 9)}`;
  }
  return s;
}

function javaZone(zone: string | null, plain: any): string {
  if (zone === null) return '';
  if (zone === 'UTC' || zone === 'Z' || zone === '+00:00' || zone === 'Etc/UTC') return 'Z';
  if (/^[+-]\d{2}:\d{2}/.test(zone)) return zone;
  try {
    const offset: string = plain.toZonedDateTime(zone).offset;
    return `${offset === '+00:00' ? 'Z' : offset}[${zone}]`;
  } catch {
    return `[${zone}]`;
  }
}

/** java.time's Duration.toString (day-time) and Period.toString (years-months), as Zeebe stores them. */
function javaDuration(d: FeelDuration): string {
  const v = d.unwrap() as any;
  if (d.yearsMonths) {
    const months = v.years * 12 + v.months;
    if (months === 0) return 'P0D';
    const sign = months < 0 ? '-' : '';
    const y = Math.trunc(Math.abs(months) / 12);
    const m = Math.abs(months) % 12;
    return `P${y ? `${sign}${y}Y` : ''}${m ? `${sign}${m}M` : ''}`;
  }
  const total = new D(v.days ?? 0)
    .times(86400)
    .plus(new D(v.hours ?? 0).times(3600))
    .plus(new D(v.minutes ?? 0).times(60))
    .plus(v.seconds ?? 0)
    .plus(new D(v.milliseconds ?? 0).div(1e3))
    .plus(new D(v.microseconds ?? 0).div(1e6))
    .plus(new D(v.nanoseconds ?? 0).div(1e9));
  if (total.isZero()) return 'PT0S';
  const sign = total.isNeg() ? '-' : '';
  const abs = total.abs();
  const hours = abs.div(3600).floor();
  const minutes = abs.minus(hours.times(3600)).div(60).floor();
  const seconds = abs.minus(hours.times(3600)).minus(minutes.times(60));
  return `PT${hours.isZero() ? '' : `${sign}${hours.toFixed()}H`}${minutes.isZero() ? '' : `${sign}${minutes.toFixed()}M`}${seconds.isZero() ? '' : `${sign}${seconds.toFixed()}S`}`;
}

/** java.time's year outside 0000-9999: `-2017-12-31`, `+99999-12-31` (Temporal writes `-002017`, `+099999`). */
function javaYear(iso: string): string {
  return iso.replace(/^([+-])0*(\d{4,})/, (_m, sign: string, digits: string) => sign + digits);
}

/** A FEEL value as the JSON Zeebe would store: temporals as java.time strings, no functions. */
export function toJson(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? (Object.is(value, -0) ? 0 : value) : null;
    case 'string':
    case 'boolean':
      return value;
    case 'function':
      return null;
  }
  if (Array.isArray(value)) return value.map(toJson);
  if (Decimal.isDecimal(value)) {
    const n = (value as Decimal).toNumber();
    return Number.isFinite(n) ? n : null;
  }
  if (value instanceof FeelDate) return javaYear(value.iso);
  if (value instanceof FeelDuration) return javaDuration(value);
  if (value instanceof FeelDateTime) {
    const p = value.unwrap() as any;
    return `${javaYear(p.toPlainDate().toString())}T${javaTime(p)}${javaZone(value.zone, p)}`;
  }
  if (value instanceof FeelTime) {
    const t = value.unwrap() as any;
    const zone = value.zone;
    return javaTime(t) + (zone === null ? '' : /^[+-]\d{2}:\d{2}/.test(zone) ? zone : zone === 'UTC' || zone === 'Z' ? 'Z' : `@${zone}`);
  }
  if (value instanceof FeelRange || value instanceof FeelFunction) return null;
  if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = toJson(v);
    return out;
  }
  return null;
}

