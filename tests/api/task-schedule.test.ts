/**
 * Rescheduling a task (PATCH /api/tasks/{key}, issue #18): given open tasks of the approval
 * fixture, the assignee or a lead of the task's groups changes its due date, follow-up date and
 * priority; the tasklist and the engine's user task both show it, every decision is on the
 * task's trail, and refusals name the rule or the field. An `updating` task listener may correct
 * the change (kept) or deny it (undone, 409).
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds } from '../support/db.js';
import { startApi, type Api } from './harness.js';

describe.each(await dbKinds())('rescheduling a task on %s', (kind) => {
  let api: Api;
  const http = () => request(api.app.server);
  beforeAll(async () => {
    api = await startApi(kind);
  });
  afterAll(async () => {
    await api?.close();
  });

  const engineTask = async (pik: string, key: string) => (await api.engine.listUserTasks({ processInstanceKey: pik })).find((t) => t.userTaskKey === key);
  const trail = async (key: string) => (await http().get('/api/audit').query({ subjectType: 'task', subjectId: key }).set(api.as('carl'))).body as { actor: string; action: string; outcome: string; rule: string | null }[];

  it("lets the assignee change the dates and priority, on Herald's tasklist and the engine's task", async () => {
    const pik = await api.start('api-approval', { initiatedBy: 'ada', amount: '10.00', level2Groups: ['approver-l2'], dueDate: '2026-12-20T17:00:00Z' });
    const task = await api.task(pik, 'prepare');

    // a candidate who has not claimed it may not reschedule it
    const early = await http().patch(`/api/tasks/${task.key}`).set(api.as('sam')).send({ priority: 90 });
    expect(early.status).toBe(403);
    expect(early.body).toMatchObject({ status: 403, rule: 'assignee-or-lead' });
    expect(early.body.title).toContain('sam is neither the task');

    expect((await http().post(`/api/tasks/${task.key}/claim`).set(api.as('sam'))).status).toBe(200);
    const res = await http().patch(`/api/tasks/${task.key}`).set(api.as('sam')).send({ dueDate: '2026-12-18T17:00:00+01:00', followUpDate: '2026-12-16T09:00:00Z', priority: 90 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ key: task.key, dueDate: '2026-12-18T16:00:00.000Z', followUpDate: '2026-12-16T09:00:00.000Z', priority: 90 });
    expect((await http().get(`/api/tasks/${task.key}`).set(api.as('sam'))).body).toMatchObject({ dueDate: '2026-12-18T16:00:00.000Z', followUpDate: '2026-12-16T09:00:00.000Z', priority: 90 });
    expect(await engineTask(pik, task.key)).toMatchObject({ dueDate: '2026-12-18T16:00:00.000Z', followUpDate: '2026-12-16T09:00:00.000Z', priority: 90 });

    // null clears a date, on both
    const cleared = await http().patch(`/api/tasks/${task.key}`).set(api.as('sam')).send({ followUpDate: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ dueDate: '2026-12-18T16:00:00.000Z', followUpDate: null, priority: 90 });
    expect((await engineTask(pik, task.key))?.followUpDate || undefined).toBeUndefined();

    expect((await trail(task.key)).map((r) => `${r.actor}:${r.action}:${r.outcome}:${r.rule ?? ''}`)).toEqual(['sam:task.update:refused:assignee-or-lead', 'sam:task.claim:allowed:', 'sam:task.update:allowed:', 'sam:task.update:allowed:']);
  });

  it('names the field it refuses (400), and audits a refusal of the schedule itself', async () => {
    const pik = await api.start('api-approval', { initiatedBy: 'ada', amount: '10.00', level2Groups: ['approver-l2'], dueDate: '2026-12-20T17:00:00Z' });
    const task = await api.task(pik, 'prepare');
    await http().post(`/api/tasks/${task.key}/claim`).set(api.as('sam'));
    for (const [body, field] of [
      [{ priority: 101 }, 'body.priority'],
      [{ dueDate: 'next friday' }, 'body.dueDate'],
      [{ assignee: 'alice' }, 'body.assignee'],
      [{ followUpDate: '2026-12-21T09:00:00Z' }, 'body.followUpDate'],
    ] as const) {
      const res = await http().patch(`/api/tasks/${task.key}`).set(api.as('sam')).send(body);
      expect(res.status, field).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.field, JSON.stringify(body)).toBe(field);
    }
    expect((await http().patch(`/api/tasks/${task.key}`).set(api.as('sam')).send({})).status).toBe(400);
    // the follow-up after the due date was refused by the door, on the record with its rule
    expect(await trail(task.key)).toContainEqual(expect.objectContaining({ actor: 'sam', action: 'task.update', outcome: 'refused', rule: 'schedule-order' }));
    expect((await http().get(`/api/tasks/${task.key}`).set(api.as('sam'))).body).toMatchObject({ dueDate: '2026-12-20T17:00:00.000Z', followUpDate: null, priority: 50 });
  });

  it("lets a lead of the task's group reschedule it, but not one who initiated the subject; others do not see it", async () => {
    const start = async (initiatedBy: string) => {
      const pik = await api.start('api-approval', { initiatedBy, amount: '10.00', level2Groups: ['approver-l2'] });
      const prepare = await api.task(pik, 'prepare');
      await http().post(`/api/tasks/${prepare.key}/claim`).set(api.as('sam'));
      expect((await http().post(`/api/tasks/${prepare.key}/completion`).set(api.as('sam')).send({ variables: { note: 'ready' } })).status).toBe(200);
      return { pik, l1: await api.task(pik, 'approve-level-1') };
    };
    // root is an admin: a lead of every task (approver-l1 has no lead group of its own)
    const { pik, l1 } = await start('ada');
    const byAdmin = await http().patch(`/api/tasks/${l1.key}`).set(api.as('root')).send({ dueDate: '2026-12-24T12:00:00Z' });
    expect(byAdmin.status).toBe(200);
    expect(await engineTask(pik, l1.key)).toMatchObject({ dueDate: '2026-12-24T12:00:00.000Z' });
    // eric neither sees it nor leads it: 404, as for a task that does not exist
    expect((await http().patch(`/api/tasks/${l1.key}`).set(api.as('eric')).send({ priority: 10 })).status).toBe(404);
    // maker-checker: the lead who initiated the subject does not set the pace of its checks
    const mine = await start('root');
    const refused = await http().patch(`/api/tasks/${mine.l1.key}`).set(api.as('root')).send({ priority: 10 });
    expect(refused.status).toBe(403);
    expect(refused.body.rule).toBe('maker-checker');
    expect(refused.body.title).toContain('root initiated');
    expect((await http().get(`/api/tasks/${mine.l1.key}`).set(api.as('root'))).body.priority).toBe(50);
    expect(await trail(mine.l1.key)).toContainEqual(expect.objectContaining({ actor: 'root', action: 'task.update', outcome: 'refused', rule: 'maker-checker' }));
  });

  it("keeps an updating listener's correction and undoes what it denies (409)", async () => {
    const id = 'schedule-listened';
    await api.engine.deploy([
      {
        name: `${id}.bpmn`,
        content: Buffer.from(
          `<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="${id}-defs" targetNamespace="http://herald.example/tests"><bpmn:process id="${id}" isExecutable="true"><bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent><bpmn:userTask id="work" name="Work"><bpmn:extensionElements><zeebe:userTask /><zeebe:assignmentDefinition candidateGroups="agent" /><zeebe:taskListeners><zeebe:taskListener eventType="updating" type="${id}-check" /></zeebe:taskListeners></bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask><bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" /><bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" /></bpmn:process></bpmn:definitions>`,
        ),
      },
    ]);
    // the team's own rule: nothing is parked at priority 0; nothing above 80 without a lead
    const worker = api.engine.createWorker({
      type: `${id}-check`,
      handler: async (job) => {
        const priority = Number(job.customHeaders['io.camunda.zeebe:priority']);
        if (priority === 0) return { outcome: 'complete', result: { denied: true, deniedReason: 'priority 0 parks a task' } };
        return { outcome: 'complete', result: priority > 80 ? { corrections: { priority: 80 } } : {} };
      },
    });
    try {
      const pik = (await api.engine.createInstance({ bpmnProcessId: id, variables: {} })).processInstanceKey;
      const task = await api.task(pik, 'work');
      await http().post(`/api/tasks/${task.key}/claim`).set(api.as('sam'));
      const corrected = await http().patch(`/api/tasks/${task.key}`).set(api.as('sam')).send({ priority: 95 });
      expect(corrected.status).toBe(200);
      expect(corrected.body.priority).toBe(80);
      expect((await http().get(`/api/tasks/${task.key}`).set(api.as('sam'))).body.priority).toBe(80);
      const denied = await http().patch(`/api/tasks/${task.key}`).set(api.as('sam')).send({ priority: 0, dueDate: '2026-12-30T12:00:00Z' });
      expect(denied.status).toBe(409);
      expect(denied.body.title).toContain('priority 0 parks a task');
      expect((await http().get(`/api/tasks/${task.key}`).set(api.as('sam'))).body).toMatchObject({ priority: 80, dueDate: null });
      expect(await engineTask(pik, task.key)).toMatchObject({ priority: 80 });
      expect((await trail(task.key)).map((r) => `${r.actor}:${r.action}:${r.outcome}:${r.rule ?? ''}`)).toEqual(['sam:task.claim:allowed:', 'sam:task.update:allowed:', 'engine:task.update:done:', 'sam:task.update:allowed:', 'sam:task.update:refused:engine']);
    } finally {
      await worker.close();
    }
  });
});
