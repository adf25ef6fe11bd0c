/**
 * The lint every diagram passes before it deploys: the XML guard (no DTDs, entities, binary or
 * oversized input), a parse with the Zeebe moddle, bpmnlint with Camunda's own rule set for
 * Camunda 8.8 (what the Web Modeler checks), and Herald's deploy validation (what the embedded
 * engine runs and what would run code on the server). Errors refuse a deploy; warnings travel
 * with the answer. In the API the work runs on a pool thread (diagram-pool.ts) with a time budget
 * and an element-count limit, so a large diagram never holds the event loop.
 */
import { createRequire } from 'node:module';
import { parseBpmn } from '../../engine/bpmn/parse.js';
import { validateDefinitions } from '../../engine/bpmn/validate.js';
import { parseFeel } from '../../engine/embedded/feel/index.js';
import { EngineError, type DeployProblem } from '../../engine/types.js';
import { lintOnPool, usePool } from './diagram-pool.js';

const require = createRequire(import.meta.url);
// bpmnlint ships CommonJS without types; its node resolver loads rules with our require
const { Linter } = require('bpmnlint') as { Linter: new (options: { config: object; resolver: unknown }) => { lint(root: unknown): Promise<Record<string, LintReport[]>> } };
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver') as new (options: { require: NodeJS.Require }) => unknown;

/** The rule set the Camunda 8.8 modeler lints with. */
export const LINT_CONFIG = { extends: 'plugin:camunda-compat/camunda-cloud-8-8' } as const;

interface LintReport {
  id?: string;
  message: string;
  category: 'error' | 'warn' | 'info' | 'rule-error';
}

export interface LintIssue {
  resource: string;
  /** The BPMN element; null for what concerns the whole file (unsafe XML, no process). */
  elementId: string | null;
  /** `xml` for the guard and parser, `herald/deploy` for Herald's validation, else the bpmnlint rule. */
  rule: string;
  message: string;
}

export interface LintResult {
  errors: LintIssue[];
  warnings: LintIssue[];
  /** The executable processes the file defines (empty when it could not be read). */
  processIds: string[];
  /** SHA-256 (hex) of the content, when the lint ran on the diagram pool (so the main thread need not hash 4 MiB). */
  checksum?: string;
}

const resolver = new NodeResolver({ require });

/** `approve: the flow ...` → `the flow ...`: the element id is its own field. */
function withoutId(message: string, elementId: string | undefined): string {
  return elementId && message.startsWith(`${elementId}: `) ? message.slice(elementId.length + 2) : message;
}

function fromProblems(problems: DeployProblem[], rule: string, resource: string): LintIssue[] {
  return problems.map((p) => ({ resource, elementId: p.elementId ?? null, rule, message: withoutId(p.message.replace(`${resource}: `, ''), p.elementId) }));
}

export async function lintBpmn(content: string | Buffer, resourceName: string): Promise<LintResult> {
  return usePool() ? lintOnPool(content, resourceName) : lintHere(content, resourceName);
}

async function lintHere(content: string | Buffer, resourceName: string): Promise<LintResult> {
  let parsed;
  try {
    parsed = await parseBpmn(typeof content === 'string' ? content : content.toString('utf8'), resourceName);
  } catch (err) {
    if (err instanceof EngineError) return { errors: fromProblems(err.details?.problems ?? [{ resource: resourceName, message: err.message }], 'xml', resourceName), warnings: [], processIds: [] };
    throw err;
  }
  const errors: LintIssue[] = fromProblems(parsed.warnings, 'xml', resourceName);
  const warnings: LintIssue[] = [];

  const reports = await new Linter({ config: LINT_CONFIG, resolver }).lint(parsed.definitions);
  for (const [rule, list] of Object.entries(reports)) {
    for (const r of list) {
      const issue = { resource: resourceName, elementId: r.id ?? null, rule, message: r.message };
      if (r.category === 'error') errors.push(issue);
      else if (r.category === 'rule-error') warnings.push({ ...issue, message: `the lint rule could not check this element: ${r.message}` });
      else warnings.push(issue);
    }
  }
  errors.push(...fromProblems(validateDefinitions(parsed.definitions, resourceName, { checkFeel: parseFeel }), 'herald/deploy', resourceName));

  const roots: { $type: string; id: string; isExecutable?: boolean }[] = parsed.definitions?.rootElements ?? [];
  const processIds = roots.filter((r) => r.$type === 'bpmn:Process' && r.isExecutable).map((r) => r.id);
  return { errors, warnings, processIds };
}

/** BPMN files are linted; DMN and forms are checked by the engine when it deploys them. */
export const isBpmn = (name: string) => /\.(bpmn|xml)$/i.test(name);

export async function lintResources(resources: { name: string; content: string | Buffer }[]): Promise<LintResult> {
  const all: LintResult = { errors: [], warnings: [], processIds: [] };
  for (const r of resources.filter((x) => isBpmn(x.name))) {
    const one = await lintBpmn(r.content, r.name);
    all.errors.push(...one.errors);
    all.warnings.push(...one.warnings);
    all.processIds.push(...one.processIds);
  }
  return all;
}

/** The title of a lint refusal: the first error in words, and how many more. */
export function lintTitle(errors: LintIssue[]): string {
  const first = errors[0];
  const where = first.elementId ? `${first.resource} ${first.elementId}` : first.resource;
  return `the diagram has ${errors.length} lint error${errors.length > 1 ? 's' : ''} and cannot be deployed: ${where}: ${first.message} (${first.rule})${errors.length > 1 ? `, and ${errors.length - 1} more` : ''}`;
}
