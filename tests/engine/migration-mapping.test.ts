/**
 * Process instance migration with mapping instructions between different element ids and to
 * another process (issue #16), as Zeebe 8.8 allows (MigrateProcessInstanceTest:
 * shouldMigrateToDifferentBpmnProcessId, shouldMigrateActiveElementToDifferentElementId,
 * shouldMigrateSubprocessWithMappedChildren; MigrateProcessInstanceRejectionTest for the texts):
 * the job, the message subscription and the element instance keys stay, the instance goes on along
 * the target's path. Runs with instances kept in memory and with every command reloading its
 * instance (cache 0), so the migrated state is read back from the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import type { EngineError } from '../../engine/types.js';
import { openTestDb, type TestDb } from '../support/db.js';

let seq = 0;
const diagram = (id: string, body: string, extra = '') => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-migmap-${++seq}" targetNamespace="http://herald.test/migmap">
  <bpmn:process id="${id}" isExecutable="true">${body}</bpmn:process>${extra}
</bpmn:definitions>`;
const flow = (id: string, from: string, to: string) => `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}" />`;
const task = (id: string, type: string, name?: string) =>
  `<bpmn:serviceTask id="${id}"${name ? ` name="${name}"` : ''}><bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements></bpmn:serviceTask>`;
const sub = (id: string, body: string) => `<bpmn:subProcess id="${id}">${body}</bpmn:subProcess>`;

/** start → sub(s0 → check → s9) → notify → end */
const source = (id: string, type: string) =>
  diagram(id, `<bpmn:startEvent id="start" />${flow('f1', 'start', 'sub')}${sub('sub', `<bpmn:startEvent id="s0" />${flow('s1', 's0', 'check')}${task('check', type)}${flow('s2', 'check', 's9')}<bpmn:endEvent id="s9" />`)}${flow('f2', 'sub', 'notify')}${task('notify', `${type}-notify`)}${flow('f3', 'notify', 'end')}<bpmn:endEvent id="end" />`);
/** another process: begin → stage(t0 → verify → archive → t9) → done; `verify` is `check` renamed */
const target = (id: string, type: string) =>
  diagram(
    id,
    `<bpmn:startEvent id="begin" />${flow('g1', 'begin', 'stage')}${sub('stage', `<bpmn:startEvent id="t0" />${flow('t1', 't0', 'verify')}${task('verify', type, 'Verify the invoice')}${flow('t2', 'verify', 'archive')}${task('archive', `${type}-archive`)}${flow('t3', 'archive', 't9')}<bpmn:endEvent id="t9" />`)}${flow('g2', 'stage', 'done')}<bpmn:endEvent id="done" />`,
  );
/** a top-level verify (another flow scope) */
const flat = (id: string, type: string) => diagram(id, `<bpmn:startEvent id="begin" />${flow('g1', 'begin', 'verify')}${task('verify', type)}${flow('g2', 'verify', 'done')}<bpmn:endEvent id="done" />`);

/** start → wait (message 'paid', key = invoice) → end */
const waiting = (id: string, catchId: string, messageName: string) =>
  diagram(
    id,
    `<bpmn:startEvent id="start" />${flow('f1', 'start', catchId)}<bpmn:intermediateCatchEvent id="${catchId}"><bpmn:messageEventDefinition messageRef="m-${id}" /></bpmn:intermediateCatchEvent>${flow('f2', catchId, 'end')}<bpmn:endEvent id="end" />`,
    `<bpmn:message id="m-${id}" name="${messageName}"><bpmn:extensionElements><zeebe:subscription correlationKey="=invoice" /></bpmn:extensionElements></bpmn:message>`,
  );

/** start → taskId (a job, with a 1 h timer boundary `timerId` → late) → end */
const withTimer = (pid: string, type: string, taskId: string, timerId: string, other = '') =>
  diagram(
    pid,
    `<bpmn:startEvent id="start" />${flow('f1', 'start', taskId)}${task(taskId, type)}${flow('f2', taskId, 'end')}<bpmn:endEvent id="end" />
    <bpmn:boundaryEvent id="${timerId}" attachedToRef="${taskId}"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>${flow('f3', timerId, 'late')}<bpmn:endEvent id="late" />${other}`,
  );

for (const cacheSize of [500, 0]) {
  describe(`migration with mapping instructions (cache ${cacheSize})`, () => {
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
    const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as EngineError);

    it('moves an instance to another process, its sub-process and job mapped to renamed elements: the job and the element instance keys stay', async () => {
      // given an instance of one process waiting at `check` inside `sub`
      const id = `migmap-other-${cacheSize}`;
      const type = `${id}-check`;
      await engine.deploy([{ name: `${id}.bpmn`, content: source(id, type) }]);
      const ref = await engine.createInstance({ bpmnProcessId: id, variables: { invoice: 'INV-9' } });
      const check = await one(type);
      const before = await engine.getInstance(ref.processInstanceKey);
      const subKey = before!.elements.find((e) => e.elementId === 'sub')!.elementInstanceKey;
      const into = (await engine.deploy([{ name: `${id}-v2.bpmn`, content: target(`${id}-v2`, type) }])).processes[0];

      // when it is migrated to the other process, `sub` → `stage` and `check` → `verify`
      await engine.migrateInstance(ref.processInstanceKey, {
        targetProcessDefinitionKey: into.processDefinitionKey,
        mappingInstructions: [
          { sourceElementId: 'sub', targetElementId: 'stage' },
          { sourceElementId: 'check', targetElementId: 'verify' },
        ],
      });

      // then it is an instance of the other process, its active element instances renamed in place
      const moved = await engine.getInstance(ref.processInstanceKey);
      expect(moved).toMatchObject({ bpmnProcessId: `${id}-v2`, processDefinitionKey: into.processDefinitionKey, state: 'ACTIVE', variables: { invoice: 'INV-9' } });
      expect(moved?.elements.find((e) => e.elementInstanceKey === subKey)).toMatchObject({ elementId: 'stage', state: 'ACTIVATED' });
      expect(moved?.elements.find((e) => e.elementInstanceKey === check.elementInstanceKey)).toMatchObject({ elementId: 'verify', elementName: 'Verify the invoice', state: 'ACTIVATED', flowScopeKey: subKey });
      // what ended keeps the ids it ran with
      expect(moved?.elements.find((e) => e.elementId === 'start')?.state).toBe('COMPLETED');
      expect((await engine.listInstances({ bpmnProcessId: `${id}-v2` })).map((i) => i.processInstanceKey)).toEqual([ref.processInstanceKey]);

      // and the job activated before the migration completes after it; the target's path follows
      await engine.completeJob(check.key, { verified: true });
      const archive = await one(`${type}-archive`);
      expect(archive).toMatchObject({ bpmnProcessId: `${id}-v2`, elementId: 'archive', variables: { invoice: 'INV-9', verified: true } });
      await engine.completeJob(archive.key);
      await engine.settle();
      const done = await engine.getInstance(ref.processInstanceKey);
      expect(done?.state).toBe('COMPLETED');
      expect(done?.elements.find((e) => e.elementInstanceKey === subKey)).toMatchObject({ elementId: 'stage', state: 'COMPLETED' });
      expect(done?.takenFlows).toEqual(['f1', 's1', 't2', 't3', 'g2']);
    });

    it('moves a waiting message catch event to a renamed one: the subscription stays and the message correlates', async () => {
      const id = `migmap-msg-${cacheSize}`;
      await engine.deploy([{ name: `${id}.bpmn`, content: waiting(id, 'awaitPayment', `paid-${id}`) }]);
      const ref = await engine.createInstance({ bpmnProcessId: id, variables: { invoice: `INV-${cacheSize}` } });
      await engine.settle();
      const into = (await engine.deploy([{ name: `${id}.bpmn`, content: waiting(id, 'paymentReceived', `paid-${id}`) }])).processes[0];

      await engine.migrateInstance(ref.processInstanceKey, { targetProcessDefinitionKey: into.processDefinitionKey, mappingInstructions: [{ sourceElementId: 'awaitPayment', targetElementId: 'paymentReceived' }] });
      expect((await engine.getInstance(ref.processInstanceKey))?.elements.find((e) => e.state === 'ACTIVATED')?.elementId).toBe('paymentReceived');

      await engine.publishMessage({ name: `paid-${id}`, correlationKey: `INV-${cacheSize}`, variables: { paidAt: 'today' } });
      await engine.settle();
      const done = await engine.getInstance(ref.processInstanceKey);
      expect(done).toMatchObject({ state: 'COMPLETED', version: 2, variables: { paidAt: 'today' } });
      expect(done?.elements.find((e) => e.elementId === 'paymentReceived')?.state).toBe('COMPLETED');
    });

    it("refuses a changed type and a changed flow scope with Zeebe's texts, naming the element, and leaves the instance where it was", async () => {
      const id = `migmap-refuse-${cacheSize}`;
      const type = `${id}-check`;
      const first = (await engine.deploy([{ name: `${id}.bpmn`, content: source(id, type) }])).processes[0];
      const ref = await engine.createInstance({ bpmnProcessId: id });
      const check = await one(type);
      const key = ref.processInstanceKey;
      const staged = (await engine.deploy([{ name: `${id}-v2.bpmn`, content: target(`${id}-v2`, type) }])).processes[0];
      const flatOne = (await engine.deploy([{ name: `${id}-flat.bpmn`, content: flat(`${id}-flat`, type) }])).processes[0];

      // check goes to the process level while its sub-process maps to nothing of the kind
      const scope = await refusal(
        engine.migrateInstance(key, {
          targetProcessDefinitionKey: flatOne.processDefinitionKey,
          mappingInstructions: [
            { sourceElementId: 'sub', targetElementId: 'verify' },
            { sourceElementId: 'check', targetElementId: 'verify' },
          ],
        }),
      );
      expect(scope).toMatchObject({ code: 'INVALID_ARGUMENT', details: { elementId: 'sub' } });
      expect(scope?.message).toBe(
        `Expected to migrate process instance '${key}' but active element with id 'sub' and type 'SUB_PROCESS' is mapped to an element with id 'verify' and different type 'SERVICE_TASK'. Elements must be mapped to elements of the same type.`,
      );
      const changed = await refusal(
        engine.migrateInstance(key, {
          targetProcessDefinitionKey: staged.processDefinitionKey,
          mappingInstructions: [
            { sourceElementId: 'sub', targetElementId: 'stage' },
            { sourceElementId: 'check', targetElementId: 'archive' },
            { sourceElementId: 'notify', targetElementId: 'verify' },
          ],
        }),
      );
      expect(changed).toBeUndefined(); // archive is in stage too: the flow scope is unchanged, so this one is allowed…
      // …and moved it; moving it back needs check's flow scope to be stage's mapping again
      const back = await refusal(
        engine.migrateInstance(key, { targetProcessDefinitionKey: first.processDefinitionKey, mappingInstructions: [{ sourceElementId: 'archive', targetElementId: 'check' }] }),
      );
      expect(back?.message).toBe(`Expected to migrate process instance '${key}' but no mapping instruction defined for active element with id 'stage'. Elements cannot be migrated without a mapping.`);
      const moved = await refusal(
        engine.migrateInstance(key, {
          targetProcessDefinitionKey: first.processDefinitionKey,
          mappingInstructions: [
            { sourceElementId: 'stage', targetElementId: 'sub' },
            { sourceElementId: 'archive', targetElementId: 'notify' },
          ],
        }),
      );
      expect(moved).toMatchObject({ code: 'INVALID_ARGUMENT', details: { elementId: 'archive' } });
      expect(moved?.message).toBe(
        `Expected to migrate process instance '${key}' but the flow scope of active element with id 'archive' is changed. The flow scope of the active element is expected to be 'sub' but was '${id}'. The flow scope of an element cannot be changed during migration yet.`,
      );

      // the refusals changed nothing: the instance is where the one accepted migration put it, and runs on
      const now = await engine.getInstance(key);
      expect(now).toMatchObject({ bpmnProcessId: `${id}-v2`, processDefinitionKey: staged.processDefinitionKey });
      expect(now?.elements.find((e) => e.elementInstanceKey === check.elementInstanceKey)?.elementId).toBe('archive');
      await engine.completeJob(check.key);
      await engine.settle();
      expect((await engine.getInstance(key))?.state).toBe('COMPLETED');
    });

    it('refuses a boundary event mapped away from its element, naming it', async () => {
      const id = `migmap-boundary-${cacheSize}`;
      const type = `${id}-work`;
      await engine.deploy([{ name: `${id}.bpmn`, content: withTimer(id, type, 'work', 'tooLong') }]);
      const ref = await engine.createInstance({ bpmnProcessId: id });
      const work = await one(type);
      const into = (await engine.deploy([{ name: `${id}.bpmn`, content: withTimer(id, type, 'job', 'overdue', task('other', `${id}-other`)) }])).processes[0];

      const detached = await refusal(
        engine.migrateInstance(ref.processInstanceKey, {
          targetProcessDefinitionKey: into.processDefinitionKey,
          mappingInstructions: [
            { sourceElementId: 'work', targetElementId: 'other' },
            { sourceElementId: 'tooLong', targetElementId: 'overdue' },
          ],
        }),
      );
      expect(detached?.message).toBe(
        `Expected to migrate process instance '${ref.processInstanceKey}' but active element with id 'work' is mapped to an element with id 'other' and has a boundary event with id 'tooLong' that is mapped to an element with id 'overdue'. These mappings detach the boundary event from the element in the target process. Boundary events must stay attached to the same element instance.`,
      );
      // mapped with its timer, the element moves; the timer stays armed on it
      await engine.migrateInstance(ref.processInstanceKey, {
        targetProcessDefinitionKey: into.processDefinitionKey,
        mappingInstructions: [
          { sourceElementId: 'work', targetElementId: 'job' },
          { sourceElementId: 'tooLong', targetElementId: 'overdue' },
        ],
      });
      await engine.completeJob(work.key);
      await engine.settle();
      const done = await engine.getInstance(ref.processInstanceKey);
      expect(done?.state).toBe('COMPLETED');
      expect(done?.elements.find((e) => e.elementInstanceKey === work.elementInstanceKey)).toMatchObject({ elementId: 'job', state: 'COMPLETED' });
      expect(done?.takenFlows).toEqual(['f1', 'f2']);
    });

    it('a timer boundary event mapped to a renamed one fires after the migration, on the target element', async () => {
      const id = `migmap-timer-${cacheSize}`;
      const type = `${id}-work`;
      await engine.deploy([{ name: `${id}.bpmn`, content: withTimer(id, type, 'work', 'tooLong') }]);
      const ref = await engine.createInstance({ bpmnProcessId: id });
      const work = await one(type);
      const into = (await engine.deploy([{ name: `${id}.bpmn`, content: withTimer(id, type, 'job', 'overdue') }])).processes[0];
      await engine.migrateInstance(ref.processInstanceKey, {
        targetProcessDefinitionKey: into.processDefinitionKey,
        mappingInstructions: [
          { sourceElementId: 'work', targetElementId: 'job' },
          { sourceElementId: 'tooLong', targetElementId: 'overdue' },
        ],
      });

      await engine.clock.advance(3600_000 + 1000);
      await engine.settle();
      const done = await engine.getInstance(ref.processInstanceKey);
      expect(done?.state).toBe('COMPLETED');
      expect(done?.elements.find((e) => e.elementInstanceKey === work.elementInstanceKey)).toMatchObject({ elementId: 'job', state: 'TERMINATED' });
      expect(done?.elements.find((e) => e.elementId === 'overdue')?.state).toBe('COMPLETED');
      expect(done?.takenFlows).toEqual(['f1', 'f3']);
    });
  });
}
