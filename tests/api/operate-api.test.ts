/**
 * The operator routes beside the engine's (#18): an instance's called instances with their open
 * incidents; variables set before a retry through the engine's setVariables, audited with names
 * and the reason, never values; bad input is problem+json naming the field; other roles are
 * refused. The delivery queue is engineers' only.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type Api } from './harness.js';

const xml = (id: string, body: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-${id}" targetNamespace="http://herald.test/operate-api">
  <bpmn:process id="${id}" isExecutable="true">${body}</bpmn:process>
</bpmn:definitions>`;

describe('operator routes over HTTP', () => {
  let api: Api;
  const http = () => request(api.app.server);
  beforeAll(async () => {
    api = await startApi('pglite');
    await api.engine.deploy([
      { name: 'op-child.bpmn', content: xml('op-child', `<bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="book" /><bpmn:serviceTask id="book"><bpmn:extensionElements><zeebe:taskDefinition type="op-book" /></bpmn:extensionElements></bpmn:serviceTask><bpmn:sequenceFlow id="f2" sourceRef="book" targetRef="e" /><bpmn:endEvent id="e" />`) },
      { name: 'op-parent.bpmn', content: xml('op-parent', `<bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="call" /><bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="op-child" /></bpmn:extensionElements></bpmn:callActivity><bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="e" /><bpmn:endEvent id="e" />`) },
    ]);
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it("lists called instances with their incidents; sets variables, audited; names bad fields; refuses other roles", async () => {
    const parent = await api.engine.createInstance({ bpmnProcessId: 'op-parent', variables: { amount: '1200.00' } });
    let job!: Awaited<ReturnType<Api['engine']['activateJobs']>>[number];
    await expect.poll(async () => ([job] = await api.engine.activateJobs({ type: 'op-book', worker: 'test', maxJobsToActivate: 1, timeout: 60_000 })).length, { timeout: 15_000 }).toBe(1);
    await api.engine.failJob(job.key, { retries: 0, errorMessage: 'over the mandate' });

    const children = await http().get(`/api/instances/${parent.processInstanceKey}/children`).set(api.as('carl'));
    expect(children.status).toBe(200);
    expect(children.body).toHaveLength(1);
    expect(children.body[0]).toMatchObject({ processInstanceKey: job.processInstanceKey, bpmnProcessId: 'op-child', parentProcessInstanceKey: parent.processInstanceKey, incidents: [{ elementId: 'book', errorMessage: 'over the mandate' }] });

    const child = job.processInstanceKey;
    const empty = await http().put(`/api/instances/${child}/variables`).set(api.as('eric')).send({ variables: {} });
    expect(empty.status).toBe(400);
    expect(empty.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(empty.body.field).toMatch(/variables/);
    const badScope = await http().put(`/api/instances/${child}/variables`).set(api.as('eric')).send({ variables: { amount: '1.00' }, scope: '999999' });
    expect(badScope.status).toBe(400);
    expect(badScope.body.field).toBe('scope');
    const denied = await http().put(`/api/instances/${child}/variables`).set(api.as('carl')).send({ variables: { amount: '1.00' } });
    expect(denied.status).toBe(403);
    const missing = await http().put('/api/instances/123456789/variables').set(api.as('eric')).send({ variables: { amount: '1.00' } });
    expect(missing.status).toBe(404);

    const set = await http().put(`/api/instances/${child}/variables`).set(api.as('eric')).send({ variables: { amount: '950.00', note: 'confirmed' }, reason: 'customer confirmed 950.00 by phone' });
    expect(set.status).toBe(204);
    expect((await api.engine.getInstance(child))?.variables).toMatchObject({ amount: '950.00', note: 'confirmed' });
    const rows = await api.t.db('audit_log').where({ action: 'instance.variables', subject_id: child });
    expect(rows.map((r) => [r.actor, r.outcome])).toEqual([['eric', 'allowed']]);
    const detail = typeof rows[0].detail === 'string' ? JSON.parse(rows[0].detail) : rows[0].detail;
    expect(detail).toMatchObject({ processInstanceKey: child, changed: ['amount'], added: ['note'], reason: 'customer confirmed 950.00 by phone' });
    expect(JSON.stringify(detail)).not.toContain('"950.00"');

    expect((await http().get('/api/delivery-queue').set(api.as('eric'))).body).toMatchObject({ depth: 0, channels: expect.arrayContaining([{ channel: 'email', queued: 0, sending: 0, sent: 0, failed: 0 }]) });
    expect((await http().get('/api/delivery-queue').set(api.as('sam'))).status).toBe(403);
  });
});
