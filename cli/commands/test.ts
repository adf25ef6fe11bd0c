/**
 * `herald test [files|folders] [--reporter junit] [--coverage] [--out dir]`: runs process tests
 * (zeebe-spec YAML, see docs/process-tests.md) on the embedded engine, or on Zeebe when
 * ZEEBE_ADDRESS is set. Exit code 1 when any case failed or a spec could not be read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { printJson } from '../http.js';
import { defaultProvider, findSpecFiles, runSpecFiles } from '../../engine/spec/index.js';
import { ansi, caseLines, junitXml, plain, summaryLine } from '../../engine/spec/report.js';
import { computeCoverage, coverageLines, writeCoverageReport } from '../../engine/spec/coverage.js';

const HELP = `Usage: herald test [files or folders...] [options]

Runs process tests: *.spec.yaml files in the zeebe-spec format (docs/process-tests.md).
Folders are searched recursively; the default is processes/.

Options:
  --reporter junit   also write a JUnit XML report to <out>/junit.xml
  --coverage         write per-process coverage pages to <out>/coverage/ and print percentages
  --out <dir>        where reports go (default: reports/process-tests)
  --filter <text>    only test cases whose name contains the text
  --timeout <ms>     how long awaits and verifications poll on Zeebe (default 10000)
  --no-color         plain output
  --json             print the results as one JSON document (progress lines go to stderr)
  -h, --help         this help

Engine: embedded (virtual clock, fresh database per case) unless ZEEBE_ADDRESS is set.
`;

export const testCommand: Command = {
  summary: 'run process tests (zeebe-spec YAML) against the embedded engine or Zeebe',
  async run(args, io) {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: {
          reporter: { type: 'string', multiple: true },
          coverage: { type: 'boolean' },
          out: { type: 'string' },
          filter: { type: 'string' },
          timeout: { type: 'string' },
          'no-color': { type: 'boolean' },
          json: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (err) {
      io.err(`herald test: ${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.out(HELP);
      return 0;
    }
    const reporters = (values.reporter ?? []).flatMap((r) => r.split(','));
    const unknown = reporters.filter((r) => !['junit', 'console'].includes(r));
    if (unknown.length) {
      io.err(`herald test: unknown reporter '${unknown.join("', '")}'; known: junit\n`);
      return 2;
    }
    const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
    if (timeout !== undefined && !(timeout >= 0)) {
      io.err(`herald test: --timeout must be a number of milliseconds\n`);
      return 2;
    }
    const out = path.resolve(values.out ?? 'reports/process-tests');
    const style = values['no-color'] || process.env.NO_COLOR || !process.stdout.isTTY ? plain : ansi;

    let files: string[];
    try {
      files = findSpecFiles(positionals.length ? positionals : ['processes']);
    } catch (err) {
      io.err(`herald test: ${(err as Error).message}\n`);
      return 2;
    }
    if (!files.length) {
      io.out(`No process tests (*.spec.yaml) found in ${(positionals.length ? positionals : ['processes']).join(', ')}.\n`);
      return 0;
    }

    const provider = defaultProvider({ awaitTimeout: timeout });
    // with --json, stdout is the one result document: the running lines go to stderr instead
    const say = values.json ? (s: string) => io.err(s) : (s: string) => io.out(s);
    say(`Running ${files.length} spec file(s) on the ${provider.kind} engine\n`);
    let currentFile = '';
    let done = 0;
    let fileNo = 0;
    const result = await runSpecFiles(files, {
      provider,
      filter: values.filter,
      onCase: (c) => {
        if (c.file !== currentFile) say(`\n${(currentFile = c.file)}  [file ${++fileNo}/${files.length}]\n`);
        done++;
        say(`${caseLines(c, style).join('\n')}\n`);
      },
      onFileError: (file, error) => {
        fileNo++;
        say(`\n${(currentFile = file)}\n  ${style.red(`✗ ${error.split('\n').join('\n    ')}`)}\n`);
      },
    }).finally(() => provider.close());
    if (values.json) {
      printJson(io, {
        passed: result.passed,
        failed: result.failed,
        skipped: result.skipped,
        durationMs: result.durationMs,
        cases: done,
        files: result.files.map((f) => ({ file: f.file, error: f.error, durationMs: f.durationMs, cases: f.cases.map((c) => ({ name: c.name, status: c.status, durationMs: c.durationMs, failure: c.failure, skipReason: c.skipReason })) })),
      });
      return result.failed ? 1 : 0;
    }

    io.out(`\n${summaryLine(result)}\nTime: ${(result.durationMs / 1000).toFixed(2)} s\n`);
    if (reporters.includes('junit')) {
      fs.mkdirSync(out, { recursive: true });
      const file = path.join(out, 'junit.xml');
      fs.writeFileSync(file, junitXml(result));
      io.out(`JUnit report: ${path.relative(process.cwd(), file)}\n`);
    }
    if (values.coverage) {
      const coverage = computeCoverage(result);
      io.out(`\n${coverageLines(coverage).join('\n')}\n`);
      const dir = path.join(out, 'coverage');
      await writeCoverageReport(coverage, result.processes, dir);
      io.out(`Coverage report: ${path.relative(process.cwd(), path.join(dir, 'index.html'))}\n`);
    }
    return result.failed ? 1 : 0;
  },
};
