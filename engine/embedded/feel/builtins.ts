/**
 * Built-in functions with FEEL-scala's behaviour where feelin lacks them or answers otherwise:
 * the range functions (DMN 1.5 §10.3.4.9, on numbers, temporals and durations only), decimal()
 * with a rounding mode, JSON and base64 conversion, Camunda's list, context and string
 * extensions, and the index checks of sublist(), insert before() and remove().
 *
 * Overloads are told apart by their parameter names, as FEEL-scala does for named arguments
 * (`before(point: 1, range: [2..3])`).
 */
import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import { FeelDate, FeelDateTime, FeelDuration, FeelFunction, FeelRange, FeelTime, evaluate, parseDate, parseDateTime } from 'feelin';
import { CALENDAR_BUILTINS } from './calendar.js';
import { toJson } from './json.js';
import { feelEquals, feelOrder, feelType, type FeelType } from './values.js';

type Fn = (...args: any[]) => unknown;

/** A FEEL function with overloads: positional calls pick by count, named calls by parameter names. */
class Overloaded extends FeelFunction {
  constructor(private readonly signatures: { params: string[]; fn: Fn }[]) {
    super((...args: unknown[]) => signatures[0].fn(...args), signatures[0].params);
  }

  override invoke(contextOrArgs: unknown): unknown {
    if (Array.isArray(contextOrArgs)) {
      const sig = this.signatures.find((s) => s.params.length === contextOrArgs.length || (s.params.at(-1)?.startsWith('...') && contextOrArgs.length >= s.params.length - 1));
      return sig ? sig.fn(...contextOrArgs) : null;
    }
    const named = contextOrArgs as Record<string, unknown>;
    const keys = Object.keys(named);
    const sig = this.signatures.find((s) => keys.every((k) => s.params.includes(k) || s.params.includes(`...${k}`)));
    if (!sig) return null;
    // a named varargs parameter takes its list as the arguments (`union(lists: [[1], [2]])`)
    return sig.fn(...sig.params.flatMap((p) => (p.startsWith('...') ? (Array.isArray(named[p.slice(3)]) ? (named[p.slice(3)] as unknown[]) : [named[p.slice(3)]]) : [named[p]])));
  }
}

function overloads(...signatures: [string[], Fn][]): FeelFunction {
  return new Overloaded(signatures.map(([params, fn]) => ({ params, fn })));
}

function fn(params: string[], f: Fn): FeelFunction {
  return overloads([params, f]);
}

// ------------------------------------------------------------------------------------ ranges

const POINT_TYPES = new Set<FeelType>(['number', 'date', 'time', 'local time', 'date and time', 'local date and time', 'years and months duration', 'days and time duration']);

interface Bounds {
  start: unknown;
  end: unknown;
  si: boolean;
  ei: boolean;
}

function bounds(r: FeelRange): Bounds {
  return { start: r.start, end: r.end, si: r['start included'], ei: r['end included'] };
}

function pointType(v: unknown): FeelType | null {
  if (v instanceof FeelRange) return pointType(v.start ?? v.end);
  const t = feelType(v);
  return POINT_TYPES.has(t) ? t : null;
}

/** FEEL-scala applies a range function only to points (or ranges of points) of one type. */
function comparable(a: unknown, b: unknown): boolean {
  const ta = pointType(a);
  return ta !== null && ta === pointType(b);
}

const lt = (a: unknown, b: unknown) => feelOrder('<', a, b) === true;
const gt = (a: unknown, b: unknown) => feelOrder('>', a, b) === true;
const eq = (a: unknown, b: unknown) => feelEquals(a, b) === true;

type RangeFn = (a: unknown, b: unknown) => boolean;

function rangeFunction(names: [string, string][], body: { pp?: RangeFn; pr?: (p: unknown, r: Bounds) => boolean; rp?: (r: Bounds, p: unknown) => boolean; rr?: (a: Bounds, b: Bounds) => boolean }): FeelFunction {
  const call = (a: unknown, b: unknown): boolean | null => {
    if (!comparable(a, b)) return null;
    const ra = a instanceof FeelRange;
    const rb = b instanceof FeelRange;
    if (ra && rb) return body.rr ? body.rr(bounds(a), bounds(b)) : null;
    if (ra) return body.rp ? body.rp(bounds(a), b) : null;
    if (rb) return body.pr ? body.pr(a, bounds(b)) : null;
    return body.pp ? body.pp(a, b) : null;
  };
  return overloads(...names.map(([x, y]): [string[], Fn] => [[x, y], call]));
}

const includesPoint = (r: Bounds, p: unknown) => (lt(r.start, p) && gt(r.end, p)) || (eq(r.start, p) && r.si) || (eq(r.end, p) && r.ei);
const includesRange = (a: Bounds, b: Bounds) =>
  (lt(a.start, b.start) || (eq(a.start, b.start) && (a.si || !b.si))) && (gt(a.end, b.end) || (eq(a.end, b.end) && (a.ei || !b.ei)));

const RANGE_BUILTINS: Record<string, FeelFunction> = {
  before: rangeFunction(
    [
      ['point1', 'point2'],
      ['point', 'range'],
      ['range', 'point'],
      ['range1', 'range2'],
    ],
    {
      pp: lt,
      pr: (p, r) => lt(p, r.start) || (eq(p, r.start) && !r.si),
      rp: (r, p) => lt(r.end, p) || (eq(r.end, p) && !r.ei),
      rr: (a, b) => lt(a.end, b.start) || ((!a.ei || !b.si) && eq(a.end, b.start)),
    },
  ),
  after: rangeFunction(
    [
      ['point1', 'point2'],
      ['point', 'range'],
      ['range', 'point'],
      ['range1', 'range2'],
    ],
    {
      pp: gt,
      pr: (p, r) => gt(p, r.end) || (eq(p, r.end) && !r.ei),
      rp: (r, p) => gt(r.start, p) || (eq(r.start, p) && !r.si),
      rr: (a, b) => gt(a.start, b.end) || ((!a.si || !b.ei) && eq(a.start, b.end)),
    },
  ),
  meets: rangeFunction([['range1', 'range2']], { rr: (a, b) => a.ei && b.si && eq(a.end, b.start) }),
  'met by': rangeFunction([['range1', 'range2']], { rr: (a, b) => a.si && b.ei && eq(a.start, b.end) }),
  overlaps: rangeFunction([['range1', 'range2']], {
    rr: (a, b) => (gt(a.end, b.start) || (eq(a.end, b.start) && a.ei && b.si)) && (lt(a.start, b.end) || (eq(a.start, b.end) && a.si && b.ei)),
  }),
  'overlaps before': rangeFunction([['range1', 'range2']], {
    rr: (a, b) =>
      (lt(a.start, b.start) || (eq(a.start, b.start) && a.si && !b.si)) &&
      (gt(a.end, b.start) || (eq(a.end, b.start) && a.ei && b.si)) &&
      (lt(a.end, b.end) || (eq(a.end, b.end) && (!a.ei || b.ei))),
  }),
  'overlaps after': rangeFunction([['range1', 'range2']], {
    rr: (a, b) =>
      (lt(b.start, a.start) || (eq(b.start, a.start) && b.si && !a.si)) &&
      (gt(b.end, a.start) || (eq(b.end, a.start) && b.ei && a.si)) &&
      (lt(b.end, a.end) || (eq(b.end, a.end) && (!b.ei || a.ei))),
  }),
  finishes: rangeFunction(
    [
      ['point', 'range'],
      ['range1', 'range2'],
    ],
    {
      pr: (p, r) => r.ei && eq(r.end, p),
      rr: (a, b) => a.ei === b.ei && eq(a.end, b.end) && (gt(a.start, b.start) || (eq(a.start, b.start) && (!a.si || b.si))),
    },
  ),
  'finished by': rangeFunction(
    [
      ['range', 'point'],
      ['range1', 'range2'],
    ],
    {
      rp: (r, p) => r.ei && eq(r.end, p),
      rr: (a, b) => a.ei === b.ei && eq(a.end, b.end) && (lt(a.start, b.start) || (eq(a.start, b.start) && (a.si || !b.si))),
    },
  ),
  includes: rangeFunction(
    [
      ['range', 'point'],
      ['range1', 'range2'],
    ],
    { rp: includesPoint, rr: includesRange },
  ),
  during: rangeFunction(
    [
      ['point', 'range'],
      ['range1', 'range2'],
    ],
    { pr: (p, r) => includesPoint(r, p), rr: (a, b) => includesRange(b, a) },
  ),
  starts: rangeFunction(
    [
      ['point', 'range'],
      ['range1', 'range2'],
    ],
    {
      pr: (p, r) => r.si && eq(r.start, p),
      rr: (a, b) => a.si === b.si && eq(a.start, b.start) && (lt(a.end, b.end) || (eq(a.end, b.end) && (!a.ei || b.ei))),
    },
  ),
  'started by': rangeFunction(
    [
      ['range', 'point'],
      ['range1', 'range2'],
    ],
    {
      rp: (r, p) => r.si && eq(r.start, p),
      rr: (a, b) => a.si === b.si && eq(a.start, b.start) && (gt(a.end, b.end) || (eq(a.end, b.end) && (a.ei || !b.ei))),
    },
  ),
  coincides: rangeFunction(
    [
      ['point1', 'point2'],
      ['range1', 'range2'],
    ],
    { pp: eq, rr: (a, b) => eq(a.start, b.start) && a.si === b.si && eq(a.end, b.end) && a.ei === b.ei },
  ),
};

// ----------------------------------------------------------------------------------- numbers

const ROUNDING: Record<string, Decimal.Rounding | 'UNNECESSARY'> = {
  UP: Decimal.ROUND_UP,
  DOWN: Decimal.ROUND_DOWN,
  CEILING: Decimal.ROUND_CEIL,
  FLOOR: Decimal.ROUND_FLOOR,
  HALF_UP: Decimal.ROUND_HALF_UP,
  HALF_DOWN: Decimal.ROUND_HALF_DOWN,
  HALF_EVEN: Decimal.ROUND_HALF_EVEN,
  UNNECESSARY: 'UNNECESSARY',
};

function decimalWithMode(n: unknown, rawScale: unknown, mode: unknown): number | null {
  if (typeof n !== 'number' || typeof rawScale !== 'number' || !Number.isFinite(rawScale) || typeof mode !== 'string') return null;
  // FEEL-scala takes the scale's integer part (BigDecimal.intValue): decimal(1/3, 2.5) is 0.33 (DMN TCK 1100)
  const scale = Math.trunc(rawScale);
  const m = ROUNDING[mode.toUpperCase()];
  if (m === undefined) return null;
  const d = new Decimal(n);
  if (m === 'UNNECESSARY') return d.decimalPlaces() <= scale ? d.toNumber() : null;
  return d.toDecimalPlaces(scale, m).toNumber();
}

// --------------------------------------------------------------------------- conversion, json

function isContext(v: unknown): v is Record<string, unknown> {
  return feelType(v) === 'context';
}

/** to json(): java.time texts for temporals, FEEL's text for functions and ranges. */
function jsonValue(v: unknown): unknown {
  if (v instanceof FeelFunction || typeof v === 'function') {
    const params = v instanceof FeelFunction ? v.parameterNames : [];
    return `function(${params.join(', ')})`;
  }
  if (v instanceof FeelRange) return String(v);
  if (Array.isArray(v)) return v.map(jsonValue);
  // FEEL-scala writes the seconds even when they are zero (java.time's toString leaves them out)
  if (v instanceof FeelTime || v instanceof FeelDateTime) return (toJson(v) as string).replace(/(^|T)(\d{2}:\d{2})(?=$|[+\-Z[@])/, '$1$2:00');
  if (isContext(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)]));
  return toJson(v);
}

function fromJson(text: unknown): unknown {
  if (typeof text !== 'string') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------- years outside 0000-9999

/**
 * Temporal's ISO text writes a year outside 0000-9999 in its extended form (`-002017`,
 * `+099999`); FEEL-scala writes `-2017-12-31` and `99999-12-31` (DMN TCK 1115, 1117, 0100).
 */
export function feelYearText(iso: string): string {
  return iso.replace(/^([+-])0*(\d{4,})/, (_m, sign: string, digits: string) => (sign === '-' ? '-' : '') + digits);
}

/**
 * A date or date-time text whose year is outside 0000-9999 (`-2017-12-31`, `99999-12-31T11:22:33`),
 * as FEEL-scala reads it (java.time's years); feelin refuses these. Parsed at a stand-in leap
 * year and moved to the year, so the month, day, time and zone are checked as feelin checks
 * them. undefined when the text has a 4-digit year (feelin's own parsing applies); null when it
 * is no valid date or its year is outside what Temporal holds (-271821..275760; Java holds
 * ±999,999,999: a deliberate difference, docs/conformance.md).
 */
function extendedYear<T extends FeelDate | FeelDateTime>(text: string, parse: (s: string) => T | null): T | null | undefined {
  const m = /^([+-]?)(\d+)(-.*)$/s.exec(text);
  if (!m || (m[1] !== '-' && m[2].length === 4)) return undefined;
  // java.time: four digits, or more without a leading zero and without a '+' (DMN TCK 1115, 1117 error cases)
  if (m[2].length < 4 || m[1] === '+' || (m[2].length > 4 && m[2].startsWith('0'))) return null;
  const year = Number(m[1] === '-' ? -m[2] : m[2]);
  const standIn = parse(`2000${m[3]}`);
  if (!standIn) return null;
  try {
    if (standIn instanceof FeelDate) return new FeelDate(standIn.unwrap().with({ year }, { overflow: 'reject' })) as T;
    return new FeelDateTime(standIn.unwrap().with({ year }, { overflow: 'reject' }), standIn.zone) as T;
  } catch {
    return null;
  }
}

function parseFeelDate(text: string): FeelDate | null {
  const extended = extendedYear(text, parseDate);
  return extended === undefined ? parseDate(text) : extended;
}

/** date(): also a year outside 0000-9999 (`date("-2017-12-31")`). */
function dateFn(...args: unknown[]): unknown {
  if (args.length === 1 && typeof args[0] === 'string') {
    const text = args[0];
    if (text.includes('T')) {
      const dt = parseFeelDateTime(text);
      return dt && new FeelDate(dt.unwrap().toPlainDate());
    }
    return parseFeelDate(text);
  }
  return evaluate(args.length === 3 ? 'date(a, b, c)' : 'date(a)', { a: args[0], b: args[1], c: args[2] }).value;
}

function parseFeelDateTime(text: string): FeelDateTime | null {
  const extended = extendedYear(text, parseDateTime);
  return extended === undefined ? parseDateTime(text) : extended;
}

/**
 * time(hour, minute, second, offset?): a second with a fraction (`time(12, 59, 1.3, ...)`) keeps
 * it, as FEEL-scala's BigDecimal seconds do (DMN TCK 0007); feelin drops it.
 */
function timeFn(...args: unknown[]): unknown {
  if (args.length === 1) return evaluate('time(a)', { a: args[0] }).value;
  const [h, m, s, offset] = args;
  const whole = typeof s === 'number' && Number.isFinite(s) ? Math.floor(s) : s;
  const t = evaluate(args.length === 4 ? 'time(h, m, s, o)' : 'time(h, m, s)', { h, m, s: whole, o: offset }).value;
  if (!(t instanceof FeelTime) || typeof s !== 'number' || whole === s) return t;
  const nanos = new Decimal(s).minus(whole as number).times(1e9).toDecimalPlaces(0).toNumber();
  const fraction = { millisecond: Math.floor(nanos / 1e6), microsecond: Math.floor(nanos / 1e3) % 1000, nanosecond: nanos % 1000 };
  return new FeelTime(t.unwrap().with(fraction), t.zone);
}

/** FEEL-scala's string(): as feelin's, but zero durations read P0D / P0Y and contexts `{a:1, b:2}`. */
function feelString(v: unknown): string | null {
  const t = feelType(v);
  if (t === 'null') return null;
  if (v instanceof FeelDate || v instanceof FeelDateTime) return feelYearText(evaluate('string(v)', { v }).value as string);
  if (t === 'days and time duration' && /^-?PT0S$/.test(String(v))) return 'P0D';
  if (t === 'years and months duration' && /^-?P0[MY]$/.test(String(v))) return 'P0Y';
  if (t === 'context') return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}:${inner(x)}`).join(', ')}}`;
  if (t === 'list') return `[${(v as unknown[]).map(inner).join(', ')}]`;
  return evaluate('string(v)', { v }).value as string | null;
}

function inner(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  return feelString(v) ?? 'null';
}

/** date and time(): also java.time's zoned text (`...+02:00[Europe/Berlin]`), and a conversion to another zone. */
function dateAndTime(...args: unknown[]): unknown {
  const builtin = (expr: string, vars: Record<string, unknown>) => evaluate(expr, vars).value;
  if (args.length === 1 && typeof args[0] === 'string') {
    // java.time's offsets reach ±18:00 at most: T13:20+19:00 is no date-time (DMN TCK 1117 error cases)
    const offset = /T.*[+-](\d{2}):(\d{2})(?:\[.*\])?$/.exec(args[0]);
    if (offset && Number(offset[1]) * 60 + Number(offset[2]) > 18 * 60) return null;
    // an offset and a zone id at once (`...+01:00@Europe/Paris`) is no date-time (DMN TCK 1117 error cases)
    if (/(?:[+-]\d{2}:\d{2}|Z)@/.test(args[0])) return null;
    const m = /^(.*?)(?:[+-]\d{2}:\d{2}|Z)\[(.+)\]$/.exec(args[0]);
    if (m) return parseFeelDateTime(`${m[1]}@${m[2]}`);
    const extended = extendedYear(args[0], parseDateTime);
    return extended === undefined ? builtin('date and time(x)', { x: args[0] }) : extended;
  }
  if (args.length === 2 && args[0] instanceof FeelDateTime && typeof args[1] === 'string') {
    const dt = args[0];
    const zone = args[1] === 'Z' ? 'UTC' : args[1];
    try {
      // a local date-time is read as UTC, as FEEL-scala does, then moved to the zone
      const zoned = dt.unwrap().toZonedDateTime(dt.zone === null ? 'UTC' : dt.zone === 'Z' ? 'UTC' : dt.zone).withTimeZone(zone);
      return new FeelDateTime(zoned.toPlainDateTime(), args[1]);
    } catch {
      return null;
    }
  }
  return builtin(args.length === 2 ? 'date and time(a, b)' : 'date and time(a)', { a: args[0], b: args[1] });
}

// ------------------------------------------------------------------------------ lists, misc

function listArg(args: unknown[]): unknown[] | null {
  // no argument at all is no list: all(), any() and context merge() are null (DMN TCK 0059, 0060, 1147)
  if (!args.length || (args.length === 1 && args[0] === undefined)) return null;
  if (args.length === 1 && Array.isArray(args[0])) return args[0] as unknown[];
  return args;
}

function allOf(...args: unknown[]): boolean | null {
  const list = listArg(args);
  if (!list) return null;
  if (list.some((v) => v === false)) return false;
  return list.every((v) => v === true) ? true : null;
}

function anyOf(...args: unknown[]): boolean | null {
  const list = listArg(args);
  if (!list) return null;
  if (list.some((v) => v === true)) return true;
  return list.every((v) => v === false) ? false : null;
}

function duplicateValues(list: unknown): unknown[] | null {
  if (!Array.isArray(list)) return null;
  const out: unknown[] = [];
  list.forEach((v, i) => {
    if (out.some((o) => feelEquals(o, v) === true)) return;
    if (list.slice(i + 1).some((w) => feelEquals(v, w) === true)) out.push(v);
  });
  return out;
}

function union(...lists: unknown[]): unknown[] | null {
  if (!lists.every(Array.isArray)) return null;
  const out: unknown[] = [];
  for (const v of (lists as unknown[][]).flat()) if (!out.some((o) => feelEquals(o, v) === true)) out.push(v);
  return out;
}

function contextPut(context: unknown, keyOrKeys: unknown, value: unknown): unknown {
  if (!isContext(context)) return null;
  if (typeof keyOrKeys === 'string') return { ...context, [keyOrKeys]: value };
  if (!Array.isArray(keyOrKeys) || !keyOrKeys.length || !keyOrKeys.every((k) => typeof k === 'string')) return null;
  const [head, ...rest] = keyOrKeys as string[];
  if (!rest.length) return { ...context, [head]: value };
  const nested = isContext(context[head]) ? context[head] : {};
  return { ...context, [head]: contextPut(nested, rest, value) };
}

function getValue(context: unknown, keyOrKeys: unknown): unknown {
  if (!isContext(context)) return null;
  const keys = typeof keyOrKeys === 'string' ? [keyOrKeys] : keyOrKeys;
  if (!Array.isArray(keys) || !keys.length || !keys.every((k) => typeof k === 'string')) return null;
  let v: unknown = context;
  for (const k of keys as string[]) {
    if (!isContext(v) || !Object.prototype.hasOwnProperty.call(v, k)) return null;
    v = v[k];
  }
  return v ?? null;
}

function contextMerge(...contexts: unknown[]): unknown {
  const list = listArg(contexts);
  if (!list || !list.every(isContext)) return null;
  return Object.assign({}, ...(list as object[]));
}

function contextOf(entries: unknown): unknown {
  if (!Array.isArray(entries)) return null;
  const out: Record<string, unknown> = {};
  for (const e of entries) {
    if (!isContext(e) || typeof e.key !== 'string' || !('value' in e)) return null;
    out[e.key] = e.value;
  }
  return out;
}

function sublist(list: unknown, start: unknown, length?: unknown): unknown {
  if (!Array.isArray(list) || typeof start !== 'number' || start === 0 || !Number.isInteger(start)) return null;
  const from = start > 0 ? start - 1 : list.length + start;
  if (from < 0 || from >= list.length) return null;
  if (length === undefined || length === null) return list.slice(from);
  if (typeof length !== 'number' || length < 0 || from + length > list.length) return null;
  return list.slice(from, from + length);
}

function insertBefore(list: unknown, position: unknown, item: unknown): unknown {
  if (!Array.isArray(list) || typeof position !== 'number' || position === 0 || !Number.isInteger(position)) return null;
  const at = position > 0 ? position - 1 : list.length + position;
  if (at < 0 || at > list.length) return null;
  return [...list.slice(0, at), item, ...list.slice(at)];
}

function remove(list: unknown, position: unknown): unknown {
  if (!Array.isArray(list) || typeof position !== 'number' || position === 0 || !Number.isInteger(position)) return null;
  const at = position > 0 ? position - 1 : list.length + position;
  if (at < 0 || at >= list.length) return null;
  return [...list.slice(0, at), ...list.slice(at + 1)];
}

function stringJoin(list: unknown, delimiter?: unknown, prefix?: unknown, suffix?: unknown): unknown {
  if (!Array.isArray(list) || !list.every((s) => s === null || typeof s === 'string')) return null;
  const d = delimiter === undefined || delimiter === null ? '' : delimiter;
  if (typeof d !== 'string' || (prefix !== undefined && typeof prefix !== 'string') || (suffix !== undefined && typeof suffix !== 'string')) return null;
  return `${prefix ?? ''}${(list as (string | null)[]).filter((s) => s !== null).join(d)}${suffix ?? ''}`;
}

function extract(value: unknown, pattern: unknown): unknown {
  if (typeof value !== 'string' || typeof pattern !== 'string') return null;
  try {
    return [...value.matchAll(new RegExp(pattern, 'gu'))].map((m) => m[0]);
  } catch {
    return null;
  }
}

function lastDayOfMonth(date: unknown): unknown {
  if (!(date instanceof FeelDate) && !(date instanceof FeelDateTime)) return null;
  const d = date.unwrap();
  const pd = 'toPlainDate' in d ? d.toPlainDate() : d;
  return new FeelDate(pd.with({ day: pd.daysInMonth }));
}

/**
 * A pattern with XPath's regular-expression flags (s, m, i, x, q) as FEEL-scala reads them through
 * java.util.regex; feelin refuses the x flag ("not implemented"), which the DMN TCK uses (1109, 1111).
 * x drops whitespace outside character classes; q takes the pattern literally. Null for a bad flag
 * or pattern.
 */
function regexpOf(pattern: unknown, flags: unknown, global: boolean): RegExp | null {
  if (typeof pattern !== 'string' || (flags !== undefined && flags !== null && typeof flags !== 'string')) return null;
  const f = typeof flags === 'string' ? flags : '';
  if (!/^[smixq]*$/.test(f)) return null;
  let source = pattern;
  if (f.includes('q')) source = source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  else if (f.includes('x')) {
    let out = '';
    let inClass = false;
    for (let i = 0; i < source.length; i++) {
      const c = source[i];
      if (c === '\\') {
        out += c + (source[i + 1] ?? '');
        i++;
        continue;
      }
      if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      if (!inClass && /\s/.test(c)) continue;
      out += c;
    }
    source = out;
  }
  const js = ['u', global ? 'g' : '', f.includes('s') ? 's' : '', f.includes('m') ? 'm' : '', f.includes('i') ? 'i' : ''].join('');
  try {
    return new RegExp(source, js);
  } catch {
    return null;
  }
}

function matchesFn(input: unknown, pattern: unknown, flags?: unknown): boolean | null {
  const re = regexpOf(pattern, flags, false);
  return typeof input === 'string' && re ? re.test(input) : null;
}

function replaceFn(input: unknown, pattern: unknown, replacement: unknown, flags?: unknown): string | null {
  const re = regexpOf(pattern, flags, true);
  if (typeof input !== 'string' || typeof replacement !== 'string' || !re) return null;
  return input.replace(re, replacement.replace(/\$0/g, '$$&'));
}

/** Built-ins that replace or add to feelin's, by FEEL name. */
export const SCALA_BUILTINS: Record<string, FeelFunction> = {
  ...RANGE_BUILTINS,
  matches: overloads([['input', 'pattern'], matchesFn], [['input', 'pattern', 'flags'], matchesFn]),
  replace: overloads([['input', 'pattern', 'replacement'], replaceFn], [['input', 'pattern', 'replacement', 'flags'], replaceFn]),
  all: fn(['...list'], allOf),
  any: fn(['...list'], anyOf),
  'duplicate values': fn(['list'], duplicateValues),
  union: fn(['...lists'], union),
  sublist: overloads([['list', 'start position'], sublist], [['list', 'start position', 'length'], sublist]),
  'insert before': fn(['list', 'position', 'newItem'], insertBefore),
  remove: fn(['list', 'position'], remove),
  'string join': overloads([['list'], stringJoin], [['list', 'delimiter'], stringJoin], [['list', 'delimiter', 'prefix', 'suffix'], stringJoin]),
  extract: fn(['string', 'pattern'], extract),
  'is blank': fn(['string'], (s: unknown) => (typeof s === 'string' ? /^[\s\f]*$/u.test(s) : null)),
  'to base64': fn(['value'], (s: unknown) => (typeof s === 'string' ? Buffer.from(s, 'utf8').toString('base64') : null)),
  'from base64': fn(['value'], (s: unknown) => (typeof s === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0 ? Buffer.from(s, 'base64').toString('utf8') : null)),
  uuid: fn([], () => randomUUID()),
  'to json': fn(['value'], (v: unknown) => JSON.stringify(jsonValue(v) ?? null)),
  'from json': fn(['value'], fromJson),
  string: fn(['from'], feelString),
  'date and time': overloads([['from'], dateAndTime], [['date', 'time'], dateAndTime]),
  date: overloads([['from'], dateFn], [['year', 'month', 'day'], dateFn]),
  // a years-and-months and a days-and-time duration are values of two types, zero or not (DMN TCK 0103)
  is: fn(['value1', 'value2'], (a: unknown, b: unknown) => (a instanceof FeelDuration && b instanceof FeelDuration && a.yearsMonths !== b.yearsMonths ? false : evaluate('is(a, b)', { a, b }).value)),
  time: overloads([['from'], timeFn], [['hour', 'minute', 'second'], timeFn], [['hour', 'minute', 'second', 'offset'], timeFn]),
  'context put': overloads([['context', 'key', 'value'], contextPut], [['context', 'keys', 'value'], contextPut]),
  put: fn(['context', 'key', 'value'], contextPut),
  'get value': overloads([['m', 'key'], getValue], [['context', 'key'], getValue], [['context', 'keys'], getValue]),
  'context merge': fn(['...contexts'], contextMerge),
  'put all': fn(['...contexts'], contextMerge),
  context: fn(['entries'], contextOf),
  'last day of month': fn(['date'], lastDayOfMonth),
  decimal: overloads([['n', 'scale'], (n: unknown, s: unknown) => decimalWithMode(n, s, 'HALF_EVEN')], [['n', 'scale', 'mode'], decimalWithMode]),
  // Herald's business days per country (not FEEL-scala's: an extension for diagrams on the embedded engine)
  ...CALENDAR_BUILTINS,
};

/** The names with spaces above, so that the parser reads each as one name. */
export const SCALA_BUILTIN_NAMES = Object.keys(SCALA_BUILTINS).filter((n) => n.includes(' '));

