/**
 * The text feelin evaluates. Each compiled expression is rewritten once, from lezer-feel's tree,
 * so that what feelin answers otherwise than FEEL-scala goes through a helper in the context:
 * - every arithmetic tree (and every comparison) becomes one call that evaluates it with
 *   decimal.js (BigDecimal with DECIMAL128, as FEEL-scala) and compares with FEEL-scala's
 *   semantics (values.ts); values are exact inside the tree and leave it as the nearest JS
 *   number, exact for every decimal of up to 15 significant digits (all amounts);
 * - `list[filter]` becomes a call with the filter as a FEEL function of the item;
 * - path steps by backtick names, `.timezone`, `duration()` with java.time texts, and `x in`
 *   a test that reads `?` get their own forms.
 */
import { Decimal } from 'decimal.js';
import { evaluate, FeelDateTime, FeelDuration, FeelFunction, FeelTime, parseExpression } from 'feelin';
import { durationArithmetic, feelCompare, parseJavaDuration } from './values.js';

/** BigDecimal with MathContext.DECIMAL128, as FEEL-scala's ValNumber. */
export const D = Decimal.clone({ precision: 34, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 40 });
export type Dec = InstanceType<typeof D>;

export const ARITH_FN = '__herald_arith';
export const CMP_FN = '__herald_cmp';
const PATH_FN = '__herald_path';
const FILTER_FN = '__herald_filter';
const HAS_FN = '__herald_has';
const GET_FN = '__herald_get';
const DURATION_FN = '__herald_duration';


export type Tree = ReturnType<typeof parseExpression>;
export type Node = Tree['topNode'];


export function children(node: Node): Node[] {
  const out: Node[] = [];
  // comments are no operands: `1 + /* c */ 1` has three parts, not four (DMN TCK 0073); the
  // rewritten text keeps them, as it copies the source between the parts
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.name !== 'BlockComment' && c.name !== 'LineComment') out.push(c);
  return out;
}

export type FeelFn = ((...args: any[]) => unknown) & { $args: string[] };

export function fn(f: (...args: any[]) => unknown, params: string[]): FeelFn {
  const wrapped = f as FeelFn;
  wrapped.$args = params;
  return wrapped;
}

// --------------------------------------------------------------------- arithmetic rewriting

type Arith =
  | { k: 'lit'; d: Dec }
  | { k: 'leaf'; i: number }
  | { k: 'neg'; a: Arith }
  | { k: 'bin'; op: string; a: Arith; b: Arith };

export interface Fused {
  kind: 'arith' | 'cmp';
  tree?: Arith;
  left?: Arith;
  right?: Arith;
  op?: string;
}

const CMP_OPS = new Set(['=', '!=', '<', '<=', '>', '>=']);

export class Rewriter {
  readonly fused: Fused[] = [];
  constructor(
    private readonly src: string,
    private readonly backticks: Map<string, string> = new Map(),
  ) {}

  /** Inside a filter body: free names are looked up in the item's entries first (see filter()). */
  private filterDepth = 0;
  /** Inside the test of `x in <test reading ?>`: '?' is x. */
  private inputDepth = 0;

  emit(node: Node): string {
    if (node.name === '?' && this.inputDepth > 0) return '__input';
    if (node.name === 'Comparison') {
      const parts = children(node);
      if (parts.length === 3 && parts[1].name === 'in' && parts[2].name === 'PositiveUnaryTest' && parts[2].firstChild?.name !== 'SimplePositiveUnaryTest' && readsInput(parts[2])) {
        // `5 in ? < 10`: the left side is the input of the test, which must answer a boolean
        const left = this.emit(parts[0]);
        this.inputDepth++;
        try {
          return `((for __input in [(${left})] return (true and (${this.emit(parts[2])})))[1])`;
        } finally {
          this.inputDepth--;
        }
      }
    }
    if (node.name === 'FilterExpression') {
      const parts = children(node);
      const filter = parts[2];
      if (parts.length === 4 && filter.name !== 'NumericLiteral') return this.filter(parts[0], filter);
    }
    if (node.name === 'VariableName' && this.filterDepth > 0) {
      // an entry of the item wins, even over the name 'item' itself (FEEL-scala's filter context)
      const key = JSON.stringify(this.backticks.get(this.text(node)) ?? this.text(node));
      return `(if ${HAS_FN}(__fe, ${key}) then ${GET_FN}(__fe, ${key}) else ${this.text(node)})`;
    }
    if (node.name === 'FunctionInvocation' && this.filterDepth > 0) {
      // the callee is a function name, never an entry of the item
      const [callee, ...rest] = children(node);
      let out = this.text(callee);
      let pos = callee.to;
      for (const child of rest) {
        out += this.src.slice(pos, child.from) + this.emit(child);
        pos = child.to;
      }
      return out + this.src.slice(pos, node.to);
    }
    if (node.name === 'ArithmeticExpression') return this.fuseArith(node);
    if (node.name === 'PathExpression') {
      const parts = children(node);
      const last = parts.at(-1);
      const step = last && last.name === 'PathName' ? this.text(last) : undefined;
      // FEEL-scala's 'timezone' of a time or date-time with a bare offset is null (only a zone id has one)
      const name = step === undefined ? undefined : (this.backticks.get(step) ?? (step === 'timezone' ? step : undefined));
      if (name !== undefined && parts.length === 3) return `${PATH_FN}((${this.emit(parts[0])}), ${JSON.stringify(name)})`;
    }
    if (node.name === 'DateTimeLiteral') {
      // duration() with java.time's texts (`PT-5M`); a context entry named 'duration' would
      // stop lezer-feel from reading 'years and months duration' as one name, so it is renamed
      const callee = node.firstChild;
      if (callee && callee.name === 'DateTimeConstructor' && this.text(callee) === 'duration') {
        let out = DURATION_FN;
        let pos = callee.to;
        for (const child of children(node).slice(1)) {
          out += this.src.slice(pos, child.from) + this.emit(child);
          pos = child.to;
        }
        return out + this.src.slice(pos, node.to);
      }
    }
    if (node.name === 'Comparison') {
      const [l, op, r] = children(node);
      if (op && op.name === 'CompareOp' && r && CMP_OPS.has(this.text(op))) {
        const leaves: string[] = [];
        const id = this.fused.length;
        this.fused.push({ kind: 'cmp' });
        const f = this.fused[id];
        f.left = this.build(l, leaves);
        f.right = this.build(r, leaves);
        f.op = this.text(op);
        // a conjunction keeps feelin's 'test' typing (filters apply it per item) and null stays null
        return `(true and ${CMP_FN}(${[String(id), ...leaves].join(', ')}))`;
      }
    }
    let out = '';
    let pos = node.from;
    for (const child of children(node)) {
      out += this.src.slice(pos, child.from) + this.emit(child);
      pos = child.to;
    }
    return out + this.src.slice(pos, node.to);
  }

  private text(node: Node): string {
    return this.src.slice(node.from, node.to);
  }

  /**
   * `list[filter]` with FEEL-scala's semantics: the filter is a FEEL function of the item whose
   * free names read the item's entries first (FEEL-scala's filter context), so function calls
   * (`[odd(item)]`) filter per item, null and false items are kept when they match, and a
   * number picks an item.
   */
  private filter(target: Node, filter: Node): string {
    const list = this.emit(target);
    this.filterDepth++;
    try {
      return `${FILTER_FN}((${list}), function(item, __fe) (${this.emit(filter)}))`;
    } finally {
      this.filterDepth--;
    }
  }

  private fuseArith(node: Node): string {
    const parts = children(node);
    const last = parts.at(-1);
    if (parts.length === 3 && last && last.name === 'InstanceOfExpression') {
      // lezer-feel reads `2 * 3 instance of number` as `2 * (3 instance of number)`;
      // FEEL-scala (and the grammar's precedence) apply `instance of` to the whole product
      const [value] = children(last);
      const leaves: string[] = [];
      const id = this.fused.length;
      this.fused.push({ kind: 'arith' });
      this.fused[id].tree = { k: 'bin', op: this.text(parts[1]), a: this.build(parts[0], leaves), b: this.build(value, leaves) };
      return `(${ARITH_FN}(${[String(id), ...leaves].join(', ')}))${this.src.slice(value.to, last.to)}`;
    }
    const leaves: string[] = [];
    const id = this.fused.length;
    this.fused.push({ kind: 'arith' });
    this.fused[id].tree = this.build(node, leaves);
    return `${ARITH_FN}(${[String(id), ...leaves].join(', ')})`;
  }

  private build(node: Node, leaves: string[]): Arith {
    if (node.name === 'ArithmeticExpression') {
      const parts = children(node);
      if (parts.length === 3) return { k: 'bin', op: this.text(parts[1]), a: this.build(parts[0], leaves), b: this.build(parts[2], leaves) };
      if (parts.length === 2) {
        const a = this.build(parts[1], leaves);
        return this.text(parts[0]) === '-' ? { k: 'neg', a } : a;
      }
    }
    if (node.name === 'ParenthesizedExpression') {
      const inner = children(node).filter((c) => c.name !== '(' && c.name !== ')');
      if (inner.length === 1) return this.build(inner[0], leaves);
    }
    if (node.name === 'NumericLiteral') {
      return { k: 'lit', d: new D(this.text(node).replace(/\s+/g, '')) };
    }
    leaves.push(`(${this.emit(node)})`);
    return { k: 'leaf', i: leaves.length - 1 };
  }
}

export function hasArithmetic(tree: Tree): boolean {
  let found = false;
  tree.iterate({
    enter(node) {
      if (found) return false;
      if (['ArithmeticExpression', 'Comparison', 'DateTimeLiteral', 'PathExpression', 'FilterExpression'].includes(node.name)) found = true;
      return undefined;
    },
  });
  return found;
}

// ------------------------------------------------------------------------ decimal evaluation

export function isDec(v: unknown): v is Dec {
  return v instanceof D;
}

/** A JS number as the decimal it was written as (its shortest round-trip form). */
export function toDecimal(n: number): Dec {
  return new D(n);
}

export function fromDec(d: Dec): number | null {
  if (!d.isFinite()) return null;
  const n = d.toNumber();
  return Object.is(n, -0) ? 0 : n;
}

function native(v: unknown): unknown {
  return isDec(v) ? fromDec(v) : v;
}

/** feelin's own semantics for what is not number-with-number (strings, temporals, null). */
function feelinBinary(op: string, a: unknown, b: unknown): unknown {
  return evaluate(`a ${op} b`, { a: native(a), b: native(b) }).value;
}

function evalArith(node: Arith, args: unknown[]): unknown {
  switch (node.k) {
    case 'lit':
      return node.d;
    case 'leaf': {
      const v = args[node.i];
      return typeof v === 'number' && Number.isFinite(v) ? new D(v) : v;
    }
    case 'neg': {
      const a = evalArith(node.a, args);
      if (isDec(a)) return a.neg();
      if (a === null || a === undefined) return null;
      // FEEL-scala negates durations (java.time's negated()); feelin gives null (DMN TCK 0099)
      if (a instanceof FeelDuration) return new FeelDuration(a.unwrap().negated(), a.yearsMonths);
      return evaluate('- a', { a }).value;
    }
    case 'bin': {
      const a = evalArith(node.a, args);
      const b = evalArith(node.b, args);
      if (isDec(a) && isDec(b)) return decimalOp(node.op, a, b);
      if (a === null || a === undefined || b === null || b === undefined) return null;
      const temporal = durationArithmetic(node.op, a, b);
      return temporal === undefined ? feelinBinary(node.op, a, b) : temporal;
    }
  }
}

function decimalOp(op: string, a: Dec, b: Dec): Dec | null {
  switch (op) {
    case '+':
      return a.plus(b);
    case '-':
      return a.minus(b);
    case '*':
      return a.times(b);
    case '/':
      return b.isZero() ? null : a.div(b);
    case '**':
    case '^': {
      if (b.isInteger() && b.abs().lte(999_999_999)) {
        if (a.isZero() && b.isNeg()) return null;
        return a.pow(b);
      }
      const r = Math.pow(a.toNumber(), b.toNumber());
      return Number.isFinite(r) ? new D(r) : null;
    }
    default:
      return null;
  }
}

/** A comparison with FEEL-scala's semantics (values of different types give null). */
function compare(op: string, a: unknown, b: unknown): unknown {
  return feelCompare(op, a, b);
}

export function fusedFunctions(fused: Fused[]): { arith: (...args: unknown[]) => unknown; cmp: (...args: unknown[]) => unknown } {
  const arith = (...args: unknown[]) => {
    const f = fused[args[0] as number];
    return native(evalArith(f.tree as Arith, args.slice(1)));
  };
  const cmp = (...args: unknown[]) => {
    const f = fused[args[0] as number];
    const leaves = args.slice(1);
    return compare(f.op as string, evalArith(f.left as Arith, leaves), evalArith(f.right as Arith, leaves));
  };
  return { arith: fn(arith, ['id', '...args']), cmp: fn(cmp, ['id', '...args']) };
}

/** Whether '?' is read outside the tests of an `in` (where the left side is the input). */
export function readsInput(node: Node): boolean {
  if (node.name === '?') return true;
  const parts = children(node);
  if (node.name === 'Comparison' && parts[1]?.name === 'in') return readsInput(parts[0]);
  return parts.some(readsInput);
}

/** A path step by a name feelin cannot write (a backtick name); lists map the step over their items. */
function pathStep(value: unknown, name: string): unknown {
  const step = (v: unknown): unknown => {
    if (name === 'timezone' && (v instanceof FeelTime || v instanceof FeelDateTime)) {
      return v.zone === null || /^(?:Z|[+-]\d{2}:\d{2}(?::\d{2})?)$/.test(v.zone) ? null : v.zone;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
    const ctx = v as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(ctx, name)) return ctx[name] ?? null;
    // lezer-feel folds runs of spaces in a context key to one
    const folded = name.replace(/\s{2,}/g, ' ');
    return Object.prototype.hasOwnProperty.call(ctx, folded) ? (ctx[folded] ?? null) : null;
  };
  return Array.isArray(value) ? value.map(step) : step(value);
}

function isPlainContext(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
}

/** FEEL-scala's Filter: the first item's answer decides between an index and a condition. */
function filterList(list: unknown, condition: unknown): unknown {
  // FEEL-scala: filtering a value that is not a list is null ('Expected list but found ...')
  if (!Array.isArray(list) || !(condition instanceof FeelFunction)) return null;
  const items = list;
  if (!items.length) return [];
  const test = (item: unknown) => condition.invoke([item, isPlainContext(item) ? item : {}]);
  const head = test(items[0]);
  if (typeof head === 'number') {
    const i = Math.trunc(head);
    return (i > 0 ? items[i - 1] : i < 0 ? items[items.length + i] : undefined) ?? null;
  }
  const rest = items.slice(1).filter((item) => test(item) === true);
  return head === true ? [items[0], ...rest] : rest;
}

export const REWRITE_HELPERS: Record<string, FeelFn> = {
  [FILTER_FN]: fn(filterList, ['list', 'condition']),
  [HAS_FN]: fn((entries: unknown, name: string) => isPlainContext(entries) && Object.prototype.hasOwnProperty.call(entries, name), ['entries', 'name']),
  [GET_FN]: fn((entries: Record<string, unknown>, name: string) => entries[name] ?? null, ['entries', 'name']),
  [PATH_FN]: fn(pathStep, ['value', 'name']),
  [DURATION_FN]: fn((from: unknown) => (typeof from === 'string' ? parseJavaDuration(from) : from instanceof FeelDuration ? from : null), ['from']),
};

