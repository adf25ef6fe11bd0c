/**
 * FEEL values written as DMN-Scala writes them into its failure texts: the Scala `toString` of
 * FEEL-scala's values (`ValNumber(1)`, `ValString(first)`, `List(Map(result -> ValNumber(1)))`).
 * Zeebe puts these texts into its DECISION_EVALUATION_ERROR incidents ("Expected to evaluate
 * decision 'd', but multiple values aren't allowed for UNIQUE hit policy. found: 'List(...)'"), and
 * users' tests match on them, so Herald writes them the same way.
 */
import { Decimal } from 'decimal.js';
import { FeelDate, FeelDateTime, FeelDuration, FeelFunction, FeelRange, FeelTime } from 'feelin';
import { toJson } from '../feel/index.js';

/** java.math.BigDecimal's toString for a FEEL number: plain digits, an exponent only far from 1. */
function bigDecimal(n: number | Decimal): string {
  const d = new Decimal(n);
  return d.toString().replace('e', 'E');
}

/** Scala's `Map(k -> v, ...)` of FEEL values, in the given order. */
export function scalaMap(entries: [string, unknown][]): string {
  return `Map(${entries.map(([k, v]) => `${k} -> ${scalaVal(v)}`).join(', ')})`;
}

/** Scala's `List(a, b)`. */
export function scalaList(items: string[]): string {
  return `List(${items.join(', ')})`;
}

/** A FEEL value as FEEL-scala's `Val` prints itself. */
export function scalaVal(value: unknown): string {
  if (value === null || value === undefined) return 'ValNull';
  if (typeof value === 'number' || Decimal.isDecimal(value)) return `ValNumber(${bigDecimal(value as number)})`;
  if (typeof value === 'string') return `ValString(${value})`;
  if (typeof value === 'boolean') return `ValBoolean(${value})`;
  if (Array.isArray(value)) return `ValList(${scalaList(value.map(scalaVal))})`;
  if (value instanceof FeelDate) return `ValDate(${toJson(value) as string})`;
  if (value instanceof FeelDateTime) return `${value.zone === null ? 'ValLocalDateTime' : 'ValDateTime'}(${toJson(value) as string})`;
  if (value instanceof FeelTime) {
    const text = toJson(value) as string;
    if (value.zone === null) return `ValLocalTime(${text})`;
    const zone = value.zone;
    const offset = /^[+-]\d{2}:\d{2}/.test(zone) ? zone : zone === 'UTC' || zone === 'Z' ? 'Z' : '';
    const local = text.replace(/(?:[+-]\d{2}:\d{2}|Z|@.*)$/, '');
    return `ValTime(ZonedTime(${local},${offset || 'Z'},${offset ? 'None' : `Some(${zone})`}))`;
  }
  if (value instanceof FeelDuration) return `${value.yearsMonths ? 'ValYearMonthDuration' : 'ValDayTimeDuration'}(${toJson(value) as string})`;
  if (value instanceof FeelRange) return `ValRange(${String(value)})`;
  if (value instanceof FeelFunction || typeof value === 'function') return 'ValFunction(...)';
  if (typeof value === 'object') return `ValContext(StaticContext(${scalaMap(Object.entries(value as Record<string, unknown>))},Map()))`;
  return String(value);
}
