/**
 * FEEL conformance against FEEL-scala's own expectations (../shared/feel-cases/, see its
 * MANIFEST.md): every case whose id is in feel-baseline.json must still pass. The baseline only
 * grows; cases that pass but are not in it yet are reported, and
 * `npx herald conformance feel ../shared/feel-cases --write-baseline tests/engine/conformance/feel-baseline.json`
 * adds them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readFeelBaseline, runFeelConformance } from '../../../engine/conformance/feel.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
/** The shared cases sit beside the repository, never at an absolute path. */
const casesDir = path.resolve(repoRoot, '../shared/feel-cases');
const baselineFile = path.join(here, 'feel-baseline.json');

describe('FEEL-scala conformance (../shared/feel-cases)', () => {
  it('given the shared case files, when every case runs on Herald\'s FEEL, then no case of the baseline fails', () => {
    expect(fs.existsSync(casesDir), `the FEEL cases are expected at ${path.relative(repoRoot, casesDir)} (relative to the repository)`).toBe(true);
    const baseline = readFeelBaseline(baselineFile);
    expect(baseline.length).toBeGreaterThan(0);
    expect([...baseline].sort(), 'the baseline is kept sorted').toEqual(baseline);

    const report = runFeelConformance([casesDir]);
    const byId = new Map(report.cases.map((c) => [c.id, c]));
    const missing = baseline.filter((id) => !byId.has(id));
    const regressed = baseline.flatMap((id) => {
      const c = byId.get(id);
      return c && c.outcome === 'failed' ? [`${id}  ${c.expression}  ->  ${c.detail ?? c.actual}`] : [];
    });
    const known = new Set(baseline);
    const newlyPassing = report.cases.filter((c) => c.outcome === 'passed' && !known.has(c.id)).map((c) => c.id);
    console.info(
      `FEEL-scala cases: ${report.passed} passed, ${report.failed} failed` +
        (newlyPassing.length ? `; ${newlyPassing.length} pass but are not in the baseline yet (write it with --write-baseline): ${newlyPassing.join(', ')}` : ''),
    );

    expect(missing, 'baseline ids that no case file has any more').toEqual([]);
    expect(regressed, 'cases of the baseline that now fail').toEqual([]);
    // 1,520 evaluations take a few seconds alone, much longer on a machine shared with other suites
  }, 300_000);
});
