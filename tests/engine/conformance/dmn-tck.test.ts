/**
 * DMN conformance against the DMN TCK (../shared/dmn-tck/, compliance levels 2 and 3; see its
 * MANIFEST.md): every case whose id is in dmn-tck-baseline.json must still pass. The baseline
 * only grows; cases that pass but are not in it yet are reported, and running this file with
 * DMN_TCK_WRITE_BASELINE=1 adds them. Herald's count is printed beside Camunda DMN-Scala 1.9.0's
 * published result for the same cases (the CSV beside the TCK files).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readDmnTckBaseline, runDmnTck, writeDmnTckBaseline } from '../../../engine/conformance/dmn-tck.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
/** The shared TCK files sit beside the repository, never at an absolute path. */
const tckDir = path.resolve(repoRoot, '../shared/dmn-tck');
const baselineFile = path.join(here, 'dmn-tck-baseline.json');

/** DMN-Scala 1.9.0's SUCCESS ids (`<level>/<folder>/<test file>/<id>`) from the published CSV. */
function dmnScalaSuccesses(): Set<string> {
  const rows = fs.readFileSync(path.join(tckDir, 'camunda-dmn-scala-1.9.0-results.csv'), 'utf8').trim().split('\n');
  const ids = rows.map((line) => line.slice(1, -1).split('","')).filter((r) => r[3] === 'SUCCESS').map((r) => `${r[0]}/${r[1]}/${r[2]}`);
  return new Set(ids);
}

/**
 * The only DMN-Scala 1.9.0 SUCCESS cases Herald fails, each with its reason (docs/conformance.md):
 * java.time's years reach ±999,999,999, Temporal's (feelin's) ±271,821.
 */
const DMN_SCALA_MISSES: Record<string, string> = {
  'compliance-level-3/1115-feel-date-function/1115-feel-date-function-test-01/016_31f3fef4a0': 'year -999,999,999',
  'compliance-level-3/1115-feel-date-function/1115-feel-date-function-test-01/030_9184a7bfc3': 'year -999,999,999',
  'compliance-level-3/1117-feel-date-and-time-function/1117-feel-date-and-time-function-test-01/027_ae365197dd': 'year 999,999,999',
  'compliance-level-3/1117-feel-date-and-time-function/1117-feel-date-and-time-function-test-01/028_1c3d56275f': 'year -999,999,999',
};

describe('DMN TCK conformance (../shared/dmn-tck)', () => {
  it('given the TCK folders, when every test case runs on the embedded DMN engine, then no case of the baseline fails', async () => {
    expect(fs.existsSync(tckDir), `the DMN TCK is expected at ${path.relative(repoRoot, tckDir)} (relative to the repository)`).toBe(true);
    const baseline = readDmnTckBaseline(baselineFile);
    expect(baseline.length).toBeGreaterThan(0);
    expect([...baseline].sort(), 'the baseline is kept sorted').toEqual(baseline);

    const started = Date.now();
    const report = await runDmnTck([tckDir], {});
    const byId = new Map(report.cases.map((c) => [c.id, c]));
    const missing = baseline.filter((id) => !byId.has(id));
    const regressed = baseline.flatMap((id) => {
      const c = byId.get(id);
      return c && c.outcome !== 'passed' ? [`${id}  ->  ${c.detail ?? c.outcome}`] : [];
    });
    const known = new Set(baseline);
    const newlyPassing = report.cases.filter((c) => c.outcome === 'passed' && !known.has(c.id)).map((c) => c.id);

    const scala = dmnScalaSuccesses();
    const scalaHere = report.cases.filter((c) => scala.has(c.id));
    const scalaMissed = scalaHere.filter((c) => c.outcome !== 'passed');
    console.info(
      [
        `DMN TCK: Herald ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped of ${report.cases.length} (${Date.now() - started} ms)`,
        `DMN-Scala 1.9.0: ${scalaHere.length} SUCCESS of the same cases; Herald passes ${scalaHere.length - scalaMissed.length} of them`,
        newlyPassing.length ? `${newlyPassing.length} pass but are not in the baseline yet (DMN_TCK_WRITE_BASELINE=1 adds them): ${newlyPassing.slice(0, 50).join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    );
    if (process.env.DMN_TCK_WRITE_BASELINE === '1' && !regressed.length) writeDmnTckBaseline(baselineFile, report);

    expect(report.cases.length, 'the TCK set has 3,075 test cases (MANIFEST.md)').toBe(3075);
    expect(missing, 'baseline ids that no test file has any more').toEqual([]);
    expect(regressed, 'cases of the baseline that now fail').toEqual([]);
    expect(report.passed, 'Herald passes at least the baseline').toBeGreaterThanOrEqual(baseline.length);
    expect(
      scalaMissed.map((c) => c.id).filter((id) => !DMN_SCALA_MISSES[id]),
      'DMN-Scala 1.9.0 passes these; only the cases of DMN_SCALA_MISSES may fail',
    ).toEqual([]);
  }, 240_000);
});
