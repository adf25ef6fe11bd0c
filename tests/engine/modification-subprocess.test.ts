/**
 * Process instance modification inside embedded sub-processes (issue #16), as Zeebe 8.8 does it
 * (ModifyProcessInstanceTest: shouldActivateElementInNestedSubProcess,
 * shouldActivateInsideExistingFlowScope, shouldTerminateFlowScopeIfLastChildIsTerminated;
 * ModifyProcessInstanceRejectionTest for the texts): the flow scopes of an activated element are
 * reused or created, `ancestorElementInstanceKey` picks the scope instance, a sub-process left
 * without children is terminated, never completed. Runs with instances kept in memory and with
 * every command reloading its instance (cache 0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { EngineError, type InstanceDetails } from '../../engine/types.js';
import { openTestDb, type TestDb } from '../support/db.js';

let seq = 0;
const diagram = (id: string, body: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-modsub-${++seq}" targetNamespace="http://herald.test/modsub">
  <bpmn:process id="${id}" isExecutable="true">${body}</bpmn:process>
</bpmn:definitions>`;
const flow = (id: string, from: string, to: string) => `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}" />`;
const task = (id: string, type: string) => `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements></bpmn:serviceTask>`;
const sub = (id: string, body: string) => `<bpmn:subProcess id="${id}">${body}</bpmn:subProcess>`;

/** start → prep → sub(subStart → a → b → subEnd) → after → end */
const reviewProcess = (id: string) =>
  diagram(
    id,
    `<bpmn:startEvent id="start" />${flow('f1', 'start', 'prep')}${task('prep', `${id}-prep`)}${flow('f2', 'prep', 'sub')}
    ${sub('sub', `<bpmn:startEvent id="subStart" />${flow('s1', 'subStart', 'a')}${task('a', `${id}-a`)}${flow('s2', 'a', 'b')}${task('b', `${id}-b`)}${flow('s3', 'b', 'subEnd')}<bpmn:endEvent id="subEnd" />`)}
    ${flow('f3', 'sub', 'after')}${task('after', `${id}-after`)}${flow('f4', 'after', 'end')}<bpmn:endEvent id="end" />`,
  );

/** start → fork → (outer(inner(x)) → endA) and (c → endC) */
const nestedProcess = (id: string) =>
  diagram(
    id,
    `<bpmn:startEvent id="start" />${flow('f1', 'start', 'fork')}<bpmn:parallelGateway id="fork" />${flow('fa', 'fork', 'outer')}${flow('fc', 'fork', 'c')}
    ${sub('outer', `<bpmn:startEvent id="outerStart" />${flow('o1', 'outerStart', 'inner')}${sub('inner', `<bpmn:startEvent id="innerStart" />${flow('i1', 'innerStart', 'x')}${task('x', `${id}-x`)}${flow('i2', 'x', 'innerEnd')}<bpmn:endEvent id="innerEnd" />`)}${flow('o2', 'inner', 'outerEnd')}<bpmn:endEvent id="outerEnd" />`)}
    ${flow('fa2', 'outer', 'endA')}<bpmn:endEvent id="endA" />${task('c', `${id}-c`)}${flow('fc2', 'c', 'endC')}<bpmn:endEvent id="endC" />`,
  );

for (const cacheSize of [500, 0]) {
  describe(`modification inside embedded sub-processes (cache ${cacheSize})`, () => {
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
    const states = (details: InstanceDetails | undefined, elementId: string) => details?.elements.filter((e) => e.elementId === elementId).map((e) => e.state);
    const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as EngineError);

    it('activates an element inside the active sub-process (its only instance) and terminates the stuck one there; the sub-process runs on and completes', async () => {
      // given an instance stuck at an incident on `a`, inside `sub`
      const id = `modsub-inside-${cacheSize}`;
      await engine.deploy([{ name: `${id}.bpmn`, content: reviewProcess(id) }]);
      const ref = await engine.createInstance({ bpmnProcessId: id });
      await engine.completeJob((await one(`${id}-prep`)).key);
      const a = await one(`${id}-a`);
      await engine.failJob(a.key, { retries: 0, errorMessage: 'bureau down' });
      const subKey = (await engine.getInstance(ref.processInstanceKey))!.elements.find((e) => e.elementId === 'sub')!.elementInstanceKey;

      // when `b` is activated in it, with a variable on the sub-process, and `a` terminated
      await engine.modifyInstance(ref.processInstanceKey, {
        activateInstructions: [{ elementId: 'b', variableInstructions: [{ scopeId: 'sub', variables: { reviewer: 'ops' } }] }],
        terminateInstructions: [{ elementInstanceKey: a.elementInstanceKey }],
      });

      // then b's job sees the sub-process's variable, which stays out of the process scope
      const b = await one(`${id}-b`);
      expect(b.variables).toMatchObject({ reviewer: 'ops' });
      expect(await engine.getVariables(ref.processInstanceKey)).not.toHaveProperty('reviewer');
      const mid = await engine.getInstance(ref.processInstanceKey);
      expect(states(mid, 'a')).toEqual(['TERMINATED']);
      expect(mid?.elements.find((e) => e.elementId === 'b')).toMatchObject({ state: 'ACTIVATED', flowScopeKey: subKey });
      expect(states(mid, 'sub')).toEqual(['ACTIVATED']);
      expect(mid?.incidents.filter((i) => i.state === 'ACTIVE')).toEqual([]);

      await engine.completeJob(b.key);
      await engine.completeJob((await one(`${id}-after`)).key);
      await engine.settle();
      const done = await engine.getInstance(ref.processInstanceKey);
      expect(done?.state).toBe('COMPLETED');
      expect(states(done, 'sub')).toEqual(['COMPLETED']);
      expect(done?.takenFlows).toEqual(['f1', 'f2', 's1', 's3', 'f3', 'f4']);
    });

    it('creates the sub-process an element needs when none is active: no start event runs in it, its variables are its own', async () => {
      const id = `modsub-create-${cacheSize}`;
      await engine.deploy([{ name: `${id}.bpmn`, content: reviewProcess(id) }]);
      const ref = await engine.createInstance({ bpmnProcessId: id, variables: { invoice: 'INV-7' } });
      const prep = await one(`${id}-prep`);

      await engine.modifyInstance(ref.processInstanceKey, {
        activateInstructions: [
          {
            elementId: 'b',
            ancestorElementInstanceKey: ref.processInstanceKey,
            variableInstructions: [
              { scopeId: 'sub', variables: { batch: 4 } },
              { scopeId: 'b', variables: { onlyB: true } },
              { variables: { movedBy: 'operator' } },
            ],
          },
        ],
        terminateInstructions: [{ elementInstanceKey: prep.elementInstanceKey }],
      });

      const b = await one(`${id}-b`);
      expect(b.variables).toMatchObject({ invoice: 'INV-7', batch: 4, onlyB: true, movedBy: 'operator' });
      const mid = await engine.getInstance(ref.processInstanceKey);
      const subInstance = mid!.elements.find((e) => e.elementId === 'sub')!;
      expect(subInstance).toMatchObject({ state: 'ACTIVATED', flowScopeKey: ref.processInstanceKey });
      expect(mid?.elements.find((e) => e.elementId === 'b')?.flowScopeKey).toBe(subInstance.elementInstanceKey);
      expect(mid?.elements.map((e) => e.elementId)).not.toContain('subStart');
      expect(states(mid, 'prep')).toEqual(['TERMINATED']);
      expect(await engine.getVariables(ref.processInstanceKey)).toEqual({ invoice: 'INV-7', movedBy: 'operator' });

      await engine.completeJob(b.key);
      await engine.completeJob((await one(`${id}-after`)).key);
      await engine.settle();
      const done = await engine.getInstance(ref.processInstanceKey);
      expect(done?.state).toBe('COMPLETED');
      expect(done?.takenFlows).toEqual(['f1', 's3', 'f3', 'f4']);
    });

    it('creates nested sub-processes for an element two levels down, beside a running branch', async () => {
      const id = `modsub-nested-${cacheSize}`;
      await engine.deploy([{ name: `${id}.bpmn`, content: nestedProcess(id) }]);
      const ref = await engine.createInstance({ bpmnProcessId: id });
      const x = await one(`${id}-x`);
      await one(`${id}-c`);
      // x's scopes end with it (Zeebe terminates flow scopes left empty), then x runs again in new ones
      await engine.modifyInstance(ref.processInstanceKey, { terminateInstructions: [{ elementInstanceKey: x.elementInstanceKey }] });
      const cut = await engine.getInstance(ref.processInstanceKey);
      expect([states(cut, 'x'), states(cut, 'inner'), states(cut, 'outer')]).toEqual([['TERMINATED'], ['TERMINATED'], ['TERMINATED']]);
      expect(cut?.takenFlows).not.toContain('fa2');
      expect(cut?.state).toBe('ACTIVE');

      await engine.modifyInstance(ref.processInstanceKey, { activateInstructions: [{ elementId: 'x', variableInstructions: [{ scopeId: 'outer', variables: { round: 2 } }] }] });
      const again = await one(`${id}-x`);
      expect(again.variables).toMatchObject({ round: 2 });
      const mid = await engine.getInstance(ref.processInstanceKey);
      const outer = mid!.elements.filter((e) => e.elementId === 'outer').at(-1)!;
      const inner = mid!.elements.filter((e) => e.elementId === 'inner').at(-1)!;
      expect(outer.state).toBe('ACTIVATED');
      expect(inner).toMatchObject({ state: 'ACTIVATED', flowScopeKey: outer.elementInstanceKey });
      // innerStart ran once, when the instance started; not in the scopes the modification created
      expect(states(mid, 'innerStart')).toEqual(['COMPLETED']);

      await engine.completeJob(again.key);
      await engine.settle();
      const after = await engine.getInstance(ref.processInstanceKey);
      expect(states(after, 'outer')).toEqual(['TERMINATED', 'COMPLETED']);
      expect(after?.takenFlows.filter((f) => f === 'fa2')).toEqual(['fa2']);
    });

    it('terminating a sub-process terminates what runs inside it, resolves their incidents, and takes no outgoing flow', async () => {
      const id = `modsub-last-${cacheSize}`;
      await engine.deploy([{ name: `${id}.bpmn`, content: nestedProcess(id) }]);
      const ref = await engine.createInstance({ bpmnProcessId: id });
      const x = await one(`${id}-x`);
      const c = await one(`${id}-c`);
      await engine.failJob(x.key, { retries: 0, errorMessage: 'stuck' });
      const outerKey = (await engine.getInstance(ref.processInstanceKey))!.elements.find((e) => e.elementId === 'outer')!.elementInstanceKey;

      await engine.modifyInstance(ref.processInstanceKey, { terminateInstructions: [{ elementInstanceKey: outerKey }] });
      const mid = await engine.getInstance(ref.processInstanceKey);
      expect([states(mid, 'x'), states(mid, 'inner'), states(mid, 'outer')]).toEqual([['TERMINATED'], ['TERMINATED'], ['TERMINATED']]);
      expect(mid?.incidents.filter((i) => i.state === 'ACTIVE')).toEqual([]);
      await expect(engine.completeJob(x.key)).rejects.toBeInstanceOf(EngineError);

      await engine.completeJob(c.key);
      await engine.settle();
      const done = await engine.getInstance(ref.processInstanceKey);
      expect(done?.state).toBe('COMPLETED');
      expect(done?.takenFlows).not.toContain('fa2');
    });

    it('activates inside one inner instance of a multi-instance sub-process, chosen by ancestorElementInstanceKey; without it the choice is refused', async () => {
      const id = `modsub-multi-${cacheSize}`;
      await engine.deploy([
        {
          name: `${id}.bpmn`,
          content: diagram(
            id,
            `<bpmn:startEvent id="start" />${flow('f1', 'start', 'each')}<bpmn:subProcess id="each"><bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items" inputElement="item" /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>
            <bpmn:startEvent id="es" />${flow('e1', 'es', 'x')}${task('x', `${id}-x`)}${flow('e2', 'x', 'y')}${task('y', `${id}-y`)}${flow('e3', 'y', 'ee')}<bpmn:endEvent id="ee" /></bpmn:subProcess>${flow('f2', 'each', 'end')}<bpmn:endEvent id="end" />`,
          ),
        },
      ]);
      const ref = await engine.createInstance({ bpmnProcessId: id, variables: { items: ['first', 'second'] } });
      await engine.settle();
      const xs = await engine.activateJobs({ type: `${id}-x`, worker: 'test', maxJobsToActivate: 5, timeout: 60_000 });
      expect(xs.map((j) => j.variables.item).sort()).toEqual(['first', 'second']);
      const details = await engine.getInstance(ref.processInstanceKey);
      const body = details!.elements.find((e) => e.elementId === 'each' && e.flowScopeKey === ref.processInstanceKey)!;
      const inner = details!.elements.filter((e) => e.elementId === 'each' && e.flowScopeKey === body.elementInstanceKey);
      expect(inner).toHaveLength(2);
      const second = xs.find((j) => j.variables.item === 'second')!;
      const secondInner = inner.find((e) => e.elementInstanceKey === details!.elements.find((x) => x.elementInstanceKey === second.elementInstanceKey)!.flowScopeKey)!;

      const ambiguous = await refusal(engine.modifyInstance(ref.processInstanceKey, { activateInstructions: [{ elementId: 'y' }] }));
      expect(ambiguous?.message).toBe(
        `Expected to modify instance of process '${id}' but it contains one or more activate instructions for an element that has a flow scope with more than one active instance: 'each'. Can't decide in which instance of the flow scope the element should be activated. Please specify an ancestor element instance key for this activate instruction.`,
      );

      // the second item skips x: y runs in its inner instance, which sees its item
      await engine.modifyInstance(ref.processInstanceKey, {
        activateInstructions: [{ elementId: 'y', ancestorElementInstanceKey: secondInner.elementInstanceKey }],
        terminateInstructions: [{ elementInstanceKey: second.elementInstanceKey }],
      });
      const y = await one(`${id}-y`);
      expect(y.variables.item).toBe('second');
      const mid = await engine.getInstance(ref.processInstanceKey);
      expect(mid?.elements.find((e) => e.elementInstanceKey === y.elementInstanceKey)?.flowScopeKey).toBe(secondInner.elementInstanceKey);

      await engine.completeJob(y.key);
      const first = xs.find((j) => j.variables.item === 'first')!;
      await engine.completeJob(first.key);
      await engine.completeJob((await one(`${id}-y`)).key);
      await engine.settle();
      expect((await engine.getInstance(ref.processInstanceKey))?.state).toBe('COMPLETED');
    });

    it('refuses to terminate all of an instance a call activity started: the parent is to be modified instead', async () => {
      const id = `modsub-child-${cacheSize}`;
      const child = diagram(`${id}-child`, `<bpmn:startEvent id="cs" />${flow('c1', 'cs', 'work')}${task('work', `${id}-work`)}${flow('c2', 'work', 'ce')}<bpmn:endEvent id="ce" />`);
      const parent = diagram(
        id,
        `<bpmn:startEvent id="start" />${flow('f1', 'start', 'call')}<bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="${id}-child" /></bpmn:extensionElements></bpmn:callActivity>${flow('f2', 'call', 'end')}<bpmn:endEvent id="end" />`,
      );
      await engine.deploy([
        { name: `${id}-child.bpmn`, content: child },
        { name: `${id}.bpmn`, content: parent },
      ]);
      const ref = await engine.createInstance({ bpmnProcessId: id });
      const work = await one(`${id}-work`);
      const [called] = await engine.listInstances({ parentProcessInstanceKey: ref.processInstanceKey });

      const refused = await refusal(engine.modifyInstance(called.processInstanceKey, { terminateInstructions: [{ elementInstanceKey: work.elementInstanceKey }] }));
      expect(refused).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'terminateInstructions' } });
      expect(refused?.message).toBe(
        `Expected to modify instance of process '${id}-child' but the given instructions would terminate the instance. The instance was created by a call activity in the parent process. To terminate this instance please modify the parent process instead.`,
      );
      await engine.completeJob(work.key);
      await engine.settle();
      expect((await engine.getInstance(ref.processInstanceKey))?.state).toBe('COMPLETED');
    });

    it("refuses ancestor keys and scopes that do not fit with Zeebe's texts, and applies nothing", async () => {
      const id = `modsub-refuse-${cacheSize}`;
      await engine.deploy([{ name: `${id}.bpmn`, content: reviewProcess(id) }]);
      const ref = await engine.createInstance({ bpmnProcessId: id });
      const key = ref.processInstanceKey;
      await engine.completeJob((await one(`${id}-prep`)).key);
      const a = await one(`${id}-a`);
      const subKey = (await engine.getInstance(key))!.elements.find((e) => e.elementId === 'sub')!.elementInstanceKey;
      const prefix = `Expected to modify instance of process '${id}' but it contains one or more`;

      const notAncestor = await refusal(engine.modifyInstance(key, { activateInstructions: [{ elementId: 'b', ancestorElementInstanceKey: a.elementInstanceKey }] }));
      expect(notAncestor).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'activateInstructions[0].ancestorElementInstanceKey', elementId: 'b' } });
      expect(notAncestor?.message).toBe(`${prefix} activate instructions with an ancestor scope key that is not an ancestor of the element to activate:\n- instance '${a.elementInstanceKey}' of element 'a' is not an ancestor of element 'b'`);
      expect((await refusal(engine.modifyInstance(key, { activateInstructions: [{ elementId: 'b', ancestorElementInstanceKey: `${key}/gone` }] })))?.message).toBe(
        `${prefix} activate instructions with an ancestor scope key that does not exist, or is not in an active state: '${key}/gone'`,
      );
      expect((await refusal(engine.modifyInstance(key, { activateInstructions: [{ elementId: 'b', ancestorElementInstanceKey: '123456789' }] })))?.message).toBe(
        `${prefix} activate instructions with an ancestor scope key that does not belong to the modified process instance: '123456789'`,
      );
      expect((await refusal(engine.modifyInstance(key, { activateInstructions: [{ elementId: 'b', variableInstructions: [{ scopeId: 'after', variables: { x: 1 } }] }] })))?.message).toBe(
        `Expected to modify instance of process '${id}' but it contains one or more variable instructions with a scope element that doesn't belong to the activating element's flow scope. These variables should be set before or after the modification.`,
      );
      expect((await refusal(engine.modifyInstance(key, { activateInstructions: [{ elementId: 'b' }], terminateInstructions: [{ elementInstanceKey: subKey }] })))?.message).toBe(
        `${prefix} activate instructions for elements whose required flow scope instance is also being terminated: element 'b' requires flow scope instance '${subKey}' which is being terminated. Please provide a valid ancestor scope key for the activation or avoid terminating the required flow scope.`,
      );
      expect((await refusal(engine.modifyInstance(key, { activateInstructions: [{ elementId: 'subStart' }] })))?.message).toMatch(
        new RegExp(`^${prefix} activate instructions for elements that are unsupported: 'subStart'\\. The activation of elements with type 'START_EVENT' is not supported\\. Supported element types are: \\[PROCESS, SUB_PROCESS`),
      );
      // a second instance of the active sub-process (the process instance chosen as ancestor): bpmn-engine runs one at a time
      const second = await refusal(engine.modifyInstance(key, { activateInstructions: [{ elementId: 'b', ancestorElementInstanceKey: key }] }));
      expect(second).toMatchObject({ code: 'INVALID_ARGUMENT', details: { elementId: 'b' } });
      expect(second?.message).toMatch(/second instance; the embedded engine runs one instance of an element at a time/);

      // nothing was applied: a still waits, b has no job, and the instance runs its normal path
      await engine.settle();
      expect(await engine.activateJobs({ type: `${id}-b`, worker: 'test', maxJobsToActivate: 1, timeout: 1000 })).toEqual([]);
      await engine.completeJob(a.key);
      await engine.completeJob((await one(`${id}-b`)).key);
      await engine.completeJob((await one(`${id}-after`)).key);
      await engine.settle();
      const done = await engine.getInstance(key);
      expect(done?.state).toBe('COMPLETED');
      expect(done?.takenFlows).toEqual(['f1', 'f2', 's1', 's2', 's3', 'f3', 'f4']);
    });
  });
}
