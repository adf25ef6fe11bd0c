/**
 * A dry run's results are reused by the deploy that follows it: the same diagram, process id and
 * processes/ folder answer with the first run's report, marked `reused`, instead of a second run;
 * a changed diagram or a changed spec runs again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDryRun } from '../../api/services/dry-run.js';

const processes = path.resolve(import.meta.dirname, '../../processes');

describe('dry run reuse', () => {
  let dir: string;
  beforeAll(() => {
    // a processes folder of its own, a copy of processes/ (the payment confirmation calls others)
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-dry-run-reuse-'));
    for (const f of fs.readdirSync(processes)) if (fs.statSync(path.join(processes, f)).isFile()) fs.copyFileSync(path.join(processes, f), path.join(dir, f));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('answers the second run of the same content from the first, and runs again when the diagram or a spec changes', async () => {
    // given a dry run of the payment confirmation
    const dryRun = createDryRun({ processesDir: dir });
    const xml = fs.readFileSync(path.join(dir, 'payment-confirmation.bpmn'), 'utf8');
    const first = await dryRun.run({ bpmnProcessId: 'payment-confirmation', xml });
    expect(first.reused).toBeUndefined();
    expect(first.passed + first.failed).toBeGreaterThan(0);
    // when the deploy that follows asks for the same run
    const again = await dryRun.run({ bpmnProcessId: 'payment-confirmation', xml });
    // then it gets the first run's results, marked reused
    expect(again).toEqual({ ...first, reused: true });
    // and a changed diagram runs again
    const changed = await dryRun.run({ bpmnProcessId: 'payment-confirmation', xml: xml.replace('<bpmn:process ', '<bpmn:process name="changed" ') });
    expect(changed.reused).toBeUndefined();
    // and so does the same diagram once a spec changed
    const spec = path.join(dir, 'payment-confirmation.spec.yaml');
    fs.writeFileSync(spec, fs.readFileSync(spec, 'utf8') + '\n# changed\n');
    fs.utimesSync(spec, new Date(), new Date(Date.now() + 5_000));
    const afterSpec = await dryRun.run({ bpmnProcessId: 'payment-confirmation', xml });
    expect(afterSpec.reused).toBeUndefined();
    expect(afterSpec.passed + afterSpec.failed).toBe(first.passed + first.failed);
  }, 600_000);
});
