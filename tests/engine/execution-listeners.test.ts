/**
 * Zeebe 8.8 execution listeners (zeebe:executionListeners) on the embedded engine (issue #16):
 * start listeners run as jobs before the element's work, end listeners after it, one after the
 * other; a listener job that fails without retries is an incident on the element
 * (EXECUTION_LISTENER_NO_RETRIES); what a start listener sets is the element's own. Each case
 * runs with instances kept in memory and with every command reloading its instance (cache 0).
 * Zeebe's own cases: ExecutionListenerTest, ExecutionListenerGatewayTest (camunda/camunda).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { EngineError } from '../../engine/types.js';
import { openTestDb, type TestDb } from '../support/db.js';

let seq = 0;
const diagram = (id: string, body: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs-el-${++seq}" targetNamespace="http://herald.test/el">
  <bpmn:process id="${id}" isExecutable="true">${body}</bpmn:process>
</bpmn:definitions>`;
const flow = (id: string, from: string, to: string, condition?: string) =>
  condition
    ? `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${condition}</bpmn:conditionExpression></bpmn:sequenceFlow>`
    : `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}" />`;
const listeners = (...ls: [string, string, string?][]) =>
  `<zeebe:executionListeners>${ls.map(([e, t, r]) => `<zeebe:executionListener eventType="${e}" type="${t}"${r ? ` retries="${r}"` : ''} />`).join('')}</zeebe:executionListeners>`;

/** start → task (2 start listeners, 1 end listener; its job type comes from the first start listener) → end */
const taskWithListeners = (id: string) =>
  diagram(
    id,
    `<bpmn:startEvent id="start" />${flow('f1', 'start', 'task')}
    <bpmn:serviceTask id="task"><bpmn:extensionElements>
      <zeebe:taskDefinition type="=workType" />
      <zeebe:ioMapping><zeebe:input source="=amount * 2" target="doubled" /></zeebe:ioMapping>
      ${listeners(['start', `${id}-before-1`], ['start', `${id}-before-2`], ['end', `${id}-after`, '1'])}
    </bpmn:extensionElements></bpmn:serviceTask>${flow('f2', 'task', 'end')}
    <bpmn:endEvent id="end" />`,
  );

for (const cacheSize of [500, 0]) {
  describe(`execution listeners on the embedded engine (cache ${cacheSize})`, () => {
    let t: TestDb;
    let engine: EmbeddedEngine;

    beforeAll(async () => {
      t = await openTestDb('pglite');
      engine = new EmbeddedEngine({ db: t.db, virtualClock: true, cacheSize });
      await engine.start();
    });
    afterAll(async () => {
      await engine.stop();
      await t.close();
    });

    async function one(type: string) {
      await engine.settle();
      const jobs = await engine.activateJobs({ type, worker: 'test', maxJobsToActivate: 5, timeout: 60_000 });
      expect(jobs.map((j) => j.type)).toEqual([type]);
      return jobs[0];
    }
    const none = async (type: string) => {
      await engine.settle();
      expect(await engine.activateJobs({ type, worker: 'test', maxJobsToActivate: 5, timeout: 60_000 })).toEqual([]);
    };

    it('runs start listeners in order after the input mappings and before the job, then the end listener after it (ExecutionListenerTest)', async () => {
      const id = `el-task-${cacheSize}`;
      await engine.deploy([{ name: `${id}.bpmn`, content: taskWithListeners(id) }]);
      const ref = await engine.createInstance({ bpmnProcessId: id, variables: { amount: 21 } });

      // the first start listener sees the input mapping's result and is an EXECUTION_LISTENER job of the element
      const first = await one(`${id}-before-1`);
      expect(first).toMatchObject({ kind: 'EXECUTION_LISTENER', elementId: 'task', variables: { amount: 21, doubled: 42 } });
      expect(first.elementInstanceKey).not.toContain('|');
      await none(`${id}-before-2`);
      await engine.completeJob(first.key, { workType: `${id}-work`, fromFirst: 1 });

      // the second sees what the first set; the element's own job waits for both
      const second = await one(`${id}-before-2`);
      expect(second.variables).toMatchObject({ fromFirst: 1, workType: `${id}-work` });
      expect(second.key).not.toBe(first.key);
      await engine.completeJob(second.key, { fromSecond: 2 });

      // the job type came from a start listener's variable: it is local to the element, not on the process
      const work = await one(`${id}-work`);
      expect(work.kind).not.toBe('EXECUTION_LISTENER');
      expect(work.variables).toMatchObject({ fromFirst: 1, fromSecond: 2, doubled: 42 });
      expect(work.elementInstanceKey).toBe(first.elementInstanceKey);
      expect((await engine.getVariables(ref.processInstanceKey)).fromFirst).toBeUndefined();
      await none(`${id}-after`);
      await engine.completeJob(work.key, { result: 'done' });

      // the end listener runs after the work, and the element completes only after it
      const after = await one(`${id}-after`);
      expect(after.variables).toMatchObject({ result: 'done' });
      expect((await engine.getInstance(ref.processInstanceKey))?.elements.find((e) => e.elementId === 'task')?.state).toBe('ACTIVATED');
      await engine.completeJob(after.key, { audited: true });
      await engine.settle();
      const done = await engine.getInstance(ref.processInstanceKey);
      expect(done?.state).toBe('COMPLETED');
      expect(done?.variables).toMatchObject({ result: 'done', audited: true, amount: 21 });
    });

    it('a listener job that fails without retries is an EXECUTION_LISTENER_NO_RETRIES incident on the element; resolved, the listener runs again', async () => {
      const id = `el-incident-${cacheSize}`;
      await engine.deploy([{ name: `${id}.bpmn`, content: taskWithListeners(id) }]);
      const ref = await engine.createInstance({ bpmnProcessId: id, variables: { amount: 1 } });
      const first = await one(`${id}-before-1`);
      await engine.failJob(first.key, { retries: 0, errorMessage: 'customer master unreachable' });
      const [incident] = await engine.listIncidents({ processInstanceKey: ref.processInstanceKey, state: 'ACTIVE' });
      expect(incident).toMatchObject({ errorType: 'EXECUTION_LISTENER_NO_RETRIES', elementId: 'task', errorMessage: 'customer master unreachable' });
      // an execution listener cannot throw a BPMN error (Zeebe rejects it)
      await expect(engine.throwError(first.key, { errorCode: 'NOPE' })).rejects.toThrow(/execution listener job/);
      await engine.updateJobRetries(first.key, 1);
      await engine.resolveIncident(incident.incidentKey);
      const again = await one(`${id}-before-1`);
      expect(again.key).toBe(first.key);
      await engine.completeJob(again.key, { workType: `${id}-work` });
      await engine.completeJob((await one(`${id}-before-2`)).key);
      await engine.completeJob((await one(`${id}-work`)).key);
      await engine.completeJob((await one(`${id}-after`)).key);
      await engine.settle();
      expect((await engine.getInstance(ref.processInstanceKey))?.state).toBe('COMPLETED');
    });

    it('a start listener on an exclusive gateway sets what its conditions read (ExecutionListenerGatewayTest)', async () => {
      const id = `el-gateway-${cacheSize}`;
      const xml = diagram(
        id,
        `<bpmn:startEvent id="start" />${flow('f1', 'start', 'gw')}
        <bpmn:exclusiveGateway id="gw" default="toLow"><bpmn:extensionElements>${listeners(['start', `${id}-score`])}</bpmn:extensionElements></bpmn:exclusiveGateway>
        ${flow('toHigh', 'gw', 'high', '=score &gt; 50')}${flow('toLow', 'gw', 'low')}
        <bpmn:endEvent id="high" /><bpmn:endEvent id="low" />`,
      );
      await engine.deploy([{ name: `${id}.bpmn`, content: xml }]);
      const ref = await engine.createInstance({ bpmnProcessId: id });
      const job = await one(`${id}-score`);
      expect(job).toMatchObject({ kind: 'EXECUTION_LISTENER', elementId: 'gw' });
      await engine.completeJob(job.key, { score: 80 });
      await engine.settle();
      const done = await engine.getInstance(ref.processInstanceKey);
      expect(done?.state).toBe('COMPLETED');
      expect(done?.takenFlows).toContain('toHigh');
      expect(done?.takenFlows).not.toContain('toLow');
    });

    it('terminating an element while its listener runs cancels the listener job', async () => {
      const id = `el-cancel-${cacheSize}`;
      await engine.deploy([{ name: `${id}.bpmn`, content: taskWithListeners(id) }]);
      const ref = await engine.createInstance({ bpmnProcessId: id, variables: { amount: 1 } });
      const first = await one(`${id}-before-1`);
      await engine.cancelInstance(ref.processInstanceKey);
      await expect(engine.completeJob(first.key)).rejects.toBeInstanceOf(EngineError);
    });
  });
}

describe('execution listeners at deploy', () => {
  let t: TestDb;
  let engine: EmbeddedEngine;
  beforeAll(async () => {
    t = await openTestDb('pglite');
    engine = new EmbeddedEngine({ db: t.db, virtualClock: true });
    await engine.start();
  });
  afterAll(async () => {
    await engine.stop();
    await t.close();
  });

  const refused = async (xml: string) => {
    const err = await engine.deploy([{ name: 'refused.bpmn', content: xml }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    return (err as EngineError).message;
  };

  it('refuses what Zeebe refuses, naming the element: end listeners on a gateway, duplicates, a listener without a type', async () => {
    const gateway = diagram('el-refuse-gw', `<bpmn:startEvent id="s" />${flow('f1', 's', 'gw')}<bpmn:parallelGateway id="gw"><bpmn:extensionElements>${listeners(['end', 'x'])}</bpmn:extensionElements></bpmn:parallelGateway>${flow('f2', 'gw', 'e')}<bpmn:endEvent id="e" />`);
    expect(await refused(gateway)).toMatch(/gw: Execution listeners of type 'end' are not supported by ParallelGateway/);
    const twice = diagram('el-refuse-dup', `<bpmn:startEvent id="s" />${flow('f1', 's', 't')}<bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="w" />${listeners(['start', 'x'], ['start', 'x'])}</bpmn:extensionElements></bpmn:serviceTask>${flow('f2', 't', 'e')}<bpmn:endEvent id="e" />`);
    expect(await refused(twice)).toMatch(/t: Found '2' duplicates based on eventType\[start\] and type\[x\]/);
    const untyped = diagram('el-refuse-type', `<bpmn:startEvent id="s" />${flow('f1', 's', 't')}<bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="w" /><zeebe:executionListeners><zeebe:executionListener eventType="start" /></zeebe:executionListeners></bpmn:extensionElements></bpmn:serviceTask>${flow('f2', 't', 'e')}<bpmn:endEvent id="e" />`);
    expect(await refused(untyped)).toMatch(/t: an execution listener needs a job type/);
  });

  it('refuses, named, the listeners the embedded engine does not run yet (process, events) instead of skipping them', async () => {
    const onEvent = diagram('el-refuse-event', `<bpmn:startEvent id="s" />${flow('f1', 's', 'e')}<bpmn:endEvent id="e"><bpmn:extensionElements>${listeners(['end', 'x'])}</bpmn:extensionElements></bpmn:endEvent>`);
    expect(await refused(onEvent)).toMatch(/e: execution listeners \(end: x\) on a EndEvent are not run by the embedded engine yet/);
  });
});
