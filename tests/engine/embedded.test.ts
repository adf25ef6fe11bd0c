/**
 * The embedded engine's own contract: versions, jobs, messages, timers, user tasks, incidents
 * and durability across a restart, on PGlite and on Postgres.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { EngineError, type UserTask } from '../../engine/types.js';
import { oneServiceTask } from '../support/bpmn.js';
import { dbKinds, openTestDb, type TestDb } from '../support/db.js';

const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8');
const corpus = (name: string) => fs.readFileSync(path.resolve(import.meta.dirname, '../../../shared/bpmn-corpus', name), 'utf8');

async function activateOne(engine: EmbeddedEngine, type: string) {
  const [job] = await engine.activateJobs({ type, worker: 'test', maxJobsToActivate: 1, timeout: 10_000 });
  return job;
}

for (const kind of await dbKinds()) {
  describe(`embedded engine on ${kind}`, () => {
    let t: TestDb;
    let engine: EmbeddedEngine;

    beforeAll(async () => {
      t = await openTestDb(kind);
      engine = new EmbeddedEngine({ db: t.db, virtualClock: true });
      await engine.start();
    });
    afterAll(async () => {
      await engine.stop();
      await t.close();
    });

    it('makes a new version only when the content changed, and instances keep theirs', async () => {
      // given version 1 and an instance of it
      const first = await engine.deploy([{ name: 'order-process.bpmn', content: corpus('order-process.bpmn') }]);
      const ref = await engine.createInstance({ bpmnProcessId: 'order-process' });
      // when the same content is deployed, then a changed one
      const same = await engine.deploy([{ name: 'order-process.bpmn', content: corpus('order-process.bpmn') }]);
      const changed = await engine.deploy([{ name: 'order-process.bpmn', content: corpus('order-process.bpmn').replace('Order Delivered', 'Delivered') }]);
      // then
      expect(same.processes[0]).toMatchObject({ version: first.processes[0].version, duplicate: true });
      expect(changed.processes[0]).toMatchObject({ version: first.processes[0].version + 1, duplicate: false });
      expect((await engine.getInstance(ref.processInstanceKey))?.version).toBe(first.processes[0].version);
      const pinned = await engine.createInstance({ bpmnProcessId: 'order-process', version: first.processes[0].version });
      expect(pinned.version).toBe(first.processes[0].version);
      await engine.cancelInstance(ref.processInstanceKey);
      await engine.cancelInstance(pinned.processInstanceKey);
    });

    it('refuses an unknown process id with a message naming it', async () => {
      await expect(engine.createInstance({ bpmnProcessId: 'no-such-process' })).rejects.toThrow(/no-such-process/);
    });

    it('starts an instance at a chosen element (Zeebe start instructions): the start event and what lies before the element do not run', async () => {
      await engine.deploy([{ name: 'order-process.bpmn', content: corpus('order-process.bpmn') }]);
      const ref = await engine.createInstance({ bpmnProcessId: 'order-process', variables: { orderId: 'O-START' }, startInstructions: [{ elementId: 'ship-parcel' }] });
      await engine.settle();
      const job = await activateOne(engine, 'ship-parcel');
      expect(job).toMatchObject({ processInstanceKey: ref.processInstanceKey, variables: { orderId: 'O-START' } });
      await engine.completeJob(job.key);
      await engine.settle();
      const done = await engine.getInstance(ref.processInstanceKey);
      expect(done?.state).toBe('COMPLETED');
      expect(done?.elements.map((e) => e.elementId)).not.toContain('collect-money');
      expect(done?.elements.filter((e) => e.state === 'COMPLETED').map((e) => e.elementId)).toContain('ship-parcel');
    });

    it('refuses start instructions it cannot honour, naming the element, instead of starting at the start event', async () => {
      await engine.deploy([{ name: 'order-process.bpmn', content: corpus('order-process.bpmn') }]);
      const before = (await engine.listInstances({ bpmnProcessId: 'order-process' })).length;
      await expect(engine.createInstance({ bpmnProcessId: 'order-process', startInstructions: [{ elementId: 'no-such-task' }] })).rejects.toThrow(/starting at element 'no-such-task', but no such element exists/);
      expect((await engine.listInstances({ bpmnProcessId: 'order-process' })).length).toBe(before);
    });

    it('runs jobs with io mappings, waits for a message, and opens a user task with its assignment', async () => {
      // given
      await engine.deploy([{ name: 'wait-states.bpmn', content: fixture('wait-states.bpmn') }]);
      const created: UserTask[] = [];
      const off = engine.onUserTask({ created: (task) => void created.push(task) });
      const ref = await engine.createInstance({ bpmnProcessId: 'wait-states', variables: { invoiceId: 'INV-1', amount: 21, approver: 'ada', reminderAfter: 'P1D' } });
      // when the job runs
      const job = await activateOne(engine, 'send-notice');
      expect(job.variables).toMatchObject({ doubled: 42, invoiceId: 'INV-1' });
      expect(job.customHeaders).toEqual({ template: 'invoice-notice' });
      await engine.completeJob(job.key, { sent: true });
      // and the payment message arrives
      await engine.publishMessage({ name: 'payment-received', correlationKey: 'INV-1', variables: { paidAmount: '19600.00' } });
      await engine.settle();
      // then the user task is open with its assignment, and variables are where Zeebe puts them
      expect(created).toHaveLength(1);
      expect(created[0]).toMatchObject({ kind: 'camunda', assignee: 'ada', candidateGroups: ['finance', 'credit'], elementId: 'approve' });
      const details = await engine.getInstance(ref.processInstanceKey);
      expect(details?.variables).toMatchObject({ noticeSent: true, paidAmount: '19600.00' });
      expect(details?.variables).not.toHaveProperty('doubled');
      expect(details?.variables).not.toHaveProperty('sent');
      // when a day passes, the non-interrupting reminder fires once and the task stays
      await engine.clock.advance(24 * 3600 * 1000);
      const remind = await activateOne(engine, 'remind');
      expect(remind).toBeDefined();
      await engine.completeJob(remind.key);
      await engine.completeUserTask(created[0].userTaskKey, { approved: true });
      await engine.settle();
      const done = await engine.getInstance(ref.processInstanceKey);
      expect(done?.state).toBe('COMPLETED');
      expect(done?.elements.filter((e) => e.elementId === 'remind')).toHaveLength(1);
      off();
    });

    it('buffers a message for its TTL, refuses a duplicate message id, and drops it after the TTL', async () => {
      await engine.deploy([{ name: 'wait-states.bpmn', content: fixture('wait-states.bpmn') }]);
      // given a message published before any subscription
      await engine.publishMessage({ name: 'payment-received', correlationKey: 'INV-TTL', timeToLive: 60_000, messageId: 'm-1' });
      await expect(engine.publishMessage({ name: 'payment-received', correlationKey: 'INV-TTL', messageId: 'm-1', timeToLive: 60_000 })).rejects.toThrow(/already published/);
      // when an instance opens the subscription within the TTL
      const ref = await engine.createInstance({ bpmnProcessId: 'wait-states', variables: { invoiceId: 'INV-TTL', amount: 1, approver: 'a', reminderAfter: 'P10D' } });
      await engine.completeJob((await activateOne(engine, 'send-notice')).key, { sent: true });
      await engine.settle();
      // then it correlates
      const details = await engine.getInstance(ref.processInstanceKey);
      expect(details?.elements.find((e) => e.elementId === 'wait')?.state).toBe('COMPLETED');
      // and a message whose TTL ran out does not
      await engine.publishMessage({ name: 'payment-received', correlationKey: 'INV-LATE', timeToLive: 1000 });
      await engine.clock.advance(5000);
      const late = await engine.createInstance({ bpmnProcessId: 'wait-states', variables: { invoiceId: 'INV-LATE', amount: 1, approver: 'a', reminderAfter: 'P10D' } });
      await engine.completeJob((await activateOne(engine, 'send-notice')).key, { sent: true });
      await engine.settle();
      expect((await engine.getInstance(late.processInstanceKey))?.elements.find((e) => e.elementId === 'wait')?.state).toBe('ACTIVATED');
      await engine.cancelInstance(ref.processInstanceKey);
      await engine.cancelInstance(late.processInstanceKey);
    });

    it('retries a failing job with backoff, then raises an incident that resolves after new retries', async () => {
      await engine.deploy([{ name: 'order-process.bpmn', content: corpus('order-process.bpmn') }]);
      const ref = await engine.createInstance({ bpmnProcessId: 'order-process' });
      const job = await activateOne(engine, 'collect-money');
      await engine.failJob(job.key, { retries: 1, errorMessage: 'gateway timeout', retryBackOff: 60_000 });
      // within the backoff the job is not activatable
      expect(await engine.activateJobs({ type: 'collect-money', worker: 't', maxJobsToActivate: 5, timeout: 1000 })).toHaveLength(0);
      await engine.clock.advance(61_000);
      const again = await activateOne(engine, 'collect-money');
      expect(again.key).toBe(job.key);
      await engine.failJob(again.key, { retries: 0, errorMessage: 'card declined by the bank' });
      const [incident] = await engine.listIncidents({ processInstanceKey: ref.processInstanceKey, state: 'ACTIVE' });
      expect(incident).toMatchObject({ errorType: 'JOB_NO_RETRIES', errorMessage: 'card declined by the bank', elementId: 'collect-money' });
      await expect(engine.resolveIncident(incident.incidentKey)).rejects.toThrow(/retries/);
      await engine.updateJobRetries(job.key, 1);
      await engine.resolveIncident(incident.incidentKey);
      const third = await activateOne(engine, 'collect-money');
      expect(third.key).toBe(job.key);
      await engine.completeJob(third.key);
      expect(await engine.listIncidents({ processInstanceKey: ref.processInstanceKey, state: 'ACTIVE' })).toHaveLength(0);
      await engine.cancelInstance(ref.processInstanceKey);
    });

    it('turns a FEEL failure into an incident, not a crash, and resumes once the variable is set', async () => {
      await engine.deploy([{ name: 'spec-demo2.bpmn', content: corpus('spec-demo2.bpmn') }]);
      const ref = await engine.createInstance({ bpmnProcessId: 'demo2' });
      const [incident] = await engine.listIncidents({ processInstanceKey: ref.processInstanceKey, state: 'ACTIVE' });
      expect(incident).toMatchObject({ errorType: 'EXTRACT_VALUE_ERROR', elementId: 'Event_0tf6wgs' });
      expect(incident.errorMessage).toBe("failed to evaluate expression 'key': no variable found for name 'key'");
      await engine.setVariables(ref.processInstanceKey, { key: 'k-9' });
      await engine.resolveIncident(incident.incidentKey);
      await engine.publishMessage({ name: 'message-1', correlationKey: 'k-9' });
      await engine.settle();
      expect((await engine.activateJobs({ type: 'b', worker: 't', maxJobsToActivate: 10, timeout: 1000 })).some((j) => j.processInstanceKey === ref.processInstanceKey)).toBe(true);
      await engine.cancelInstance(ref.processInstanceKey);
    });

    it('resumes waiting instances after a restart without creating their jobs again', async () => {
      await engine.deploy([{ name: 'order-process.bpmn', content: corpus('order-process.bpmn') }]);
      const ref = await engine.createInstance({ bpmnProcessId: 'order-process', variables: { order: 7 } });
      const before = await t.db('engine_jobs').where({ instance_key: Number(ref.processInstanceKey) }).count<{ count: string | number }[]>();
      // when the engine stops and a new one starts on the same database
      await engine.stop();
      engine = new EmbeddedEngine({ db: t.db, virtualClock: true });
      await engine.start();
      // then the waiting job is still there, once, and the instance continues
      const after = await t.db('engine_jobs').where({ instance_key: Number(ref.processInstanceKey) }).count<{ count: string | number }[]>();
      expect(Number(after[0].count)).toBe(Number(before[0].count));
      for (const type of ['collect-money', 'fetch-items', 'ship-parcel']) {
        const job = (await engine.activateJobs({ type, worker: 't', maxJobsToActivate: 20, timeout: 1000 })).find((j) => j.processInstanceKey === ref.processInstanceKey);
        expect(job, type).toBeDefined();
        await engine.completeJob(job!.key);
      }
      await engine.settle();
      expect((await engine.getInstance(ref.processInstanceKey))?.state).toBe('COMPLETED');
    });

    it('runs only the started process of a file that holds two executable processes', async () => {
      const two = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="two" targetNamespace="t">
  <bpmn:process id="first-of-two" isExecutable="true"><bpmn:startEvent id="s1" /><bpmn:sequenceFlow id="f1" sourceRef="s1" targetRef="t1" />
    <bpmn:serviceTask id="t1"><bpmn:extensionElements><zeebe:taskDefinition type="first-job" /></bpmn:extensionElements></bpmn:serviceTask></bpmn:process>
  <bpmn:process id="second-of-two" isExecutable="true"><bpmn:startEvent id="s2" /><bpmn:sequenceFlow id="f2" sourceRef="s2" targetRef="t2" />
    <bpmn:serviceTask id="t2"><bpmn:extensionElements><zeebe:taskDefinition type="second-job" /></bpmn:extensionElements></bpmn:serviceTask></bpmn:process>
</bpmn:definitions>`;
      await engine.deploy([{ name: 'two.bpmn', content: two }]);
      const ref = await engine.createInstance({ bpmnProcessId: 'second-of-two' });
      const details = await engine.getInstance(ref.processInstanceKey);
      expect(details?.elements.map((e) => e.elementId)).toEqual(['s2', 't2']);
      expect(await engine.activateJobs({ type: 'first-job', worker: 't', maxJobsToActivate: 5, timeout: 1000 })).toHaveLength(0);
      await engine.cancelInstance(ref.processInstanceKey);
    });

    it('hands an error the called instance does not catch to the call activity boundary in the parent', async () => {
      const parent = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="p" targetNamespace="t">
  <bpmn:error id="e" name="refused" errorCode="CHILD_REFUSED" />
  <bpmn:process id="call-parent" isExecutable="true"><bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="call" />
    <bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="call-child" /></bpmn:extensionElements></bpmn:callActivity>
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="ok" /><bpmn:endEvent id="ok" />
    <bpmn:boundaryEvent id="caught" attachedToRef="call"><bpmn:errorEventDefinition errorRef="e" /></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="caught" targetRef="handled" /><bpmn:endEvent id="handled" />
  </bpmn:process>
</bpmn:definitions>`;
      const child = oneServiceTask('call-child', 'child-work');
      await engine.deploy([{ name: 'call-child.bpmn', content: child }, { name: 'call-parent.bpmn', content: parent }]);
      const ref = await engine.createInstance({ bpmnProcessId: 'call-parent' });
      await engine.settle();
      const [job] = await engine.activateJobs({ type: 'child-work', worker: 't', maxJobsToActivate: 1, timeout: 1000 });
      await engine.throwError(job.key, { errorCode: 'CHILD_REFUSED', errorMessage: 'no' });
      await engine.settle();
      const details = await engine.getInstance(ref.processInstanceKey);
      expect(details?.state).toBe('COMPLETED');
      expect(details?.elements.find((e) => e.elementId === 'handled')?.state).toBe('COMPLETED');
      expect((await engine.getInstance(job.processInstanceKey))?.state).toBe('TERMINATED');
    });

    it('reports a completed job as not found when completed again', async () => {
      await engine.deploy([{ name: 'order-process.bpmn', content: corpus('order-process.bpmn') }]);
      const ref = await engine.createInstance({ bpmnProcessId: 'order-process' });
      const job = (await engine.activateJobs({ type: 'collect-money', worker: 't', maxJobsToActivate: 20, timeout: 1000 })).find((j) => j.processInstanceKey === ref.processInstanceKey)!;
      await engine.completeJob(job.key);
      await expect(engine.completeJob(job.key)).rejects.toBeInstanceOf(EngineError);
      await engine.cancelInstance(ref.processInstanceKey);
    });
  });
}
