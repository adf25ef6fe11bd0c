/**
 * `herald conformance feel`: the plain report ends with `N passed, M failed`, --json gives every
 * case with its outcome, --write-baseline only grows the baseline, and bad arguments are refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/herald.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-feel-cli-'));
const cases = path.join(dir, 'cases.yaml');
fs.writeFileSync(
  cases,
  [
    'cases:',
    '  - id: "Cli:L1"',
    '    kind: expression',
    '    expression: "0.1 + 0.2"',
    '    expected: {"type": "number", "value": "0.3"}',
    '  - id: "Cli:L2"',
    '    kind: unary-tests',
    '    expression: "< 3"',
    '    input: {"type": "string", "value": "a"}',
    '    expected: {"null": true}',
    '  - id: "Cli:L3"',
    '    kind: expression',
    '    expression: "1 + 1"',
    '    expected: {"type": "number", "value": "3"}',
    '',
  ].join('\n'),
);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(['conformance', ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('herald conformance feel', () => {
  it('given a case file with a failing case, when run, then the failure is listed and the last line counts both', async () => {
    const { code, out, err } = await run('feel', cases);
    expect(code).toBe(1);
    expect(out.trimEnd().split('\n').at(-1)).toBe('2 passed, 1 failed');
    expect(out).toContain('FAIL Cli:L3');
    expect(err).toContain('feel: 3/3 cases');
  });

  it('given --json, when run, then every case comes with its outcome', async () => {
    const { out } = await run('feel', cases, '--json');
    const report = JSON.parse(out) as { passed: number; failed: number; cases: { id: string; outcome: string }[] };
    expect(report.cases.map((c) => [c.id, c.outcome])).toEqual([
      ['Cli:L1', 'passed'],
      ['Cli:L2', 'passed'],
      ['Cli:L3', 'failed'],
    ]);
  });

  it('given --write-baseline, when run, then the passing ids are written sorted, and a baseline id that fails is not dropped', async () => {
    const baseline = path.join(dir, 'baseline.json');
    await run('feel', cases, '--write-baseline', baseline);
    expect(JSON.parse(fs.readFileSync(baseline, 'utf8'))).toEqual(['Cli:L1', 'Cli:L2']);

    fs.writeFileSync(baseline, JSON.stringify(['Cli:L1', 'Cli:L3']));
    const { code, err } = await run('feel', cases, '--write-baseline', baseline);
    expect(code).toBe(1);
    expect(err).toContain('baseline not written');
    expect(JSON.parse(fs.readFileSync(baseline, 'utf8'))).toEqual(['Cli:L1', 'Cli:L3']);
  });

  it('given no files, an unknown set or a missing file, when run, then it is refused with exit code 2', async () => {
    expect((await run('feel')).code).toBe(2);
    expect((await run('bpmn', cases)).err).toContain("unknown set 'bpmn'");
    const missing = await run('feel', path.join(dir, 'nope.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no such file or folder');
  });
});
