/** `herald test --json`: stdout is one JSON document of the results; the running lines go to stderr. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/herald.js';

describe('herald test --json', () => {
  it('prints the results as JSON and the progress on stderr', async () => {
    let stdout = '';
    let stderr = '';
    const fixture = path.join(import.meta.dirname, '../spec/fixtures/wrong-expectation.spec.yaml');
    const code = await main(['test', fixture, '--json', '--no-color'], { out: (s) => (stdout += s), err: (s) => (stderr += s) });
    expect(code).toBe(1);
    const result = JSON.parse(stdout) as { passed: number; failed: number; files: { file: string; cases: { name: string; status: string; failure?: { message: string } }[] }[] };
    expect(result).toMatchObject({ passed: 1, failed: 2, skipped: 0 });
    expect(result.files[0].cases.filter((c) => c.status === 'failed').map((c) => c.failure?.message).join('\n')).toContain("Expected the element with name 'C' to be in state 'activated'");
    expect(stderr).toMatch(/^Running 1 spec file\(s\) on the embedded engine$/m);
    expect(stderr).toContain('[file 1/1]');
  }, 180_000);
});
