/**
 * FEEL for the embedded engine, with Zeebe's (FEEL-scala's) semantics on top of feelin.
 * Expressions are given without the leading '='.
 *
 * feelin is not forked: a pass over the text (source.ts) reads FEEL-scala's syntax, each
 * compiled expression is rewritten once (rewrite.ts) so that arithmetic is decimal (BigDecimal
 * with DECIMAL128, as FEEL-scala) and comparisons, filters and a few path steps follow
 * FEEL-scala (values.ts), and the built-ins feelin lacks or answers otherwise are given in the
 * context (builtins.ts, and the decimal number built-ins below). Unary tests (DMN input entries)
 * are evaluated here with FEEL-scala's three-valued semantics. Values stay FEEL values inside
 * (typed dates, times and durations); json.ts turns a result into what Zeebe stores.
 */
import { Decimal } from 'decimal.js';
import { evaluate, unaryTest, parseExpression, parseUnaryTests, toFeel, date as feelDate, FeelFunction } from 'feelin';
import type { Variables } from '../../types.js';
import { feelCompare, feelEquals } from './values.js';
import { toJson } from './json.js';
import { SCALA_BUILTINS, SCALA_BUILTIN_NAMES } from './builtins.js';
import { prepareSource } from './source.js';
import {
  ARITH_FN,
  CMP_FN,
  children,
  D,
  fn,
  fromDec,
  fusedFunctions,
  hasArithmetic,
  readsInput,
  REWRITE_HELPERS,
  Rewriter,
  type Dec,
  type FeelFn,
  type Fused,
  type Node,
  type Tree,
} from './rewrite.js';

export { toJson };

export class FeelError extends Error {
  constructor(readonly expression: string, message: string) {
    super(message);
    this.name = 'FeelError';
  }
}

export interface FeelResult {
  value: unknown;
  /** Names that were looked up but not found (Zeebe: "no variable found for name 'x'"). */
  missingVariables: string[];
}

export interface FeelOptions {
  /** The engine's clock (epoch ms) for now() and today(). */
  now?: () => number;
}

/** Names with spaces of the builtins added here, so that lezer-feel reads them as one name. */
const PARSE_CONTEXT: Record<string, unknown> = {
  'is defined': true,
  'get or else': true,
  'is empty': true,
  'is blank': true,
  'round half up': true,
  'round half down': true,
  'round up': true,
  'round down': true,
  ...Object.fromEntries(SCALA_BUILTIN_NAMES.map((name) => [name, true])),
};

// ------------------------------------------------------------------------------ parse trees

function firstError(tree: Tree): { from: number; to: number } | undefined {
  let error: { from: number; to: number } | undefined;
  tree.iterate({
    enter(node) {
      if (error) return false;
      if (node.type.isError) error = { from: node.from, to: node.to };
      return undefined;
    },
  });
  return error;
}

function syntaxMessage(source: string, error: { from: number; to: number }): string {
  if (error.from >= source.trimEnd().length) {
    return `unexpected end of expression at position ${error.from + 1} (after '${source.slice(Math.max(0, error.from - 20)).trim()}')`;
  }
  const token = source.slice(error.from, Math.max(error.to, error.from + 1)).slice(0, 20);
  return `unexpected '${token}' at position ${error.from + 1}`;
}


// --------------------------------------------------------------------------------- builtins

class AssertionFailure extends Error {}

/** A list argument given as one list or as varargs, all numbers; null otherwise. */
function numbers(args: unknown[]): Dec[] | null {
  const list = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  if (!list.every((v) => typeof v === 'number' && Number.isFinite(v))) return null;
  return (list as number[]).map((n) => new D(n));
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function rounding(mode: Decimal.Rounding) {
  return (n: unknown, scale: unknown) => {
    if (typeof n !== 'number' || !isInt(scale)) return null;
    return fromDec(new D(n).toDecimalPlaces(scale, mode));
  };
}

function scaled(mode: Decimal.Rounding) {
  // an omitted scale is 0; a null one is null, as FEEL-scala finds no floor(n, null) (DMN TCK 1101, 1102)
  return (n: unknown, scale: unknown = 0) => {
    if (typeof n !== 'number' || !isInt(scale)) return null;
    return fromDec(new D(n).toDecimalPlaces(scale, mode));
  };
}

const STATIC_BUILTINS: Record<string, FeelFn> = {
  sum: fn((...args: unknown[]) => {
    const l = numbers(args);
    return l && l.length ? fromDec(l.reduce((s, d) => s.plus(d))) : null;
  }, ['...list']),
  mean: fn((...args: unknown[]) => {
    const l = numbers(args);
    return l && l.length ? fromDec(l.reduce((s, d) => s.plus(d)).div(l.length)) : null;
  }, ['...list']),
  product: fn((...args: unknown[]) => {
    const l = numbers(args);
    return l && l.length ? fromDec(l.reduce((s, d) => s.times(d))) : null;
  }, ['...list']),
  decimal: fn(rounding(Decimal.ROUND_HALF_EVEN), ['n', 'scale']),
  floor: fn(scaled(Decimal.ROUND_FLOOR), ['n', 'scale']),
  ceiling: fn(scaled(Decimal.ROUND_CEIL), ['n', 'scale']),
  'round up': fn(rounding(Decimal.ROUND_UP), ['n', 'scale']),
  'round down': fn(rounding(Decimal.ROUND_DOWN), ['n', 'scale']),
  'round half up': fn(rounding(Decimal.ROUND_HALF_UP), ['n', 'scale']),
  'round half down': fn(rounding(Decimal.ROUND_HALF_DOWN), ['n', 'scale']),
  modulo: fn((dividend: unknown, divisor: unknown) => {
    if (typeof dividend !== 'number' || typeof divisor !== 'number' || divisor === 0) return null;
    const a = new D(dividend);
    const b = new D(divisor);
    return fromDec(a.minus(b.times(a.div(b).floor())));
  }, ['dividend', 'divisor']),
  // Camunda extensions (FEEL-scala) that feelin lacks
  'is defined': fn((value: unknown) => value !== null && value !== undefined, ['value']),
  'get or else': fn((value: unknown, dflt: unknown) => (value === null || value === undefined ? (dflt ?? null) : value), ['value', 'default']),
  assert: fn((value: unknown, condition: unknown, cause?: unknown) => {
    if (condition === true) return value;
    throw new AssertionFailure(typeof cause === 'string' ? cause : 'The condition is not fulfilled');
  }, ['value', 'condition', 'cause']),
  'is empty': fn((list: unknown) => (Array.isArray(list) ? list.length === 0 : null), ['list']),
  'is blank': fn((s: unknown) => (typeof s === 'string' ? s.trim() === '' : null), ['string']),
  trim: fn((s: unknown) => (typeof s === 'string' ? s.trim() : null), ['string']),
  partition: fn((list: unknown, size: unknown) => {
    if (!Array.isArray(list) || !isInt(size) || size <= 0) return null;
    const out: unknown[][] = [];
    for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
    return out;
  }, ['list', 'size']),
};

function clockBuiltins(now: () => number): Record<string, FeelFn> {
  return {
    now: fn(() => toFeel(new Date(now())), []),
    today: fn(() => feelDate(new Date(now()).toISOString().slice(0, 10)), []),
  };
}

const SYSTEM_CLOCK = clockBuiltins(() => Date.now());

// ------------------------------------------------------------------------------ compilation

type Fast =
  | { kind: 'const'; value: unknown }
  | { kind: 'path'; names: string[] };

interface Compiled {
  source: string;
  error?: string;
  /** The text feelin evaluates (the source with arithmetic fused into decimal calls). */
  rewritten: string;
  fused: Fused[];
  /** Backtick names replaced by identifiers (see source.ts). */
  backticks: Map<string, string>;
  /** The built-ins the text names (see usedBuiltins). */
  builtins?: Record<string, unknown>;
  /** An expression reads '?' (outside the tests of an `in`): it needs an input value. */
  usesInput?: boolean;
  arith?: FeelFn;
  cmp?: FeelFn;
  fast?: Fast;
}

class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, value: V): void {
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value as string);
    this.map.set(key, value);
  }
}

const expressionCache = new Lru<Compiled>(5000);
const unaryCache = new Lru<Compiled>(5000);

function fastPath(tree: Tree, src: string, backticks: Map<string, string>): Fast | undefined {
  const top = tree.topNode.firstChild;
  if (!top || top.nextSibling) return undefined;
  const text = (n: Node) => src.slice(n.from, n.to);
  switch (top.name) {
    case 'StringLiteral':
    case 'NumericLiteral':
    case 'BooleanLiteral':
    case 'null':
      return { kind: 'const', value: evaluate(src).value };
  }
  const names: string[] = [];
  const walk = (n: Node): boolean => {
    if (n.name === 'VariableName' || n.name === 'PathName') {
      const ids = children(n);
      if (ids.length !== 1 || ids[0].name !== 'Identifier') return false;
      names.push(backticks.get(text(ids[0])) ?? text(ids[0]));
      return true;
    }
    if (n.name === 'PathExpression') {
      const parts = children(n);
      return parts.length === 3 && walk(parts[0]) && walk(parts[2]);
    }
    return false;
  };
  if (!walk(top)) return undefined;
  // builtins and the clock are functions: leave them to feelin
  if (names[0] in STATIC_BUILTINS || names[0] === 'now' || names[0] === 'today') return undefined;
  return { kind: 'path', names };
}

/** FEEL-scala refuses null, true and false as names (`{null: 1}.null`); lezer-feel reads them as names. */
function keywordAsName(tree: Tree, src: string): string | undefined {
  let found: string | undefined;
  tree.iterate({
    enter(node) {
      if (found) return false;
      if (node.name === 'Identifier' && ['null', 'true', 'false'].includes(src.slice(node.from, node.to))) {
        found = `'${src.slice(node.from, node.to)}' at position ${node.from + 1} is a keyword, not a name`;
      }
      return undefined;
    },
  });
  return found;
}

function compile(source: string, unary: boolean): Compiled {
  const cache = unary ? unaryCache : expressionCache;
  const hit = cache.get(source);
  if (hit) return hit;
  const { text, backticks } = prepareSource(source);
  const tree = unary ? parseUnaryTests(text, PARSE_CONTEXT, undefined) : parseExpression(text, PARSE_CONTEXT, undefined);
  const compiled: Compiled = { source, rewritten: text, fused: [], backticks };
  const error = source.trim() ? firstError(tree) : { from: 0, to: 0 };
  const keyword = error ? undefined : keywordAsName(tree, text);
  if (error) {
    compiled.error = source.trim() ? syntaxMessage(text, error) : 'the expression is empty';
  } else if (keyword) {
    compiled.error = keyword;
  } else {
    if (!unary) {
      compiled.fast = fastPath(tree, text, backticks);
      compiled.usesInput = readsInput(tree.topNode);
    }
    if (hasArithmetic(tree)) {
      const rewriter = new Rewriter(text, backticks);
      compiled.rewritten = rewriter.emit(tree.topNode);
      compiled.fused = rewriter.fused;
      const { arith, cmp } = fusedFunctions(rewriter.fused);
      compiled.arith = arith as FeelFn;
      compiled.cmp = cmp as FeelFn;
    }
  }
  cache.set(source, compiled);
  return compiled;
}

// ---------------------------------------------------------------------------------- public

/** Syntax check only. */
export function parseFeel(expression: string): { ok: true } | { ok: false; message: string } {
  const c = compile(expression, false);
  return c.error ? { ok: false, message: c.error } : { ok: true };
}

/** Syntax check of unary tests (a DMN input entry). */
export function parseFeelUnaryTests(tests: string): { ok: true } | { ok: false; message: string } {
  if (isAnyTest(tests)) return { ok: true };
  const c = compile(tests, true);
  return c.error ? { ok: false, message: c.error } : { ok: true };
}

const ALL_BUILTINS: Record<string, FeelFn | FeelFunction> = { ...STATIC_BUILTINS, ...SCALA_BUILTINS, ...REWRITE_HELPERS };

/**
 * Built-ins whose name is also a word of other names (`date and time`, `days and time duration`):
 * feelin's parser reads the names of its context as names, so these are in the context only when
 * the text calls them.
 */
const CALLED_ONLY: Record<string, RegExp> = {
  date: /(?<![\w.])date\s*\(/,
  time: /(?<!\band\s+|[\w.])time\s*\(/,
  is: /(?<![\w.])is\s*\(/,
};

/**
 * The built-ins an expression names. feelin parses the text again at every evaluation and reads
 * every name of its context while it does; a context of only the built-ins the text mentions
 * halves the time of a small expression.
 */
function usedBuiltins(compiled: Compiled): Record<string, unknown> {
  if (!compiled.builtins) {
    const text = compiled.rewritten.replace(/\s+/g, ' ');
    compiled.builtins = Object.fromEntries(Object.entries(ALL_BUILTINS).filter(([name]) => (CALLED_ONLY[name] ? CALLED_ONLY[name].test(text) : text.includes(name))));
  }
  return compiled.builtins;
}

function evalContext(compiled: Compiled, context: Variables, options?: FeelOptions): Record<string, unknown> {
  const ctx: Record<string, unknown> = Object.assign({}, usedBuiltins(compiled), options?.now ? clockBuiltins(options.now) : SYSTEM_CLOCK, context);
  if (compiled.arith) {
    ctx[ARITH_FN] = compiled.arith;
    ctx[CMP_FN] = compiled.cmp;
  }
  for (const [id, name] of compiled.backticks) {
    if (Object.prototype.hasOwnProperty.call(context, name)) ctx[id] = context[name];
  }
  return ctx;
}

function missingFrom(warnings: { type: string; message: string }[]): string[] {
  const names: string[] = [];
  for (const w of warnings) {
    if (w.type !== 'NO_VARIABLE_FOUND') continue;
    const name = /'(.*)'/.exec(w.message)?.[1];
    if (name && !names.includes(name)) names.push(name);
  }
  return names;
}

function failure(expression: string, err: unknown): FeelError {
  if (err instanceof FeelError) return err;
  if (err instanceof AssertionFailure) {
    return new FeelError(expression, `Assertion failure on evaluate the expression '${expression}': ${err.message}`);
  }
  return new FeelError(expression, `failed to evaluate expression '${expression}': ${(err as Error)?.message ?? String(err)}`);
}

function lookupPath(names: string[], context: Variables): FeelResult {
  if (!Object.prototype.hasOwnProperty.call(context, names[0]) || context[names[0]] === undefined) {
    return { value: null, missingVariables: [names[0]] };
  }
  let value: unknown = context[names[0]];
  for (let i = 1; i < names.length; i++) {
    const key = names[i];
    const step = (v: unknown): unknown =>
      v !== null && typeof v === 'object' && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, key) ? ((v as Record<string, unknown>)[key] ?? null) : null;
    value = Array.isArray(value) ? value.map(step) : step(value);
  }
  return { value: value ?? null, missingVariables: [] };
}

/**
 * Evaluates a FEEL expression the way Zeebe does. Returns null (with the names in
 * `missingVariables`) where FEEL-scala returns null for a missing variable; throws FeelError
 * for a syntax error or a failed assert(). The value is JSON, as Zeebe stores variables.
 */
export function evaluateFeel(expression: string, context: Variables, options?: FeelOptions): FeelResult {
  const result = evaluateFeelValue(expression, context, options);
  return { value: toJson(result.value), missingVariables: result.missingVariables };
}

/**
 * As evaluateFeel, but the value stays a FEEL value: dates, times and durations keep their
 * type (FeelDate, FeelTime, FeelDateTime, FeelDuration), as DMN needs between an input
 * expression and its input entries. Variables may hold such typed values too.
 */
export function evaluateFeelValue(expression: string, context: Variables, options?: FeelOptions): FeelResult {
  return compileFeelValue(expression)(context, options);
}

function isAnyTest(tests: string): boolean {
  const t = tests.trim();
  return t === '' || t === '-';
}

/**
 * Evaluates DMN unary tests (an input entry) against an input value; '-' and empty match
 * anything. Returns true only for a match (null and false are no match, as in Zeebe).
 */
export function evaluateUnaryTests(tests: string, inputValue: unknown, context: Variables = {}, options?: FeelOptions): boolean {
  let test = unaryPredicates.get(tests);
  if (!test) {
    test = compileUnaryTests(tests);
    unaryPredicates.set(tests, test);
  }
  return test(inputValue, context, options);
}

const unaryPredicates = new Lru<(inputValue: unknown, context: Variables, options?: FeelOptions) => boolean>(5000);

// ------------------------------------------------------------------ compiled, for DMN tables

/** A compiled expression: parse once, evaluate many times. Throws FeelError on a syntax error. */
export function compileFeel(expression: string): (context: Variables, options?: FeelOptions) => FeelResult {
  const evaluator = compileFeelValue(expression);
  return (context, options) => {
    const result = evaluator(context, options);
    return { value: toJson(result.value), missingVariables: result.missingVariables };
  };
}

/** As compileFeel, but the evaluator's value stays a FEEL value (see evaluateFeelValue). */
export function compileFeelValue(expression: string): (context: Variables, options?: FeelOptions) => FeelResult {
  const compiled = compile(expression, false);
  if (compiled.error) throw new FeelError(expression, `failed to parse expression '${expression}': ${compiled.error}`);
  const fast = compiled.fast;
  if (fast?.kind === 'const') {
    const value = fast.value;
    return () => ({ value, missingVariables: [] });
  }
  if (fast?.kind === 'path') {
    const names = fast.names;
    return (context) => lookupPath(names, context);
  }
  return (context, options) => {
    if (compiled.usesInput && !Object.prototype.hasOwnProperty.call(context, '?')) {
      throw new FeelError(expression, `failed to evaluate expression '${expression}': No input value available. '?' can only be used inside an unary-test expression.`);
    }
    let result: { value: unknown; warnings: { type: string; message: string }[] };
    try {
      result = evaluate(compiled.rewritten, evalContext(compiled, context, options));
    } catch (err) {
      throw failure(expression, err);
    }
    return { value: result.value ?? null, missingVariables: missingFrom(result.warnings) };
  };
}

type Test = (input: unknown) => boolean;

/** Literal cells ("Misc", 12, true, < 250, [250..1000]) as plain predicates, skipping feelin. */
function fastUnaryTests(source: string): Test | undefined {
  const tree = parseUnaryTests(source, PARSE_CONTEXT, undefined);
  const top = tree.topNode.firstChild;
  if (!top || top.name !== 'PositiveUnaryTests' || top.nextSibling) return undefined;
  const text = (n: Node) => source.slice(n.from, n.to);
  const literal = (n: Node): { ok: boolean; value?: unknown } => {
    switch (n.name) {
      case 'StringLiteral':
      case 'BooleanLiteral':
      case 'null':
        return { ok: true, value: evaluate(text(n)).value };
      case 'NumericLiteral':
        return { ok: true, value: Number(text(n).replace(/\s+/g, '')) };
    }
    return { ok: false };
  };
  const tests: Test[] = [];
  for (const put of children(top)) {
    const parts = children(put);
    if (put.name !== 'PositiveUnaryTest' || parts.length !== 1) return undefined;
    const node = parts[0];
    const lit = literal(node);
    if (lit.ok) {
      const v = lit.value;
      tests.push(v === null ? (input) => input === null || input === undefined : (input) => input === v);
      continue;
    }
    if (node.name !== 'SimplePositiveUnaryTest') return undefined;
    const inner = children(node);
    if (inner.length === 2 && inner[0].name === 'CompareOp' && inner[1].name === 'NumericLiteral') {
      const n = Number(text(inner[1]).replace(/\s+/g, ''));
      switch (text(inner[0])) {
        case '<':
          tests.push((input) => typeof input === 'number' && input < n);
          continue;
        case '<=':
          tests.push((input) => typeof input === 'number' && input <= n);
          continue;
        case '>':
          tests.push((input) => typeof input === 'number' && input > n);
          continue;
        case '>=':
          tests.push((input) => typeof input === 'number' && input >= n);
          continue;
        case '=':
          tests.push((input) => input === n);
          continue;
      }
      return undefined;
    }
    if (inner.length === 1 && inner[0].name === 'Interval') {
      const iv = children(inner[0]);
      if (iv.length !== 5 || iv[1].name !== 'NumericLiteral' || iv[3].name !== 'NumericLiteral') return undefined;
      const lo = Number(text(iv[1]).replace(/\s+/g, ''));
      const hi = Number(text(iv[3]).replace(/\s+/g, ''));
      const loIn = text(iv[0]) === '[';
      const hiIn = text(iv[4]) === ']';
      tests.push((input) => typeof input === 'number' && (loIn ? input >= lo : input > lo) && (hiIn ? input <= hi : input < hi));
      continue;
    }
    return undefined;
  }
  return tests.length === 1 ? tests[0] : (input) => tests.some((t) => t(input));
}

/**
 * Compiled DMN unary tests (an input entry); '-' and empty match anything. Throws FeelError on
 * a syntax error. The predicate is true only for a match (null is no match, as in Zeebe).
 */
export function compileUnaryTests(tests: string): (inputValue: unknown, context: Variables, options?: FeelOptions) => boolean {
  const test = compileUnaryTestsValue(tests);
  // literal cells answer the same true without the general path (null and false are both no match)
  const fast = isAnyTest(tests) ? undefined : fastUnaryTests(tests);
  if (fast) return (input) => fast(input);
  return (input, context, options) => test(input, context, options) === true;
}

type UnaryEval = (input: unknown, context: Variables, options?: FeelOptions) => boolean | null;

/** FEEL-scala's three-valued "at least one": true if any is true, else null if any is null. */
function anyOf(results: (boolean | null)[]): boolean | null {
  if (results.includes(true)) return true;
  return results.includes(null) ? null : false;
}

function usesInput(node: Node): boolean {
  let found = false;
  const walk = (n: Node) => {
    if (found) return;
    if (n.name === '?') found = true;
    for (const c of children(n)) walk(c);
  };
  walk(node);
  return found;
}

/** One positive unary test with FEEL-scala's semantics (InputLessThan, InputInRange, UnaryTestExpression). */
function positiveUnaryTest(node: Node, src: string): UnaryEval {
  const text = (n: Node) => src.slice(n.from, n.to);
  const expr = (n: Node) => compileFeelValue(text(n));
  const inner = node.firstChild;
  if (inner && inner.name === 'SimplePositiveUnaryTest') {
    const parts = children(inner);
    if (parts.length === 2 && parts[0].name === 'CompareOp') {
      const op = text(parts[0]);
      const endpoint = expr(parts[1]);
      return (input, context, options) => feelCompare(op, input, endpoint({ ...context, '?': input }, options).value);
    }
    if (parts.length === 1 && parts[0].name === 'Interval') {
      const iv = children(parts[0]);
      const startIncluded = text(iv[0]) === '[';
      const endIncluded = text(iv[iv.length - 1]) === ']';
      const start = expr(iv[1]);
      const end = expr(iv[3]);
      return (input, context, options) => {
        const scope = { ...context, '?': input };
        const lo = feelCompare(startIncluded ? '>=' : '>', input, start(scope, options).value);
        const hi = feelCompare(endIncluded ? '<=' : '<', input, end(scope, options).value);
        return lo === null || hi === null ? null : lo && hi;
      };
    }
  }
  const evaluator = compileFeelValue(text(node));
  if (inner && ['BooleanLiteral', 'NumericLiteral', 'StringLiteral', 'null'].includes(inner.name)) {
    // a literal is a test of equality with the input (FEEL-scala's InputEqualTo): `true` does not match false
    return (input, context, options) => feelEquals(input, evaluator(context, options).value);
  }
  if (usesInput(node)) {
    // an expression of '?' must itself be the answer: a boolean, or null
    return (input, context, options) => {
      const v = evaluator({ ...context, '?': input }, options).value;
      return typeof v === 'boolean' ? v : null;
    };
  }
  return (input, context, options) => {
    const v = evaluator(context, options).value;
    if (v === true) return true;
    if (Array.isArray(v) && v.some((item) => feelEquals(item, input) === true)) return true;
    const eq = feelEquals(input, v);
    if (eq === true) return true;
    if (v === false || Array.isArray(v)) return false;
    return eq;
  };
}

/**
 * As compileUnaryTests, but the predicate gives FEEL-scala's three-valued answer: null where
 * the input cannot be compared with the tests (a string against a number, say).
 */
export function compileUnaryTestsValue(tests: string): UnaryEval {
  if (isAnyTest(tests)) return () => true;
  const compiled = compile(tests, true);
  if (compiled.error) throw new FeelError(tests, `failed to parse unary tests '${tests}': ${compiled.error}`);
  const src = prepareSource(tests).text;
  const top = parseUnaryTests(src, PARSE_CONTEXT, undefined).topNode;
  const parts = children(top);
  const negated = parts[0]?.name === 'not';
  const positive = parts.find((p) => p.name === 'PositiveUnaryTests');
  if (!positive) {
    // a form this reading does not know: feelin's own unary-test semantics
    return (input, context, options) => {
      const ctx = evalContext(compiled, context, options);
      ctx['?'] = input === undefined ? null : input;
      try {
        const value = unaryTest(compiled.rewritten, ctx).value;
        return typeof value === 'boolean' ? value : null;
      } catch (err) {
        throw failure(tests, err);
      }
    };
  }
  let evals: UnaryEval[];
  try {
    evals = children(positive)
      .filter((p) => p.name === 'PositiveUnaryTest')
      .map((p) => positiveUnaryTest(p, src));
  } catch (err) {
    throw new FeelError(tests, `failed to parse unary tests '${tests}': ${(err as Error).message}`);
  }
  return (input, context, options) => {
    const value = input === undefined ? null : input;
    let result: boolean | null;
    try {
      result = anyOf(evals.map((e) => e(value, context, options)));
    } catch (err) {
      throw failure(tests, err);
    }
    return negated ? (result === null ? null : !result) : result;
  };
}

/** evaluateUnaryTests with FEEL-scala's three-valued answer (see compileUnaryTestsValue). */
export function evaluateUnaryTestsValue(tests: string, inputValue: unknown, context: Variables = {}, options?: FeelOptions): boolean | null {
  return compileUnaryTestsValue(tests)(inputValue, context, options);
}
