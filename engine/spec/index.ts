/**
 * Process tests: run zeebe-spec YAML files against an engine. `runSpecFiles` is what the CLI
 * (`herald test`), the test suite and a pre-deploy dry run call.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Resource } from '../types.js';
import { parseSpec, SpecFormatError, type TestSpec } from './format.js';
import { indexBpmn, type ProcessInfo } from './model.js';
import { resolveResources } from './resources.js';
import { runTestCase, type CaseResult, type RunCaseOptions } from './runner.js';
import type { EngineProvider } from './engines.js';

export { parseSpec, SpecFormatError, formatProblem, ACTIONS, VERIFICATIONS } from './format.js';
export type { TestSpec, TestCase, Instruction, SpecProblem } from './format.js';
export { runTestCase } from './runner.js';
export type { CaseResult, CaseFailure, AuthorizeUserTask, AuthorizationResult, UserTaskCompletion, CaseEngine } from './runner.js';
export { EmbeddedProvider, ZeebeProvider, defaultProvider, type EngineProvider } from './engines.js';
export { findSpecFiles, resolveResources } from './resources.js';

export interface FileResult {
  file: string;
  /** The spec could not be read or its resources not found: nothing ran. */
  error?: string;
  cases: CaseResult[];
  durationMs: number;
}

export interface SuiteResult {
  files: FileResult[];
  /** Every process deployed by any spec, by id, for coverage. */
  processes: Map<string, ProcessInfo>;
  durationMs: number;
  passed: number;
  failed: number;
  skipped: number;
}

export interface RunSpecOptions extends RunCaseOptions {
  provider: EngineProvider;
  /** Only cases whose name contains this. */
  filter?: string;
  /** Called after each case (the CLI prints as it goes). */
  onCase?(result: CaseResult): void;
  onFileError?(file: string, error: string): void;
}

export async function runSpecFile(file: string, options: RunSpecOptions, processes = new Map<string, ProcessInfo>()): Promise<FileResult> {
  const started = Date.now();
  const display = path.relative(process.cwd(), file) || file;
  let spec: TestSpec;
  let resources: Resource[];
  try {
    spec = parseSpec(fs.readFileSync(file, 'utf8'), display);
    resources = resolveResources(file, spec.resources).map((r) => ({ name: r.name, content: r.content }));
  } catch (err) {
    const error = err instanceof SpecFormatError ? err.message : `${display}: ${(err as Error).message}`;
    options.onFileError?.(display, error);
    return { file: display, error, cases: [], durationMs: Date.now() - started };
  }
  let index;
  try {
    index = await indexBpmn(resources as { name: string; content: string }[]);
  } catch (err) {
    const error = `${display}: a resource could not be read as BPMN: ${(err as Error).message}`;
    options.onFileError?.(display, error);
    return { file: display, error, cases: [], durationMs: Date.now() - started };
  }
  for (const [id, p] of index.processes) if (!processes.has(id)) processes.set(id, p);
  const cases: CaseResult[] = [];
  for (const testCase of spec.testCases) {
    if (options.filter && !testCase.name.includes(options.filter)) continue;
    let result: CaseResult;
    const caseStart = Date.now();
    let open;
    try {
      open = testCase.skip ? undefined : await options.provider.openCase(resources);
    } catch (err) {
      result = {
        file: display,
        name: testCase.name,
        description: testCase.description,
        status: 'failed',
        durationMs: Date.now() - caseStart,
        failure: { where: 'deployment', message: `the resources could not be deployed: ${(err as Error).message}` },
        traces: [],
        userTasks: [],
      };
      cases.push(result);
      options.onCase?.(result);
      continue;
    }
    try {
      result = open
        ? await runTestCase(display, testCase, open, index, options)
        : { file: display, name: testCase.name, description: testCase.description, status: 'skipped', skipReason: testCase.skip, durationMs: 0, traces: [], userTasks: [] };
    } finally {
      await open?.close().catch(() => undefined);
    }
    cases.push(result);
    options.onCase?.(result);
  }
  return { file: display, cases, durationMs: Date.now() - started };
}

export async function runSpecFiles(files: string[], options: RunSpecOptions): Promise<SuiteResult> {
  const started = Date.now();
  const processes = new Map<string, ProcessInfo>();
  const results: FileResult[] = [];
  for (const file of files) results.push(await runSpecFile(file, options, processes));
  const all = results.flatMap((r) => r.cases);
  return {
    files: results,
    processes,
    durationMs: Date.now() - started,
    passed: all.filter((c) => c.status === 'passed').length,
    // a spec that could not be read counts as one failure
    failed: all.filter((c) => c.status === 'failed').length + results.filter((r) => r.error).length,
    skipped: all.filter((c) => c.status === 'skipped').length,
  };
}
