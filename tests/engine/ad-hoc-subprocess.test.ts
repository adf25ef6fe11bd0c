/**
 * Ad-hoc sub-processes on the embedded engine (issue #16), as Zeebe 8.8 runs them
 * (AdHocSubProcessTest, AdHocSubProcessProcessor in camunda/camunda): the elements named by
 * zeebe:adHoc activeElementsCollection start on entry; a completion condition is evaluated each
 * time a path inside ends; cancelRemainingInstances decides whether what still runs is terminated
 * or waited for; flows between inner elements are followed; a bad collection is an
 * EXTRACT_VALUE_ERROR incident with Zeebe's text. Each case runs with instances kept in memory
 * and with every command reloading its instance (cache 0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { EngineError, type InstanceDetails } from '../../engine/types.js';
import { openTestDb, type TestDb } from '../support/db.js';

let seq = 0;
const diagram = (id: string, body: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs-adhoc-${++seq}" targetNamespace="http://herald.test/adhoc">
  <bpmn:process id="${id}" isExecutable="true">${body}</bpmn:process>
</bpmn:definitions>`;
const flow = (id: string, from: string, to: string) => `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}" />`;
const job = (elementId: string, type: string, extra = '') => `<bpmn:serviceTask id="${elementId}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" />${extra}</bpmn:extensionElements></bpmn:serviceTask>`;

/**
 * start → ad-hoc (A, B, C jobs; C → D by a flow inside) → after (a job) → end.
 * `attrs` go on the ad-hoc sub-process, `inside` is added to its extension elements and body.
 */
function adHocProcess(id: string, options: { collection?: string; condition?: string; attrs?: string; extensions?: string; inside?: string } = {}) {
  const adHoc = options.collection === undefined ? '' : `<zeebe:adHoc activeElementsCollection="${options.collection}" />`;
  const condition = options.condition ? `<bpmn:completionCondition xsi:type="bpmn:tFormalExpression">${options.condition}</bpmn:completionCondition>` : '';
  return diagram(
    id,
    `<bpmn:startEvent id="start" />${flow('f1', 'start', 'tools')}
    <bpmn:adHocSubProcess id="tools" name="Tools" ${options.attrs ?? ''}>
      <bpmn:extensionElements>${adHoc}${options.extensions ?? ''}</bpmn:extensionElements>
      ${job('A', `${id}-a`)}${job('B', `${id}-b`)}${job('C', `${id}-c`)}${job('D', `${id}-d`)}${flow('fcd', 'C', 'D')}
      ${options.inside ?? ''}${condition}
    </bpmn:adHocSubProcess>${flow('f2', 'tools', 'after')}
    ${job('after', `${id}-after`)}${flow('f3', 'after', 'end')}
    <bpmn:endEvent id="end" />`,
  );
}

for (const cacheSize of [500, 0]) {
  describe(`ad-hoc sub-processes on the embedded engine (cache ${cacheSize})`, () => {
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

    const jobsOf = async (type: string) => {
      await engine.settle();
      return engine.activateJobs({ type, worker: 'test', maxJobsToActivate: 10, timeout: 60_000 });
    };
    async function complete(type: string, variables: Record<string, unknown> = {}) {
      const jobs = await jobsOf(type);
      expect(jobs.map((j) => j.type)).toEqual([type]);
      await engine.completeJob(jobs[0].key, variables);
      await engine.settle();
      return jobs[0];
    }
    const details = async (key: string) => (await engine.getInstance(key)) as InstanceDetails;
    const states = async (key: string, elementId: string) => (await details(key)).elements.filter((e) => e.elementId === elementId).map((e) => e.state);
    const deployed = async (id: string, xml: string) => {
      await engine.deploy([{ name: `${id}.bpmn`, content: xml }]);
      return id;
    };

    it('given a collection from variables, then only the elements it names start, inside the sub-process, and it completes once they are done (shouldActivateElements, shouldCompleteAdHocSubProcess)', async () => {
      const id = await deployed(`adhoc-activate-${cacheSize}`, adHocProcess(`adhoc-activate-${cacheSize}`, { collection: '=toActivate' }));
      const ref = await engine.createInstance({ bpmnProcessId: id, variables: { toActivate: ['A', 'C'] } });
      await engine.settle();
      const running = await details(ref.processInstanceKey);
      const tools = running.elements.find((e) => e.elementId === 'tools')!;
      expect(tools).toMatchObject({ state: 'ACTIVATED', elementType: 'bpmn:AdHocSubProcess', elementName: 'Tools' });
      expect(running.elements.filter((e) => e.flowScopeKey === tools.elementInstanceKey).map((e) => [e.elementId, e.state])).toEqual([
        ['A', 'ACTIVATED'],
        ['C', 'ACTIVATED'],
      ]);
      expect(await jobsOf(`${id}-b`)).toEqual([]);

      await complete(`${id}-a`);
      expect(await states(ref.processInstanceKey, 'tools')).toEqual(['ACTIVATED']);
      // the flow inside is followed: C leads to D, and the sub-process waits for D too
      await complete(`${id}-c`);
      expect(await states(ref.processInstanceKey, 'tools')).toEqual(['ACTIVATED']);
      await complete(`${id}-d`);
      expect(await states(ref.processInstanceKey, 'tools')).toEqual(['COMPLETED']);
      await complete(`${id}-after`);
      const done = await details(ref.processInstanceKey);
      expect(done.state).toBe('COMPLETED');
      expect(done.elements.map((e) => e.elementId)).not.toContain('B');
      expect(done.takenFlows).toEqual(['f1', 'fcd', 'f2', 'f3']);
    });

    it('given an empty collection or none, then nothing starts and the sub-process stays active (shouldActivateNoElementsIfListIsEmpty)', async () => {
      for (const [suffix, collection, variables] of [
        ['empty', '=toActivate', { toActivate: [] }],
        ['none', undefined, {}],
      ] as const) {
        const id = await deployed(`adhoc-nothing-${suffix}-${cacheSize}`, adHocProcess(`adhoc-nothing-${suffix}-${cacheSize}`, { collection }));
        const ref = await engine.createInstance({ bpmnProcessId: id, variables });
        await engine.settle();
        const d = await details(ref.processInstanceKey);
        expect(d.state).toBe('ACTIVE');
        expect(d.elements.map((e) => [e.elementId, e.state])).toEqual([
          ['start', 'COMPLETED'],
          ['tools', 'ACTIVATED'],
        ]);
        // still so after the instance was saved and read again
        await engine.setVariables(ref.processInstanceKey, { poke: 1 });
        await engine.settle();
        expect(await states(ref.processInstanceKey, 'tools')).toEqual(['ACTIVATED']);
        await engine.cancelInstance(ref.processInstanceKey);
      }
    });

    it('given a completion condition, then it is evaluated in the sub-process each time a path ends, and the remaining elements are terminated when it holds (shouldCancelRemainingInstancesWhenConfigured)', async () => {
      const id = await deployed(`adhoc-cancel-${cacheSize}`, adHocProcess(`adhoc-cancel-${cacheSize}`, { collection: '=[&quot;A&quot;, &quot;B&quot;, &quot;C&quot;]', condition: '=done = true' }));
      const ref = await engine.createInstance({ bpmnProcessId: id, variables: { done: false } });
      // A ends its path; the condition reads false: the others go on
      await complete(`${id}-a`);
      expect(await states(ref.processInstanceKey, 'tools')).toEqual(['ACTIVATED']);
      // C is no path end (it leads to D): the condition is not evaluated yet, though it would hold now
      await complete(`${id}-c`, { done: true });
      expect(await states(ref.processInstanceKey, 'tools')).toEqual(['ACTIVATED']);
      expect(await states(ref.processInstanceKey, 'D')).toEqual(['ACTIVATED']);
      // D ends its path: the condition holds, B is terminated and the sub-process completes
      await complete(`${id}-d`);
      expect(await states(ref.processInstanceKey, 'B')).toEqual(['TERMINATED']);
      expect(await states(ref.processInstanceKey, 'tools')).toEqual(['COMPLETED']);
      expect(await jobsOf(`${id}-b`)).toEqual([]);
      await complete(`${id}-after`);
      expect((await details(ref.processInstanceKey)).state).toBe('COMPLETED');
    });

    it('given cancelRemainingInstances="false", when the condition holds, then the sub-process waits for the elements still running (shouldNotCancelRemainingInstancesWhenNotConfigured)', async () => {
      const id = await deployed(`adhoc-keep-${cacheSize}`, adHocProcess(`adhoc-keep-${cacheSize}`, { collection: '=[&quot;A&quot;, &quot;B&quot;]', condition: '=true', attrs: 'cancelRemainingInstances="false"' }));
      const ref = await engine.createInstance({ bpmnProcessId: id });
      await complete(`${id}-a`);
      expect(await states(ref.processInstanceKey, 'tools')).toEqual(['ACTIVATED']);
      expect(await states(ref.processInstanceKey, 'B')).toEqual(['ACTIVATED']);
      await complete(`${id}-b`);
      expect(await states(ref.processInstanceKey, 'B')).toEqual(['COMPLETED']);
      expect(await states(ref.processInstanceKey, 'tools')).toEqual(['COMPLETED']);
    });

    it('given a completion condition that never holds, then the sub-process stays active when nothing runs inside (shouldNotCompleteAdHocSubProcessWhenCompletionConditionDoesNotApply)', async () => {
      const id = await deployed(`adhoc-never-${cacheSize}`, adHocProcess(`adhoc-never-${cacheSize}`, { collection: '=[&quot;A&quot;]', condition: '=false' }));
      const ref = await engine.createInstance({ bpmnProcessId: id });
      await complete(`${id}-a`);
      expect(await states(ref.processInstanceKey, 'A')).toEqual(['COMPLETED']);
      expect(await states(ref.processInstanceKey, 'tools')).toEqual(['ACTIVATED']);
      expect((await details(ref.processInstanceKey)).state).toBe('ACTIVE');
    });

    it('given input mappings, then the collection reads them, and an output collection gathers each path\'s output element (shouldApplyInputMappings, Collect output)', async () => {
      const io = '<zeebe:ioMapping><zeebe:input source="=append(toActivate, &quot;B&quot;)" target="toActivate" /></zeebe:ioMapping>';
      const xml = adHocProcess(`adhoc-io-${cacheSize}`, { collection: '=toActivate', extensions: io }).replace(
        '<zeebe:adHoc activeElementsCollection="=toActivate" />',
        '<zeebe:adHoc activeElementsCollection="=toActivate" outputCollection="results" outputElement="=result" />',
      );
      const id = await deployed(
        `adhoc-io-${cacheSize}`,
        xml.replace('<bpmn:serviceTask id="A"><bpmn:extensionElements>', '<bpmn:serviceTask id="A" name="Look up"><bpmn:documentation>Finds the customer</bpmn:documentation><bpmn:extensionElements><zeebe:properties><zeebe:property name="tool" value="crm" /></zeebe:properties>'),
      );
      const ref = await engine.createInstance({ bpmnProcessId: id, variables: { toActivate: ['A'] } });
      // Zeebe 8.8's adHocSubProcessElements: the elements the sub-process may activate (not D, which has an incoming flow)
      const [b] = await jobsOf(`${id}-b`);
      expect(b.variables.adHocSubProcessElements).toEqual([{ elementId: 'A', elementName: 'Look up', documentation: 'Finds the customer', properties: { tool: 'crm' } }, { elementId: 'B' }, { elementId: 'C' }]);
      await engine.failJob(b.key, { retries: 1, errorMessage: 'handed back' });
      await complete(`${id}-b`, { result: 'from B' });
      await complete(`${id}-a`, { result: 'from A' });
      const after = await jobsOf(`${id}-after`);
      expect(after).toHaveLength(1);
      expect(after[0].variables).toMatchObject({ results: ['from B', 'from A'], toActivate: ['A'] });
      await engine.completeJob(after[0].key, {});
      await engine.settle();
      expect((await details(ref.processInstanceKey)).state).toBe('COMPLETED');
    });

    it('given a collection naming an element that is not an inner element without incoming flows, then an EXTRACT_VALUE_ERROR incident with Zeebe\'s text, and resolving it after fixing the variable starts the elements', async () => {
      const id = await deployed(`adhoc-bad-id-${cacheSize}`, adHocProcess(`adhoc-bad-id-${cacheSize}`, { collection: '=toActivate' }));
      const ref = await engine.createInstance({ bpmnProcessId: id, variables: { toActivate: ['A', 'D', 'Nope'] } });
      await engine.settle();
      const [incident] = await engine.listIncidents({ processInstanceKey: ref.processInstanceKey });
      const tools = (await details(ref.processInstanceKey)).elements.find((e) => e.elementId === 'tools')!;
      expect(incident).toMatchObject({
        elementId: 'tools',
        elementInstanceKey: tools.elementInstanceKey,
        errorType: 'EXTRACT_VALUE_ERROR',
        errorMessage: `Expected to activate activities for ad-hoc sub-process with key '${tools.elementInstanceKey}', but the given elements [D, Nope] do not exist.`,
      });
      expect(await jobsOf(`${id}-a`)).toEqual([]);

      await engine.setVariables(ref.processInstanceKey, { toActivate: ['A'] });
      await engine.resolveIncident(incident.incidentKey);
      await complete(`${id}-a`);
      expect(await states(ref.processInstanceKey, 'tools')).toEqual(['COMPLETED']);
    });

    it('given a collection that is no list, or a list of other things than strings, then EXTRACT_VALUE_ERROR incidents as Zeebe words them', async () => {
      const id = await deployed(`adhoc-not-list-${cacheSize}`, adHocProcess(`adhoc-not-list-${cacheSize}`, { collection: '=toActivate' }));
      const one = await engine.createInstance({ bpmnProcessId: id, variables: { toActivate: 'A' } });
      const two = await engine.createInstance({ bpmnProcessId: id, variables: { toActivate: ['A', 1] } });
      await engine.settle();
      expect((await engine.listIncidents({ processInstanceKey: one.processInstanceKey })).map((i) => [i.elementId, i.errorType, i.errorMessage])).toEqual([
        ['tools', 'EXTRACT_VALUE_ERROR', "Failed to activate ad-hoc elements. Expected result of the expression 'toActivate' to be 'ARRAY', but was 'STRING'."],
      ]);
      expect((await engine.listIncidents({ processInstanceKey: two.processInstanceKey })).map((i) => i.errorMessage)).toEqual([
        "Failed to activate ad-hoc elements. Expected result of the expression 'toActivate' to be 'ARRAY' containing 'STRING' items, but was 'ARRAY' containing at least one non-'STRING' item.",
      ]);
    });

    it('given a completion condition that is not a boolean, then an EXTRACT_VALUE_ERROR incident on the sub-process; resolved, it is evaluated again', async () => {
      const id = await deployed(`adhoc-bad-cond-${cacheSize}`, adHocProcess(`adhoc-bad-cond-${cacheSize}`, { collection: '=[&quot;A&quot;, &quot;B&quot;]', condition: '=enough' }));
      const ref = await engine.createInstance({ bpmnProcessId: id, variables: { enough: 'yes' } });
      await complete(`${id}-a`);
      const [incident] = await engine.listIncidents({ processInstanceKey: ref.processInstanceKey });
      expect(incident).toMatchObject({
        elementId: 'tools',
        errorType: 'EXTRACT_VALUE_ERROR',
        errorMessage: "Failed to evaluate completion condition. Expected result of the expression 'enough' to be 'BOOLEAN', but was 'STRING'.",
      });
      await engine.setVariables(ref.processInstanceKey, { enough: true });
      await engine.resolveIncident(incident.incidentKey);
      await engine.settle();
      expect(await states(ref.processInstanceKey, 'B')).toEqual(['TERMINATED']);
      expect(await states(ref.processInstanceKey, 'tools')).toEqual(['COMPLETED']);
    });

    it('given an id listed twice, then its element starts once (bpmn-elements runs one execution of an element at a time; Zeebe would start two)', async () => {
      const id = await deployed(`adhoc-twice-${cacheSize}`, adHocProcess(`adhoc-twice-${cacheSize}`, { collection: '=[&quot;A&quot;, &quot;A&quot;]' }));
      const ref = await engine.createInstance({ bpmnProcessId: id });
      await complete(`${id}-a`);
      expect(await states(ref.processInstanceKey, 'A')).toEqual(['COMPLETED']);
      expect(await states(ref.processInstanceKey, 'tools')).toEqual(['COMPLETED']);
    });

    it('given an interrupting timer boundary on the sub-process, when it fires, then what runs inside and the sub-process are terminated and the boundary\'s path goes on (shouldInterruptAdHocSubProcess)', async () => {
      const boundary = `<bpmn:boundaryEvent id="late" attachedToRef="tools"><bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>${flow('f4', 'late', 'lateEnd')}<bpmn:endEvent id="lateEnd" />`;
      const xml = adHocProcess(`adhoc-timer-${cacheSize}`, { collection: '=[&quot;A&quot;, &quot;C&quot;]' }).replace('<bpmn:endEvent id="end" />', `<bpmn:endEvent id="end" />${boundary}`);
      const id = await deployed(`adhoc-timer-${cacheSize}`, xml);
      const ref = await engine.createInstance({ bpmnProcessId: id });
      await complete(`${id}-a`);
      await engine.clock.advance(3_600_000);
      await engine.settle();
      const d = await details(ref.processInstanceKey);
      expect(d.state).toBe('COMPLETED');
      expect(Object.fromEntries(['tools', 'A', 'C', 'late', 'lateEnd', 'after'].map((e) => [e, d.elements.filter((x) => x.elementId === e).map((x) => x.state)]))).toEqual({
        tools: ['TERMINATED'],
        A: ['COMPLETED'],
        C: ['TERMINATED'],
        late: ['COMPLETED'],
        lateEnd: ['COMPLETED'],
        after: [],
      });
      expect(await jobsOf(`${id}-c`)).toEqual([]);
    });

    it('given elements running inside, when the instance is cancelled, then they and the sub-process are terminated (shouldCancelAdHocSubProcessAndTerminateChildInstances)', async () => {
      const id = await deployed(`adhoc-cancel-instance-${cacheSize}`, adHocProcess(`adhoc-cancel-instance-${cacheSize}`, { collection: '=[&quot;A&quot;]' }));
      const ref = await engine.createInstance({ bpmnProcessId: id });
      await engine.settle();
      await engine.cancelInstance(ref.processInstanceKey);
      const d = await details(ref.processInstanceKey);
      expect(d.state).toBe('TERMINATED');
      expect(d.elements.filter((e) => e.elementId === 'tools' || e.elementId === 'A').map((e) => [e.elementId, e.state])).toEqual([
        ['tools', 'TERMINATED'],
        ['A', 'TERMINATED'],
      ]);
    });

    it('given a multi-instance ad-hoc sub-process, then each inner instance activates its own element (shouldCompleteMultiInstanceAdHocSubProcess)', async () => {
      const xml = adHocProcess(`adhoc-mi-${cacheSize}`, {
        collection: '=[element]',
        inside: '',
      }).replace(
        '<bpmn:extensionElements><zeebe:adHoc activeElementsCollection="=[element]" />',
        '<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=toActivate" inputElement="element" /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:adHoc activeElementsCollection="=[element]" />',
      );
      const id = await deployed(`adhoc-mi-${cacheSize}`, xml);
      const ref = await engine.createInstance({ bpmnProcessId: id, variables: { toActivate: ['A', 'B'] } });
      await complete(`${id}-a`);
      await complete(`${id}-b`);
      expect((await states(ref.processInstanceKey, 'tools')).filter((s) => s === 'COMPLETED')).toHaveLength(3); // the body and both inner instances
      await complete(`${id}-after`);
      expect((await details(ref.processInstanceKey)).state).toBe('COMPLETED');
    });
  });
}

describe('an ad-hoc sub-process across an engine restart', () => {
  it('given the condition held with B still running (cancelRemainingInstances="false"), when a new engine opens the same database, then B completing completes the sub-process', async () => {
    const t = await openTestDb('pglite');
    try {
      const id = 'adhoc-restart';
      const first = new EmbeddedEngine({ db: t.db, virtualClock: true });
      await first.start();
      await first.deploy([{ name: `${id}.bpmn`, content: adHocProcess(id, { collection: '=[&quot;A&quot;, &quot;B&quot;]', condition: '=true', attrs: 'cancelRemainingInstances="false"' }) }]);
      const ref = await first.createInstance({ bpmnProcessId: id });
      await first.settle();
      const [a] = await first.activateJobs({ type: `${id}-a`, worker: 'test', maxJobsToActivate: 1, timeout: 60_000 });
      await first.completeJob(a.key, {});
      await first.settle();
      await first.stop();

      const second = new EmbeddedEngine({ db: t.db, virtualClock: true });
      await second.start();
      try {
        const tools = async () => ((await second.getInstance(ref.processInstanceKey)) as InstanceDetails).elements.filter((e) => e.elementId === 'tools').map((e) => e.state);
        expect(await tools()).toEqual(['ACTIVATED']);
        const [b] = await second.activateJobs({ type: `${id}-b`, worker: 'test', maxJobsToActivate: 1, timeout: 60_000 });
        await second.completeJob(b.key, {});
        await second.settle();
        expect(await tools()).toEqual(['COMPLETED']);
        expect(await second.activateJobs({ type: `${id}-after`, worker: 'test', maxJobsToActivate: 1, timeout: 60_000 })).toHaveLength(1);
      } finally {
        await second.stop();
      }
    } finally {
      await t.close();
    }
  });
});

describe('ad-hoc sub-processes at deploy', () => {
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

  const refused = async (xml: string): Promise<string[]> => {
    try {
      await engine.deploy([{ name: 'refused.bpmn', content: xml }]);
    } catch (err) {
      expect(err).toBeInstanceOf(EngineError);
      return ((err as EngineError & { details?: { problems?: { message: string }[] } }).details?.problems ?? []).map((p) => p.message).concat((err as Error).message);
    }
    throw new Error('deployed');
  };

  it('refuses the job worker implementation (zeebe:taskDefinition on the ad-hoc sub-process), a start or end event inside, and bad FEEL, each with the element named', async () => {
    const problems = await refused(
      diagram(
        'adhoc-refused',
        `<bpmn:startEvent id="start" />${flow('f1', 'start', 'agent')}
        <bpmn:adHocSubProcess id="agent"><bpmn:extensionElements><zeebe:taskDefinition type="ai-agent" /><zeebe:adHoc activeElementsCollection="=[" /></bpmn:extensionElements>
          <bpmn:startEvent id="innerStart" />${job('tool', 'tool')}<bpmn:endEvent id="innerEnd" />
        </bpmn:adHocSubProcess>`,
      ),
    );
    const text = problems.join('\n');
    expect(text).toMatch(/agent: the job worker implementation of an ad-hoc sub-process \(a zeebe:taskDefinition on it/);
    expect(text).toMatch(/innerStart: an ad-hoc sub-process cannot contain a start event/);
    expect(text).toMatch(/innerEnd: an ad-hoc sub-process cannot contain an end event/);
    expect(text).toMatch(/agent: the active elements collection \(zeebe:adHoc activeElementsCollection\) '\[' is not valid FEEL/);
  });
});
