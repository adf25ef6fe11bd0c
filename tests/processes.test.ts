/**
 * Every diagram in processes/ ships a spec beside it; `npm test` runs them all (as `herald test
 * processes` does) and holds flow-node coverage of processes/ at 90% or more.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedProvider, findSpecFiles, runSpecFiles } from '../engine/spec/index.js';
import { computeCoverage } from '../engine/spec/coverage.js';

const dir = path.resolve(import.meta.dirname, '../processes');

describe('processes/', () => {
  const provider = new EmbeddedProvider();
  afterAll(async () => (provider as unknown as { close?(): Promise<void> }).close?.());

  it('has a spec beside every diagram', () => {
    const diagrams = fs.readdirSync(dir).filter((f) => f.endsWith('.bpmn')).map((f) => f.replace(/\.bpmn$/, ''));
    const specs = new Set(fs.readdirSync(dir).filter((f) => f.endsWith('.spec.yaml')).map((f) => f.split('.')[0]));
    expect(diagrams.filter((d) => !specs.has(d))).toEqual([]);
  });

  it('passes every spec, covering at least 90% of the flow nodes', async () => {
    const result = await runSpecFiles(findSpecFiles([dir]), { provider });
    const failures = result.files.flatMap((f) => [
      ...(f.error ? [`${f.file}: ${f.error}`] : []),
      ...f.cases.filter((c) => c.status === 'failed').map((c) => `${f.file} › ${c.name}: ${c.failure?.message ?? ''}`),
    ]);
    expect(failures).toEqual([]);
    expect(result.passed).toBeGreaterThan(0);
    expect(result.skipped).toBe(0);
    const coverage = computeCoverage(result).filter((c) => fs.existsSync(path.join(dir, c.resourceName)));
    const total = coverage.reduce((n, c) => n + c.flowNodes.total, 0);
    const covered = coverage.reduce((n, c) => n + c.flowNodes.covered.length, 0);
    expect(coverage.map((c) => c.processId).sort()).toEqual(
      fs.readdirSync(dir).filter((f) => f.endsWith('.bpmn')).map((f) => f.replace(/\.bpmn$/, '')).sort(),
    );
    expect((covered / total) * 100).toBeGreaterThanOrEqual(90);
  }, 600_000);
});
