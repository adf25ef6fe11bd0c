/**
 * The process-test file format: the YAML of camunda-community-hub/zeebe-spec (`testCases` with
 * `instructions`, each an `action` or a `verification` with `args`), plus Herald's additions,
 * each marked `addition` in the tables below and in docs/process-tests.md.
 *
 * Parsing validates everything up front: an unknown action, verification or argument, a
 * missing required argument, a bad state or a bad duration is reported with the file, the
 * test case and the instruction's position, before any engine runs.
 */
import { parse as parseYaml } from 'yaml';
import { parseDuration } from './duration.js';

export type Variables = Record<string, unknown>;

/** Where an instruction sits, for messages: `file`, case name and 1-based instruction number. */
export interface InstructionLocation {
  file: string;
  testCase: string;
  /** 1-based position in the case's instruction list. */
  index: number;
}

interface ArgSpec {
  required?: boolean;
  kind: 'string' | 'json' | 'duration' | 'state' | 'int' | 'bool' | 'list';
  /** Allowed values for `state`-like arguments (lower case). */
  values?: string[];
  /** A Herald addition to a zeebe-spec instruction. */
  addition?: boolean;
}

interface InstructionSpec {
  /** The whole instruction is a Herald addition. */
  addition?: boolean;
  args: Record<string, ArgSpec>;
  /** At least one of these must be given. */
  oneOf?: string[];
}

const ELEMENT_STATES = ['activated', 'completed', 'terminated', 'taken'];
const selector: Record<string, ArgSpec> = {
  element_id: { kind: 'string' },
  element_name: { kind: 'string' },
  process_instance: { kind: 'string' },
};

/** Every action the runner knows, with its arguments. */
export const ACTIONS: Record<string, InstructionSpec> = {
  'create-instance': {
    args: {
      bpmn_process_id: { kind: 'string', required: true },
      variables: { kind: 'json' },
      process_instance_alias: { kind: 'string' },
      version: { kind: 'int', addition: true },
      start_at: { kind: 'list', addition: true },
    },
  },
  'complete-task': {
    args: {
      job_type: { kind: 'string', required: true },
      variables: { kind: 'json' },
      times: { kind: 'int', addition: true },
    },
  },
  'throw-error': {
    args: {
      job_type: { kind: 'string', required: true },
      error_code: { kind: 'string', required: true },
      error_message: { kind: 'string' },
      variables: { kind: 'json', addition: true },
      times: { kind: 'int', addition: true },
    },
  },
  'publish-message': {
    args: {
      message_name: { kind: 'string', required: true },
      correlation_key: { kind: 'string', required: true },
      variables: { kind: 'json' },
      time_to_live: { kind: 'duration', addition: true },
      message_id: { kind: 'string', addition: true },
    },
  },
  'cancel-instance': { args: { process_instance: { kind: 'string' } } },
  'await-element-instance-state': {
    args: { ...selector, state: { kind: 'state', required: true, values: ELEMENT_STATES } },
    oneOf: ['element_id', 'element_name'],
  },
  // Herald's additions
  'increase-time': { addition: true, args: { duration: { kind: 'duration', required: true } } },
  'broadcast-signal': {
    addition: true,
    args: { signal_name: { kind: 'string', required: true }, variables: { kind: 'json' } },
  },
  'complete-user-task': {
    addition: true,
    args: {
      ...selector,
      variables: { kind: 'json' },
      user: { kind: 'string' },
      expect: { kind: 'state', values: ['completed', 'refused'] },
    },
    oneOf: ['element_id', 'element_name'],
  },
  'fail-task': {
    addition: true,
    args: {
      job_type: { kind: 'string', required: true },
      retries: { kind: 'int' },
      error_message: { kind: 'string' },
      retry_back_off: { kind: 'duration' },
      times: { kind: 'int' },
    },
  },
  'resolve-incident': {
    addition: true,
    args: { ...selector, retries: { kind: 'int' } },
  },
};

/** Every verification the runner knows, with its arguments. */
export const VERIFICATIONS: Record<string, InstructionSpec> = {
  'process-instance-state': {
    args: { state: { kind: 'state', required: true, values: ['activated', 'completed', 'terminated'] }, process_instance: { kind: 'string' } },
  },
  'element-instance-state': {
    args: { ...selector, state: { kind: 'state', required: true, values: ELEMENT_STATES } },
    oneOf: ['element_id', 'element_name'],
  },
  'process-instance-variable': {
    args: { ...selector, name: { kind: 'string', required: true }, value: { kind: 'json', required: true } },
  },
  'no-process-instance-variable': {
    args: { ...selector, name: { kind: 'string', required: true } },
  },
  'incident-state': {
    args: {
      ...selector,
      state: { kind: 'state', required: true, values: ['created', 'resolved'] },
      error_type: { kind: 'string', required: true },
      error_message: { kind: 'string' },
    },
  },
  // Herald's addition
  'decision-output': {
    addition: true,
    args: {
      ...selector,
      decision_id: { kind: 'string' },
      variables: { kind: 'json' },
      output: { kind: 'json', required: true },
    },
    oneOf: ['element_id', 'element_name', 'decision_id'],
  },
};

/** One parsed instruction; `args` hold the typed values (JSON parsed, durations as strings). */
export interface Instruction {
  type: 'action' | 'verification';
  name: string;
  args: Record<string, unknown>;
  location: InstructionLocation;
}

export interface TestCase {
  name: string;
  description: string;
  instructions: Instruction[];
  /** Herald addition: the case is reported as skipped with this reason. */
  skip?: string;
}

export interface TestSpec {
  file: string;
  /** Explicit resources (paths relative to the spec file), when the spec names them. */
  resources?: string[];
  testCases: TestCase[];
}

export interface SpecProblem {
  file: string;
  testCase?: string;
  /** 1-based instruction number. */
  index?: number;
  message: string;
}

export class SpecFormatError extends Error {
  constructor(readonly problems: SpecProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'SpecFormatError';
  }
}

export function formatProblem(p: SpecProblem): string {
  const where = [p.file, p.testCase !== undefined ? `test case '${p.testCase}'` : undefined, p.index !== undefined ? `instruction ${p.index}` : undefined]
    .filter(Boolean)
    .join(', ');
  return `${where}: ${p.message}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** zeebe-spec passes every argument as a string; YAML scalars are accepted and converted. */
function asString(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function convertArg(name: string, spec: ArgSpec, raw: unknown): { value?: unknown; error?: string } {
  switch (spec.kind) {
    case 'string': {
      const s = asString(raw);
      return s === undefined ? { error: `argument '${name}' must be a string` } : { value: s };
    }
    case 'json': {
      // zeebe-spec: a JSON string ('{"x":1}', '1', '"text"'). Herald also takes plain YAML values.
      if (typeof raw !== 'string') return { value: raw };
      try {
        return { value: JSON.parse(raw) };
      } catch (err) {
        return { error: `argument '${name}' is not valid JSON (${(err as Error).message}): ${raw}` };
      }
    }
    case 'duration': {
      const s = asString(raw);
      if (s === undefined) return { error: `argument '${name}' must be an ISO 8601 duration such as PT15M or P14D` };
      try {
        parseDuration(s);
        return { value: s };
      } catch (err) {
        return { error: `argument '${name}': ${(err as Error).message}` };
      }
    }
    case 'state': {
      const s = asString(raw)?.toLowerCase();
      if (!s || !spec.values!.includes(s)) return { error: `argument '${name}' must be one of ${spec.values!.join(', ')}, not '${String(raw)}'` };
      return { value: s };
    }
    case 'int': {
      const n = typeof raw === 'number' ? raw : Number(asString(raw));
      if (!Number.isInteger(n) || n < 0) return { error: `argument '${name}' must be a whole number >= 0, not '${String(raw)}'` };
      return { value: n };
    }
    case 'bool': {
      const s = asString(raw);
      if (s !== 'true' && s !== 'false') return { error: `argument '${name}' must be true or false` };
      return { value: s === 'true' };
    }
    case 'list': {
      if (Array.isArray(raw) && raw.every((x) => typeof x === 'string')) return { value: raw };
      const s = asString(raw);
      if (s === undefined) return { error: `argument '${name}' must be a string or a list of strings` };
      return { value: s.split(',').map((x) => x.trim()).filter(Boolean) };
    }
  }
}

function parseInstruction(raw: unknown, loc: InstructionLocation, problems: SpecProblem[], forcedType?: 'action' | 'verification'): Instruction | undefined {
  const at = { file: loc.file, testCase: loc.testCase, index: loc.index };
  if (!isRecord(raw)) {
    problems.push({ ...at, message: 'an instruction must be a mapping with `action` or `verification` and `args`' });
    return undefined;
  }
  const unknownKeys = Object.keys(raw).filter((k) => !['action', 'verification', 'args'].includes(k));
  if (unknownKeys.length) problems.push({ ...at, message: `unknown field(s) ${unknownKeys.map((k) => `'${k}'`).join(', ')}; an instruction has action or verification, and args` });
  const hasAction = raw.action !== undefined;
  const hasVerification = raw.verification !== undefined;
  if (hasAction === hasVerification || (forcedType === 'action' && !hasAction) || (forcedType === 'verification' && !hasVerification)) {
    problems.push({ ...at, message: forcedType ? `expected \`${forcedType}\`` : 'an instruction needs exactly one of `action` or `verification`' });
    return undefined;
  }
  const type = hasAction ? 'action' : 'verification';
  const name = asString(hasAction ? raw.action : raw.verification)?.toLowerCase() ?? '';
  const table = type === 'action' ? ACTIONS : VERIFICATIONS;
  const spec = table[name];
  if (!spec) {
    problems.push({ ...at, message: `unknown ${type} '${name}'; known: ${Object.keys(table).join(', ')}` });
    return undefined;
  }
  const rawArgs = raw.args ?? {};
  if (!isRecord(rawArgs)) {
    problems.push({ ...at, message: `${type} '${name}': args must be a mapping` });
    return undefined;
  }
  const args: Record<string, unknown> = {};
  let ok = true;
  for (const [key, value] of Object.entries(rawArgs)) {
    const argSpec = spec.args[key];
    if (!argSpec) {
      problems.push({ ...at, message: `${type} '${name}': unknown argument '${key}'; known: ${Object.keys(spec.args).join(', ')}` });
      ok = false;
      continue;
    }
    if (value === null || value === undefined) continue;
    const { value: converted, error } = convertArg(key, argSpec, value);
    if (error) {
      problems.push({ ...at, message: `${type} '${name}': ${error}` });
      ok = false;
    } else args[key] = converted;
  }
  for (const [key, argSpec] of Object.entries(spec.args)) {
    if (argSpec.required && !(key in args) && !(key in rawArgs)) {
      problems.push({ ...at, message: `${type} '${name}': missing required argument '${key}'` });
      ok = false;
    }
  }
  if (spec.oneOf && !spec.oneOf.some((k) => k in args)) {
    problems.push({ ...at, message: `${type} '${name}': needs one of ${spec.oneOf.map((k) => `'${k}'`).join(', ')}` });
    ok = false;
  }
  return ok ? { type, name, args, location: loc } : undefined;
}

/** Parses and validates one spec file's text; throws SpecFormatError listing every problem. */
export function parseSpec(text: string, file: string): TestSpec {
  const problems: SpecProblem[] = [];
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new SpecFormatError([{ file, message: `not valid YAML: ${(err as Error).message}` }]);
  }
  if (!isRecord(doc)) throw new SpecFormatError([{ file, message: 'a spec is a mapping with `testCases`' }]);
  const unknownTop = Object.keys(doc).filter((k) => !['testCases', 'resources'].includes(k));
  if (unknownTop.length) problems.push({ file, message: `unknown field(s) ${unknownTop.map((k) => `'${k}'`).join(', ')}; a spec has testCases and resources` });
  let resources: string[] | undefined;
  if (doc.resources !== undefined && doc.resources !== null) {
    if (!Array.isArray(doc.resources) || !doc.resources.every((r) => typeof r === 'string')) problems.push({ file, message: '`resources` must be a list of file paths' });
    else resources = doc.resources as string[];
  }
  if (!Array.isArray(doc.testCases) || !doc.testCases.length) {
    problems.push({ file, message: '`testCases` must be a non-empty list' });
    throw new SpecFormatError(problems);
  }
  const testCases: TestCase[] = [];
  doc.testCases.forEach((rawCase, caseIndex) => {
    const fallbackName = `#${caseIndex + 1}`;
    if (!isRecord(rawCase)) {
      problems.push({ file, testCase: fallbackName, message: 'a test case must be a mapping with name and instructions' });
      return;
    }
    const name = asString(rawCase.name) ?? fallbackName;
    if (rawCase.name === undefined) problems.push({ file, testCase: name, message: 'a test case needs a `name`' });
    const unknown = Object.keys(rawCase).filter((k) => !['name', 'description', 'instructions', 'actions', 'verifications', 'skip'].includes(k));
    if (unknown.length) problems.push({ file, testCase: name, message: `unknown field(s) ${unknown.map((k) => `'${k}'`).join(', ')}; a test case has name, description, instructions (or actions and verifications) and skip` });
    // zeebe-spec's older style: `actions` then `verifications`, numbered as one list.
    const entries: { raw: unknown; forced?: 'action' | 'verification' }[] = [];
    if (Array.isArray(rawCase.instructions)) entries.push(...rawCase.instructions.map((raw) => ({ raw })));
    else if (rawCase.instructions !== undefined) problems.push({ file, testCase: name, message: '`instructions` must be a list' });
    if (Array.isArray(rawCase.actions)) entries.push(...rawCase.actions.map((raw) => ({ raw, forced: 'action' as const })));
    if (Array.isArray(rawCase.verifications)) entries.push(...rawCase.verifications.map((raw) => ({ raw, forced: 'verification' as const })));
    if (!entries.length) problems.push({ file, testCase: name, message: 'a test case needs at least one instruction' });
    const instructions: Instruction[] = [];
    entries.forEach((entry, i) => {
      const parsed = parseInstruction(entry.raw, { file, testCase: name, index: i + 1 }, problems, entry.forced);
      if (parsed) instructions.push(parsed);
    });
    const skip = rawCase.skip === undefined || rawCase.skip === false ? undefined : (asString(rawCase.skip) ?? 'skipped');
    testCases.push({ name, description: asString(rawCase.description) ?? '', instructions, skip });
  });
  const names = testCases.map((c) => c.name);
  for (const dup of new Set(names.filter((n, i) => names.indexOf(n) !== i))) problems.push({ file, testCase: dup, message: 'two test cases have this name' });
  if (problems.length) throw new SpecFormatError(problems);
  return { file, resources, testCases };
}

/** Human label of an instruction: `instruction 3 (verification element-instance-state)`. */
export function describeInstruction(ins: Instruction): string {
  return `instruction ${ins.location.index} (${ins.type} ${ins.name})`;
}
