/**
 * Every start deploys processes/ again: a resource that is byte for byte the latest version of
 * everything it defines is answered from the stored rows (no parse, no compile), with the same
 * answer a full deploy gives; anything else is prepared and versioned as before.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import * as model from '../../engine/embedded/model.js';
import type { Resource } from '../../engine/types.js';
import { openTestDb, type TestDb } from '../support/db.js';

const processesDir = path.resolve(import.meta.dirname, '../../processes');
const processes = (): Resource[] =>
  fs
    .readdirSync(processesDir)
    .filter((f) => /\.(bpmn|dmn|form)$/.test(f))
    .sort()
    .map((f) => ({ name: f, content: fs.readFileSync(path.join(processesDir, f)) }));

describe('deploying unchanged resources (PGlite)', () => {
  let t: TestDb;
  let engine: EmbeddedEngine;
  beforeAll(async () => {
    t = await openTestDb('pglite');
    engine = new EmbeddedEngine({ db: t.db, virtualClock: true });
    await engine.start();
  }, 300_000);
  afterAll(async () => {
    await engine?.stop();
    await t?.close();
  });

  it('answers a second deploy of processes/ from the stored rows, as a full deploy would, without parsing a diagram', async () => {
    // given processes/ deployed once
    const first = await engine.deploy(processes());
    expect(first.processes.length).toBeGreaterThan(0);
    expect(first.decisions.length).toBeGreaterThan(0);
    // when it is deployed again, unchanged
    const parse = vi.spyOn(model, 'parseModdle');
    const again = await engine.deploy(processes());
    // then nothing is parsed, and every process, decision and form is the same version, marked duplicate
    expect(parse).not.toHaveBeenCalled();
    parse.mockRestore();
    const strip = <T extends { duplicate: boolean }>(list: T[]) => list.map((x) => ({ ...x, duplicate: true }));
    expect(again.processes).toEqual(strip(first.processes));
    expect(again.decisions).toEqual(strip(first.decisions));
    expect(again.forms).toEqual(strip(first.forms));
    expect(again.validationWarnings).toEqual(first.validationWarnings);
    expect(again.deploymentKey).not.toBe(first.deploymentKey);
    // and instances still start on them
    const id = first.processes[0].bpmnProcessId;
    await expect(engine.createInstance({ bpmnProcessId: id, variables: {} })).resolves.toMatchObject({ bpmnProcessId: id, version: first.processes[0].version });
  }, 300_000);

  it('fills in what older rows lack by parsing them once, then answers from the rows', async () => {
    // given a row written before meta kept the validation warnings
    await t.db('engine_resources').where({ kind: 'process' }).update({ meta: JSON.stringify({}) });
    // when processes/ is deployed twice more
    const parse = vi.spyOn(model, 'parseModdle');
    const filled = await engine.deploy(processes());
    const parsedOnce = parse.mock.calls.length;
    const after = await engine.deploy(processes());
    // then the first parses, the second does not, and both answer the same versions
    expect(parsedOnce).toBeGreaterThan(0);
    expect(parse.mock.calls.length).toBe(parsedOnce);
    parse.mockRestore();
    expect(after.processes).toEqual(filled.processes);
    expect(filled.processes.every((p) => p.duplicate)).toBe(true);
  }, 300_000);

  it('versions a file again once another file redeployed one of its processes', async () => {
    // given a.bpmn deployed, then b.bpmn with the same process id and other content
    const xml = (name: string) =>
      `<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://bpmn.io/schema/bpmn"><bpmn:process id="unchanged-probe" name="${name}" isExecutable="true"><bpmn:startEvent id="s"/><bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/></bpmn:process></bpmn:definitions>`;
    const a = await engine.deploy([{ name: 'a.bpmn', content: xml('A') }]);
    const b = await engine.deploy([{ name: 'b.bpmn', content: xml('B') }]);
    expect(b.processes[0].version).toBe(a.processes[0].version + 1);
    // when a.bpmn is deployed again, unchanged
    const again = await engine.deploy([{ name: 'a.bpmn', content: xml('A') }]);
    // then it is not a duplicate of b's version: it becomes the latest again
    expect(again.processes[0]).toMatchObject({ bpmnProcessId: 'unchanged-probe', version: b.processes[0].version + 1, duplicate: false });
    // and a byte order mark or a Buffer does not change what counts as the same content
    const bom = await engine.deploy([{ name: 'a.bpmn', content: Buffer.from('\ufeff' + xml('A'), 'utf8') }]);
    expect(bom.processes[0]).toMatchObject({ version: again.processes[0].version, duplicate: true });
  }, 300_000);
});
