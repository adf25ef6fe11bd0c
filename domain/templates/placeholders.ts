/**
 * The placeholder language, logic-less on purpose: `{{path.to.value}}` and one optional
 * formatter, `{{invoice.amount | money invoice.currency}}`, `{{dueDate | date}}`,
 * `{{dueDate | date short}}`, `{{count | number}}`, `{{invoice.daysOverdue | days}}` ("1 day", "7 days",
 * "7 Tage"; `days dative` for German after "seit": "7 Tagen"). No sections, partials, helpers or
 * unescaped forms: what a template can do is what an approver can read.
 */
import { formatDecimal, formatMoney, MoneyError } from '../money.js';
import { TemplateCompileError, TemplateDataError, MissingPlaceholderError } from './errors.js';
import type { Placeholder, Segmented, SlotContext } from './types.js';

const PATH = '[A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z0-9_]+)*';
const EXPRESSION = new RegExp(`^(${PATH})(?:\\s*\\|\\s*([A-Za-z]+)((?:\\s+(?:${PATH}|'[^'{}]*'))*))?$`);
const ARG = new RegExp(`${PATH}|'[^'{}]*'`, 'g');

const FORMATTERS: Record<string, { min: number; max: number }> = {
  money: { min: 1, max: 1 },
  date: { min: 0, max: 1 },
  number: { min: 0, max: 0 },
  days: { min: 0, max: 1 },
};
const DATE_STYLES = new Set(['short', 'medium', 'long', 'full']);

function decodeQuotes(s: string): string {
  return s.replace(/&quot;|&#34;|&#x22;/gi, '"').replace(/&#39;|&#x27;|&apos;/gi, "'").replace(/&amp;/g, '&');
}

/** Parses what stands between `{{` and `}}`; `ref` names the template in errors. */
export function parsePlaceholder(inner: string, ref: string): Placeholder {
  const source = decodeQuotes(inner).trim();
  if (/^[{&]/.test(source) || source.endsWith('}')) {
    throw new TemplateCompileError(ref, 'RAW_PLACEHOLDER', `{{${inner}}} would insert unescaped HTML; raw placeholders are not allowed`);
  }
  if (/^[#/^>!=]/.test(source)) {
    throw new TemplateCompileError(ref, 'PLACEHOLDER_SYNTAX', `{{${inner}}} is a section, partial or comment; templates are logic-less (only {{path}} and {{path | formatter}})`);
  }
  const m = EXPRESSION.exec(source);
  if (!m) throw new TemplateCompileError(ref, 'PLACEHOLDER_SYNTAX', `{{${inner}}} is not a placeholder (expected {{path.to.value}} or {{path | formatter args}})`);
  const placeholder: Placeholder = { source, path: m[1].split('.') };
  const name = m[2];
  if (name) {
    const spec = FORMATTERS[name];
    if (!spec) throw new TemplateCompileError(ref, 'UNKNOWN_FORMATTER', `{{${source}}} uses formatter "${name}"; known: ${Object.keys(FORMATTERS).join(', ')}`);
    const args: ({ path: string[] } | { literal: string })[] = (m[3]?.match(ARG) ?? []).map((a) => (a.startsWith("'") ? { literal: a.slice(1, -1) } : { path: a.split('.') }));
    if (args.length < spec.min || args.length > spec.max) {
      throw new TemplateCompileError(ref, 'PLACEHOLDER_SYNTAX', `{{${source}}}: formatter "${name}" takes ${spec.min === spec.max ? spec.min : `${spec.min} to ${spec.max}`} argument(s)`);
    }
    const first = args[0];
    if (name === 'date' && first) {
      // date styles are words, written bare or quoted: {{dueDate | date short}}
      const style = 'literal' in first ? first.literal : first.path.join('.');
      if (!DATE_STYLES.has(style)) throw new TemplateCompileError(ref, 'PLACEHOLDER_SYNTAX', `{{${source}}}: date style must be one of ${[...DATE_STYLES].join(', ')}`);
      args[0] = { literal: style };
    }
    if (name === 'days' && first) {
      const grammaticalCase = 'literal' in first ? first.literal : first.path.join('.');
      if (grammaticalCase !== 'dative') throw new TemplateCompileError(ref, 'PLACEHOLDER_SYNTAX', `{{${source}}}: "days" takes only "dative" (German "seit 7 Tagen")`);
      args[0] = { literal: grammaticalCase };
    }
    placeholder.formatter = { name, args };
  }
  return placeholder;
}

export interface PlaceholderMatch {
  start: number;
  end: number;
  inner: string;
}

/** Every `{{...}}` in a string, in order. A lone `{{` without `}}` is a syntax error. */
export function findPlaceholders(s: string, ref: string): PlaceholderMatch[] {
  const out: PlaceholderMatch[] = [];
  let i = s.indexOf('{{');
  while (i !== -1) {
    let end = s.indexOf('}}', i + 2);
    if (end === -1) throw new TemplateCompileError(ref, 'PLACEHOLDER_SYNTAX', `unclosed "{{" near "${s.slice(i, i + 40)}"`);
    // triple-stash: take the third brace into the match so the parser sees and refuses it
    if (s[end + 2] === '}') end += 1;
    const inner = s.slice(i + 2, end);
    if (inner.includes('{{') || /[\r\n<>]/.test(inner)) {
      throw new TemplateCompileError(ref, 'PLACEHOLDER_SYNTAX', `malformed placeholder near "${s.slice(i, Math.min(end + 2, i + 60))}"`);
    }
    out.push({ start: i, end: end + 2, inner });
    i = s.indexOf('{{', end + 2);
  }
  return out;
}

/** A plain string template (subject, text variant) cut into literal parts and slots. */
export function segmentPlain(s: string, context: SlotContext, ref: string): Segmented {
  const parts: string[] = [];
  const slots: Segmented['slots'] = [];
  let last = 0;
  for (const m of findPlaceholders(s, ref)) {
    parts.push(s.slice(last, m.start));
    slots.push({ placeholder: parsePlaceholder(m.inner, ref), context });
    last = m.end;
  }
  parts.push(s.slice(last));
  return { parts, slots };
}

export interface FillOptions {
  locale: string;
  /** Time zone for date-times (date-only values are calendar dates and ignore it). */
  timeZone: string;
}

const hasOwn = Object.prototype.hasOwnProperty;

export function lookup(data: unknown, path: string[]): unknown {
  let v: unknown = data;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || !hasOwn.call(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

// module-level, not a closure per call: rendering runs per message and must allocate little
function fail(ref: string, p: Placeholder, reason: string): never {
  throw new TemplateDataError(ref, p.source, reason);
}

function formatDate(value: unknown, style: string, opts: FillOptions, ref: string, p: Placeholder): string {
  let date: Date;
  let zone = opts.timeZone;
  if (value instanceof Date) date = value;
  else if (typeof value === 'string' && DATE_ONLY.test(value)) {
    date = new Date(`${value}T00:00:00Z`);
    zone = 'UTC';
  } else if (typeof value === 'string' || typeof value === 'number') date = new Date(value);
  else return fail(ref, p, 'is not a date');
  if (Number.isNaN(date.getTime())) fail(ref, p, `"${String(value)}" is not a date`);
  const key = `${opts.locale}\u0000${style}\u0000${zone}`;
  let f = dateFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(opts.locale, { dateStyle: style as 'long', timeZone: zone });
    dateFormats.set(key, f);
  }
  return f.format(date);
}

/** A count of days with its noun, plural-aware in the message's language ("1 day", "7 days", "1 Tag", "7 Tage", dative "7 Tagen"). */
const DAY_WORDS: Record<string, { one: string; other: string; otherDative?: string }> = {
  en: { one: 'day', other: 'days' },
  de: { one: 'Tag', other: 'Tage', otherDative: 'Tagen' },
};

function formatDays(value: unknown, dative: boolean, opts: FillOptions, ref: string, p: Placeholder): string {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n)) return fail(ref, p, `"${String(value)}" is not a whole number of days`);
  const words = DAY_WORDS[opts.locale.replace(/_/g, '-').split('-')[0].toLowerCase()] ?? DAY_WORDS.en;
  const noun = new Intl.PluralRules(opts.locale).select(n) === 'one' ? words.one : dative ? (words.otherDative ?? words.other) : words.other;
  return `${formatDecimal(String(n), opts.locale)} ${noun}`;
}

function asAmount(value: unknown, ref: string, p: Placeholder): string {
  if (typeof value === 'string') return value;
  // JSON numbers arrive as doubles; their shortest representation is the decimal that was written
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return fail(ref, p, 'is not an amount');
}

/** The placeholder's value as a string, before context escaping. */
export function valueOf(p: Placeholder, data: unknown, opts: FillOptions, ref: string): string {
  const raw = lookup(data, p.path);
  if (raw === undefined || raw === null) throw new MissingPlaceholderError(ref, p.path.join('.'));
  const f = p.formatter;
  if (!f) {
    if (typeof raw === 'string') return raw;
    if (typeof raw === 'number' || typeof raw === 'bigint' || typeof raw === 'boolean') return String(raw);
    if (raw instanceof Date) return raw.toISOString();
    return fail(ref, p, `holds ${Array.isArray(raw) ? 'a list' : 'an object'}, not text`);
  }
  try {
    switch (f.name) {
      case 'money': {
        const arg = f.args[0];
        const currency = 'literal' in arg ? arg.literal : lookup(data, arg.path);
        if (currency === undefined || currency === null) throw new MissingPlaceholderError(ref, 'literal' in arg ? arg.literal : arg.path.join('.'));
        return formatMoney(asAmount(raw, ref, p), String(currency), opts.locale);
      }
      case 'date':
        return formatDate(raw, f.args[0] && 'literal' in f.args[0] ? f.args[0].literal : 'long', opts, ref, p);
      case 'number':
        return formatDecimal(asAmount(raw, ref, p), opts.locale);
      case 'days':
        return formatDays(raw, !!f.args[0] && 'literal' in f.args[0] && f.args[0].literal === 'dative', opts, ref, p);
      default:
        return fail(ref, p, `uses unknown formatter ${f.name}`);
    }
  } catch (e) {
    if (e instanceof MoneyError) return fail(ref, p, `: ${e.message}`);
    throw e;
  }
}
