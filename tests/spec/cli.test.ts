import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// PGlite start-up and the engine dominate; generous for a loaded CI machine (a few seconds when idle).
const SLOW = { timeout: 180_000 };
import { XMLValidator } from 'fast-xml-parser';
import { main } from '../../cli/herald.js';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cli-test-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

async function herald(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

describe('herald test', () => {
  it('exits 1 on a failing case, prints the failing instruction, writes JUnit and coverage', SLOW, async () => {
    const { code, stdout } = await herald('test', path.join(import.meta.dirname, 'fixtures/wrong-expectation.spec.yaml'), '--reporter', 'junit', '--coverage', '--out', out, '--no-color');
    expect(code).toBe(1);
    expect(stdout).toContain("instruction 3 (verification element-instance-state): Expected the element with name 'C' to be in state 'activated' but no element instance found.");
    expect(stdout).toContain('element path: StartEvent_1 completed -> A (');
    expect(stdout).toMatch(/^1 passed, 2 failed, 0 skipped$/m);
    expect(stdout).toMatch(/exclusive-gateway\s+flow nodes\s+5\/5 100\.0%\s+sequence flows\s+4\/4 100\.0%/);
    expect(XMLValidator.validate(fs.readFileSync(path.join(out, 'junit.xml'), 'utf8'))).toBe(true);
    const page = fs.readFileSync(path.join(out, 'coverage', 'exclusive-gateway.html'), 'utf8');
    expect(page).toContain('flow nodes 5/5 (100.0%)');
    expect(fs.existsSync(path.join(out, 'coverage', 'index.html'))).toBe(true);
  });

  it('exits 0 when every case passes', SLOW, async () => {
    const { code, stdout } = await herald('test', path.resolve(import.meta.dirname, '../../../shared/bpmn-corpus/spec-exclusive-gateway.spec.yaml'), '--no-color');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^2 passed, 0 failed, 0 skipped$/m);
  });

  it('exits 2 on usage errors and names the problem', SLOW, async () => {
    expect(await herald('tset')).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown command 'tset'") });
    expect(await herald('test', '--reporter', 'tap')).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown reporter 'tap'") });
    expect(await herald('test', 'no/such/folder')).toMatchObject({ code: 2, stderr: expect.stringContaining('no such file or folder: no/such/folder') });
  });

  it('reports an invalid spec file with the file, case and instruction, and fails', SLOW, async () => {
    const file = path.join(out, 'invalid.spec.yaml');
    fs.writeFileSync(file, 'testCases:\n  - name: bad\n    instructions:\n      - action: complete-job\n        args: { job_type: a }\n');
    fs.writeFileSync(path.join(out, 'invalid.bpmn'), '<definitions/>');
    const { code, stdout } = await herald('test', file, '--no-color');
    expect(code).toBe(1);
    expect(stdout).toContain("invalid.spec.yaml, test case 'bad', instruction 1: unknown action 'complete-job'");
  });
});
