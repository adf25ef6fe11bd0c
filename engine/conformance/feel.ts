/**
 * FEEL conformance: runs FEEL-scala's own test expectations (the YAML cases in
 * ../shared/feel-cases/, see its MANIFEST.md) against Herald's FEEL, through the same functions
 * the embedded engine calls (evaluateFeelValue for expressions, compileUnaryTestsValue for
 * decision-table input entries), and compares results with FEEL-scala's notion of equality:
 * numbers by decimal value, contexts as maps, temporals by value, durations by length.
 *
 * A pure library (no output, no process state); `herald conformance feel` and the test in
 * tests/engine/conformance/ are its two callers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Decimal } from 'decimal.js';
import { parse as parseYaml } from 'yaml';
import { FeelDate, FeelDateTime, FeelDuration, FeelTime, parseDate, parseDateTime, parseTime } from 'feelin';
import { evaluateFeelValue, evaluateUnaryTestsValue } from '../embedded/feel/index.js';
import { durationMeasure, parseJavaDuration, standardOffsetSeconds } from '../embedded/feel/values.js';

/** A value as the case files write it: a type tag and its text (see the MANIFEST's table). */
export type TaggedValue =
  | { type: 'number'; value: string; double?: boolean }
  | { type: 'string'; value: string }
  | { type: 'boolean'; value: boolean }
  | { type: 'null'; value: null }
  | { type: 'list'; value: TaggedValue[] }
  | { type: 'context'; value: Record<string, TaggedValue> }
  | { type: 'date' | 'local time' | 'time' | 'local date and time' | 'date and time'; value: string }
  | { type: 'years and months duration' | 'days and time duration'; value: string };

export type Expected = TaggedValue | { null: true } | { failure: true; parse_error?: boolean; message_contains?: string };

export interface FeelCase {
  id: string;
  line?: number;
  test?: string;
  kind: 'expression' | 'unary-tests';
  expression: string;
  variables?: Record<string, TaggedValue>;
  input?: TaggedValue;
  expected: Expected;
  /** The file the case came from (set by the loader). */
  file?: string;
}

export type Outcome = 'passed' | 'failed';

export interface FeelCaseResult {
  id: string;
  outcome: Outcome;
  kind: FeelCase['kind'];
  expression: string;
  expected: string;
  /** What Herald gave, in the same notation as `expected`. */
  actual: string;
  /** Why it failed, when it did. */
  detail?: string;
}

export interface FeelConformanceReport {
  passed: number;
  failed: number;
  cases: FeelCaseResult[];
}

export class FeelCaseFileError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'FeelCaseFileError';
  }
}

// ----------------------------------------------------------------------------------- loading

/** The case files named: files as they are, folders for their *.yaml files (sorted). */
export function findFeelCaseFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const stat = fs.statSync(p, { throwIfNoEntry: false });
    if (!stat) throw new FeelCaseFileError(p, 'no such file or folder');
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) if (/\.ya?ml$/.test(name)) out.push(path.join(p, name));
    } else {
      out.push(p);
    }
  }
  return out;
}

export function loadFeelCases(file: string): FeelCase[] {
  let doc: unknown;
  try {
    doc = parseYaml(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new FeelCaseFileError(file, `not readable YAML: ${(err as Error).message}`);
  }
  const cases = (doc as { cases?: unknown })?.cases;
  if (!Array.isArray(cases)) throw new FeelCaseFileError(file, "has no 'cases' list");
  return cases.map((c: FeelCase, i) => {
    if (!c || typeof c.id !== 'string' || typeof c.expression !== 'string' || !c.expected) {
      throw new FeelCaseFileError(file, `case ${i + 1} lacks an id, an expression or an expected result`);
    }
    if (c.kind !== 'expression' && c.kind !== 'unary-tests') throw new FeelCaseFileError(file, `case '${c.id}' has an unknown kind '${String(c.kind)}'`);
    return { ...c, file };
  });
}

// ------------------------------------------------------------------------ tagged -> Herald

/** Java's ZonedDateTime text (`...+02:00[Europe/Berlin]`) in FEEL's form (`...@Europe/Berlin`). */
function feelDateTimeText(text: string): string {
  const m = /^(.*?)(?:[+-]\d{2}:\d{2}|Z)\[(.+)\]$/.exec(text);
  return m ? `${m[1]}@${m[2]}` : text;
}

/** A tagged value as Herald's FEEL receives it: JSON types, temporals as typed FEEL values. */
export function toHeraldValue(v: TaggedValue): unknown {
  switch (v.type) {
    case 'number':
      return Number(v.value);
    case 'string':
    case 'boolean':
      return v.value;
    case 'null':
      return null;
    case 'list':
      return v.value.map(toHeraldValue);
    case 'context':
      return Object.fromEntries(Object.entries(v.value).map(([k, x]) => [k, toHeraldValue(x)]));
    case 'date':
      return parseDate(v.value);
    case 'local time':
    case 'time':
      return parseTime(v.value);
    case 'local date and time':
      return parseDateTime(v.value);
    case 'date and time':
      return parseDateTime(feelDateTimeText(v.value));
    case 'years and months duration':
    case 'days and time duration':
      return parseJavaDuration(v.value);
  }
}

// -------------------------------------------------------------------------------- comparing

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
}

/** A Herald value in the case files' notation, for reports. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return `number ${String(value)}`;
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'boolean') return `boolean ${String(value)}`;
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (value instanceof FeelDate) return `date ${value.iso}`;
  if (value instanceof FeelTime) return `${value.zone === null ? 'local time' : 'time'} ${value.iso}`;
  if (value instanceof FeelDateTime) return `${value.zone === null ? 'local date and time' : 'date and time'} ${value.iso}`;
  if (value instanceof FeelDuration) return `${value.yearsMonths ? 'years and months duration' : 'days and time duration'} ${value.iso}`;
  if (isPlainObject(value)) return `{${Object.entries(value).map(([k, v]) => `${k}: ${describe(v)}`).join(', ')}}`;
  if (typeof value === 'function') return 'function';
  return `${(value as object).constructor?.name ?? typeof value} ${String(value)}`;
}

export function describeExpected(e: Expected): string {
  if ('failure' in e) return `failure${e.parse_error ? ' (parse error)' : ''}${e.message_contains ? `: ${e.message_contains}` : ''}`;
  if ('null' in e) return 'null';
  return describeTagged(e);
}

function describeTagged(v: TaggedValue): string {
  switch (v.type) {
    case 'number':
      return `number ${v.value}`;
    case 'string':
      return `string ${JSON.stringify(v.value)}`;
    case 'null':
      return 'null';
    case 'list':
      return `[${v.value.map(describeTagged).join(', ')}]`;
    case 'context':
      return `{${Object.entries(v.value).map(([k, x]) => `${k}: ${describeTagged(x)}`).join(', ')}}`;
    default:
      return `${v.type} ${String(v.value)}`;
  }
}

/** Nanoseconds of a wall-clock time. */
function nanosOfDay(t: { hour: number; minute: number; second: number; millisecond: number; microsecond: number; nanosecond: number }): bigint {
  return ((BigInt(t.hour) * 60n + BigInt(t.minute)) * 60n + BigInt(t.second)) * 1_000_000_000n + BigInt(t.millisecond) * 1_000_000n + BigInt(t.microsecond) * 1000n + BigInt(t.nanosecond);
}

function sameZone(expected: string | null, actual: string | null): boolean {
  if (expected === null || actual === null) return expected === actual;
  const utc = (z: string) => z === 'Z' || z === 'UTC' || z === '+00:00' || z === 'Etc/UTC';
  if (utc(expected) && utc(actual)) return true;
  return expected === actual;
}

/**
 * Whether Herald's value equals the tagged expectation as FEEL-scala's test assertion sees it.
 * Returns undefined when equal, else the reason.
 */
export function mismatch(expected: TaggedValue, actual: unknown, where = 'the result'): string | undefined {
  const want = () => `${where} is ${describe(actual)}, expected ${describeTagged(expected)}`;
  switch (expected.type) {
    case 'null':
      return actual === null || actual === undefined ? undefined : want();
    case 'number': {
      if (typeof actual !== 'number' && !Decimal.isDecimal(actual)) return want();
      const a = new Decimal(actual as number);
      const e = new Decimal(expected.value);
      if (a.eq(e)) return undefined;
      // FEEL-scala computed these through binary floating point (see the MANIFEST); a
      // difference in the last of 16-17 significant digits is the double's, not FEEL's.
      if (expected.double && a.minus(e).abs().lte(e.abs().times(1e-15))) return undefined;
      return want();
    }
    case 'string':
    case 'boolean':
      return actual === expected.value ? undefined : want();
    case 'list': {
      if (!Array.isArray(actual) || actual.length !== expected.value.length) return want();
      for (let i = 0; i < actual.length; i++) {
        const m = mismatch(expected.value[i], actual[i], `item ${i + 1}`);
        if (m) return `${want()} (${m})`;
      }
      return undefined;
    }
    case 'context': {
      if (!isPlainObject(actual)) return want();
      const keys = Object.keys(expected.value);
      const extra = Object.keys(actual).filter((k) => !(k in expected.value));
      if (extra.length || keys.some((k) => !(k in actual))) return want();
      for (const k of keys) {
        const m = mismatch(expected.value[k], actual[k], `entry '${k}'`);
        if (m) return `${want()} (${m})`;
      }
      return undefined;
    }
    case 'date': {
      const e = parseDate(expected.value);
      return actual instanceof FeelDate && e && actual.iso === e.iso ? undefined : want();
    }
    case 'local time':
    case 'time': {
      const e = parseTime(expected.value);
      if (!(actual instanceof FeelTime) || !e) return want();
      if ((actual.zone === null) !== (e.zone === null)) return want();
      if (nanosOfDay(actual.unwrap()) !== nanosOfDay(e.unwrap())) return want();
      if (actual.zone === null || e.zone === null) return undefined;
      // FeelEngineTest compares a FEEL time as a Java OffsetTime: a zone id counts as its standard offset
      return standardOffsetSeconds(actual.zone) === standardOffsetSeconds(e.zone) ? undefined : want();
    }
    case 'local date and time':
    case 'date and time': {
      const e = parseDateTime(feelDateTimeText(expected.value));
      if (!(actual instanceof FeelDateTime) || !e) return want();
      if (!actual.unwrap().equals(e.unwrap())) return want();
      if (expected.type === 'local date and time') return actual.zone === null ? undefined : want();
      if (actual.zone === null) return want();
      // Java's ZonedDateTime.equals: same local time, same offset, same zone (a region or an offset)
      const named = /\[(.+)\]$/.exec(expected.value)?.[1];
      if (named) return actual.zone === named ? undefined : want();
      const offset = /([+-]\d{2}:\d{2}|Z)$/.exec(expected.value)?.[1] ?? null;
      return sameZone(offset, actual.zone) ? undefined : want();
    }
    case 'years and months duration':
    case 'days and time duration': {
      const e = parseJavaDuration(expected.value);
      if (!(actual instanceof FeelDuration) || !e) return want();
      if (actual.yearsMonths !== (expected.type === 'years and months duration')) return want();
      return durationMeasure(actual) === durationMeasure(e) ? undefined : want();
    }
  }
}

// --------------------------------------------------------------------------------- running

/** Evaluates one case with Herald's FEEL and compares the outcome with its expectation. */
export function runFeelCase(c: FeelCase): FeelCaseResult {
  const base = { id: c.id, kind: c.kind, expression: c.expression, expected: describeExpected(c.expected) };
  let value: unknown;
  let error: Error | undefined;
  try {
    const variables = Object.fromEntries(Object.entries(c.variables ?? {}).map(([k, v]) => [k, toHeraldValue(v)]));
    value =
      c.kind === 'unary-tests'
        ? evaluateUnaryTestsValue(c.expression, c.input ? toHeraldValue(c.input) : null, variables)
        : evaluateFeelValue(c.expression, variables).value;
  } catch (err) {
    error = err as Error;
  }
  const actual = error ? `failure: ${error.message}` : describe(value);
  const fail = (detail: string): FeelCaseResult => ({ ...base, outcome: 'failed', actual, detail });
  const e = c.expected;
  if ('failure' in e) return error ? { ...base, outcome: 'passed', actual } : fail(`expected a failure, got ${actual}`);
  if (error) return fail(`evaluation failed: ${error.message}`);
  if ('null' in e) return value === null || value === undefined ? { ...base, outcome: 'passed', actual } : fail(`the result is ${actual}, expected null`);
  const m = mismatch(e, value);
  return m ? fail(m) : { ...base, outcome: 'passed', actual };
}

export interface RunFeelOptions {
  /** Called after each case, for progress on long runs. */
  onProgress?: (done: number, total: number) => void;
}

/** Runs every case in the given files (or folders of *.yaml) and counts the outcomes. */
export function runFeelConformance(paths: string[], opts: RunFeelOptions = {}): FeelConformanceReport {
  const cases = findFeelCaseFiles(paths).flatMap(loadFeelCases);
  const results: FeelCaseResult[] = [];
  for (const c of cases) {
    results.push(runFeelCase(c));
    opts.onProgress?.(results.length, cases.length);
  }
  const passed = results.filter((r) => r.outcome === 'passed').length;
  return { passed, failed: results.length - passed, cases: results };
}

// -------------------------------------------------------------------------------- baseline

/** The ids of a baseline file (a sorted JSON list of passing case ids); empty when absent. */
export function readFeelBaseline(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  const ids: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) throw new FeelCaseFileError(file, 'is not a JSON list of case ids');
  return ids;
}

/**
 * Writes the ids that pass to the baseline file. The baseline only grows: when a case of the
 * old baseline now fails, nothing is written and those ids are returned (fix them first).
 */
export function writeFeelBaseline(file: string, report: FeelConformanceReport): { written: boolean; added: string[]; regressed: string[] } {
  const old = readFeelBaseline(file);
  const passing = new Set(report.cases.filter((c) => c.outcome === 'passed').map((c) => c.id));
  const ran = new Set(report.cases.map((c) => c.id));
  const regressed = old.filter((id) => ran.has(id) && !passing.has(id));
  if (regressed.length) return { written: false, added: [], regressed };
  const oldSet = new Set(old);
  const added = [...passing].filter((id) => !oldSet.has(id)).sort();
  const all = [...new Set([...old, ...passing])].sort();
  fs.writeFileSync(file, `${JSON.stringify(all, null, 1)}\n`);
  return { written: true, added, regressed };
}
