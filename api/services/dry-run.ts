/**
 * A dry run of a diagram before it deploys: lint it, compile it, then run the process tests
 * written for its process (`<process-id>.spec.yaml` and `<process-id>.*.spec.yaml` under the
 * processes folder, or specs naming its file in `resources:`) against it on a fresh in-memory
 * embedded engine with a virtual clock. Nothing is deployed to the real engine. Specs of other
 * processes that only call this one are not run. In the API a run goes to a pool thread
 * (diagram-pool.ts), with a time budget, so the event loop stays free while it runs.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareBpmn } from '../../engine/embedded/deploy.js';
import { EmbeddedProvider, findSpecFiles, parseSpec, resolveResources, runTestCase, SpecFormatError, type CaseResult } from '../../engine/spec/index.js';
import { indexBpmn, scanReferences } from '../../engine/spec/model.js';
import { specBaseName } from '../../engine/spec/resources.js';
import { EngineError, type Resource } from '../../engine/types.js';
import { dryRunOnPool, usePool } from './diagram-pool.js';
import { lintBpmn, type LintIssue } from './lint.js';

export const DEFAULT_PROCESSES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../processes');

export interface DryRunCase {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  durationMs: number;
  /** Where and why it failed: `instruction 5 (verification element-instance-state): ...`. */
  failure?: { where: string; message: string; expected?: string; actual?: string };
  skipReason?: string;
}

export interface DryRunSpec {
  file: string;
  /** The spec could not be read or its resources not found: nothing ran. */
  error?: string;
  cases: DryRunCase[];
}

export interface DryRunReport {
  bpmnProcessId: string;
  /** True when the diagram lints and compiles and every case passed (or was skipped). */
  ok: boolean;
  lint: { errors: LintIssue[]; warnings: LintIssue[] };
  specs: DryRunSpec[];
  passed: number;
  failed: number;
  skipped: number;
  durationMs: number;
  /** This content was dry-run before (same diagram, process id and processes/ folder): those results, not a second run. */
  reused?: boolean;
}

function caseView(c: CaseResult): DryRunCase {
  return {
    name: c.name,
    status: c.status,
    durationMs: c.durationMs,
    ...(c.failure ? { failure: { where: c.failure.where, message: c.failure.message, ...(c.failure.expected !== undefined ? { expected: c.failure.expected } : {}), ...(c.failure.actual !== undefined ? { actual: c.failure.actual } : {}) } } : {}),
    ...(c.skipReason ? { skipReason: c.skipReason } : {}),
  };
}

const defines = (name: string, content: string, id: string) => scanReferences(name, content).defines.includes(id);

/** Spec files for the process: named after it, or naming a file that defines it. */
export function specFilesFor(bpmnProcessId: string, processesDir: string): string[] {
  if (!fs.existsSync(processesDir)) return [];
  return findSpecFiles([processesDir]).filter((file) => {
    const base = specBaseName(file);
    if (base === bpmnProcessId || base.startsWith(`${bpmnProcessId}.`)) return true;
    try {
      const spec = parseSpec(fs.readFileSync(file, 'utf8'), file);
      return !!spec.resources?.length && resolveResources(file, spec.resources).some((r) => defines(r.name, r.content, bpmnProcessId));
    } catch {
      return false;
    }
  });
}

export interface DryRunService {
  run(input: { bpmnProcessId: string; xml: string; resourceName?: string }): Promise<DryRunReport>;
}

/**
 * What a run's result depends on besides the diagram: every file under the processes folder (the
 * specs and the resources they name), by name, size and modification time.
 */
function folderFingerprint(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else {
        const st = fs.statSync(full, { throwIfNoEntry: false });
        if (st) hash.update(`${full}\0${st.size}\0${st.mtimeMs}\n`);
      }
    }
  };
  walk(dir);
  return hash.digest('hex');
}

/** Dry runs remembered, so the deploy that follows a dry run of the same content reuses its results. */
const REMEMBERED = 32;

export function createDryRun(options: { processesDir?: string } = {}): DryRunService {
  const processesDir = options.processesDir ?? DEFAULT_PROCESSES_DIR;
  // each run migrates its own in-memory database (~3 s, tens of MB): one at a time
  let turn: Promise<unknown> = Promise.resolve();
  const remembered = new Map<string, DryRunReport>();

  async function run(input: { bpmnProcessId: string; xml: string; resourceName?: string }): Promise<DryRunReport> {
    const started = Date.now();
    const resourceName = input.resourceName ?? `${input.bpmnProcessId}.bpmn`;
    const report: DryRunReport = { bpmnProcessId: input.bpmnProcessId, ok: false, lint: { errors: [], warnings: [] }, specs: [], passed: 0, failed: 0, skipped: 0, durationMs: 0 };
    const done = () => ({ ...report, durationMs: Date.now() - started });

    const lint = await lintBpmn(input.xml, resourceName);
    report.lint = { errors: lint.errors, warnings: lint.warnings };
    if (!lint.processIds.includes(input.bpmnProcessId)) {
      report.lint.errors.push({ resource: resourceName, elementId: null, rule: 'herald/process-id', message: `the diagram defines no executable process '${input.bpmnProcessId}' (it defines ${lint.processIds.join(', ') || 'none'})` });
    }
    if (report.lint.errors.length) return done();
    try {
      await prepareBpmn(input.xml, resourceName);
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      report.lint.errors.push(...(err.details?.problems ?? [{ resource: resourceName, message: err.message }]).map((p) => ({ resource: resourceName, elementId: p.elementId ?? null, rule: 'herald/compile', message: p.message })));
      return done();
    }

    const provider = new EmbeddedProvider();
    try {
      for (const file of specFilesFor(input.bpmnProcessId, processesDir)) {
        const display = path.relative(path.dirname(processesDir), file);
        const spec: DryRunSpec = { file: display, cases: [] };
        report.specs.push(spec);
        let resources: Resource[];
        let testCases;
        let index;
        try {
          const parsed = parseSpec(fs.readFileSync(file, 'utf8'), display);
          testCases = parsed.testCases;
          // the draft stands in for the file that defines its process
          resources = resolveResources(file, parsed.resources).map((r) => (defines(r.name, r.content, input.bpmnProcessId) ? { name: r.name, content: input.xml } : { name: r.name, content: r.content }));
          index = await indexBpmn(resources as { name: string; content: string }[]);
        } catch (err) {
          spec.error = err instanceof SpecFormatError ? err.message : `${display}: ${(err as Error).message}`;
          report.failed++;
          continue;
        }
        for (const testCase of testCases) {
          if (testCase.skip) {
            spec.cases.push({ name: testCase.name, status: 'skipped', durationMs: 0, skipReason: testCase.skip });
            report.skipped++;
            continue;
          }
          const caseStart = Date.now();
          let result: DryRunCase;
          let open;
          try {
            open = await provider.openCase(resources);
            result = caseView(await runTestCase(display, testCase, open, index));
          } catch (err) {
            result = { name: testCase.name, status: 'failed', durationMs: Date.now() - caseStart, failure: { where: open ? 'run' : 'deployment', message: (err as Error).message } };
          } finally {
            await open?.close().catch(() => undefined);
          }
          spec.cases.push(result);
          report[result.status === 'passed' ? 'passed' : result.status === 'skipped' ? 'skipped' : 'failed']++;
        }
      }
    } finally {
      await provider.close();
    }
    report.ok = report.failed === 0;
    return done();
  }

  return {
    run(input) {
      const next = turn.then(async () => {
        const key = createHash('sha256')
          .update(JSON.stringify([input.bpmnProcessId, input.resourceName ?? null, input.xml, folderFingerprint(processesDir)]))
          .digest('hex');
        const known = remembered.get(key);
        if (known) return { ...structuredClone(known), reused: true };
        // in the API the whole run (lint, compile, the test cases) happens on a pool thread
        const report = await (usePool() ? dryRunOnPool(input, processesDir) : run(input));
        remembered.delete(key);
        remembered.set(key, report);
        if (remembered.size > REMEMBERED) remembered.delete(remembered.keys().next().value!);
        return report;
      });
      turn = next.catch(() => undefined);
      return next;
    },
  };
}
