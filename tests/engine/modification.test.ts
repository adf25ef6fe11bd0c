/**
 * Process instance modification on the embedded engine (Zeebe's ModifyProcessInstance, issue
 * #16): activate elements with variables, terminate element instances, every instruction checked
 * before any is applied. Runs with instances kept in memory and with every command reloading its
 * instance (cache 0). Zeebe's own cases: ModifyProcessInstanceTest, ModifyProcessInstanceRejectionTest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { EngineError } from '../../engine/types.js';
import { openTestDb, type TestDb } from '../support/db.js';

let seq = 0;
const diagram = (id: string, body: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-mod-${++seq}" targetNamespace="http://herald.test/mod">
  <bpmn:process id="${id}" isExecutable="true">${body}</bpmn:process>
</bpmn:definitions>`;
const flow = (id: string, from: string, to: string) => `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}" />`;
const task = (id: string, type: string) => `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements></bpmn:serviceTask>`;

/** start → check (fails) → send → end */
export const stuckProcess = (id: string) =>
  diagram(id, `<bpmn:startEvent id="start" />${flow('f1', 'start', 'check')}${task('check', `${id}-check`)}${flow('f2', 'check', 'send')}${task('send', `${id}-send`)}${flow('f3', 'send', 'end')}<bpmn:endEvent id="end" />`);

/** start → fork → (a → endA) and (b → endB) */
const splitProcess = (id: string) =>
  diagram(
    id,
    `<bpmn:startEvent id="start" />${flow('f1', 'start', 'fork')}<bpmn:parallelGateway id="fork" />
    ${flow('fa', 'fork', 'a')}${flow('fb', 'fork', 'b')}${task('a', `${id}-a`)}${task('b', `${id}-b`)}
    ${flow('fa2', 'a', 'endA')}${flow('fb2', 'b', 'endB')}<bpmn:endEvent id="endA" /><bpmn:endEvent id="endB" />`,
  );

for (const cacheSize of [500, 0]) {
  describe(`process instance modification on the embedded engine (cache ${cacheSize})`, () => {
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

    it('moves a token stuck at an incident past it: activates the next task with variables, terminates the failed one and resolves its incident', async () => {
      const id = `mod-stuck-${cacheSize}`;
      await engine.deploy([{ name: `${id}.bpmn`, content: stuckProcess(id) }]);
      const ref = await engine.createInstance({ bpmnProcessId: id, variables: { invoice: 'INV-1' } });
      const check = await one(`${id}-check`);
      await engine.failJob(check.key, { retries: 0, errorMessage: 'credit bureau down' });
      const [incident] = await engine.listIncidents({ processInstanceKey: ref.processInstanceKey, state: 'ACTIVE' });
      expect(incident.elementId).toBe('check');

      await engine.modifyInstance(ref.processInstanceKey, {
        activateInstructions: [{ elementId: 'send', variableInstructions: [{ variables: { checkedBy: 'operator' } }, { scopeId: 'send', variables: { onlyHere: true } }] }],
        terminateInstructions: [{ elementInstanceKey: check.elementInstanceKey }],
      });
      await engine.settle();

      const send = await one(`${id}-send`);
      expect(send.variables).toMatchObject({ invoice: 'INV-1', checkedBy: 'operator', onlyHere: true });
      expect(await engine.getVariables(ref.processInstanceKey)).not.toHaveProperty('onlyHere');
      const mid = await engine.getInstance(ref.processInstanceKey);
      expect(mid?.elements.find((e) => e.elementId === 'check')?.state).toBe('TERMINATED');
      expect(mid?.incidents.filter((i) => i.state === 'ACTIVE')).toEqual([]);
      expect((await engine.listInstances({ bpmnProcessId: id, hasIncident: true })).length).toBe(0);
      await expect(engine.completeJob(check.key)).rejects.toBeInstanceOf(EngineError);

      await engine.completeJob(send.key);
      await engine.settle();
      const done = await engine.getInstance(ref.processInstanceKey);
      expect(done?.state).toBe('COMPLETED');
      expect(done?.takenFlows).not.toContain('f2');
    });

    it('terminates one branch of a parallel split; the other runs on and completes the instance', async () => {
      const id = `mod-split-${cacheSize}`;
      await engine.deploy([{ name: `${id}.bpmn`, content: splitProcess(id) }]);
      const ref = await engine.createInstance({ bpmnProcessId: id });
      const a = await one(`${id}-a`);
      const b = await one(`${id}-b`);
      await engine.modifyInstance(ref.processInstanceKey, { terminateInstructions: [{ elementInstanceKey: b.elementInstanceKey }] });
      await engine.settle();
      const mid = await engine.getInstance(ref.processInstanceKey);
      expect(mid?.state).toBe('ACTIVE');
      expect(mid?.elements.find((e) => e.elementId === 'b')?.state).toBe('TERMINATED');
      expect(mid?.elements.find((e) => e.elementId === 'a')?.state).toBe('ACTIVATED');
      await engine.completeJob(a.key);
      await engine.settle();
      const done = await engine.getInstance(ref.processInstanceKey);
      expect(done?.state).toBe('COMPLETED');
      expect(done?.elements.map((e) => e.elementId)).not.toContain('endB');
    });

    it('terminating the last active element instance terminates the process instance', async () => {
      const id = `mod-last-${cacheSize}`;
      await engine.deploy([{ name: `${id}.bpmn`, content: stuckProcess(id) }]);
      const ref = await engine.createInstance({ bpmnProcessId: id });
      const check = await one(`${id}-check`);
      await engine.modifyInstance(ref.processInstanceKey, { terminateInstructions: [{ elementInstanceKey: check.elementInstanceKey }] });
      await engine.settle();
      expect((await engine.getInstance(ref.processInstanceKey))?.state).toBe('TERMINATED');
    });

    it("refuses unknown elements and element instances with Zeebe's texts, naming them, and applies nothing", async () => {
      const id = `mod-refuse-${cacheSize}`;
      await engine.deploy([{ name: `${id}.bpmn`, content: stuckProcess(id) }]);
      const ref = await engine.createInstance({ bpmnProcessId: id });
      const check = await one(`${id}-check`);
      const err = await engine
        .modifyInstance(ref.processInstanceKey, { activateInstructions: [{ elementId: 'send' }, { elementId: 'no-such-task' }], terminateInstructions: [{ elementInstanceKey: check.elementInstanceKey }] })
        .catch((e: unknown) => e as EngineError);
      expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', details: { elementId: 'no-such-task', field: 'activateInstructions[1].elementId' } });
      expect((err as EngineError).message).toBe(`Expected to modify instance of process '${id}' but it contains one or more activate instructions with an element that could not be found: 'no-such-task'`);
      await expect(engine.modifyInstance(ref.processInstanceKey, { terminateInstructions: [{ elementInstanceKey: `${ref.processInstanceKey}/nope` }] })).rejects.toThrow(
        /terminate instructions with an element instance that could not be found: '\d+\/nope'/,
      );
      await expect(engine.modifyInstance(ref.processInstanceKey, { activateInstructions: [{ elementId: 'start' }] })).rejects.toThrow(/activate instructions for elements that are unsupported: 'start'. The activation of elements with type 'START_EVENT' is not supported/);
      await expect(engine.modifyInstance(ref.processInstanceKey, {})).rejects.toThrow(/at least one/);
      // nothing was applied: the check job still waits, no send job exists
      await engine.settle();
      expect(await engine.activateJobs({ type: `${id}-send`, worker: 'test', maxJobsToActivate: 1, timeout: 1000 })).toEqual([]);
      await engine.completeJob(check.key);
      await engine.completeJob((await one(`${id}-send`)).key);
      await engine.settle();
      expect((await engine.getInstance(ref.processInstanceKey))?.state).toBe('COMPLETED');
    });
  });
}
