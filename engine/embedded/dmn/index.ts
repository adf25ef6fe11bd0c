/**
 * DMN for the embedded engine: the decision requirements graphs Zeebe evaluates (DMN 1.1 to
 * 1.5 XML) with every boxed expression DMN-Scala evaluates: decision tables of every hit policy,
 * literal expressions, contexts, lists, relations, invocations, function definitions, business
 * knowledge models and decision services (plus DMN 1.4's conditional, filter, for, every and
 * some). Each expression is compiled once at parse time; evaluation only runs the compiled parts.
 *
 * DMN-Scala semantics kept here (see its DecisionTableEvaluator and DecisionEvaluator):
 * - a required decision's output is visible under its variable name (the decision id when it
 *   has no variable) and, for Herald's older models, under its id too;
 * - a table with one output gives the value, with several a context keyed by output name; when
 *   no rule matches, the default output entries or null, for every hit policy (COLLECT too);
 * - UNIQUE with several matches and ANY with disagreeing matches fail;
 * - values stay FEEL values between expressions and decisions (a date stays a date), and only
 *   the result handed to the process is turned into JSON;
 * - a decision whose logic cannot be evaluated does not make the graph undeployable: the rest
 *   deploys, and evaluating that decision fails naming it (DMN-Scala's lazy parsing does the
 *   same; FEEL that does not parse still refuses the graph, as in Zeebe, unless `lazy` is set);
 * - names with spaces and dashes are FEEL names (`Full Name`, `Pre-bureauRiskCategory`).
 */
import { Decimal } from 'decimal.js';
import { evaluate as feelinEvaluate, FeelFunction } from 'feelin';
import type { Variables } from '../../types.js';
import { compileFeelValue, compileUnaryTestsValue, evaluateFeel, toJson, type FeelOptions } from '../feel/index.js';
import { parseXml, XmlError, type XmlElement } from './xml.js';
import { feelNames, type FeelNames } from './names.js';
import { dmnTypes, type DmnTypes } from './types.js';
import { scalaList, scalaMap, scalaVal } from './scala-text.js';

/** FEEL-scala's BigDecimal context (DECIMAL128) for COLLECT SUM/MIN/MAX. */
const D = Decimal.clone({ precision: 34, rounding: Decimal.ROUND_HALF_EVEN });

export class DmnError extends Error {
  constructor(
    message: string,
    /** The DMN element the message is about (decision, rule, entry). */
    readonly elementId?: string,
    /** The decision being parsed or evaluated. */
    readonly decisionId?: string,
  ) {
    super(message);
    this.name = 'DmnError';
  }
}

export type HitPolicy = 'UNIQUE' | 'FIRST' | 'PRIORITY' | 'ANY' | 'COLLECT' | 'RULE ORDER' | 'OUTPUT ORDER';
export type Aggregation = 'SUM' | 'MIN' | 'MAX' | 'COUNT';

export interface DecisionTableInput {
  id: string;
  label?: string;
  expression: string;
}

export interface DecisionTableOutput {
  id: string;
  name?: string;
  label?: string;
  typeRef?: string;
  /** outputValues as a list, the order PRIORITY and OUTPUT ORDER use. */
  outputValues?: unknown[];
  defaultOutputEntry?: string;
}

export interface DecisionRule {
  id: string;
  /** 1-based row. */
  row: number;
  inputEntries: string[];
  outputEntries: string[];
}

/** The boxed expression kinds a decision's logic may be (DMN 1.5 names). */
export type BoxedKind = 'context' | 'invocation' | 'list' | 'relation' | 'functionDefinition' | 'conditional' | 'filter' | 'for' | 'every' | 'some';

export interface Decision {
  id: string;
  name: string;
  /** The name its output is visible under in the decisions requiring it. */
  variableName: string;
  /** Ids of the decisions this one requires (informationRequirement/requiredDecision). */
  requiredDecisions: string[];
  /** zeebe:versionTag (extensionElements), which a business rule task with bindingType versionTag names. */
  versionTag?: string;
  logic:
    | { type: 'decisionTable'; id: string; hitPolicy: HitPolicy; aggregation?: Aggregation; inputs: DecisionTableInput[]; outputs: DecisionTableOutput[]; rules: DecisionRule[] }
    | { type: 'literalExpression'; id: string; expression: string; variableName?: string }
    | { type: BoxedKind; id: string }
    /** Logic the engine cannot evaluate: the decision deploys, evaluating it fails with `reason`. */
    | { type: 'unsupported'; id: string; reason: string };
}

export interface DecisionRequirements {
  id: string;
  name: string;
  namespace?: string;
  resourceName?: string;
  decisions: Decision[];
}

export interface EvaluatedDecision {
  decisionId: string;
  decisionName: string;
  decisionType: 'DECISION_TABLE' | 'LITERAL_EXPRESSION' | 'CONTEXT' | 'INVOCATION' | 'LIST' | 'RELATION' | 'UNKNOWN';
  output: unknown;
  /** Ids of the rules that matched (decision tables). */
  matchedRules: string[];
}

export interface DecisionResult {
  output: unknown;
  /** Required decisions first, the requested decision last. */
  evaluatedDecisions: EvaluatedDecision[];
}

export interface ParseOptions {
  /**
   * Record FEEL that does not parse on its decision instead of refusing the graph (DMN-Scala's
   * `lazyEvaluation`, which the TCK runs with). Zeebe refuses such a graph, so deploy does not set it.
   */
  lazy?: boolean;
  /** Other models this one imports (`<import namespace=…>`), already parsed. */
  imports?: DecisionRequirements[];
}

export interface EvaluateOptions extends FeelOptions {
  /** Give FEEL values (dates, durations, functions) instead of the JSON Zeebe stores. */
  raw?: boolean;
  /** Values that replace decisions' logic (by decision id), as a decision service's input decisions. */
  overrides?: Map<string, unknown>;
  /** Input data of imported models, by the model's namespace (the TCK's `inputNode namespace=`). */
  importedInputs?: Map<string, Variables>;
}

// ------------------------------------------------------------------------------- compiling

type Scope = Record<string, unknown>;
type Ev = (scope: Scope, env: Env) => unknown;

interface Env {
  options: EvaluateOptions | undefined;
  /** The decision being evaluated, for messages. */
  decisionId: string;
  /** Rules matched by the decision's table, for the audit (evaluatedDecisions). */
  matchedRules: string[];
}

/** Thrown by compiled expressions; the decision wraps it into its DmnError. */
class EvalFailure extends Error {
  constructor(
    message: string,
    readonly elementId?: string,
  ) {
    super(message);
  }
}

/** Thrown at parse time for logic the engine cannot evaluate (the decision stays deployable). */
class Unsupported extends Error {
  constructor(
    message: string,
    readonly elementId?: string,
  ) {
    super(message);
  }
}

interface CompiledDecision {
  /** Decisions of imported models this one requires (`href="<namespace>#<id>"`). */
  importedRequirements?: { namespace: string; id: string }[];
  decision: Decision;
  /** Absent when the logic is unsupported (decision.logic says why). */
  logic?: Ev;
  /** The variable's typeRef, checked on the result as DMN-Scala's TypeChecker does. */
  typeRef?: string;
  requiredDecisions: string[];
}

interface CompiledBkm {
  id: string;
  name: string;
  params: string[];
  paramTypes?: (string | undefined)[];
  resultType?: string;
  body?: Ev;
  reason?: string;
}

interface CompiledService {
  id: string;
  name: string;
  outputDecisions: string[];
  inputDecisions: string[];
  inputData: string[];
  /** The service variable's typeRef, which its result is coerced to. */
  typeRef?: string;
}

interface CompiledModel {
  decisions: Map<string, CompiledDecision>;
  bkms: CompiledBkm[];
  services: CompiledService[];
  inputData: Map<string, { id: string; name: string; typeRef?: string }>;
  names: FeelNames;
  types: DmnTypes;
  /** name -> prefix for imported models, with their compiled parts. */
  imports: { prefix: string; model: CompiledModel; drg: DecisionRequirements }[];
}

const compiledDrgs = new WeakMap<DecisionRequirements, CompiledModel>();

const HIT_POLICIES: Record<string, HitPolicy> = {
  UNIQUE: 'UNIQUE',
  FIRST: 'FIRST',
  PRIORITY: 'PRIORITY',
  ANY: 'ANY',
  COLLECT: 'COLLECT',
  'RULE ORDER': 'RULE ORDER',
  RULE_ORDER: 'RULE ORDER',
  'OUTPUT ORDER': 'OUTPUT ORDER',
  OUTPUT_ORDER: 'OUTPUT ORDER',
};
const AGGREGATIONS = new Set(['SUM', 'MIN', 'MAX', 'COUNT']);
const BOXED = new Set(['literalExpression', 'decisionTable', 'context', 'invocation', 'list', 'relation', 'functionDefinition', 'conditional', 'filter', 'for', 'every', 'some']);

function isDmnNamespace(ns: string): boolean {
  return /^https?:\/\/www\.omg\.org\/spec\/DMN\//.test(ns);
}

function kids(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name && isDmnNamespace(c.ns));
}

function kid(el: XmlElement, name: string): XmlElement | undefined {
  return kids(el, name)[0];
}

function textOf(el: XmlElement | undefined): string {
  const t = el ? kid(el, 'text') : undefined;
  return t ? t.text.trim() : '';
}

function where(el: XmlElement): string {
  return el.attrs.id ? `'${el.attrs.id}'` : `<${el.name}> at line ${el.line}`;
}

function hrefId(href: string | undefined): string {
  const h = href ?? '';
  return h.includes('#') ? h.slice(h.indexOf('#') + 1) : h;
}

/** The boxed expression held by a container element (contextEntry, binding, body, if, ...). */
function expressionIn(el: XmlElement): XmlElement | undefined {
  return el.children.find((c) => isDmnNamespace(c.ns) && BOXED.has(c.name));
}

/** feelin's undefined, NaN and infinities (invalid arithmetic such as date * date) are FEEL-scala's null. */
function unwrapFeel(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

/** Calls a FEEL function value (a FeelFunction or a builtin with $args) with named or positional arguments. */
function callFunction(fnValue: unknown, args: Record<string, unknown> | unknown[], what: string): unknown {
  if (fnValue instanceof FeelFunction) return unwrapFeel(fnValue.invoke(args as never));
  if (typeof fnValue === 'function') {
    const params: string[] = (fnValue as { $args?: string[] }).$args ?? [];
    const list = Array.isArray(args) ? args : params.map((p) => (args as Record<string, unknown>)[p.replace(/^\.\.\./, '')] ?? null);
    return unwrapFeel((fnValue as (...a: unknown[]) => unknown)(...list));
  }
  throw new EvalFailure(`${what} is not a function but '${describe(fnValue)}'`);
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(toJson(value));
  } catch {
    return String(value);
  }
}

/** A plain path expression (`a.b.c`, names may hold spaces). */
const PATH = /^[\p{L}_][\p{L}\p{N}_ ]*(\.[\p{L}_][\p{L}\p{N}_ ]*)+$/u;

class ModelCompiler {
  constructor(
    private readonly names: FeelNames,
    private readonly lazy: boolean,
    readonly types: DmnTypes,
  ) {}

  /** A value bound to a typed variable (DMN coercion); a value that does not conform fails the evaluation. */
  coerce(value: unknown, typeRef: string | undefined, what: string, elementId?: string): unknown {
    try {
      return this.types.coerce(value, typeRef);
    } catch (err) {
      throw new EvalFailure(`${what}: ${(err as Error).message}`, elementId);
    }
  }

  /** FEEL text as an evaluator; a syntax error fails the decision (or, lazy, its evaluation). */
  feel(text: string, what: string, elementId: string | undefined): Ev {
    const source = this.names.escape(text);
    let compiled: ReturnType<typeof compileFeelValue>;
    try {
      compiled = compileFeelValue(source);
    } catch (err) {
      const message = `${what} has invalid FEEL '${text}': ${(err as Error).message}`;
      if (this.lazy) throw new Unsupported(message, elementId);
      throw new DmnError(message, elementId);
    }
    // a path into a date, time or duration (`Date.fromString.day`, TCK 0007) is a property feelin's
    // interpreter reads; the FEEL module's quick path lookup only reads context entries
    const path = PATH.test(source);
    return (scope, env) => {
      try {
        const bound = this.names.bind(scope);
        const value = unwrapFeel(compiled(bound, env.options).value);
        if (value === null && path) return unwrapFeel(feelinEvaluate(source, bound).value);
        return value;
      } catch (err) {
        // DMN-Scala hands FEEL-scala's failure on as it is ("failed to evaluate expression '…': …")
        throw new EvalFailure(this.names.unescape((err as Error).message), elementId);
      }
    };
  }

  unary(text: string, what: string, elementId: string | undefined): (input: unknown, scope: Scope, env: Env) => boolean {
    const source = this.names.escape(text);
    let compiled: ReturnType<typeof compileUnaryTestsValue>;
    try {
      compiled = compileUnaryTestsValue(source);
    } catch (err) {
      const message = `${what} has invalid FEEL '${text}': ${(err as Error).message}`;
      if (this.lazy) throw new Unsupported(message, elementId);
      throw new DmnError(message, elementId);
    }
    return (input, scope, env) => {
      try {
        return compiled(input, this.names.bind(scope), env.options) === true;
      } catch (err) {
        // DMN-Scala hands FEEL-scala's failure on as it is ("failed to evaluate expression '…': …")
        throw new EvalFailure(this.names.unescape((err as Error).message), elementId);
      }
    };
  }

  /** Any boxed expression element; its own typeRef (DMN 1.2+) coerces its value. */
  boxed(el: XmlElement | undefined, what: string): Ev {
    if (!el) return () => null;
    const ev = this.boxedUntyped(el, what);
    const typeRef = el.attrs.typeRef;
    if (!typeRef || el.name === 'decisionTable') return ev;
    return (scope, env) => this.coerce(ev(scope, env), typeRef, what, el.attrs.id);
  }

  private boxedUntyped(el: XmlElement, what: string): Ev {
    const id = el.attrs.id;
    switch (el.name) {
      case 'literalExpression': {
        const language = el.attrs.expressionLanguage;
        if (language && !/feel/i.test(language)) throw new Unsupported(`Expression language '${language}' is not supported`, id);
        const text = textOf(el);
        // an empty literal expression is null in DMN (the TCK's "no decision logic")
        if (!text) return () => null;
        return this.feel(text, `${what} '${text}'`, id);
      }
      case 'decisionTable':
        return this.table(el);
      case 'context':
        return this.context(el, what);
      case 'list': {
        const items = el.children.filter((c) => isDmnNamespace(c.ns) && BOXED.has(c.name)).map((c, i) => this.boxed(c, `item ${i + 1} of the list ${where(el)}`));
        return (scope, env) => items.map((item) => item(scope, env));
      }
      case 'relation': {
        const columns = kids(el, 'column').map((c) => c.attrs.name ?? '');
        const rows = kids(el, 'row').map((row, r) => {
          const cells = row.children.filter((c) => isDmnNamespace(c.ns) && BOXED.has(c.name)).map((c, i) => this.boxed(c, `cell ${i + 1} of row ${r + 1} of the relation ${where(el)}`));
          return cells;
        });
        return (scope, env) =>
          rows.map((cells) => {
            const row: Record<string, unknown> = {};
            columns.forEach((name, i) => (row[name] = cells[i] ? cells[i](scope, env) : null));
            return row;
          });
      }
      case 'functionDefinition':
        return this.functionDefinition(el);
      case 'invocation':
        return this.invocation(el, what);
      case 'conditional': {
        const cond = this.boxed(expressionIn(kid(el, 'if') ?? el), `the condition of ${where(el)}`);
        const then = this.boxed(kid(el, 'then') && expressionIn(kid(el, 'then')!), `the then branch of ${where(el)}`);
        const otherwise = this.boxed(kid(el, 'else') && expressionIn(kid(el, 'else')!), `the else branch of ${where(el)}`);
        // DMN 1.5 (TCK 1150): a condition that is not a boolean makes the conditional null
        return (scope, env) => {
          const c = cond(scope, env);
          if (c !== null && typeof c !== 'boolean') return null;
          return c === true ? then(scope, env) : otherwise(scope, env);
        };
      }
      case 'filter': {
        const input = this.boxed(kid(el, 'in') && expressionIn(kid(el, 'in')!), `the list of the filter ${where(el)}`);
        const match = this.boxed(kid(el, 'match') && expressionIn(kid(el, 'match')!), `the match of the filter ${where(el)}`);
        return (scope, env) => {
          const list = input(scope, env);
          if (!Array.isArray(list)) return null;
          const kept: unknown[] = [];
          for (const item of list) {
            const inner: Scope = { ...scope, item };
            if (item && typeof item === 'object' && !Array.isArray(item) && Object.getPrototypeOf(item) === Object.prototype) Object.assign(inner, item);
            const m = match(inner, env);
            // DMN 1.5 (TCK 1151): a match that is not a boolean makes the filter null
            if (m !== null && typeof m !== 'boolean') return null;
            if (m === true) kept.push(item);
          }
          return kept;
        };
      }
      case 'for':
      case 'every':
      case 'some': {
        const variable = el.attrs.iteratorVariable ?? 'item';
        const input = this.boxed(kid(el, 'in') && expressionIn(kid(el, 'in')!), `the list of ${where(el)}`);
        const bodyEl = el.name === 'for' ? kid(el, 'return') : kid(el, 'satisfies');
        const body = this.boxed(bodyEl && expressionIn(bodyEl), `the body of ${where(el)}`);
        const kind = el.name;
        return (scope, env) => {
          const list = input(scope, env);
          if (!Array.isArray(list)) return null;
          const results = list.map((item) => body({ ...scope, [variable]: item }, env));
          if (kind === 'for') return results;
          // DMN 1.5 (TCK 1153, 1154): a body that is not a boolean makes every / some null
          if (results.some((r) => r !== null && typeof r !== 'boolean')) return null;
          if (kind === 'every') return results.every((r) => r === true) ? true : results.some((r) => r === false) ? false : null;
          return results.some((r) => r === true) ? true : results.every((r) => r === false) ? false : null;
        };
      }
    }
    throw new Unsupported(`unsupported expression found '${el.name}'`, id);
  }

  private context(el: XmlElement, what: string): Ev {
    const entries = kids(el, 'contextEntry').map((entry, i) => {
      const variable = kid(entry, 'variable');
      const name = variable?.attrs.name;
      return { name, typeRef: variable?.attrs.typeRef, ev: this.boxed(expressionIn(entry), name ? `the context entry '${name}'` : `the result entry of the context in ${what}`), i };
    });
    return (scope, env) => {
      const result: Record<string, unknown> = {};
      let inner: Scope = scope;
      for (const entry of entries) {
        const value = this.coerce(entry.ev(inner, env), entry.typeRef, `the context entry '${entry.name ?? ''}'`);
        if (entry.name === undefined) return value;
        result[entry.name] = value;
        inner = { ...inner, [entry.name]: value };
      }
      return result;
    };
  }

  functionDefinition(el: XmlElement): Ev {
    const kind = el.attrs.kind ?? 'FEEL';
    if (kind !== 'FEEL' && kind !== 'F') throw new Unsupported(`a function definition of kind '${kind}' (${where(el)}) is not supported; only FEEL functions are`, el.attrs.id);
    const formal = kids(el, 'formalParameter');
    const params = formal.map((p) => p.attrs.name ?? '');
    const body = this.boxed(expressionIn(el), `the body of the function ${where(el)}`);
    return (scope, env) =>
      new FeelFunction((...args: unknown[]) => {
        const inner: Scope = { ...scope };
        params.forEach((p, i) => (inner[p] = this.coerce(args[i] === undefined ? null : args[i], formal[i].attrs.typeRef, `parameter '${p}'`)));
        return body(inner, env);
      }, params);
  }

  private invocation(el: XmlElement, what: string): Ev {
    const calleeText = textOf(kid(el, 'literalExpression'));
    const callee = calleeText ? this.feel(calleeText, `the function '${calleeText}' invoked in ${what}`, el.attrs.id) : () => null;
    const bindings = kids(el, 'binding').map((b) => {
      const name = kid(b, 'parameter')?.attrs.name ?? '';
      return { name, ev: this.boxed(expressionIn(b), `the binding of parameter '${name}'`) };
    });
    return (scope, env) => {
      const fnValue = callee(scope, env);
      const args: Record<string, unknown> = {};
      for (const b of bindings) args[b.name] = b.ev(scope, env);
      if (fnValue === null) throw new EvalFailure(`no BKM found with name '${calleeText}'`, el.attrs.id);
      if (fnValue instanceof FeelFunction) {
        // DMN-Scala's BusinessKnowledgeEvaluator: a binding must name one of the parameters
        const unknown = bindings.find((b) => !fnValue.parameterNames.includes(b.name));
        if (unknown) throw new EvalFailure(`no parameter found with name '${unknown.name}'`, el.attrs.id);
      }
      return callFunction(fnValue, args, `'${calleeText}'`);
    };
  }

  table(table: XmlElement): Ev {
    const tableId = table.attrs.id ?? '';
    const rawPolicy = (table.attrs.hitPolicy ?? 'UNIQUE').trim();
    const hitPolicy = HIT_POLICIES[rawPolicy];
    if (!hitPolicy) throw new DmnError(`unknown hit policy '${rawPolicy}' on decision table '${tableId}'`, tableId);
    const rawAggregation = table.attrs.aggregation?.trim();
    if (rawAggregation && !AGGREGATIONS.has(rawAggregation)) throw new DmnError(`unknown aggregation '${rawAggregation}' on decision table '${tableId}'`, tableId);
    const aggregation = rawAggregation as Aggregation | undefined;
    const parsed = this.tableParts(table);
    const { outputs, inputEvals, rules, defaults } = parsed;
    const single = outputs.length === 1;
    /** The matched rules' outputs as DMN-Scala prints them: `List(Map(name -> ValNumber(1)), ...)`. */
    const scalaRows = (rows: unknown[][]) => scalaList(rows.map((values) => scalaMap(outputs.map((o, i) => [o.name ?? 'null', values[i]]))));
    return (scope, env) => {
      const inputValues = inputEvals.map((ev) => ev(scope, env));
      const matched: typeof rules = [];
      for (const rule of rules) {
        let ok = true;
        for (let i = 0; i < rule.tests.length; i++) {
          if (!rule.tests[i](inputValues[i], { ...scope, '?': inputValues[i] }, env)) {
            ok = false;
            break;
          }
        }
        if (ok) {
          matched.push(rule);
          if (hitPolicy === 'FIRST') break;
        }
      }
      env.matchedRules = matched.map((r) => r.id);
      const valuesOf = (rule: (typeof rules)[number]) => rule.outputs.map((o) => (o ? o(scope, env) : null));
      const shape = (values: unknown[]) => (single ? values[0] : Object.fromEntries(outputs.map((o, i) => [o.name as string, values[i]])));
      if (!matched.length) {
        // DMN-Scala: the default output entries, else null, whatever the hit policy
        const present = defaults.map((d, i) => (d ? { name: outputs[i].name as string, value: d(scope, env) } : undefined)).filter((x) => x !== undefined);
        if (!present.length) return null;
        if (present.length === 1) return present[0].value;
        return Object.fromEntries(present.map((p) => [p.name, p.value]));
      }
      const results = matched.map((r) => {
        const values = valuesOf(r);
        return { rule: r, values, value: shape(values) };
      });
      switch (hitPolicy) {
        case 'UNIQUE':
          // DMN-Scala's text, its values as Scala prints them (users match on it); the element is the second rule
          if (results.length > 1) throw new EvalFailure(`multiple values aren't allowed for UNIQUE hit policy. found: '${scalaRows(results.map((r) => r.values))}'`, matched[1].id);
          return results[0].value;
        case 'FIRST':
          return results[0].value;
        case 'ANY': {
          const differing = results.find((r) => !feelEqual(r.value, results[0].value));
          if (differing) {
            const distinct = results.filter((r, i) => results.findIndex((o) => feelEqual(o.value, r.value)) === i);
            throw new EvalFailure(`different values aren't allowed for ANY hit policy. found: '${scalaRows(distinct.map((r) => r.values))}'`, differing.rule.id);
          }
          return results[0].value;
        }
        case 'PRIORITY':
        case 'OUTPUT ORDER': {
          const rank = (values: unknown[]) =>
            outputs.map((o, i) => {
              if (!o.outputValues) return 0;
              const at = o.outputValues.findIndex((v) => feelEqual(v, values[i]));
              return at < 0 ? Number.MAX_SAFE_INTEGER : at;
            });
          const ranked = results
            .map((x, index) => ({ ...x, index, key: rank(x.values) }))
            .sort((a, b) => {
              for (let i = 0; i < a.key.length; i++) if (a.key[i] !== b.key[i]) return a.key[i] - b.key[i];
              return a.index - b.index;
            });
          if (hitPolicy === 'PRIORITY') {
            env.matchedRules = [ranked[0].rule.id];
            return ranked[0].value;
          }
          env.matchedRules = ranked.map((x) => x.rule.id);
          return ranked.map((x) => x.value);
        }
        case 'RULE ORDER':
          return results.map((r) => r.value);
        case 'COLLECT': {
          const values = results.map((r) => r.value);
          if (!aggregation) return values;
          if (aggregation === 'COUNT') return values.length;
          if (!single) throw new EvalFailure(`multiple values aren't allowed. found: ${scalaRows(results.map((r) => r.values))}`, tableId);
          const bad = values.find((v) => typeof v !== 'number');
          if (bad !== undefined) throw new EvalFailure(`expected number but found '${scalaVal(bad)}'`, tableId);
          const decs = (values as number[]).map((n) => new D(n));
          const result = aggregation === 'SUM' ? D.sum(...decs) : aggregation === 'MIN' ? D.min(...decs) : D.max(...decs);
          return result.toNumber();
        }
      }
    };
  }

  /** The table's static parts, compiled. */
  tableParts(table: XmlElement) {
    const tableId = table.attrs.id ?? '';
    const inputs: DecisionTableInput[] = kids(table, 'input').map((input, i) => {
      const exprEl = kid(input, 'inputExpression');
      const expression = textOf(exprEl);
      const inputId = input.attrs.id ?? `${tableId}_input${i + 1}`;
      if (!expression) throw new DmnError(`input ${where(input)} of decision table '${tableId}' has no input expression`, inputId);
      return { id: inputId, ...(input.attrs.label ? { label: input.attrs.label } : {}), expression };
    });
    const outputEls = kids(table, 'output');
    if (!outputEls.length) throw new DmnError(`decision table '${tableId}' has no output`, tableId);
    const outputs: DecisionTableOutput[] = outputEls.map((o, i) => {
      const outputValuesText = textOf(kid(o, 'outputValues'));
      const defaultText = textOf(kid(o, 'defaultOutputEntry'));
      const outputId = o.attrs.id ?? `${tableId}_output${i + 1}`;
      return {
        id: outputId,
        ...(o.attrs.name ? { name: o.attrs.name } : {}),
        ...(o.attrs.label ? { label: o.attrs.label } : {}),
        ...(o.attrs.typeRef ? { typeRef: o.attrs.typeRef } : {}),
        ...(outputValuesText ? { outputValues: outputValueList(outputValuesText, outputId) } : {}),
        ...(defaultText ? { defaultOutputEntry: defaultText } : {}),
      };
    });
    if (outputs.length > 1) {
      outputs.forEach((o) => {
        if (!o.name) throw new DmnError(`output '${o.id}' of decision table '${tableId}' has no name, which a table with several outputs needs`, o.id);
      });
    }
    const inputEvals = inputs.map((input) => this.feel(input.expression, `the input expression of input '${input.label ?? input.id}'`, input.id));
    const ruleEls = kids(table, 'rule');
    const rulesMeta: DecisionRule[] = [];
    const rules = ruleEls.map((ruleEl, r) => {
      const ruleId = ruleEl.attrs.id ?? `${tableId}_rule${r + 1}`;
      const row = r + 1;
      const inEls = kids(ruleEl, 'inputEntry');
      const outEls = kids(ruleEl, 'outputEntry');
      if (inEls.length !== inputs.length) throw new DmnError(`rule '${ruleId}' (row ${row}) has ${inEls.length} input entries, the table has ${inputs.length} inputs`, ruleId);
      if (outEls.length !== outputs.length) throw new DmnError(`rule '${ruleId}' (row ${row}) has ${outEls.length} output entries, the table has ${outputs.length} outputs`, ruleId);
      const inputEntries = inEls.map((e) => textOf(e));
      const outputEntries = outEls.map((e) => textOf(e));
      rulesMeta.push({ id: ruleId, row, inputEntries, outputEntries });
      return {
        id: ruleId,
        tests: inputEntries.map((text, i) =>
          this.unary(text, `rule '${ruleId}' (row ${row}) input entry '${inEls[i].attrs.id ?? ''}' for '${inputs[i].label ?? inputs[i].id}'`, inEls[i].attrs.id ?? ruleId),
        ),
        outputs: outputEntries.map((text, i) =>
          text ? this.feel(text, `the output entry of rule '${ruleId}' (row ${row}) for '${outputs[i].name ?? outputs[i].id}'`, outEls[i].attrs.id ?? ruleId) : null,
        ),
      };
    });
    const defaults = outputs.map((o) => (o.defaultOutputEntry ? this.feel(o.defaultOutputEntry, `the default output entry of output '${o.id}'`, o.id) : null));
    return { inputs, outputs, inputEvals, rules, defaults, rulesMeta };
  }
}

/** outputValues ("a","b",1) as a list of values, for PRIORITY and OUTPUT ORDER. */
function outputValueList(text: string, outputId: string): unknown[] {
  let value: unknown;
  try {
    value = evaluateFeel(`[${text}]`, {}).value;
  } catch (err) {
    throw new DmnError(`output values of output '${outputId}' are not a list of values: ${(err as Error).message}`, outputId);
  }
  if (!Array.isArray(value)) throw new DmnError(`output values of output '${outputId}' are not a list of values`, outputId);
  return value;
}

/** FEEL equality for hit policies and comparisons of results: structural, temporals by value. */
export function feelEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => feelEqual(x, b[i]));
  }
  const pa = Object.getPrototypeOf(a);
  if (pa !== Object.getPrototypeOf(b)) return false;
  if (pa !== Object.prototype && pa !== null) return JSON.stringify(toJson(a)) === JSON.stringify(toJson(b));
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && feelEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const LOGIC_KINDS = new Set(['decisionTable', 'literalExpression', 'context', 'invocation', 'list', 'relation', 'functionDefinition', 'conditional', 'filter', 'for', 'every', 'some']);

const ZEEBE_NS = 'http://camunda.org/schema/zeebe/1.0';

function parseDecision(el: XmlElement, compiler: ModelCompiler, namespace: string | undefined): CompiledDecision {
  // DMN requires an id, but a decision is also found by name (the TCK's 1111 has none): the name stands in
  const id = el.attrs.id ?? el.attrs.name;
  if (!id) throw new DmnError(`a decision at line ${el.line} has neither id nor name`);
  const name = el.attrs.name ?? id;
  const variable = kid(el, 'variable');
  const variableName = variable?.attrs.name ?? id;
  const requiredDecisions: string[] = [];
  const importedRequirements: { namespace: string; id: string }[] = [];
  for (const req of kids(el, 'informationRequirement')) {
    for (const rd of kids(req, 'requiredDecision')) {
      const target = hrefId(rd.attrs.href);
      if (!target) throw new DmnError(`decision '${id}': requiredDecision in ${where(req)} has no href`, req.attrs.id, id);
      const ns = (rd.attrs.href ?? '').split('#')[0];
      if (ns && ns !== namespace) importedRequirements.push({ namespace: ns, id: target });
      else requiredDecisions.push(target);
    }
  }
  const imported = importedRequirements.length ? { importedRequirements } : {};
  const logicEl = el.children.find((c) => isDmnNamespace(c.ns) && LOGIC_KINDS.has(c.name));
  const versionTag = kid(el, 'extensionElements')?.children.find((c) => c.name === 'versionTag' && c.ns === ZEEBE_NS)?.attrs.value;
  const base = { id, name, variableName, requiredDecisions, ...(versionTag ? { versionTag } : {}) };
  const unsupported = (reason: string, elementId?: string): CompiledDecision => {
    const decision: Decision = { ...base, logic: { type: 'unsupported', id: elementId ?? id, reason } };
    return { decision, requiredDecisions, ...imported };
  };
  try {
    if (!logicEl) {
      // DMN allows a decision without logic (the TCK's 0088); DMN-Scala refuses to evaluate it
      return unsupported(`decision '${id}' has no decision logic`);
    }
    const logic = logicEl.name === 'decisionTable' ? compiler.table(logicEl) : compiler.boxed(logicEl, `the ${logicEl.name} of decision '${id}'`);
    let meta: Decision['logic'];
    if (logicEl.name === 'decisionTable') {
      const parts = compiler.tableParts(logicEl);
      const hitPolicy = HIT_POLICIES[(logicEl.attrs.hitPolicy ?? 'UNIQUE').trim()];
      const aggregation = logicEl.attrs.aggregation?.trim() as Aggregation | undefined;
      meta = { type: 'decisionTable', id: logicEl.attrs.id ?? id, hitPolicy, ...(aggregation ? { aggregation } : {}), inputs: parts.inputs, outputs: parts.outputs, rules: parts.rulesMeta };
    } else if (logicEl.name === 'literalExpression') {
      meta = { type: 'literalExpression', id: logicEl.attrs.id ?? id, expression: textOf(logicEl), ...(variable?.attrs.name ? { variableName: variable.attrs.name } : {}) };
    } else {
      meta = { type: logicEl.name as BoxedKind, id: logicEl.attrs.id ?? id };
    }
    const decision: Decision = { ...base, logic: meta };
    return { decision, logic, requiredDecisions, ...imported, ...(variable?.attrs.typeRef ? { typeRef: variable.attrs.typeRef } : {}) };
  } catch (err) {
    if (err instanceof Unsupported) return unsupported(`decision '${id}' cannot be evaluated: ${err.message}`, err.elementId);
    if (err instanceof DmnError) {
      const message = err.message.startsWith('decision ') ? err.message : `decision '${id}': ${err.message}`;
      throw new DmnError(message, err.elementId ?? id, id);
    }
    throw err;
  }
}

function parseBkm(el: XmlElement, compiler: ModelCompiler): CompiledBkm {
  const id = el.attrs.id ?? '';
  const name = kid(el, 'variable')?.attrs.name ?? el.attrs.name ?? id;
  const logic = kid(el, 'encapsulatedLogic');
  const params = logic ? kids(logic, 'formalParameter').map((p) => p.attrs.name ?? '') : [];
  const typed = {
    paramTypes: logic ? kids(logic, 'formalParameter').map((p) => p.attrs.typeRef) : [],
    ...(kid(el, 'variable')?.attrs.typeRef ? { resultType: kid(el, 'variable')!.attrs.typeRef } : {}),
  };
  if (!logic) return { id, name, params, reason: `the business knowledge model '${name}' has no encapsulated logic` };
  const kind = logic.attrs.kind ?? 'FEEL';
  if (kind !== 'FEEL') return { id, name, params, reason: `the business knowledge model '${name}' is of kind '${kind}'; only FEEL is supported` };
  try {
    return { id, name, params, ...typed, body: compiler.boxed(expressionIn(logic), `the business knowledge model '${name}'`) };
  } catch (err) {
    if (err instanceof Unsupported) return { id, name, params, reason: `the business knowledge model '${name}' cannot be evaluated: ${err.message}` };
    throw err;
  }
}

/**
 * Parses and compiles a DMN file. Throws DmnError naming the element for a file the engine
 * cannot read at all (not DMN, DOCTYPE/entities, FEEL that does not parse, unknown required
 * decisions, cycles). Logic it cannot evaluate is recorded on its decision instead.
 */
export function parseDmn(xml: string, resourceName?: string, options: ParseOptions = {}): DecisionRequirements {
  const label = resourceName ? `'${resourceName}'` : 'the DMN resource';
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (err) {
    if (err instanceof XmlError) throw new DmnError(`${label} is not valid DMN XML: ${err.message}`);
    throw err;
  }
  if (root.name !== 'definitions' || !isDmnNamespace(root.ns)) {
    throw new DmnError(`${label} is not a DMN file: the root element is <${root.name}> in namespace '${root.ns}', expected DMN <definitions>`);
  }
  const imports: CompiledModel['imports'] = [];
  for (const imp of kids(root, 'import')) {
    const drg = options.imports?.find((d) => d.namespace === imp.attrs.namespace);
    const model = drg && compiledDrgs.get(drg);
    if (drg && model) imports.push({ prefix: imp.attrs.name ?? '', model, drg });
  }
  const names = feelNames(root, imports.map((i) => ({ prefix: i.prefix, names: i.model.names })));
  const types = dmnTypes(root);
  const compiler = new ModelCompiler(names, options.lazy === true, types);

  const compiled = new Map<string, CompiledDecision>();
  const decisions: Decision[] = [];
  for (const el of kids(root, 'decision')) {
    const c = parseDecision(el, compiler, root.attrs.namespace);
    if (compiled.has(c.decision.id)) throw new DmnError(`${label}: two decisions have the id '${c.decision.id}'`, c.decision.id, c.decision.id);
    compiled.set(c.decision.id, c);
    decisions.push(c.decision);
  }
  const bkms = kids(root, 'businessKnowledgeModel').map((el) => parseBkm(el, compiler));
  const services: CompiledService[] = kids(root, 'decisionService').map((el) => ({
    id: el.attrs.id ?? '',
    name: kid(el, 'variable')?.attrs.name ?? el.attrs.name ?? el.attrs.id ?? '',
    ...(kid(el, 'variable')?.attrs.typeRef ? { typeRef: kid(el, 'variable')!.attrs.typeRef } : {}),
    outputDecisions: kids(el, 'outputDecision').map((r) => hrefId(r.attrs.href)),
    inputDecisions: kids(el, 'inputDecision').map((r) => hrefId(r.attrs.href)),
    inputData: kids(el, 'inputData').map((r) => hrefId(r.attrs.href)),
  }));
  const inputData = new Map<string, { id: string; name: string; typeRef?: string }>();
  for (const el of kids(root, 'inputData')) {
    const typeRef = kid(el, 'variable')?.attrs.typeRef;
    inputData.set(el.attrs.id ?? '', { id: el.attrs.id ?? '', name: kid(el, 'variable')?.attrs.name ?? el.attrs.name ?? '', ...(typeRef ? { typeRef } : {}) });
  }
  if (!decisions.length && !bkms.length) throw new DmnError(`${label} contains no decision`, root.attrs.id);
  for (const d of decisions) {
    for (const req of d.requiredDecisions) {
      if (!compiled.has(req)) throw new DmnError(`decision '${d.id}' requires decision '${req}', which is not in ${label}`, d.id, d.id);
    }
  }
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (id: string, path: string[]) => {
    if (done.has(id)) return;
    if (visiting.has(id)) throw new DmnError(`decisions require each other in a cycle: ${[...path, id].join(' -> ')}`, id, id);
    visiting.add(id);
    for (const req of compiled.get(id)!.requiredDecisions) visit(req, [...path, id]);
    visiting.delete(id);
    done.add(id);
  };
  for (const d of decisions) visit(d.id, []);

  const drg: DecisionRequirements = {
    id: root.attrs.id ?? '',
    name: root.attrs.name ?? root.attrs.id ?? '',
    ...(root.attrs.namespace ? { namespace: root.attrs.namespace } : {}),
    ...(resourceName ? { resourceName } : {}),
    decisions,
  };
  compiledDrgs.set(drg, { decisions: compiled, bkms, services, inputData, names, types, imports });
  return drg;
}

// ------------------------------------------------------------------------------ evaluating

function fail(decisionId: string, message: string, elementId?: string): never {
  throw new DmnError(`Expected to evaluate decision '${decisionId}', but ${message}`, elementId ?? decisionId, decisionId);
}

const DECISION_TYPES: Record<string, EvaluatedDecision['decisionType']> = {
  decisionTable: 'DECISION_TABLE',
  literalExpression: 'LITERAL_EXPRESSION',
  context: 'CONTEXT',
  invocation: 'INVOCATION',
  list: 'LIST',
  relation: 'RELATION',
};

/** One evaluation: decisions evaluated once each, BKMs as functions, in the model's scope. */
class Evaluation {
  readonly evaluated: EvaluatedDecision[] = [];
  private readonly outputs = new Map<string, unknown>();
  private functionScope?: Scope;
  private readonly importedEvaluations = new Map<string, Evaluation>();

  constructor(
    private readonly model: CompiledModel,
    private readonly variables: Variables,
    private readonly options: EvaluateOptions | undefined,
  ) {}

  /** BKMs and decision services of this model (and imported ones under their prefix) as FEEL functions. */
  functions(): Scope {
    if (this.functionScope) return this.functionScope;
    const scope: Scope = {};
    this.functionScope = scope;
    Object.assign(scope, modelFunctions(this.model, this.options, () => scope));
    for (const imp of this.model.imports) {
      const inner = new Evaluation(imp.model, {}, this.options);
      const fns = inner.functions();
      const prefixed: Record<string, unknown> = { ...fns };
      scope[imp.prefix] = { ...((this.variables[imp.prefix] as Record<string, unknown> | undefined) ?? {}), ...prefixed };
    }
    return scope;
  }

  decision(id: string): unknown {
    if (this.outputs.has(id)) return this.outputs.get(id);
    const c = this.model.decisions.get(id)!;
    if (this.options?.overrides?.has(id)) {
      const v = this.options.overrides.get(id);
      this.outputs.set(id, v);
      return v;
    }
    const fns = this.functions();
    const scope: Scope = { ...fns, ...this.variables };
    // an import's name holds both its functions and the inputs given under it
    for (const imp of this.model.imports) scope[imp.prefix] = fns[imp.prefix];
    for (const req of c.requiredDecisions) {
      const value = this.decision(req);
      const r = this.model.decisions.get(req)!.decision;
      scope[req] = value;
      scope[r.variableName] = value;
    }
    for (const req of c.importedRequirements ?? []) {
      // a decision of an imported model is visible as `<import name>.<its variable>`
      const imp = this.model.imports.find((i) => i.drg.namespace === req.namespace);
      if (!imp || !imp.model.decisions.has(req.id)) fail(id, `decision '${id}' requires decision '${req.id}' of the model '${req.namespace}', which is not imported`);
      let inner = this.importedEvaluations.get(imp.prefix);
      if (!inner) {
        const given = this.variables[imp.prefix];
        const vars: Variables = { ...(this.options?.importedInputs?.get(req.namespace) ?? {}), ...(given && typeof given === 'object' && !Array.isArray(given) ? (given as Variables) : {}) };
        inner = new Evaluation(imp.model, vars, this.options && { ...this.options, overrides: undefined });
        this.importedEvaluations.set(imp.prefix, inner);
      }
      const value = inner.decision(req.id);
      const existing = scope[imp.prefix];
      scope[imp.prefix] = { ...(existing && typeof existing === 'object' && !Array.isArray(existing) ? existing : {}), [imp.model.decisions.get(req.id)!.decision.variableName]: value };
    }
    const logic = c.decision.logic;
    if (!c.logic) fail(id, logic.type === 'unsupported' ? logic.reason : `decision '${id}' has no decision logic`, logic.id);
    const env: Env = { options: this.options, decisionId: id, matchedRules: [] };
    let output: unknown;
    try {
      output = c.logic(scope, env);
    } catch (err) {
      if (err instanceof EvalFailure) fail(id, err.message, err.elementId);
      if (err instanceof DmnError) throw err;
      fail(id, (err as Error).message);
    }
    if (c.typeRef) {
      try {
        output = this.model.types.coerce(output, c.typeRef);
      } catch (err) {
        fail(id, (err as Error).message);
      }
    }
    this.outputs.set(id, output);
    this.evaluated.push({
      decisionId: id,
      decisionName: c.decision.name,
      decisionType: DECISION_TYPES[logic.type] ?? 'UNKNOWN',
      output,
      matchedRules: env.matchedRules,
    });
    return output;
  }
}

function modelFunctions(model: CompiledModel, options: EvaluateOptions | undefined, scopeOf: () => Scope): Scope {
  const out: Scope = {};
  for (const bkm of model.bkms) {
    out[bkm.name] = new FeelFunction((...args: unknown[]) => {
      if (!bkm.body) throw new Error(bkm.reason ?? `the business knowledge model '${bkm.name}' cannot be evaluated`);
      const scope: Scope = { ...scopeOf() };
      try {
        bkm.params.forEach((p, i) => (scope[p] = model.types.coerce(args[i] === undefined ? null : args[i], bkm.paramTypes?.[i])));
        return model.types.coerce(bkm.body(scope, { options, decisionId: bkm.id, matchedRules: [] }), bkm.resultType);
      } catch (err) {
        throw new Error(`failed to invoke the business knowledge model '${bkm.name}': ${(err as Error).message}`);
      }
    }, bkm.params);
  }
  for (const service of model.services) {
    const params = [...service.inputData.map((id) => model.inputData.get(id)?.name ?? id), ...service.inputDecisions.map((id) => model.decisions.get(id)?.decision.variableName ?? id)];
    out[service.name] = new FeelFunction((...args: unknown[]) => {
      // an invocation must bind every parameter (TCK 0085)
      if (args.filter((a) => a !== undefined).length < params.length) throw new Error(`decision service '${service.name}' expects ${params.length} parameter(s) (${params.join(', ')}), got ${args.length}`);
      const named: Record<string, unknown> = {};
      params.forEach((p, i) => (named[p] = args[i] === undefined ? null : args[i]));
      return invokeService(model, service, named, options);
    }, params);
  }
  return out;
}

function invokeService(model: CompiledModel, service: CompiledService, inputs: Record<string, unknown>, options: EvaluateOptions | undefined): unknown {
  const overrides = new Map<string, unknown>();
  const variables: Variables = {};
  // each input is coerced to its declared type, as a parameter is (TCK 0082, 0085)
  const coerce = (name: string, value: unknown, typeRef: string | undefined) => {
    try {
      return model.types.coerce(value, typeRef);
    } catch (err) {
      throw new Error(`parameter '${name}' of decision service '${service.name}': ${(err as Error).message}`);
    }
  };
  for (const id of service.inputDecisions) {
    const d = model.decisions.get(id);
    if (d) overrides.set(id, coerce(d.decision.variableName, inputs[d.decision.variableName] ?? inputs[d.decision.name] ?? null, d.typeRef));
  }
  for (const id of service.inputData) {
    const data = model.inputData.get(id);
    const name = data?.name ?? id;
    variables[name] = coerce(name, inputs[name] ?? null, data?.typeRef);
  }
  const evaluation = new Evaluation(model, variables, { ...options, overrides });
  const results = service.outputDecisions.map((id) => {
    if (!model.decisions.has(id)) throw new DmnError(`decision service '${service.name}' outputs decision '${id}', which is not in the model`, service.id);
    return [model.decisions.get(id)!.decision.variableName, evaluation.decision(id)] as const;
  });
  const output = results.length === 1 ? results[0][1] : Object.fromEntries(results);
  try {
    return model.types.coerce(output, service.typeRef);
  } catch (err) {
    throw new DmnError(`the result of decision service '${service.name}': ${(err as Error).message}`, service.id);
  }
}

function compiledOf(drg: DecisionRequirements): CompiledModel {
  const model = compiledDrgs.get(drg);
  if (!model) throw new DmnError(`the decision requirements graph '${drg.id}' was not created by parseDmn`);
  return model;
}

/**
 * Evaluates a decision and, first, the decisions it requires (each once). Throws DmnError
 * naming the decision (and the rule or entry) when the evaluation fails.
 */
export function evaluateDecision(drg: DecisionRequirements, decisionId: string, variables: Variables, options?: EvaluateOptions): DecisionResult {
  const model = compiledOf(drg);
  if (!model.decisions.has(decisionId)) {
    throw new DmnError(`no decision found with id '${decisionId}' in '${drg.resourceName ?? drg.id}' (decisions: ${[...model.decisions.keys()].join(', ')})`, decisionId, decisionId);
  }
  const evaluation = new Evaluation(model, variables, options);
  const output = evaluation.decision(decisionId);
  if (options?.raw) return { output, evaluatedDecisions: evaluation.evaluated };
  return { output: toJson(output), evaluatedDecisions: evaluation.evaluated.map((d) => ({ ...d, output: toJson(d.output) })) };
}

/**
 * Invokes a decision service by name or id with its inputs (input data and input decisions by
 * name); gives its output decisions' values (a context when it has several).
 */
export function evaluateDecisionService(drg: DecisionRequirements, service: string, inputs: Variables, options?: EvaluateOptions): unknown {
  const model = compiledOf(drg);
  const s = model.services.find((x) => x.name === service || x.id === service);
  if (!s) throw new DmnError(`no decision service found with name '${service}'`, service);
  const output = invokeService(model, s, inputs, options);
  return options?.raw ? output : toJson(output);
}

/** The decision services of a graph, by name, with their output decisions' ids. */
export function decisionServices(drg: DecisionRequirements): { id: string; name: string; outputDecisions: string[] }[] {
  return compiledOf(drg).services.map((s) => ({ id: s.id, name: s.name, outputDecisions: s.outputDecisions }));
}
