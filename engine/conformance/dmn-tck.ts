/**
 * DMN TCK runner for the embedded DMN engine: runs the test cases of DMN TCK model folders
 * (`<folder>/*.dmn` and `<folder>/*-test-*.xml`) and compares each result the way the TCK's
 * runners do (DMN-Scala's among them): numbers with a tolerance of 1e-8, lists item by item,
 * contexts key by key, dates, times and durations by value. A result node with
 * `errorResult="true"` passes when the evaluation fails or gives null (DMN-Scala's runner turns a
 * failure into null); the detail records which of the two happened.
 *
 * Models load as DMN-Scala's TCK runner configures its engine: names with spaces and dashes are
 * FEEL names and a decision that does not parse only fails when evaluated (`lazy`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { evaluate as feelEvaluate } from 'feelin';
import { evaluateFeelValue } from '../embedded/feel/index.js';
import { DmnError, decisionServices, evaluateDecision, evaluateDecisionService, parseDmn, type DecisionRequirements } from '../embedded/dmn/index.js';
import { parseXml, type XmlElement } from '../embedded/dmn/xml.js';
import { toJson } from '../embedded/feel/index.js';

export interface DmnTckCase {
  /** `<level>/<model-folder>/<test file without .xml>/<testCase id>`, the CSV's key. */
  id: string;
  outcome: 'passed' | 'failed' | 'skipped';
  detail?: string;
}

export interface DmnTckResult {
  passed: number;
  failed: number;
  skipped: number;
  cases: DmnTckCase[];
}

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const TOLERANCE = 1e-8;

function children(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

function child(el: XmlElement, name: string): XmlElement | undefined {
  return children(el, name)[0];
}

function feel(expression: string, value: string): unknown {
  // Herald's FEEL reads dates that feelin alone refuses (years outside 0000-9999)
  if (!expression.startsWith('date')) return feelEvaluate(expression, { v: value }).value ?? null;
  const r = evaluateFeelValue(expression, { v: value }).value;
  // Temporal cannot hold every date the TCK writes (Java's years reach ±999,999,999)
  if (r === null || r === undefined) throw new Error(`the test value '${value}' cannot be read as a FEEL ${expression.slice(0, -3)}`);
  return r;
}

/** A TCK valueType (value, component*, list) as a FEEL value. */
export function tckValue(el: XmlElement | undefined): unknown {
  if (!el) return null;
  const components = children(el, 'component');
  if (components.length) {
    const ctx: Record<string, unknown> = {};
    for (const c of components) ctx[c.attrs.name ?? ''] = c.attrs[`${XSI}#nil`] === 'true' ? null : tckValue(c);
    return ctx;
  }
  const list = child(el, 'list');
  if (list) return children(list, 'item').map((item) => tckValue(item));
  const value = child(el, 'value');
  if (!value) return null;
  return simpleValue(value);
}

function simpleValue(value: XmlElement): unknown {
  if (value.attrs[`${XSI}#nil`] === 'true') return null;
  const type = value.attrs[`${XSI}#type`];
  const text = value.text;
  if (!type) {
    // as the TCK runners: boolean, then number, then string
    const t = text.trim();
    if (!t && !value.children.length) return null;
    if (t === 'true' || t === 'false') return t === 'true';
    if (t !== '' && Number.isFinite(Number(t))) return Number(t);
    return text;
  }
  const local = type.includes(':') ? type.slice(type.indexOf(':') + 1) : type;
  switch (local) {
    case 'string':
      return text;
    case 'boolean':
      return text.trim() === 'true';
    case 'decimal':
    case 'double':
    case 'float':
    case 'int':
    case 'integer':
    case 'long':
    case 'short':
      return Number(text.trim());
    case 'date':
      return feel('date(v)', text.trim());
    case 'time':
      return feel('time(v)', text.trim());
    case 'dateTime':
      return feel('date and time(v)', text.trim());
    case 'duration':
      return feel('duration(v)', text.trim());
    default:
      return text;
  }
}

/** The TCK's comparison: numbers within 1e-8, structures item by item, temporals by value. */
export function tckEqual(expected: unknown, actual: unknown): boolean {
  if (expected === null || expected === undefined) return actual === null || actual === undefined;
  if (actual === null || actual === undefined) return false;
  if (typeof expected === 'number') {
    if (typeof actual !== 'number') return false;
    if (expected === actual) return true;
    const diff = Math.abs(expected - actual);
    return diff <= TOLERANCE || diff <= TOLERANCE * Math.abs(expected);
  }
  if (typeof expected !== 'object') return expected === actual;
  if (Array.isArray(expected)) return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => tckEqual(e, actual[i]));
  if (typeof actual !== 'object' || Array.isArray(actual)) return false;
  const proto = Object.getPrototypeOf(expected);
  if (proto === Object.prototype || proto === null) {
    const ap = Object.getPrototypeOf(actual);
    if (ap !== Object.prototype && ap !== null) return false;
    const ek = Object.keys(expected as object);
    const ak = Object.keys(actual as object);
    return ek.length === ak.length && ek.every((k) => Object.prototype.hasOwnProperty.call(actual, k) && tckEqual((expected as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k]));
  }
  if (Object.getPrototypeOf(actual) !== proto) return false;
  const eq = feelEvaluate('a = b', { a: expected, b: actual }).value;
  if (eq === true) return true;
  return JSON.stringify(toJson(expected)) === JSON.stringify(toJson(actual));
}

function show(value: unknown): string {
  try {
    return JSON.stringify(toJson(value)) ?? String(value);
  } catch {
    return String(value);
  }
}

interface LoadedFolder {
  models: Map<string, DecisionRequirements | Error>;
}

/** Loads every model of a folder; imports resolve to the folder's other models by namespace. */
function loadFolder(folder: string): LoadedFolder {
  const files = fs.readdirSync(folder).filter((f) => f.endsWith('.dmn'));
  const texts = new Map(files.map((f) => [f, fs.readFileSync(path.join(folder, f), 'utf8')]));
  const models = new Map<string, DecisionRequirements | Error>();
  const namespaceOf = (xml: string) => /<(?:\w+:)?definitions\b[^>]*\bnamespace="([^"]*)"/.exec(xml)?.[1];
  const importsOf = (xml: string) => [...xml.matchAll(/<(?:\w+:)?import\b[^>]*\bnamespace="([^"]*)"/g)].map((m) => m[1]);
  const byNamespace = new Map([...texts].map(([f, xml]) => [namespaceOf(xml) ?? f, f]));
  const load = (file: string, seen: Set<string>): DecisionRequirements | Error => {
    const done = models.get(file);
    if (done) return done;
    const xml = texts.get(file)!;
    const imports: DecisionRequirements[] = [];
    for (const ns of importsOf(xml)) {
      const dep = byNamespace.get(ns);
      if (!dep || seen.has(dep)) continue;
      const m = load(dep, new Set([...seen, file]));
      if (!(m instanceof Error)) imports.push(m);
    }
    let result: DecisionRequirements | Error;
    try {
      result = parseDmn(xml, file, { lazy: true, imports });
    } catch (err) {
      result = err instanceof Error ? err : new Error(String(err));
    }
    models.set(file, result);
    return result;
  };
  for (const f of files) load(f, new Set());
  return { models };
}

function findDecision(drg: DecisionRequirements, name: string): string | undefined {
  return (drg.decisions.find((d) => d.name === name) ?? drg.decisions.find((d) => d.variableName === name) ?? drg.decisions.find((d) => d.id === name))?.id;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

function attempt(fn: () => unknown): Outcome {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    return { ok: false, error: err instanceof DmnError || err instanceof Error ? err.message : String(err) };
  }
}

function runCase(drg: DecisionRequirements, testCase: XmlElement): { outcome: 'passed' | 'failed'; detail?: string } {
  const inputs: Record<string, unknown> = {};
  const importedInputs = new Map<string, Record<string, unknown>>();
  for (const input of children(testCase, 'inputNode')) {
    const ns = input.attrs.namespace;
    if (ns && ns !== drg.namespace) {
      // an input data of an imported model, however deep the import
      importedInputs.set(ns, { ...(importedInputs.get(ns) ?? {}), [input.attrs.name ?? '']: tckValue(input) });
      continue;
    }
    inputs[input.attrs.name ?? ''] = tckValue(input);
  }
  const opts = { raw: true, ...(importedInputs.size ? { importedInputs } : {}) };
  const isService = testCase.attrs.type === 'decisionService';
  const problems: string[] = [];
  const notes: string[] = [];
  for (const result of children(testCase, 'resultNode')) {
    const name = result.attrs.name ?? '';
    const errorResult = result.attrs.errorResult === 'true';
    const expected = tckValue(child(result, 'expected'));
    let outcome: Outcome;
    if (isService) {
      const service = testCase.attrs.invocableName ?? '';
      outcome = attempt(() => {
        const out = evaluateDecisionService(drg, service, inputs, opts);
        const s = decisionServices(drg).find((x) => x.name === service || x.id === service);
        if (s && s.outputDecisions.length > 1 && out && typeof out === 'object') return (out as Record<string, unknown>)[name];
        return out;
      });
    } else {
      const id = findDecision(drg, name);
      if (id) outcome = attempt(() => evaluateDecision(drg, id, inputs, opts).output);
      else if (decisionServices(drg).some((s) => s.name === name)) outcome = attempt(() => evaluateDecisionService(drg, name, inputs, opts));
      else outcome = { ok: false, error: `no decision found with name '${name}'` };
    }
    if (errorResult) {
      if (!outcome.ok) notes.push(`${name}: failed as expected (${outcome.error})`);
      else if (outcome.value === null || outcome.value === undefined) notes.push(`${name}: null as expected (no error raised)`);
      else problems.push(`${name}: expected an error, got ${show(outcome.value)}`);
      continue;
    }
    if (!outcome.ok) {
      // DMN-Scala's runner: a failed evaluation is null, compared with the expectation
      if (expected === null) notes.push(`${name}: null expected, evaluation failed (${outcome.error})`);
      else problems.push(`${name}: ${outcome.error}`);
      continue;
    }
    if (!tckEqual(expected, outcome.value)) problems.push(`${name}: expected ${show(expected)}, got ${show(outcome.value)}`);
  }
  if (problems.length) return { outcome: 'failed', detail: problems.join('; ') };
  return notes.length ? { outcome: 'passed', detail: notes.join('; ') } : { outcome: 'passed' };
}

/** `<level>/<model-folder>` from a folder path. */
function folderKey(folder: string): string {
  const parts = path.resolve(folder).split(path.sep);
  return parts.slice(-2).join('/');
}

/** Model folders (those holding `*-test-*.xml`) under the given paths, e.g. the whole `dmn-tck/`. */
function modelFolders(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && /-test-.*\.xml$/.test(e.name))) {
      out.push(dir);
      return;
    }
    for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) walk(path.join(dir, e.name));
  };
  for (const p of paths) walk(p);
  return out;
}

/**
 * Runs the TCK test cases of the given model folders (or of every model folder under a path). A case whose model cannot load fails
 * with the reason; commented-out test cases are not run.
 */
export async function runDmnTck(
  folders: string[],
  opts: { json?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<DmnTckResult> {
  const plan: { folder: string; file: string; root: XmlElement }[] = [];
  let total = 0;
  for (const folder of modelFolders(folders)) {
    for (const file of fs.readdirSync(folder).filter((f) => /-test-.*\.xml$/.test(f)).sort()) {
      const root = parseXml(fs.readFileSync(path.join(folder, file), 'utf8'));
      plan.push({ folder, file, root });
      total += children(root, 'testCase').length;
    }
  }
  const cases: DmnTckCase[] = [];
  let done = 0;
  for (const { folder, file, root } of plan) {
    const loaded = loadFolder(folder);
    const modelName = child(root, 'modelName')?.text.trim() ?? '';
    const drg = loaded.models.get(modelName) ?? new Error(`model '${modelName}' is not in the folder`);
    const prefix = `${folderKey(folder)}/${file.replace(/\.xml$/, '')}`;
    for (const testCase of children(root, 'testCase')) {
      const id = `${prefix}/${testCase.attrs.id ?? ''}`;
      if (drg instanceof Error) {
        cases.push({ id, outcome: 'failed', detail: `the model cannot load: ${drg.message}` });
      } else {
        let r: { outcome: 'passed' | 'failed'; detail?: string };
        try {
          r = runCase(drg, testCase);
        } catch (err) {
          r = { outcome: 'failed', detail: `the runner failed: ${(err as Error).message}` };
        }
        cases.push({ id, ...r });
      }
      done++;
      if (opts.onProgress && (done % 50 === 0 || done === total)) opts.onProgress(done, total);
      // let timers and I/O run between cases on a shared event loop
      if (done % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const count = (o: DmnTckCase['outcome']) => cases.filter((c) => c.outcome === o).length;
  return { passed: count('passed'), failed: count('failed'), skipped: count('skipped'), cases };
}

/** The ids of a baseline file of passing cases (`{ "passing": [...] }`, sorted). */
export function readDmnTckBaseline(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { passing: string[] }).passing;
}

/**
 * Adds the cases that pass to a baseline of passing ids. The baseline only grows: nothing is
 * written when one of its cases now fails, and those cases are returned.
 */
export function writeDmnTckBaseline(file: string, report: DmnTckResult): { written: boolean; added: string[]; regressed: string[] } {
  const baseline = readDmnTckBaseline(file);
  const passed = new Set(report.cases.filter((c) => c.outcome === 'passed').map((c) => c.id));
  const regressed = baseline.filter((id) => !passed.has(id));
  if (regressed.length) return { written: false, added: [], regressed };
  const known = new Set(baseline);
  const added = [...passed].filter((id) => !known.has(id));
  const passing = [...new Set([...baseline, ...added])].sort();
  fs.writeFileSync(file, `${JSON.stringify({ passing }, null, 1)}\n`);
  return { written: true, added, regressed: [] };
}
