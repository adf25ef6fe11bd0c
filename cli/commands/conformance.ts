/**
 * `herald conformance feel <files…> [--json]` and `herald conformance dmn-tck <folders…> [--json]`:
 * run the shared conformance sets (FEEL-scala's own FEEL cases, the DMN TCK) against the embedded
 * engine's FEEL and DMN. The plain report lists each failed case and ends with the summary line;
 * --json prints every case with its outcome instead. Progress goes to stderr. Exit code 1 when a
 * case failed, 2 for bad arguments or unreadable case files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Command, CommandIo } from '../command.js';

const HELP = `Usage: herald conformance <set> <paths...> [--json]

Sets:
  feel <files or folders...>   FEEL-scala's FEEL cases (YAML, e.g. ../shared/feel-cases/)
  dmn-tck <folders...>         DMN TCK test folders (e.g. ../shared/dmn-tck/)

Options:
  --json                   every case with its outcome, as JSON on stdout
  --write-baseline <file>  feel only: add the ids that pass to a baseline of passing ids
                           (tests/engine/conformance/feel-baseline.json); refused when a case
                           of the baseline now fails, since the baseline only grows
  -h, --help               this help
`;

/** The DMN TCK runner's interface (engine/conformance/dmn-tck.ts). */
interface DmnTckModule {
  runDmnTck(
    folders: string[],
    opts: { json?: boolean; onProgress?: (done: number, total: number) => void },
  ): Promise<{ passed: number; failed: number; skipped: number; cases: { id: string; outcome: 'passed' | 'failed' | 'skipped'; detail?: string }[] }>;
}

/**
 * Progress on stderr: a counter rewritten in place on a terminal, a line per tenth otherwise
 * (so that a CI log shows the run is alive without a line per case).
 */
function progress(io: CommandIo, label: string): (done: number, total: number) => void {
  const tty = process.stderr.isTTY === true;
  let shown = -1;
  return (done, total) => {
    const step = Math.floor((done / total) * (tty ? 100 : 10));
    if (step === shown && done !== total) return;
    shown = step;
    io.err(`${label}: ${done}/${total} cases${done === total || !tty ? '\n' : '\r'}`);
  };
}

async function runFeel(paths: string[], json: boolean, baseline: string | undefined, io: CommandIo): Promise<number> {
  const { runFeelConformance, writeFeelBaseline } = await import('../../engine/conformance/feel.js');
  let report;
  try {
    report = runFeelConformance(paths, { onProgress: progress(io, 'feel') });
  } catch (err) {
    io.err(`herald conformance feel: ${(err as Error).message}\n`);
    return 2;
  }
  if (json) {
    io.out(`${JSON.stringify({ passed: report.passed, failed: report.failed, cases: report.cases }, null, 2)}\n`);
  } else {
    for (const c of report.cases) {
      if (c.outcome === 'failed') io.out(`FAIL ${c.id}  ${c.expression}\n     ${c.detail ?? ''}\n`);
    }
    io.out(`${report.passed} passed, ${report.failed} failed\n`);
  }
  if (baseline) {
    const r = writeFeelBaseline(baseline, report);
    if (!r.written) {
      io.err(`herald conformance feel: baseline not written, ${r.regressed.length} of its cases now fail: ${r.regressed.join(', ')}\n`);
      return 1;
    }
    io.err(`baseline ${baseline}: ${r.added.length} case(s) added\n`);
  }
  return report.failed ? 1 : 0;
}

async function runTck(folders: string[], json: boolean, io: CommandIo): Promise<number> {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../engine/conformance/dmn-tck.ts');
  const compiled = file.replace(/\.ts$/, '.js');
  if (!fs.existsSync(file) && !fs.existsSync(compiled)) {
    io.err('herald conformance dmn-tck: the DMN TCK runner (engine/conformance/dmn-tck.ts) is not part of this build yet\n');
    return 2;
  }
  const mod = (await import(pathToFileURL(fs.existsSync(file) ? file : compiled).href)) as DmnTckModule;
  let report;
  try {
    report = await mod.runDmnTck(folders, { json, onProgress: progress(io, 'dmn-tck') });
  } catch (err) {
    io.err(`herald conformance dmn-tck: ${(err as Error).message}\n`);
    return 2;
  }
  if (json) {
    io.out(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const c of report.cases) if (c.outcome === 'failed') io.out(`FAIL ${c.id}\n     ${c.detail ?? ''}\n`);
    io.out(`${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped\n`);
  }
  return report.failed ? 1 : 0;
}

export const conformanceCommand: Command = {
  summary: 'run the FEEL (FEEL-scala) and DMN TCK conformance sets against the embedded engine',
  async run(args, io) {
    let parsed;
    try {
      parsed = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, 'write-baseline': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
    } catch (err) {
      io.err(`herald conformance: ${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.out(HELP);
      return 0;
    }
    const [set, ...paths] = positionals;
    if ((set !== 'feel' && set !== 'dmn-tck') || !paths.length) {
      io.err(`herald conformance: ${set ? (paths.length ? `unknown set '${set}'` : `no ${set === 'feel' ? 'case files' : 'folders'} given`) : 'no set given'}\n\n${HELP}`);
      return 2;
    }
    return set === 'feel' ? runFeel(paths, values.json === true, values['write-baseline'], io) : runTck(paths, values.json === true, io);
  },
};
