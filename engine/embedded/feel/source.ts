/**
 * A pass over the FEEL text before feelin's parser sees it, for syntax FEEL-scala accepts and
 * lezer-feel does not:
 * - `and(...)` and `or(...)` called as functions (FEEL-scala's names for all() and any());
 *   lezer-feel reads `and`/`or` only as operators. They become `all(`/`any(`.
 * - backtick names (`` `a b` ``, `` {a+b: 1}.`a+b` ``): FEEL-scala's escape for names with spaces
 *   or operator characters. Each becomes a plain identifier (`__bt0`); the original names are
 *   returned so that variables can be given under both names and path steps can use them. A
 *   name that is also a key of a context literal in the text stays as written: lezer-feel knows
 *   the keys in scope as names.
 * - `x instance of function`: lezer-feel knows only the full type (`function<T>->T`).
 * String literals are left as written, but for the form feed escape (backslash f), which feelin lacks.
 */

export interface SourcePass {
  text: string;
  /** identifier -> the name written between backticks */
  backticks: Map<string, string>;
}

const VALUE_END = /[\w)\]}"?.`]$/u;
const KEYWORD_BEFORE = /(?:^|[^\w])(?:then|else|return|in|satisfies|not|and|or)$/u;

/**
 * `@"2021-01-01T24:00:00"` is the end of that day, the next day's midnight, as FEEL-scala reads it
 * (DMN TCK 0100); feelin's date-times stop at 23:59.
 */
function midnightOfNextDay(literal: string): string {
  const m = /^"(\d{4})-(\d{2})-(\d{2})T24:00(?::00(?:\.0+)?)?(.*)"$/.exec(literal);
  if (!m) return literal;
  const next = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1));
  if (Number(m[1]) < 100) next.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1);
  const day = next.toISOString();
  return /^\d{4}-/.test(day) ? `"${day.slice(0, 10)}T00:00:00${m[4]}"` : literal;
}

export function prepareSource(source: string): SourcePass {
  const backticks = new Map<string, string>();
  let out = '';
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === '"') {
      // copy a string literal as it is, escapes included; feelin does not know `\f` (form feed)
      let j = i + 1;
      while (j < source.length && source[j] !== '"') j += source[j] === '\\' ? 2 : 1;
      const literal = source.slice(i, j + 1).replace(/\\(\\|f)/g, (m: string, c: string) => (c === 'f' ? '\\u000c' : m));
      if (out.endsWith('@') && /^"(?:-\d|\d{5})/.test(literal)) {
        // a year outside 0000-9999 (`@"-2021-01-01T10:10:10+11:00"`): feelin's @ refuses it; date() and date and time() read it (builtins.ts)
        out = `${out.slice(0, -1)}${literal.includes('T') ? 'date and time' : 'date'}(${literal})`;
      } else out += out.endsWith('@') ? midnightOfNextDay(literal) : literal;
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const end = source.indexOf('`', i + 1);
      if (end < 0) {
        out += source.slice(i);
        break;
      }
      const name = source.slice(i + 1, end);
      const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (!out.trimEnd().endsWith('.') && new RegExp(`(?:^|[{,]\\s*)${escaped}\\s*:`).test(source)) {
        // a sibling entry of a context literal: lezer-feel reads its key as a name in scope
        out += name;
        i = end + 1;
        continue;
      }
      let id = [...backticks].find(([, n]) => n === name)?.[0];
      if (!id) {
        id = `__bt${backticks.size}`;
        backticks.set(id, name);
      }
      out += id;
      i = end + 1;
      continue;
    }
    const fnType = /^instance\s+of\s+function\b(?!\s*<)/.exec(source.slice(i));
    if (fnType && !/\w/u.test(source[i - 1] ?? '')) {
      // lezer-feel knows only the full function type; any function is a function<>->Any to feelin
      out += 'instance of function<>->Any';
      i += fnType[0].length;
      continue;
    }
    const call = /^(and|or)\s*\(/.exec(source.slice(i));
    if (call && !/\w/u.test(source[i - 1] ?? '')) {
      const before = out.trimEnd();
      if (!before || !VALUE_END.test(before) || KEYWORD_BEFORE.test(before)) {
        out += call[1] === 'and' ? 'all' : 'any';
        i += call[1].length;
        continue;
      }
    }
    out += c;
    i++;
  }
  return { text: out, backticks };
}
