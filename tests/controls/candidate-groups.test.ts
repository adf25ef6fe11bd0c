/**
 * Candidate groups from an expression are a FEEL list of strings, as Zeebe type-checks them: a
 * string raises Zeebe's EXTRACT_VALUE_ERROR incident instead of quietly becoming one group (which
 * could widen who may approve), and a list becomes the task's groups.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { openTestDb, type TestDb } from '../support/db.js';

const diagram = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="candidate-groups-defs" targetNamespace="http://herald.example/tests">
  <bpmn:process id="candidate-groups" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="approve" name="Approve">
      <bpmn:extensionElements><zeebe:userTask /><zeebe:assignmentDefinition candidateGroups="=groups" /></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve" />
    <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>`;

describe('candidate groups are a FEEL list (embedded engine, as Zeebe)', () => {
  let t: TestDb;
  let engine: EmbeddedEngine;
  beforeAll(async () => {
    t = await openTestDb('pglite');
    engine = new EmbeddedEngine({ db: t.db, virtualClock: true, pollInterval: 20 });
    await engine.start();
    await engine.deploy([{ name: 'candidate-groups.bpmn', content: diagram }]);
  });
  afterAll(async () => {
    await engine?.stop();
    await t?.close();
  });

  it('a list of strings becomes the groups', async () => {
    const { processInstanceKey } = await engine.createInstance({ bpmnProcessId: 'candidate-groups', variables: { groups: ['finance-lead', 'finance-controller'] } });
    const task = (await engine.listUserTasks({ processInstanceKey }))[0];
    expect(task.candidateGroups).toEqual(['finance-lead', 'finance-controller']);
  });

  it("a string is Zeebe's EXTRACT_VALUE_ERROR incident naming the expression, and no task", async () => {
    const { processInstanceKey } = await engine.createInstance({ bpmnProcessId: 'candidate-groups', variables: { groups: 'finance-lead,agent' } });
    const incidents = await engine.listIncidents({ processInstanceKey });
    expect(incidents).toEqual([expect.objectContaining({ elementId: 'approve', errorType: 'EXTRACT_VALUE_ERROR', errorMessage: "Expected result of the expression 'groups' to be 'ARRAY', but was 'STRING'." })]);
    expect(await engine.listUserTasks({ processInstanceKey })).toEqual([]);
  });
});
