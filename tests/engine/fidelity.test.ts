/**
 * Zeebe 8.8 fidelity of the embedded engine (issue #16): each case names the published Zeebe
 * behaviour it follows. They run on PGlite with a virtual clock, once with instances kept in
 * memory and once reloading the instance at every command (cache size 0).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { addDuration, isTimeCycle, nextCron, parseCycle } from '../../engine/embedded/timer-values.js';
import { EmbeddedProvider, runSpecFiles } from '../../engine/spec/index.js';
import { openTestDb, type TestDb } from '../support/db.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

let seq = 0;
/** A process `id` whose body (elements and flows) is given; `zeebe` and `bpmn` prefixes are declared. */
export function diagram(id: string, body: string, extra = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs-${id}-${++seq}" targetNamespace="http://herald.test/fidelity">
  ${extra}<bpmn:process id="${id}" isExecutable="true">${body}</bpmn:process>
</bpmn:definitions>`;
}

const flow = (id: string, from: string, to: string, condition?: string) =>
  condition ? `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${condition}</bpmn:conditionExpression></bpmn:sequenceFlow>` : `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}" />`;

describe('timer values on one library (luxon, cron-parser), as Zeebe computes them', () => {
  it('P1M from 31 January is 28 February: Zeebe adds a java.time Period to a ZonedDateTime, clamping to the month end', () => {
    expect(new Date(addDuration('P1M', Date.UTC(2027, 0, 31, 10))).toISOString()).toBe('2027-02-28T10:00:00.000Z');
    expect(new Date(addDuration('P1M', Date.UTC(2028, 0, 31))).toISOString()).toBe('2028-02-29T00:00:00.000Z');
    // Period first, then Duration: P1MT1H from 31 January is 28 February 01:00, not 3 March
    expect(new Date(addDuration('P1MT1H', Date.UTC(2027, 0, 31))).toISOString()).toBe('2027-02-28T01:00:00.000Z');
    expect(new Date(addDuration('P1Y', Date.UTC(2028, 1, 29))).toISOString()).toBe('2029-02-28T00:00:00.000Z');
  });

  it('a Spring six-field cron is a cycle (Zeebe CronTimer), with its next time after now; five fields are not', () => {
    expect(parseCycle('0 0 9 * * MON')).toEqual({ kind: 'cron', repetitions: -1, cron: '0 0 9 * * MON' });
    expect(isTimeCycle('0 0 9 * *')).toBe(false);
    const monday9 = Date.UTC(2026, 11, 7, 9);
    expect(new Date(nextCron('0 0 9 * * MON', monday9 - 1)).toISOString()).toBe('2026-12-07T09:00:00.000Z');
    expect(new Date(nextCron('0 0 9 * * MON', monday9)).toISOString()).toBe('2026-12-14T09:00:00.000Z');
    // Spring (unlike Vixie cron) needs both restricted day fields to match: the 1st that is a Monday
    expect(new Date(nextCron('0 0 9 1 * MON', monday9)).toISOString()).toBe('2027-02-01T09:00:00.000Z');
    expect(new Date(nextCron('@midnight', monday9)).toISOString()).toBe('2026-12-08T00:00:00.000Z');
  });
});

describe('process tests read variables as zeebe-spec does', () => {
  it('an element-scoped variable assertion finds a variable of a sub-process that has completed (zeebe-spec reads variable records, which outlive their scope)', { timeout: 180_000 }, async () => {
    const provider = new EmbeddedProvider();
    try {
      const result = await runSpecFiles([path.join(import.meta.dirname, 'fixtures/spec/ended-scope-variable.spec.yaml')], { provider });
      const failures = result.files.flatMap((f) => [...(f.error ? [f.error] : []), ...f.cases.filter((c) => c.status === 'failed').map((c) => `${c.name}: ${c.failure?.where}: ${c.failure?.message}`)]);
      expect(failures).toEqual([]);
      expect(result).toMatchObject({ passed: 1, failed: 0 });
    } finally {
      await provider.close();
    }
  });
});

for (const reloaded of [false, true]) {
  describe(`embedded engine fidelity on PGlite${reloaded ? ', reloaded at every command' : ''}`, () => {
    let t: TestDb;
    let engine: EmbeddedEngine;
    // Sunday 31 January 2027, 10:00 UTC
    const start = Date.UTC(2027, 0, 31, 10);

    beforeAll(async () => {
      t = await openTestDb('pglite');
      engine = new EmbeddedEngine({ db: t.db, virtualClock: true, clockStart: start, ...(reloaded && { cacheSize: 0 }) });
      await engine.start();
    });
    afterAll(async () => {
      await engine.stop();
      await t.close();
    });

    const state = async (key: string) => (await engine.getInstance(key))?.state;
    /** Polls (after settling) until the probe gives a value: listener jobs appear once their command ran. */
    const until = async <T>(probe: () => Promise<T | undefined>): Promise<T> => {
      for (let i = 0; i < 100; i++) {
        await engine.settle();
        const v = await probe();
        if (v !== undefined) return v;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('timed out waiting');
    };

    it('a P1M intermediate timer entered on 31 January fires on 28 February (Zeebe: Interval.toEpochMilli)', async () => {
      const id = `p1m-${reloaded ? 'r' : 'm'}`;
      await engine.deploy([
        {
          name: `${id}.bpmn`,
          content: diagram(
            id,
            `<bpmn:startEvent id="start" />${flow('f1', 'start', 'wait')}<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>P1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>${flow('f2', 'wait', 'end')}<bpmn:endEvent id="end" />`,
          ),
        },
      ]);
      const now = engine.clock.now();
      const ref = await engine.createInstance({ bpmnProcessId: id });
      const due = Date.UTC(2027, 1, 28, 10) + (now - start);
      await engine.clock.advance(due - now - 1);
      expect(await state(ref.processInstanceKey)).toBe('ACTIVE');
      await engine.clock.advance(1);
      await engine.settle();
      expect(await state(ref.processInstanceKey)).toBe('COMPLETED');
    });

    it('a condition that evaluates to null raises EXTRACT_VALUE_ERROR with Zeebe\'s message and warnings; no flow to take is CONDITION_ERROR (Zeebe ExpressionProcessorTest, ExclusiveGatewayTest)', async () => {
      const id = `null-condition-${reloaded ? 'r' : 'm'}`;
      await engine.deploy([
        {
          name: `${id}.bpmn`,
          content: diagram(
            id,
            `<bpmn:startEvent id="start" />${flow('f1', 'start', 'choose')}<bpmn:exclusiveGateway id="choose" />${flow('yes', 'choose', 'endYes', '=approved')}${flow('no', 'choose', 'endNo', '=not(approved)')}<bpmn:endEvent id="endYes" /><bpmn:endEvent id="endNo" />`,
          ),
        },
      ]);
      const missing = await engine.createInstance({ bpmnProcessId: id });
      await engine.settle();
      const [incident] = await engine.listIncidents({ processInstanceKey: missing.processInstanceKey, state: 'ACTIVE' });
      expect(incident).toMatchObject({
        errorType: 'EXTRACT_VALUE_ERROR',
        elementId: 'choose',
        errorMessage: "Expected result of the expression 'approved' to be 'BOOLEAN', but was 'NULL'. The evaluation reported the following warnings:\n[NO_VARIABLE_FOUND] No variable found with name 'approved'",
      });
      const text = await engine.createInstance({ bpmnProcessId: id, variables: { approved: 'yes' } });
      await engine.settle();
      expect((await engine.listIncidents({ processInstanceKey: text.processInstanceKey, state: 'ACTIVE' }))[0]).toMatchObject({
        errorType: 'EXTRACT_VALUE_ERROR',
        errorMessage: "Expected result of the expression 'approved' to be 'BOOLEAN', but was 'STRING'.",
      });
      // given the variable, the incident resolves and the instance goes on
      await engine.setVariables(missing.processInstanceKey, { approved: true });
      await engine.resolveIncident(incident.incidentKey);
      await engine.settle();
      expect(await state(missing.processInstanceKey)).toBe('COMPLETED');
    });

    it('a gateway with no true condition and no default flow raises CONDITION_ERROR with Zeebe\'s text (ExclusiveGatewayProcessor)', async () => {
      const id = `no-flow-${reloaded ? 'r' : 'm'}`;
      await engine.deploy([
        { name: `${id}.bpmn`, content: diagram(id, `<bpmn:startEvent id="start" />${flow('f1', 'start', 'choose')}<bpmn:exclusiveGateway id="choose" />${flow('big', 'choose', 'end', '=amount > 100')}<bpmn:endEvent id="end" />`) },
      ]);
      const ref = await engine.createInstance({ bpmnProcessId: id, variables: { amount: 5 } });
      await engine.settle();
      expect((await engine.listIncidents({ processInstanceKey: ref.processInstanceKey, state: 'ACTIVE' }))[0]).toMatchObject({
        errorType: 'CONDITION_ERROR',
        errorMessage: 'Expected at least one condition to evaluate to true, or to have a default flow',
      });
    });

    it('deploys a job task that still carries camunda:class, with a warning naming it, and runs it as a job (Zeebe ignores Camunda 7 attributes)', async () => {
      const id = `c7-inert-${reloaded ? 'r' : 'm'}`;
      const xml = diagram(
        id,
        `<bpmn:startEvent id="start" />${flow('f1', 'start', 'charge')}<bpmn:serviceTask id="charge" camunda:class="com.example.Charge" camunda:delegateExpression="\${charger}"><bpmn:extensionElements><zeebe:taskDefinition type="${id}" /></bpmn:extensionElements></bpmn:serviceTask>${flow('f2', 'charge', 'end')}<bpmn:endEvent id="end" />`,
      ).replace('xmlns:zeebe=', 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:zeebe=');
      const deployment = await engine.deploy([{ name: `${id}.bpmn`, content: xml }]);
      expect(deployment.validationWarnings?.map((w) => [w.elementId, w.severity, w.message.replace(/ is a Camunda 7.*/, '')])).toEqual([
        ['charge', 'warning', 'charge: camunda:class'],
        ['charge', 'warning', 'charge: camunda:delegateExpression'],
      ]);
      const ref = await engine.createInstance({ bpmnProcessId: id });
      const [job] = await engine.activateJobs({ type: id, worker: 'fidelity', maxJobsToActivate: 1, timeout: 10_000 });
      await engine.completeJob(job.key);
      await engine.settle();
      expect(await state(ref.processInstanceKey)).toBe('COMPLETED');
    });

    it('user task listeners (Zeebe 8.8 zeebe:taskListeners): an assigning listener corrects or denies a claim, completing listeners deny a completion (the caller gets Zeebe\'s rejection text, the task stays open) or let it through in order', async () => {
      const id = `listeners-${reloaded ? 'r' : 'm'}`;
      const listeners = `<zeebe:taskListeners><zeebe:taskListener eventType="assigning" type="${id}-assign" /><zeebe:taskListener eventType="completing" type="${id}-sod" /><zeebe:taskListener eventType="completing" type="${id}-audit" /></zeebe:taskListeners>`;
      await engine.deploy([
        {
          name: `${id}.bpmn`,
          content: diagram(
            id,
            `<bpmn:startEvent id="start" />${flow('f1', 'start', 'approve')}<bpmn:userTask id="approve"><bpmn:extensionElements><zeebe:userTask />${listeners}</bpmn:extensionElements></bpmn:userTask>${flow('f2', 'approve', 'end')}<bpmn:endEvent id="end" />`,
          ),
        },
      ]);
      const seen: string[] = [];
      // assigning: nobody on leave; everyone assigned joins the approvers group (a correction)
      const assign = engine.createWorker({
        type: `${id}-assign`,
        handler: async (job) => {
          seen.push(`assign:${job.customHeaders['io.camunda.zeebe:assignee']}:${job.kind}:${job.listenerEventType}`);
          if (job.customHeaders['io.camunda.zeebe:assignee'] === 'mallory') return { outcome: 'complete', result: { denied: true, deniedReason: 'mallory is on leave' } };
          return { outcome: 'complete', result: { corrections: { candidateGroups: ['approvers'] } } };
        },
      });
      // completing, first: segregation of duties, the requester may not approve
      const sod = engine.createWorker({
        type: `${id}-sod`,
        handler: async (job) => {
          seen.push(`sod:${job.customHeaders['io.camunda.zeebe:assignee']}:${String(job.variables.approved)}`);
          if (job.customHeaders['io.camunda.zeebe:assignee'] === job.variables.requester) return { outcome: 'complete', result: { denied: true, deniedReason: `SOD_VIOLATION: ${String(job.variables.requester)} requested this` } };
          return { outcome: 'complete' };
        },
      });
      const audit = engine.createWorker({
        type: `${id}-audit`,
        handler: async (job) => {
          seen.push(`audit:${job.elementId}`);
          return { outcome: 'complete', result: { denied: false } };
        },
      });
      try {
        const ref = await engine.createInstance({ bpmnProcessId: id, variables: { requester: 'ada' } });
        await engine.settle();
        const [task] = await engine.listUserTasks({ processInstanceKey: ref.processInstanceKey });
        const open = async () => (await engine.listUserTasks({ processInstanceKey: ref.processInstanceKey }))[0];

        // a denied claim leaves the task unassigned, and says why
        await expect(engine.assignUserTask(task.userTaskKey, 'mallory')).rejects.toThrow(`Assignment of the User Task with key '${task.userTaskKey}' was denied by Task Listener. Reason to deny: 'mallory is on leave'`);
        expect((await open()).assignee).toBeUndefined();
        // an accepted claim takes the listener's correction
        await engine.assignUserTask(task.userTaskKey, 'ada');
        expect(await open()).toMatchObject({ assignee: 'ada', candidateGroups: ['approvers'] });

        // the requester's own approval is denied: the caller learns the reason, the task stays open
        const denied = await engine.completeUserTask(task.userTaskKey, { approved: true }).catch((err: unknown) => err);
        expect(denied).toMatchObject({ name: 'EngineError', code: 'INVALID_STATE', message: `Completion of the User Task with key '${task.userTaskKey}' was denied by Task Listener. Reason to deny: 'SOD_VIOLATION: ada requested this'` });
        expect((await open())?.userTaskKey).toBe(task.userTaskKey);
        expect(await state(ref.processInstanceKey)).toBe('ACTIVE');

        // another approver: both completing listeners run, in order, then the task completes
        await engine.assignUserTask(task.userTaskKey, 'bob');
        await engine.completeUserTask(task.userTaskKey, { approved: true });
        await engine.settle();
        expect(await state(ref.processInstanceKey)).toBe('COMPLETED');
        expect((await engine.getInstance(ref.processInstanceKey))?.variables).toMatchObject({ approved: true });
        expect(seen).toEqual(['assign:mallory:TASK_LISTENER:assigning', 'assign:ada:TASK_LISTENER:assigning', 'sod:ada:true', 'assign:bob:TASK_LISTENER:assigning', 'sod:bob:true', 'audit:approve']);
      } finally {
        await Promise.all([assign.close(), sod.close(), audit.close()]);
      }
    });

    it('a canceling task listener runs as a job when a boundary timer terminates the task, and a listener job out of retries is a TASK_LISTENER_NO_RETRIES incident (Zeebe ErrorType)', async () => {
      const id = `cancel-listener-${reloaded ? 'r' : 'm'}`;
      const task = `<bpmn:userTask id="approve"><bpmn:extensionElements><zeebe:userTask /><zeebe:taskListeners><zeebe:taskListener eventType="canceling" type="${id}-canceled" /><zeebe:taskListener eventType="completing" type="${id}-check" /></zeebe:taskListeners></bpmn:extensionElements></bpmn:userTask>`;
      const timeout = `<bpmn:boundaryEvent id="late" attachedToRef="approve"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>`;
      await engine.deploy([
        { name: `${id}.bpmn`, content: diagram(id, `<bpmn:startEvent id="start" />${flow('f1', 'start', 'approve')}${task}${timeout}${flow('f2', 'approve', 'end')}${flow('f3', 'late', 'end')}<bpmn:endEvent id="end" />`) },
      ]);
      // a completing listener that fails for good: an incident of the listener's kind, the task stays open
      const first = await engine.createInstance({ bpmnProcessId: id });
      await engine.settle();
      const [open] = await engine.listUserTasks({ processInstanceKey: first.processInstanceKey });
      const completion = engine.completeUserTask(open.userTaskKey, { ok: true }).catch((err: unknown) => err);
      const check = await until(async () => (await engine.activateJobs({ type: `${id}-check`, worker: 'fidelity', maxJobsToActivate: 1, timeout: 10_000 }))[0]);
      expect(check).toMatchObject({ kind: 'TASK_LISTENER', listenerEventType: 'completing', elementId: 'approve', customHeaders: { 'io.camunda.zeebe:userTaskKey': open.userTaskKey } });
      await engine.failJob(check.key, { retries: 0, errorMessage: 'policy service down' });
      expect((await engine.listIncidents({ processInstanceKey: first.processInstanceKey, state: 'ACTIVE' }))[0]).toMatchObject({ errorType: 'TASK_LISTENER_NO_RETRIES', errorMessage: 'policy service down' });
      // when the timer interrupts the task, the canceling listener runs and the waiting transition ends
      await engine.clock.advance(HOUR);
      const canceled = await until(async () => (await engine.activateJobs({ type: `${id}-canceled`, worker: 'fidelity', maxJobsToActivate: 1, timeout: 10_000 }))[0]);
      expect(canceled).toMatchObject({ kind: 'TASK_LISTENER', listenerEventType: 'canceling', processInstanceKey: first.processInstanceKey });
      await engine.completeJob(canceled.key);
      expect(await state(first.processInstanceKey)).toBe('COMPLETED');
      expect(await completion).toMatchObject({ code: 'NOT_FOUND', message: `Expected to find user task with key '${open.userTaskKey}', but it was terminated while its completing listeners ran` });
    });

    it('a cron timer start event (0 0 9 * * MON) deploys and starts an instance every Monday at 09:00 UTC (Zeebe CronTimer)', async () => {
      const id = `cron-start-${reloaded ? 'r' : 'm'}`;
      await engine.deploy([
        {
          name: `${id}.bpmn`,
          content: diagram(id, `<bpmn:startEvent id="monday"><bpmn:timerEventDefinition><bpmn:timeCycle>0 0 9 * * MON</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>${flow('f1', 'monday', 'end')}<bpmn:endEvent id="end" />`),
        },
      ]);
      const count = async () => (await engine.listInstances({ bpmnProcessId: id, limit: 100 })).length;
      const nextMonday9 = nextCron('0 0 9 * * MON', engine.clock.now());
      await engine.clock.advance(nextMonday9 - engine.clock.now() - 1);
      expect(await count()).toBe(0);
      await engine.clock.advance(1);
      await engine.settle();
      expect(await count()).toBe(1);
      await engine.clock.advance(7 * DAY - HOUR);
      expect(await count()).toBe(1);
      await engine.clock.advance(HOUR);
      await engine.settle();
      expect(await count()).toBe(2);
      // a newer version without the timer cancels the schedule, as Zeebe does on redeploy
      await engine.deploy([{ name: `${id}.bpmn`, content: diagram(id, `<bpmn:startEvent id="monday" />${flow('f1', 'monday', 'end')}<bpmn:endEvent id="end" />`) }]);
      await engine.clock.advance(7 * DAY);
      expect(await count()).toBe(2);
    });
  });
}
