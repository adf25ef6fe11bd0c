/**
 * FEEL-scala's value semantics where feelin's differ: the type of a value, equality
 * (ValComparator: null equals only null, lists and contexts item by item, values of different
 * types are not comparable and give null), ordering (only values of one comparable type), and
 * the duration arithmetic FEEL-scala defines (duration times or divided by a number, a date plus
 * a days-and-time duration stays a date).
 */
import { Decimal } from 'decimal.js';
import { FeelDate, FeelDateTime, FeelDuration, FeelFunction, FeelRange, FeelTime, duration as feelDuration } from 'feelin';

export type FeelType =
  | 'null'
  | 'number'
  | 'string'
  | 'boolean'
  | 'date'
  | 'local time'
  | 'time'
  | 'local date and time'
  | 'date and time'
  | 'years and months duration'
  | 'days and time duration'
  | 'list'
  | 'context'
  | 'range'
  | 'function'
  | 'unknown';

export function feelType(v: unknown): FeelType {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || Decimal.isDecimal(v)) return 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (Array.isArray(v)) return 'list';
  if (v instanceof FeelDate) return 'date';
  if (v instanceof FeelTime) return v.zone === null ? 'local time' : 'time';
  if (v instanceof FeelDateTime) return v.zone === null ? 'local date and time' : 'date and time';
  if (v instanceof FeelDuration) return v.yearsMonths ? 'years and months duration' : 'days and time duration';
  if (v instanceof FeelRange) return 'range';
  if (typeof v === 'function' || v instanceof FeelFunction) return 'function';
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) return 'context';
  return 'unknown';
}

const ORDERED = new Set<FeelType>(['number', 'string', 'date', 'local time', 'time', 'local date and time', 'date and time', 'years and months duration', 'days and time duration']);

/** Years-and-months as total months; days-and-time as total nanoseconds. */
export function durationMeasure(d: FeelDuration): bigint {
  const v = d.unwrap();
  if (d.yearsMonths) return BigInt(v.years) * 12n + BigInt(v.months);
  return (
    (((BigInt(v.days) * 24n + BigInt(v.hours)) * 60n + BigInt(v.minutes)) * 60n + BigInt(v.seconds)) * 1_000_000_000n +
    BigInt(v.milliseconds) * 1_000_000n +
    BigInt(v.microseconds) * 1000n +
    BigInt(v.nanoseconds)
  );
}

function num(v: unknown): Decimal {
  return Decimal.isDecimal(v) ? (v as Decimal) : new Decimal(v as number);
}

/** -1, 0 or 1 for two values of one ordered type (see feelType). */
function order(t: FeelType, a: unknown, b: unknown): number {
  switch (t) {
    case 'number':
      return num(a).cmp(num(b));
    case 'string':
      return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
    case 'years and months duration':
    case 'days and time duration': {
      const x = durationMeasure(a as FeelDuration);
      const y = durationMeasure(b as FeelDuration);
      return x === y ? 0 : x < y ? -1 : 1;
    }
    default: {
      const x = instant(a);
      const y = instant(b);
      return x === y ? 0 : x < y ? -1 : 1;
    }
  }
}

function nanosOfDay(t: { hour: number; minute: number; second: number; millisecond: number; microsecond: number; nanosecond: number }): bigint {
  return ((BigInt(t.hour) * 60n + BigInt(t.minute)) * 60n + BigInt(t.second)) * 1_000_000_000n + BigInt(t.millisecond) * 1_000_000n + BigInt(t.microsecond) * 1000n + BigInt(t.nanosecond);
}

function offsetAt(zone: string, ms: number): number | null {
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(new Date(ms));
    const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? '';
    const o = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
    return o ? (o[1] === '-' ? -1 : 1) * (Number(o[2]) * 3600 + Number(o[3]) * 60) : name === 'GMT' ? 0 : null;
  } catch {
    return null;
  }
}

/**
 * The offset of a time's zone in seconds east of UTC. A time has no date, so FEEL-scala takes a
 * zone id's standard offset (ZonedTime: getStandardOffset): Europe/Berlin is +01:00 all year.
 * The standard offset is the smaller of January's and July's (summer time is ahead of it).
 */
export function standardOffsetSeconds(zone: string): number | null {
  if (zone === 'Z' || zone === 'UTC' || zone === 'Etc/UTC') return 0;
  const m = /^([+-])(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(zone);
  if (m) return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0));
  const year = new Date().getUTCFullYear();
  const jan = offsetAt(zone, Date.UTC(year, 0, 1));
  const jul = offsetAt(zone, Date.UTC(year, 6, 1));
  return jan === null || jul === null ? null : Math.min(jan, jul);
}

/** Days since 1970-01-01 (Date.UTC would read the years 0-99 as 1900-1999). */
function epochDay(year: number, month: number, day: number): bigint {
  const t = new Date(0);
  t.setUTCFullYear(year, month - 1, day);
  return BigInt(t.getTime() / 86_400_000);
}

/** A temporal as a number on one line: days for dates, nanoseconds (UTC where zoned) otherwise. */
function instant(v: unknown): bigint {
  if (v instanceof FeelDate) {
    const d = v.unwrap();
    return epochDay(d.year, d.month, d.day);
  }
  if (v instanceof FeelTime) {
    const offset = v.zone === null ? 0 : (standardOffsetSeconds(v.zone) ?? 0);
    return nanosOfDay(v.unwrap()) - BigInt(offset) * 1_000_000_000n;
  }
  const dt = (v as FeelDateTime).unwrap();
  const zone = (v as FeelDateTime).zone;
  if (zone !== null) return BigInt(dt.toZonedDateTime(zone === 'Z' ? 'UTC' : zone).epochNanoseconds);
  const days = epochDay(dt.year, dt.month, dt.day);
  return days * 86_400_000_000_000n + nanosOfDay(dt);
}

/**
 * FEEL-scala's `=`: true or false for two values of one type (or null on either side), null
 * for values of different types (and for ranges and functions, which it cannot compare).
 */
export function feelEquals(a: unknown, b: unknown): boolean | null {
  const ta = feelType(a);
  const tb = feelType(b);
  if (ta === 'null' || tb === 'null') return ta === tb;
  if (ta !== tb) return null;
  switch (ta) {
    case 'boolean':
      return a === b;
    case 'list': {
      const x = a as unknown[];
      const y = b as unknown[];
      return x.length === y.length && x.every((item, i) => feelEquals(item, y[i]) === true);
    }
    case 'context': {
      const x = a as Record<string, unknown>;
      const y = b as Record<string, unknown>;
      const kx = Object.keys(x);
      const ky = Object.keys(y);
      return kx.length === ky.length && kx.every((k) => Object.prototype.hasOwnProperty.call(y, k) && feelEquals(x[k], y[k]) === true);
    }
    case 'date and time':
      // the same instant written in another zone is another value; a fixed offset equals a zone id
      // that has that offset then (DMN-Scala 1.9.0's TCK results: 0068 datetime_008 true, 006 and 012 false)
      return (
        order(ta, a, b) === 0 &&
        (a as FeelDateTime).unwrap().equals((b as FeelDateTime).unwrap()) &&
        (sameZone((a as FeelDateTime).zone, (b as FeelDateTime).zone) || isOffset((a as FeelDateTime).zone) || isOffset((b as FeelDateTime).zone))
      );
    case 'time':
      return order(ta, a, b) === 0 && (a as FeelTime).unwrap().equals((b as FeelTime).unwrap());
    case 'range': {
      const x = a as FeelRange;
      const y = b as FeelRange;
      return x['start included'] === y['start included'] && x['end included'] === y['end included'] && feelEquals(x.start, y.start) === true && feelEquals(x.end, y.end) === true;
    }
    case 'function':
    case 'unknown':
      return null;
    default:
      return order(ta, a, b) === 0;
  }
}

function isOffset(zone: string | null): boolean {
  return zone !== null && /^[+-]\d{2}:\d{2}/.test(zone);
}

function sameZone(a: string | null, b: string | null): boolean {
  const utc = (z: string | null) => z === 'Z' || z === 'UTC' || z === '+00:00' || z === 'Etc/UTC';
  return a === b || (utc(a) && utc(b));
}

/** FEEL-scala's `<`, `<=`, `>`, `>=`: null unless both values have one ordered type. */
export function feelOrder(op: string, a: unknown, b: unknown): boolean | null {
  const ta = feelType(a);
  if (ta !== feelType(b) || !ORDERED.has(ta)) return null;
  const c = order(ta, a, b);
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
  return null;
}

/** Any FEEL comparison operator with FEEL-scala's semantics. */
export function feelCompare(op: string, a: unknown, b: unknown): boolean | null {
  if (op === '=') return feelEquals(a, b);
  if (op === '!=') {
    const eq = feelEquals(a, b);
    return eq === null ? null : !eq;
  }
  return feelOrder(op, a, b);
}

// ------------------------------------------------------------------------ duration arithmetic

function dayTime(nanos: bigint): FeelDuration {
  const sign = nanos < 0n ? '-' : '';
  const abs = nanos < 0n ? -nanos : nanos;
  const frac = (abs % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return feelDuration(`${sign}PT${abs / 1_000_000_000n}${frac ? `.${frac}` : ''}S`) as FeelDuration;
}

function yearMonth(months: bigint): FeelDuration {
  const d = feelDuration(`${months < 0n ? '-' : ''}P${months < 0n ? -months : months}M`) as FeelDuration;
  return d;
}

function truncInt(v: unknown): bigint {
  return BigInt(num(v).trunc().toFixed());
}

/**
 * FEEL-scala's arithmetic on durations and dates where feelin has none or another answer;
 * undefined when the operands are not such a case (feelin's own arithmetic applies).
 */
export function durationArithmetic(op: string, a: unknown, b: unknown): unknown {
  const ta = feelType(a);
  const tb = feelType(b);
  const ym = 'years and months duration';
  const dt = 'days and time duration';
  if (op === '*') {
    if ((ta === ym || ta === dt) && tb === 'number') return durationArithmetic('*', b, a);
    if (ta === 'number' && tb === ym) return yearMonth(durationMeasure(b as FeelDuration) * truncInt(a));
    if (ta === 'number' && tb === dt) return dayTime(durationMeasure(b as FeelDuration) * truncInt(a));
  }
  if (op === '/') {
    if (ta === ym && tb === 'number') {
      if (num(b).isZero()) return null;
      return yearMonth(BigInt(new Decimal(durationMeasure(a as FeelDuration).toString()).div(num(b)).trunc().toFixed()));
    }
    if (ta === dt && tb === 'number') {
      if (num(b).isZero()) return null;
      const millis = durationMeasure(a as FeelDuration) / 1_000_000n;
      return dayTime(BigInt(new Decimal(millis.toString()).div(num(b)).trunc().toFixed()) * 1_000_000n);
    }
    if ((ta === ym && tb === ym) || (ta === dt && tb === dt)) {
      const scale = ta === dt ? 1_000_000n : 1n;
      const y = durationMeasure(b as FeelDuration) / scale;
      if (y === 0n) return null;
      return new Decimal((durationMeasure(a as FeelDuration) / scale).toString()).div(new Decimal(y.toString())).toNumber();
    }
  }
  if ((op === '+' || op === '-') && ta === 'date' && tb === dt) {
    // a date plus a days-and-time duration: from the start of the day, and the date of the result
    const start = (a as FeelDate).unwrap().toPlainDateTime();
    const d = (b as FeelDuration).unwrap();
    const moved = op === '+' ? start.add(d) : start.subtract(d);
    return new FeelDate(moved.toPlainDate());
  }
  if (op === '+' && ta === dt && tb === 'date') return durationArithmetic('+', b, a);
  if (op === '+' || op === '-') {
    // combinations FEEL gives no meaning are null (DMN TCK 0100, which DMN-Scala passes), where
    // feelin would answer: a time with a years-and-months duration, a time with a date or
    // date-time, a date with a date-time, a zoned with a local date-time
    const isTime = (t: FeelType) => t === 'time' || t === 'local time';
    const isDateTime = (t: FeelType) => t === 'date and time' || t === 'local date and time';
    const isPoint = (t: FeelType) => t === 'date' || isTime(t) || isDateTime(t);
    if ((isTime(ta) && tb === ym) || (ta === ym && isTime(tb))) return null;
    if (op === '-' && isPoint(ta) && isPoint(tb)) {
      if (isTime(ta) !== isTime(tb)) return null;
      // a date with a zoned date-time is its midnight UTC; with a local date-time it has no meaning
      const nanos = (v: unknown, t: FeelType) => (t === 'date' ? instant(v) * 86_400_000_000_000n : instant(v));
      if ((ta === 'date') !== (tb === 'date')) {
        return ta === 'date and time' || tb === 'date and time' ? dayTime(nanos(a, ta) - nanos(b, tb)) : null;
      }
      if (isDateTime(ta) && ta !== tb) return null;
      // two zoned date-times: the time between the instants (feelin ignores the zones)
      if (ta === 'date and time' && tb === 'date and time') return dayTime(instant(a) - instant(b));
    }
  }
  return undefined;
}

/** A duration in java.time's text (Duration.parse / Period.parse accept `PT-1H`, `P-1Y-2M`). */
export function parseJavaDuration(text: string): FeelDuration | null {
  const direct = feelDuration(text);
  if (direct) return direct;
  // java.time requires at least one component ('P' and 'PT' are errors)
  if (!/\d/.test(text) || /T$/.test(text)) return null;
  const period = /^([-+]?)P(?:([-+]?\d+)Y)?(?:([-+]?\d+)M)?(?:([-+]?\d+)W)?(?:([-+]?\d+)D)?$/.exec(text);
  if (period && !/W|D/.test(text.replace(/^[-+]?P/, '').replace(/\d|Y|M|[-+]/g, ''))) {
    const sign = period[1] === '-' ? -1n : 1n;
    if (period[4] || period[5]) return null;
    return yearMonth(sign * (BigInt(period[2] ?? 0) * 12n + BigInt(period[3] ?? 0)));
  }
  const m = /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$/.exec(text);
  if (!m) return null;
  const sign = m[1] === '-' ? -1n : 1n;
  const secNeg = (m[5] ?? '').startsWith('-');
  const frac = m[6] ? BigInt(m[6].padEnd(9, '0')) * (secNeg ? -1n : 1n) : 0n;
  const nanos = ((BigInt(m[2] ?? 0) * 24n + BigInt(m[3] ?? 0)) * 60n + BigInt(m[4] ?? 0)) * 60n * 1_000_000_000n + BigInt(m[5] ?? 0) * 1_000_000_000n + frac;
  return dayTime(sign * nanos);
}
