/**
 * `herald deploy <files...> [--dry-run]`: deploys BPMN, DMN and form files through the API (lint
 * first: errors refuse, warnings are printed) and prints the versions made. With --dry-run, a
 * .bpmn file is linted and its process tests run against it instead; nothing is deployed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { call, CliError, printJson, printProblem, withProgress, type Problem } from '../http.js';

const HELP = `Usage: herald deploy <files...> [--dry-run] [--json]

Deploys .bpmn, .dmn and .form files to Herald (HERALD_URL, token in HERALD_TOKEN; engineers).
BPMN is linted first (bpmnlint camunda-cloud-8-8 and Herald's validation): errors refuse the
deployment and are listed with their element ids; warnings are printed and do not stop it.

Options:
  --dry-run   lint one .bpmn file and run its process tests (processes/<id>.spec.yaml) on a
              throw-away engine on the server; deploys nothing (a line every 5 s while it runs)
  --json      print the API's answer as JSON (problems as JSON on stderr)
  -h, --help  this help
`;

interface Deployed {
  processes: { bpmnProcessId: string; version: number; processDefinitionKey: string; resourceName: string; duplicate: boolean }[];
  decisions: { decisionId: string; version: number; duplicate: boolean }[];
  forms: { formId: string; version: number; duplicate: boolean }[];
  warnings: NonNullable<Problem['warnings']>;
}

interface DryRun {
  bpmnProcessId: string;
  ok: boolean;
  lint: { errors: NonNullable<Problem['errors']>; warnings: NonNullable<Problem['warnings']> };
  specs: { file: string; error?: string; cases: { name: string; status: string; failure?: { where: string; message: string } }[] }[];
  passed: number;
  failed: number;
  skipped: number;
}

const KINDS = /\.(bpmn|dmn|form)$/i;

export const deployCommand: Command = {
  summary: 'deploy BPMN, DMN and form files (lint errors refuse; --dry-run runs the process tests)',
  async run(args, io) {
    let parsed;
    try {
      parsed = parseArgs({ args, allowPositionals: true, options: { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    } catch (err) {
      io.err(`herald deploy: ${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    if (parsed.values.help) {
      io.out(HELP);
      return 0;
    }
    const files = parsed.positionals;
    if (!files.length) {
      io.err(`herald deploy: name at least one file\n\n${HELP}`);
      return 2;
    }
    const resources = [];
    for (const file of files) {
      if (!KINDS.test(file)) {
        io.err(`herald deploy: ${file} is not a .bpmn, .dmn or .form file\n`);
        return 2;
      }
      if (!fs.existsSync(file)) {
        io.err(`herald deploy: no such file: ${file}\n`);
        return 2;
      }
      resources.push({ name: path.basename(file), content: fs.readFileSync(file, 'utf8') });
    }
    try {
      const json = parsed.values.json;
      if (parsed.values['dry-run']) return await dryRun(resources, io, json);
      const res = await call<Deployed | Problem>('POST', '/api/deployments', { resources });
      if (res.status !== 201) {
        printProblem(io, res.body, res.status, json);
        return 1;
      }
      if (json) return (printJson(io, res.body), 0);
      const d = res.body as Deployed;
      for (const p of d.processes) io.out(`${p.bpmnProcessId}  version ${p.version}${p.duplicate ? '  (unchanged)' : ''}  key ${p.processDefinitionKey}  from ${p.resourceName}\n`);
      for (const x of d.decisions) io.out(`decision ${x.decisionId}  version ${x.version}${x.duplicate ? '  (unchanged)' : ''}\n`);
      for (const f of d.forms) io.out(`form ${f.formId}  version ${f.version}${f.duplicate ? '  (unchanged)' : ''}\n`);
      for (const w of d.warnings) io.out(`  warning  ${[w.resource, w.elementId].filter(Boolean).join(' ')}: ${w.message} (${w.rule})\n`);
      return 0;
    } catch (err) {
      if (err instanceof CliError) {
        io.err(`herald deploy: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};

async function dryRun(resources: { name: string; content: string }[], io: { out(s: string): void; err(s: string): void }, json?: boolean): Promise<number> {
  const bpmn = resources.filter((r) => /\.bpmn$/i.test(r.name));
  if (bpmn.length !== 1) {
    io.err('herald deploy --dry-run: name exactly one .bpmn file\n');
    return 2;
  }
  // the server lints and runs every process test of the diagram: tens of seconds, not silent
  const res = await withProgress(io, `Linting ${bpmn[0].name} and running its process tests on the server`, call<DryRun | Problem>('POST', '/api/deployments/dry-run', { xml: bpmn[0].content }));
  if (res.status !== 200) {
    printProblem(io, res.body, res.status, json);
    return 1;
  }
  const r = res.body as DryRun;
  if (json) return (printJson(io, r), r.ok ? 0 : 1);
  for (const e of r.lint.errors) io.out(`  error    ${[e.resource, e.elementId].filter(Boolean).join(' ')}: ${e.message} (${e.rule})\n`);
  for (const w of r.lint.warnings) io.out(`  warning  ${[w.resource, w.elementId].filter(Boolean).join(' ')}: ${w.message} (${w.rule})\n`);
  for (const s of r.specs) {
    io.out(`${s.file}${s.error ? `: ${s.error}` : ''}\n`);
    for (const c of s.cases) io.out(`  ${c.status === 'passed' ? '✓' : c.status === 'skipped' ? '-' : '✗'} ${c.name}${c.failure ? `\n      ${c.failure.where}: ${c.failure.message}` : ''}\n`);
  }
  if (!r.specs.length && !r.lint.errors.length) io.out(`no process tests for ${r.bpmnProcessId} under processes/\n`);
  io.out(`${r.bpmnProcessId}: ${r.lint.errors.length} lint error(s), ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped — ${r.ok ? 'ok to deploy' : 'not ok'}\n`);
  return r.ok ? 0 : 1;
}
