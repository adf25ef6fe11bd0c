/**
 * Names with dashes and other operator characters as FEEL names (`Pre-bureauRiskCategory`,
 * `Applicant-Data`), as the DMN TCK requires and DMN-Scala does when it escapes them: FEEL's
 * grammar would read `Pre-bureauRiskCategory` as a subtraction. Each such name of the model is
 * replaced in the expression text (outside string literals) by an alias without the operator
 * character, and the alias is bound beside the name at evaluation. Names with spaces need no
 * help: the FEEL parser reads `Full Name` as one name.
 */
import type { XmlElement } from './xml.js';

export interface FeelNames {
  /** The expression with the model's operator-character names replaced by their aliases. */
  escape(text: string): string;
  /** A message about an escaped expression with the names written back. */
  unescape(text: string): string;
  /** The scope with each such name also bound under its alias. */
  bind<T extends Record<string, unknown>>(scope: T): T;
}

/** Characters FEEL reads as operators or paths inside a name (`Pre-bureau`, `Person.Name`, `Person's age`). */
const NEEDS_ALIAS = /[-+*/'.]/;
const NAME_CHAR = '[\\p{L}\\p{N}_]';

/** A plain FEEL name standing for the i-th special name (a letter first, no spaces, no operators). */
function alias(i: number): string {
  return `__dmnName${i}`;
}

/** A dotted name's value read as a path when only its first part is bound (`Person.Name` of `Person`). */
function pathValue(scope: Record<string, unknown>, name: string): { found: boolean; value?: unknown } {
  const parts = name.split('.');
  for (let i = parts.length - 1; i > 0; i--) {
    const head = parts.slice(0, i).join('.');
    if (!Object.prototype.hasOwnProperty.call(scope, head)) continue;
    let value: unknown = scope[head];
    for (const key of parts.slice(i)) {
      value = value !== null && typeof value === 'object' && !Array.isArray(value) ? ((value as Record<string, unknown>)[key.trim()] ?? null) : null;
    }
    return { found: true, value };
  }
  return { found: false };
}

function collect(el: XmlElement, into: Set<string>): void {
  if (/^https?:\/\/www\.omg\.org\/spec\/DMN\//.test(el.ns)) {
    const name = el.attrs.name;
    if (name) into.add(name.trim());
    if (el.attrs.iteratorVariable) into.add(el.attrs.iteratorVariable.trim());
  }
  for (const c of el.children) collect(c, into);
}

export function feelNames(root: XmlElement, imports: { prefix: string; names: FeelNames & { list?: string[] } }[] = []): FeelNames & { list: string[] } {
  const all = new Set<string>();
  collect(root, all);
  for (const imp of imports) for (const n of imp.names.list ?? []) all.add(n);
  const special = [...all].filter((n) => NEEDS_ALIAS.test(n)).sort((a, b) => b.length - a.length);
  const list = special;
  if (!special.length) return { list, escape: (text) => text, unescape: (text) => text, bind: (scope) => scope };
  const escaped = special.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/-/g, '\\x2d'));
  const pattern = new RegExp(`(?<!${NAME_CHAR})(?:${escaped.join('|')})(?!${NAME_CHAR})`, 'gu');
  const aliases = new Map(special.map((n, i) => [n, alias(i)]));
  const back = new Map([...aliases].map(([n, a]) => [a, n]));
  return {
    list,
    unescape(text) {
      return text.includes('__dmnName') ? text.replace(/__dmnName\d+/g, (a) => back.get(a) ?? a) : text;
    },
    escape(text) {
      if (!special.some((n) => text.includes(n))) return text;
      // string literals keep their text; everything else gets the aliases
      return text
        .split(/("(?:[^"\\]|\\.)*")/)
        .map((part, i) => (i % 2 ? part : part.replace(pattern, (m) => aliases.get(m) ?? m)))
        .join('');
    },
    bind(scope) {
      let out: Record<string, unknown> | undefined;
      for (const [name, a] of aliases) {
        if (Object.prototype.hasOwnProperty.call(scope, a)) continue;
        if (Object.prototype.hasOwnProperty.call(scope, name)) {
          out ??= { ...scope };
          out[a] = scope[name];
        } else if (name.includes('.')) {
          // the text `Person.Name` where only `Person` is bound is the path it reads as
          const p = pathValue(scope, name);
          if (p.found) {
            out ??= { ...scope };
            out[a] = p.value;
          }
        }
      }
      return (out ?? scope) as typeof scope;
    },
  };
}
