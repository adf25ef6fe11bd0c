/**
 * Process instance migration on the embedded engine (Zeebe's MigrateProcessInstance, issue #16):
 * an instance waiting at a job moves to a new version and continues on its path; what is not
 * migratable is refused with Zeebe's reason and nothing changes. Runs with instances kept in
 * memory and with every command reloading its instance (cache 0). Zeebe's own cases:
 * MigrateProcessInstanceTest, MigrateProcessInstanceRejectionTest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { EngineError } from '../../engine/types.js';
import { openTestDb, type TestDb } from '../support/db.js';

let seq = 0;
const diagram = (id: string, body: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-mig-${++seq}" targetNamespace="http://herald.test/mig">
  <bpmn:process id="${id}" isExecutable="true">${body}</bpmn:process>
</bpmn:definitions>`;
const flow = (id: string, from: string, to: string) => `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}" />`;
const task = (id: string, type: string) => `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements></bpmn:serviceTask>`;

/** v1: start → review → send → end */
const v1 = (id: string) => diagram(id, `<bpmn:startEvent id="start" />${flow('f1', 'start', 'review')}${task('review', `${id}-review`)}${flow('f2', 'review', 'send')}${task('send', `${id}-send`)}${flow('f3', 'send', 'end')}<bpmn:endEvent id="end" />`);
/** v2: start → review → archive (new) → send → end */
const v2 = (id: string) =>
  diagram(id, `<bpmn:startEvent id="start" />${flow('f1', 'start', 'review')}${task('review', `${id}-review`)}${flow('f2b', 'review', 'archive')}${task('archive', `${id}-archive`)}${flow('f2c', 'archive', 'send')}${task('send', `${id}-send`)}${flow('f3', 'send', 'end')}<bpmn:endEvent id="end" />`);
/** v3: review is a user task now */
const v3 = (id: string) => diagram(id, `<bpmn:startEvent id="start" />${flow('f1', 'start', 'review')}<bpmn:userTask id="review" />${flow('f2', 'review', 'end')}<bpmn:endEvent id="end" />`);

for (const cacheSize of [500, 0]) {
  describe(`process instance migration on the embedded engine (cache ${cacheSize})`, () => {
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

    it('moves an instance waiting at a job to the new version: the job stays, and the instance goes on along the new path', async () => {
      const id = `mig-path-${cacheSize}`;
      await engine.deploy([{ name: `${id}.bpmn`, content: v1(id) }]);
      const ref = await engine.createInstance({ bpmnProcessId: id, variables: { invoice: 'INV-3' } });
      const review = await one(`${id}-review`);
      const target = (await engine.deploy([{ name: `${id}.bpmn`, content: v2(id) }])).processes[0];
      expect(target.version).toBe(2);

      await engine.migrateInstance(ref.processInstanceKey, { targetProcessDefinitionKey: target.processDefinitionKey, mappingInstructions: [{ sourceElementId: 'review', targetElementId: 'review' }] });
      const moved = await engine.getInstance(ref.processInstanceKey);
      expect(moved).toMatchObject({ version: 2, processDefinitionKey: target.processDefinitionKey, state: 'ACTIVE', variables: { invoice: 'INV-3' } });

      // the job activated before the migration completes after it (Zeebe keeps jobs as they are)
      await engine.completeJob(review.key, { reviewed: true });
      await engine.completeJob((await one(`${id}-archive`)).key);
      const send = await one(`${id}-send`);
      expect(send).toMatchObject({ processDefinitionKey: target.processDefinitionKey, processDefinitionVersion: 2, variables: { reviewed: true } });
      await engine.completeJob(send.key);
      await engine.settle();
      const done = await engine.getInstance(ref.processInstanceKey);
      expect(done?.state).toBe('COMPLETED');
      expect(done?.takenFlows).toEqual(['f1', 'f2b', 'f2c', 'f3']);
    });

    it("refuses what is not migratable with Zeebe's reason, naming the element, and leaves the instance on its version", async () => {
      const id = `mig-refuse-${cacheSize}`;
      const first = (await engine.deploy([{ name: `${id}.bpmn`, content: v1(id) }])).processes[0];
      const ref = await engine.createInstance({ bpmnProcessId: id });
      const review = await one(`${id}-review`);
      const second = (await engine.deploy([{ name: `${id}.bpmn`, content: v2(id) }])).processes[0];
      const third = (await engine.deploy([{ name: `${id}.bpmn`, content: v3(id) }])).processes[0];
      const other = (await engine.deploy([{ name: `${id}-other.bpmn`, content: v1(`${id}-other`) }])).processes[0];
      const refusal = (targetProcessDefinitionKey: string, mappingInstructions: { sourceElementId: string; targetElementId: string }[]) =>
        engine.migrateInstance(ref.processInstanceKey, { targetProcessDefinitionKey, mappingInstructions }).then(
          () => undefined,
          (e: unknown) => e as EngineError,
        );

      const unmapped = await refusal(second.processDefinitionKey, []);
      expect(unmapped).toMatchObject({ code: 'INVALID_ARGUMENT', details: { elementId: 'review' } });
      expect(unmapped?.message).toBe(`Expected to migrate process instance '${ref.processInstanceKey}' but no mapping instruction defined for active element with id 'review'. Elements cannot be migrated without a mapping.`);
      expect((await refusal(third.processDefinitionKey, [{ sourceElementId: 'review', targetElementId: 'review' }]))?.message).toMatch(/active element with id 'review' and type 'SERVICE_TASK' is mapped to an element with id 'review' and different type 'USER_TASK'/);
      expect((await refusal(second.processDefinitionKey, [{ sourceElementId: 'review', targetElementId: 'nope' }]))?.message).toMatch(/non-existing target element id 'nope'/);
      expect((await refusal(other.processDefinitionKey, [{ sourceElementId: 'review', targetElementId: 'review' }, { sourceElementId: 'review', targetElementId: 'send' }]))?.message).toBe(
        `Expected to migrate process instance '${ref.processInstanceKey}' but the mapping instructions contain duplicate source element ids '[review]'.`,
      );
      expect(await refusal('999999999', [])).toMatchObject({ code: 'NOT_FOUND' });

      // nothing changed: still version 1, and it runs on as version 1
      expect((await engine.getInstance(ref.processInstanceKey))?.processDefinitionKey).toBe(first.processDefinitionKey);
      await engine.completeJob(review.key);
      await engine.completeJob((await one(`${id}-send`)).key);
      await engine.settle();
      expect((await engine.getInstance(ref.processInstanceKey))?.takenFlows).toEqual(['f1', 'f2', 'f3']);
    });
  });
}
