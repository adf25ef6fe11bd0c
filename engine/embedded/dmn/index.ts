/**
 * DMN for the embedded engine: the decision requirements graphs Zeebe evaluates (DMN 1.1 to
 * 1.5 XML), with decision tables of every hit policy and literal expressions, on the FEEL
 * module's decimal semantics. Each decision is compiled once at parse time; evaluation only
 * runs the compiled cells.
 *
 * Zeebe (dmn-scala) semantics kept here: a required decision's output is visible to the
 * decisions requiring it under the required decision's id; a table with one output gives the
 * value, with several a context keyed by output name; no match gives null (list policies an
 * empty list, COLLECT COUNT 0); UNIQUE with several matches and ANY with disagreeing matches fail.
 */
import { Decimal } from 'decimal.js';
import type { Variables } from '../../types.js';
import { compileFeel, compileUnaryTests, evaluateFeel, FeelError, type FeelOptions, type FeelResult } from '../feel/index.js';
import { parseXml, XmlError, type XmlElement } from './xml.js';

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

export interface Decision {
  id: string;
  name: string;
  /** Ids of the decisions this one requires (informationRequirement/requiredDecision). */
  requiredDecisions: string[];
  logic:
    | { type: 'decisionTable'; id: string; hitPolicy: HitPolicy; aggregation?: Aggregation; inputs: DecisionTableInput[]; outputs: DecisionTableOutput[]; rules: DecisionRule[] }
    | { type: 'literalExpression'; id: string; expression: string; variableName?: string };
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
  decisionType: 'DECISION_TABLE' | 'LITERAL_EXPRESSION';
  output: unknown;
  /** Ids of the rules that matched (decision tables). */
  matchedRules: string[];
}

export interface DecisionResult {
  output: unknown;
  /** Required decisions first, the requested decision last. */
  evaluatedDecisions: EvaluatedDecision[];
}

// ------------------------------------------------------------------------------- compiling

type Eval = (context: Variables, options?: FeelOptions) => FeelResult;
type Test = (input: unknown, context: Variables, options?: FeelOptions) => boolean;

interface CompiledDecision {
  decision: Decision;
  inputs?: Eval[];
  rules?: { id: string; tests: Test[]; outputs: (Eval | null)[] }[];
  defaults?: (Eval | null)[];
  literal?: Eval;
}

const compiledDrgs = new WeakMap<DecisionRequirements, Map<string, CompiledDecision>>();

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
const UNSUPPORTED_LOGIC = new Set(['context', 'invocation', 'relation', 'list', 'functionDefinition', 'conditional', 'filter', 'for', 'every', 'some']);

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

function compileExpr(text: string, what: string, elementId: string | undefined, decisionId: string): Eval {
  try {
    return compileFeel(text);
  } catch (err) {
    throw new DmnError(`decision '${decisionId}': ${what} has invalid FEEL '${text}': ${(err as Error).message}`, elementId, decisionId);
  }
}

/** outputValues ("a","b",1) as a list of values, for PRIORITY and OUTPUT ORDER. */
function outputValueList(text: string, outputId: string, decisionId: string): unknown[] {
  const r = (() => {
    try {
      return evaluateFeel(`[${text}]`, {});
    } catch (err) {
      throw new DmnError(`decision '${decisionId}': output values of output '${outputId}' are not a list of values: ${(err as Error).message}`, outputId, decisionId);
    }
  })();
  if (!Array.isArray(r.value)) throw new DmnError(`decision '${decisionId}': output values of output '${outputId}' are not a list of values`, outputId, decisionId);
  return r.value;
}

function parseDecision(el: XmlElement): { decision: Decision; compiled: CompiledDecision } {
  const id = el.attrs.id;
  if (!id) throw new DmnError(`a decision at line ${el.line} has no id`);
  const name = el.attrs.name ?? id;
  const requiredDecisions: string[] = [];
  for (const req of kids(el, 'informationRequirement')) {
    for (const rd of kids(req, 'requiredDecision')) {
      const href = rd.attrs.href ?? '';
      const target = href.includes('#') ? href.slice(href.indexOf('#') + 1) : href;
      if (!target) throw new DmnError(`decision '${id}': requiredDecision in ${where(req)} has no href`, req.attrs.id, id);
      requiredDecisions.push(target);
    }
  }
  if (kids(el, 'knowledgeRequirement').length) {
    const k = kids(el, 'knowledgeRequirement')[0];
    throw new DmnError(`decision '${id}' requires a business knowledge model (${where(k)}), which the embedded engine does not support`, k.attrs.id ?? id, id);
  }
  for (const c of el.children) {
    if (isDmnNamespace(c.ns) && UNSUPPORTED_LOGIC.has(c.name)) {
      throw new DmnError(`decision '${id}' uses a boxed ${c.name} (${where(c)}), which the embedded engine does not support; use a decision table or a literal expression`, c.attrs.id ?? id, id);
    }
  }
  const table = kid(el, 'decisionTable');
  const literal = kid(el, 'literalExpression');
  if (table) return parseTable(id, name, requiredDecisions, table);
  if (literal) {
    const expression = textOf(literal);
    if (!expression) throw new DmnError(`decision '${id}': literal expression ${where(literal)} is empty`, literal.attrs.id ?? id, id);
    const variable = kid(el, 'variable');
    const decision: Decision = {
      id,
      name,
      requiredDecisions,
      logic: { type: 'literalExpression', id: literal.attrs.id ?? id, expression, ...(variable?.attrs.name ? { variableName: variable.attrs.name } : {}) },
    };
    return { decision, compiled: { decision, literal: compileExpr(expression, `literal expression ${where(literal)}`, literal.attrs.id, id) } };
  }
  throw new DmnError(`decision '${id}' has no decision logic (a decision table or a literal expression)`, id, id);
}

function parseTable(id: string, name: string, requiredDecisions: string[], table: XmlElement): { decision: Decision; compiled: CompiledDecision } {
  const tableId = table.attrs.id ?? id;
  const rawPolicy = (table.attrs.hitPolicy ?? 'UNIQUE').trim();
  const hitPolicy = HIT_POLICIES[rawPolicy];
  if (!hitPolicy) throw new DmnError(`decision '${id}': unknown hit policy '${rawPolicy}' on decision table '${tableId}'`, tableId, id);
  const rawAggregation = table.attrs.aggregation?.trim();
  if (rawAggregation && !AGGREGATIONS.has(rawAggregation)) throw new DmnError(`decision '${id}': unknown aggregation '${rawAggregation}' on decision table '${tableId}'`, tableId, id);
  if (rawAggregation && hitPolicy !== 'COLLECT') throw new DmnError(`decision '${id}': aggregation ${rawAggregation} needs the COLLECT hit policy, not ${hitPolicy}`, tableId, id);
  const aggregation = rawAggregation as Aggregation | undefined;

  const inputs: DecisionTableInput[] = [];
  const inputEvals: Eval[] = [];
  for (const input of kids(table, 'input')) {
    const exprEl = kid(input, 'inputExpression');
    const expression = textOf(exprEl);
    const inputId = input.attrs.id ?? `input ${inputs.length + 1}`;
    if (!expression) throw new DmnError(`decision '${id}': input '${inputId}' has no input expression`, inputId, id);
    inputs.push({ id: inputId, ...(input.attrs.label ? { label: input.attrs.label } : {}), expression });
    inputEvals.push(compileExpr(expression, `the input expression of input '${inputId}'`, exprEl?.attrs.id ?? inputId, id));
  }

  const outputs: DecisionTableOutput[] = [];
  const defaults: (Eval | null)[] = [];
  for (const output of kids(table, 'output')) {
    const outputId = output.attrs.id ?? `output ${outputs.length + 1}`;
    const values = textOf(kid(output, 'outputValues'));
    const dflt = textOf(kid(output, 'defaultOutputEntry'));
    outputs.push({
      id: outputId,
      ...(output.attrs.name ? { name: output.attrs.name } : {}),
      ...(output.attrs.label ? { label: output.attrs.label } : {}),
      ...(output.attrs.typeRef ? { typeRef: output.attrs.typeRef } : {}),
      ...(values ? { outputValues: outputValueList(values, outputId, id) } : {}),
      ...(dflt ? { defaultOutputEntry: dflt } : {}),
    });
    defaults.push(dflt ? compileExpr(dflt, `the default output entry of output '${outputId}'`, outputId, id) : null);
  }
  if (!outputs.length) throw new DmnError(`decision '${id}': decision table '${tableId}' has no output`, tableId, id);
  if (outputs.length > 1) {
    const unnamed = outputs.find((o) => !o.name);
    if (unnamed) throw new DmnError(`decision '${id}': output '${unnamed.id}' needs a name (the table has several outputs)`, unnamed.id, id);
    if (aggregation) throw new DmnError(`decision '${id}': COLLECT ${aggregation} needs exactly one output, the table has ${outputs.length}`, tableId, id);
  }
  if ((hitPolicy === 'PRIORITY' || hitPolicy === 'OUTPUT ORDER') && !outputs.some((o) => o.outputValues)) {
    throw new DmnError(`decision '${id}': hit policy ${hitPolicy} needs output values on the outputs to order by`, tableId, id);
  }

  const rules: DecisionRule[] = [];
  const compiledRules: NonNullable<CompiledDecision['rules']> = [];
  kids(table, 'rule').forEach((rule, index) => {
    const row = index + 1;
    const ruleId = rule.attrs.id ?? `row ${row}`;
    const inEls = kids(rule, 'inputEntry');
    const outEls = kids(rule, 'outputEntry');
    if (inEls.length !== inputs.length) throw new DmnError(`decision '${id}': rule '${ruleId}' (row ${row}) has ${inEls.length} input entries for ${inputs.length} inputs`, ruleId, id);
    if (outEls.length !== outputs.length) throw new DmnError(`decision '${id}': rule '${ruleId}' (row ${row}) has ${outEls.length} output entries for ${outputs.length} outputs`, ruleId, id);
    const inputEntries = inEls.map(textOf);
    const outputEntries = outEls.map(textOf);
    const tests = inputEntries.map((text, i) => {
      try {
        return compileUnaryTests(text);
      } catch (err) {
        const entryId = inEls[i].attrs.id;
        throw new DmnError(
          `decision '${id}': rule '${ruleId}' (row ${row}), input entry ${entryId ? `'${entryId}' ` : ''}for '${inputs[i].label ?? inputs[i].id}' has invalid FEEL '${text}': ${(err as FeelError).message}`,
          entryId ?? ruleId,
          id,
        );
      }
    });
    const outs = outputEntries.map((text, i) =>
      text ? compileExpr(text, `rule '${ruleId}' (row ${row}), output entry ${outEls[i].attrs.id ? `'${outEls[i].attrs.id}' ` : ''}for '${outputs[i].name ?? outputs[i].id}'`, outEls[i].attrs.id ?? ruleId, id) : null,
    );
    rules.push({ id: ruleId, row, inputEntries, outputEntries });
    compiledRules.push({ id: ruleId, tests, outputs: outs });
  });

  const decision: Decision = {
    id,
    name,
    requiredDecisions,
    logic: { type: 'decisionTable', id: tableId, hitPolicy, ...(aggregation ? { aggregation } : {}), inputs, outputs, rules },
  };
  return { decision, compiled: { decision, inputs: inputEvals, rules: compiledRules, defaults } };
}

/**
 * Parses and compiles a DMN file. Throws DmnError naming the element for anything the
 * embedded engine cannot evaluate (DOCTYPE/entities, boxed contexts, invalid FEEL in a cell,
 * unknown required decisions, cycles).
 */
export function parseDmn(xml: string, resourceName?: string): DecisionRequirements {
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
  const compiled = new Map<string, CompiledDecision>();
  const decisions: Decision[] = [];
  for (const el of kids(root, 'decision')) {
    const { decision, compiled: c } = parseDecision(el);
    if (compiled.has(decision.id)) throw new DmnError(`${label}: two decisions have the id '${decision.id}'`, decision.id, decision.id);
    compiled.set(decision.id, c);
    decisions.push(decision);
  }
  if (!decisions.length) throw new DmnError(`${label} contains no decision`, root.attrs.id);
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
    for (const req of compiled.get(id)!.decision.requiredDecisions) visit(req, [...path, id]);
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
  compiledDrgs.set(drg, compiled);
  return drg;
}

// ------------------------------------------------------------------------------ evaluating

function fail(decisionId: string, message: string, elementId?: string): never {
  throw new DmnError(`Expected to evaluate decision '${decisionId}', but ${message}`, elementId ?? decisionId, decisionId);
}

function run(evaluator: Eval, context: Variables, options: FeelOptions | undefined, decisionId: string, what: string, elementId: string): unknown {
  try {
    return evaluator(context, options).value;
  } catch (err) {
    fail(decisionId, `failed to evaluate ${what}: ${(err as Error).message}`, elementId);
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function evaluateTable(c: CompiledDecision, context: Variables, options: FeelOptions | undefined): { output: unknown; matchedRules: string[] } {
  const decision = c.decision;
  const logic = decision.logic as Extract<Decision['logic'], { type: 'decisionTable' }>;
  const inputValues = c.inputs!.map((evaluator, i) =>
    run(evaluator, context, options, decision.id, `the input expression '${logic.inputs[i].expression}' of input '${logic.inputs[i].id}'`, logic.inputs[i].id),
  );
  const matched: { id: string; outputs: (Eval | null)[] }[] = [];
  for (const rule of c.rules!) {
    let ok = true;
    for (let i = 0; i < rule.tests.length; i++) {
      let hit: boolean;
      try {
        hit = rule.tests[i](inputValues[i], context, options);
      } catch (err) {
        fail(decision.id, `failed to evaluate the input entry of rule '${rule.id}' for '${logic.inputs[i].label ?? logic.inputs[i].id}': ${(err as Error).message}`, rule.id);
      }
      if (!hit) {
        ok = false;
        break;
      }
    }
    if (ok) {
      matched.push(rule);
      if (logic.hitPolicy === 'FIRST') break;
    }
  }
  const outputs = logic.outputs;
  const single = outputs.length === 1;
  const ruleOutput = (rule: { id: string; outputs: (Eval | null)[] }): { values: unknown[]; value: unknown } => {
    const values = rule.outputs.map((o, i) => (o ? run(o, context, options, decision.id, `the output entry of rule '${rule.id}' for '${outputs[i].name ?? outputs[i].id}'`, rule.id) : null));
    if (single) return { values, value: values[0] };
    const ctx: Record<string, unknown> = {};
    outputs.forEach((o, i) => (ctx[o.name as string] = values[i]));
    return { values, value: ctx };
  };
  const matchedRules = matched.map((r) => r.id);

  if (!matched.length) {
    if (c.defaults!.some((d) => d)) {
      const values = c.defaults!.map((d, i) => (d ? run(d, context, options, decision.id, `the default output entry of output '${outputs[i].id}'`, outputs[i].id) : null));
      const value = single ? values[0] : Object.fromEntries(outputs.map((o, i) => [o.name as string, values[i]]));
      const list = logic.hitPolicy === 'COLLECT' || logic.hitPolicy === 'RULE ORDER' || logic.hitPolicy === 'OUTPUT ORDER';
      return { output: list && !logic.aggregation ? [value] : value, matchedRules };
    }
    if (logic.aggregation === 'COUNT') return { output: 0, matchedRules };
    if (logic.aggregation) return { output: null, matchedRules };
    const list = logic.hitPolicy === 'COLLECT' || logic.hitPolicy === 'RULE ORDER' || logic.hitPolicy === 'OUTPUT ORDER';
    return { output: list ? [] : null, matchedRules };
  }

  switch (logic.hitPolicy) {
    case 'UNIQUE':
      if (matched.length > 1) fail(decision.id, `multiple rules matched for hit policy UNIQUE, only one may: ${matchedRules.map((r) => `'${r}'`).join(', ')}`, matched[1].id);
      return { output: ruleOutput(matched[0]).value, matchedRules };
    case 'FIRST':
      return { output: ruleOutput(matched[0]).value, matchedRules };
    case 'ANY': {
      const results = matched.map(ruleOutput);
      const differing = results.findIndex((r) => !deepEqual(r.value, results[0].value));
      if (differing >= 0) fail(decision.id, `rules '${matched[0].id}' and '${matched[differing].id}' matched with different outputs for hit policy ANY`, matched[differing].id);
      return { output: results[0].value, matchedRules };
    }
    case 'PRIORITY':
    case 'OUTPUT ORDER': {
      const results = matched.map((r, index) => ({ r, index, ...ruleOutput(r) }));
      const rank = (values: unknown[]) =>
        outputs.map((o, i) => {
          if (!o.outputValues) return 0;
          const at = o.outputValues.findIndex((v) => deepEqual(v, values[i]));
          return at < 0 ? Number.MAX_SAFE_INTEGER : at;
        });
      const ranked = results
        .map((x) => ({ ...x, key: rank(x.values) }))
        .sort((a, b) => {
          for (let i = 0; i < a.key.length; i++) if (a.key[i] !== b.key[i]) return a.key[i] - b.key[i];
          return a.index - b.index;
        });
      if (logic.hitPolicy === 'PRIORITY') return { output: ranked[0].value, matchedRules: [ranked[0].r.id] };
      return { output: ranked.map((x) => x.value), matchedRules: ranked.map((x) => x.r.id) };
    }
    case 'RULE ORDER':
      return { output: matched.map((r) => ruleOutput(r).value), matchedRules };
    case 'COLLECT': {
      const values = matched.map((r) => ruleOutput(r).value);
      if (!logic.aggregation) return { output: values, matchedRules };
      if (logic.aggregation === 'COUNT') return { output: values.filter((v) => v !== null && v !== undefined).length, matchedRules };
      const nums = values.filter((v) => v !== null && v !== undefined);
      const bad = nums.find((v) => typeof v !== 'number');
      if (bad !== undefined) fail(decision.id, `COLLECT ${logic.aggregation} needs numbers, but an output was ${JSON.stringify(bad)}`);
      if (!nums.length) return { output: null, matchedRules };
      const decs = (nums as number[]).map((n) => new D(n));
      const result =
        logic.aggregation === 'SUM' ? D.sum(...decs).toNumber() : logic.aggregation === 'MIN' ? D.min(...decs).toNumber() : D.max(...decs).toNumber();
      return { output: result, matchedRules };
    }
  }
}

/**
 * Evaluates a decision and, first, the decisions it requires (each once). Throws DmnError
 * naming the decision (and the rule or entry) when the evaluation fails.
 */
export function evaluateDecision(drg: DecisionRequirements, decisionId: string, variables: Variables, options?: FeelOptions): DecisionResult {
  const compiled = compiledDrgs.get(drg);
  if (!compiled) throw new DmnError(`the decision requirements graph '${drg.id}' was not created by parseDmn`);
  if (!compiled.has(decisionId)) {
    throw new DmnError(`no decision with id '${decisionId}' in '${drg.resourceName ?? drg.id}' (decisions: ${[...compiled.keys()].join(', ')})`, decisionId, decisionId);
  }
  const evaluated: EvaluatedDecision[] = [];
  const outputs = new Map<string, unknown>();
  const evaluate = (id: string): unknown => {
    if (outputs.has(id)) return outputs.get(id);
    const c = compiled.get(id)!;
    let context: Variables = variables;
    if (c.decision.requiredDecisions.length) {
      context = { ...variables };
      for (const req of c.decision.requiredDecisions) context[req] = evaluate(req);
    }
    let output: unknown;
    let matchedRules: string[] = [];
    if (c.literal) {
      output = run(c.literal, context, options, id, `the literal expression '${(c.decision.logic as { expression: string }).expression}'`, c.decision.logic.id);
    } else {
      ({ output, matchedRules } = evaluateTable(c, context, options));
    }
    outputs.set(id, output);
    evaluated.push({
      decisionId: id,
      decisionName: c.decision.name,
      decisionType: c.literal ? 'LITERAL_EXPRESSION' : 'DECISION_TABLE',
      output,
      matchedRules,
    });
    return output;
  };
  const output = evaluate(decisionId);
  return { output, evaluatedDecisions: evaluated };
}
