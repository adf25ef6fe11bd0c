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
  /** The scope with each such name also bound under its alias. */
  bind<T extends Record<string, unknown>>(scope: T): T;
}

const NEEDS_ALIAS = /[-+*/']/;
const NAME_CHAR = '[\\p{L}\\p{N}_]';

function alias(name: string): string {
  return name.replace(/[^\p{L}\p{N}_ ]/gu, (c) => `_${c.codePointAt(0)!.toString(16)}_`);
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
  if (!special.length) return { list, escape: (text) => text, bind: (scope) => scope };
  const escaped = special.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/-/g, '\\x2d'));
  const pattern = new RegExp(`(?<!${NAME_CHAR})(?:${escaped.join('|')})(?!${NAME_CHAR})`, 'gu');
  const aliases = new Map(special.map((n) => [n, alias(n)]));
  return {
    list,
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
        if (Object.prototype.hasOwnProperty.call(scope, name) && !Object.prototype.hasOwnProperty.call(scope, a)) {
          out ??= { ...scope };
          out[a] = scope[name];
        }
      }
      return (out ?? scope) as typeof scope;
    },
  };
}
