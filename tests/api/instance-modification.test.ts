/**
 * POST /api/instances/{key}/modification (issue #16): an engineer moves a token stuck at an
 * incident past it; the request is audited with element ids and variable names only; unknown
 * elements are problem+json naming the field; other roles are refused (and audited).
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { startApi, type Api } from './harness.js';

const xml = (id: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-${id}" targetNamespace="http://herald.test/mod-api">
  <bpmn:process id="${id}" isExecutable="true">
    <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />
    <bpmn:serviceTask id="check"><bpmn:extensionElements><zeebe:taskDefinition type="${id}-check" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="send" />
    <bpmn:serviceTask id="send"><bpmn:extensionElements><zeebe:taskDefinition type="${id}-send" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="f3" sourceRef="send" targetRef="end" /><bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;

describe('instance modification over HTTP', () => {
  let api: Api;
  const http = () => request(api.app.server);
  const rows = () => createAuditRepository(api.t.db).list({ action: 'instance.modify', limit: 1000 });
  const id = 'api-modification';
  beforeAll(async () => {
    api = await startApi('pglite');
    await api.engine.deploy([{ name: `${id}.bpmn`, content: xml(id) }]);
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it('moves a token stuck at an incident past it, audited; unknown elements are 400 naming the field; other roles are refused', async () => {
    const ref = await api.engine.createInstance({ bpmnProcessId: id, variables: { invoice: 'INV-9' } });
    let job!: Awaited<ReturnType<Api['engine']['activateJobs']>>[number];
    await expect.poll(async () => ([job] = await api.engine.activateJobs({ type: `${id}-check`, worker: 'test', maxJobsToActivate: 1, timeout: 60_000 })).length, { timeout: 15_000 }).toBe(1);
    await api.engine.failJob(job.key, { retries: 0, errorMessage: 'bureau down' });

    const unknown = await http()
      .post(`/api/instances/${ref.processInstanceKey}/modification`)
      .set(api.as('eric'))
      .send({ activateInstructions: [{ elementId: 'no-such-task' }] });
    expect(unknown.status).toBe(400);
    expect(unknown.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(unknown.body).toMatchObject({ field: 'body.activateInstructions[0].elementId', elementId: 'no-such-task' });
    expect(unknown.body.title).toMatch(/could not be found: 'no-such-task'/);

    const forged = await http()
      .post(`/api/instances/${ref.processInstanceKey}/modification`)
      .set(api.as('eric'))
      .send({ activateInstructions: [{ elementId: 'send', variableInstructions: [{ variables: { initiatedBy: 'ada' } }] }] });
    expect(forged.status).toBe(400);
    expect(forged.body).toMatchObject({ field: 'body.activateInstructions[0].variableInstructions[0].variables.initiatedBy', rule: 'control-variable' });

    const denied = await http().post(`/api/instances/${ref.processInstanceKey}/modification`).set(api.as('carl')).send({ terminateInstructions: [{ elementInstanceKey: job.elementInstanceKey }] });
    expect(denied.status).toBe(403);

    const moved = await http()
      .post(`/api/instances/${ref.processInstanceKey}/modification`)
      .set(api.as('eric'))
      .send({ activateInstructions: [{ elementId: 'send', variableInstructions: [{ variables: { note: 'skipped the bureau check, ticket OPS-1' } }] }], terminateInstructions: [{ elementInstanceKey: job.elementInstanceKey }] });
    expect(moved.status).toBe(204);
    await expect.poll(async () => (await api.engine.getInstance(ref.processInstanceKey))?.elements.find((e) => e.elementId === 'send')?.state, { timeout: 15_000 }).toBe('ACTIVATED');
    expect((await api.engine.listIncidents({ processInstanceKey: ref.processInstanceKey, state: 'ACTIVE' })).length).toBe(0);

    const audit = (await rows()).filter((r) => r.subjectId === ref.processInstanceKey);
    expect(audit.map((r) => [r.actor, r.outcome])).toEqual([
      ['eric', 'refused'],
      ['eric', 'refused'],
      ['carl', 'refused'],
      ['eric', 'allowed'],
    ]);
    expect(audit[3].detail).toMatchObject({ activate: [{ elementId: 'send', variableNames: ['note'] }], terminate: [job.elementInstanceKey] });
    expect(JSON.stringify(audit[3].detail)).not.toContain('OPS-1');
  });

  it('migrates an instance to a new version, audited; an unmapped active element is 400 naming it', async () => {
    const ref = await api.engine.createInstance({ bpmnProcessId: id });
    await expect.poll(async () => (await api.engine.getInstance(ref.processInstanceKey))?.elements.some((e) => e.elementId === 'check' && e.state === 'ACTIVATED'), { timeout: 15_000 }).toBe(true);
    const v2 = (await api.engine.deploy([{ name: `${id}.bpmn`, content: xml(id).replace('<bpmn:endEvent id="end" />', '<bpmn:endEvent id="end" name="Sent" />') }])).processes[0];
    const unmapped = await http().post(`/api/instances/${ref.processInstanceKey}/migration`).set(api.as('eric')).send({ targetProcessDefinitionKey: v2.processDefinitionKey, mappingInstructions: [] });
    expect(unmapped.status).toBe(400);
    expect(unmapped.body).toMatchObject({ elementId: 'check', field: 'body.mappingInstructions' });
    const migrated = await http()
      .post(`/api/instances/${ref.processInstanceKey}/migration`)
      .set(api.as('eric'))
      .send({ targetProcessDefinitionKey: v2.processDefinitionKey, mappingInstructions: [{ sourceElementId: 'check', targetElementId: 'check' }] });
    expect(migrated.status).toBe(204);
    expect((await api.engine.getInstance(ref.processInstanceKey))?.version).toBe(v2.version);
    const audit = (await createAuditRepository(api.t.db).list({ action: 'instance.migrate', limit: 100 })).filter((r) => r.subjectId === ref.processInstanceKey);
    expect(audit.map((r) => r.outcome)).toEqual(['refused', 'allowed']);
    expect(audit[1].detail).toMatchObject({ targetProcessDefinitionKey: v2.processDefinitionKey });
  });
});
