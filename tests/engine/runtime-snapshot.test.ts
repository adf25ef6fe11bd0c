/**
 * What the embedded engine saves when an instance settles (runtime.ts `snapshot()`): bpmn-engine's
 * state without the serialized definition it repeats in every state (the process version's model
 * has it), and the instance resumes from that; a snapshot saved with the definition in it (before
 * this change) still resumes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareBpmn } from '../../engine/embedded/deploy.js';
import { InstanceRuntime, type Snapshot } from '../../engine/embedded/runtime.js';

const xml = fs.readFileSync(path.join(import.meta.dirname, '../../bench/fixtures/five-tasks.bpmn'), 'utf8');
const services = { now: () => Date.now(), evaluateDecision: () => { throw new Error('no decisions here'); } };

/** Saves (JSON round trip), restores into a new runtime and completes the waiting job, five times. */
async function runThroughRestarts(first: (rt: InstanceRuntime) => Promise<Snapshot>) {
  const { processes } = await prepareBpmn(xml, 'five-tasks.bpmn');
  let rt = new InstanceRuntime(processes[0], services, '7');
  await rt.start({ customerId: 'C-1' });
  const sizes: number[] = [];
  for (let task = 1; task <= 5; task++) {
    const saved = JSON.stringify(task === 1 ? await first(rt) : await rt.snapshot());
    sizes.push(saved.length);
    rt.stop();
    rt = new InstanceRuntime(processes[0], services, '7');
    await rt.resume(JSON.parse(saved) as Snapshot);
    const waits = Object.values(rt.data.waits);
    expect(waits.map((w) => w.elementId)).toEqual([`t${task}`]);
    rt.trigger(waits[0].waitId, 'signal', { variables: { [`done${task}`]: true } });
  }
  return { rt, sizes };
}

describe('instance snapshots', () => {
  it('leave the serialized definition out, and the instance resumes from them to the end', async () => {
    const { rt } = await runThroughRestarts(async (r) => {
      const snapshot = await r.snapshot();
      const definitions = (snapshot.engine as { definitions: Record<string, unknown>[] }).definitions;
      expect(definitions).toHaveLength(1);
      expect(definitions[0]).not.toHaveProperty('source');
      return snapshot;
    });
    expect(rt.data.state).toBe('COMPLETED');
    expect(rt.rootVariables()).toEqual({ customerId: 'C-1', done1: true, done2: true, done3: true, done4: true, done5: true });
  });

  it('saved with the definition in them (as before) still resume', async () => {
    let withSource = 0;
    let without = 0;
    const { rt } = await runThroughRestarts(async (r) => {
      const full = { engine: await (r as unknown as { engine: { getState(): Promise<unknown> } }).engine.getState(), data: r.data };
      const definitions = (full.engine as { definitions: { source?: string }[] }).definitions;
      expect(typeof definitions[0].source).toBe('string');
      withSource = JSON.stringify(full).length;
      without = JSON.stringify(await r.snapshot()).length;
      return full as Snapshot;
    });
    expect(rt.data.state).toBe('COMPLETED');
    expect(without).toBeLessThan(withSource * 0.7);
  });
});
