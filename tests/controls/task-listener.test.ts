/**
 * Herald's policy as a Camunda user task listener (issue 14, "On Zeebe"): a task claimed or
 * completed outside Herald's tasklist (Camunda's own Tasklist or REST API: here the engine port
 * called directly, as they would) runs the same policy on the database's facts and is denied when
 * it refuses; what Herald's tasklist already decided passes. The embedded engine runs the
 * listener as Zeebe 8.8 does, so the same diagram serves both engines.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/log.js';
import type { JobWorker } from '../../engine/types.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { createIdentityRepository } from '../../storage/repositories/identity.js';
import { createTaskRepository } from '../../storage/repositories/tasks.js';
import { APPROVAL_RECORDED } from '../../services/controls.js';
import checkTaskPolicy from '../../workers/check-task-policy.js';
import { startWorkers } from '../../workers/index.js';
import { dbKinds } from '../support/db.js';
import { startApi, type Api } from '../api/harness.js';

describe.each(await dbKinds())('the policy as a task listener on %s', (kind) => {
  let api: Api;
  let workers: JobWorker[];
  const http = () => request(api.app.server);
  let n = 0;

  beforeAll(async () => {
    api = await startApi(kind);
    await seedDemoData(api.t.db);
    await api.engine.deploy([{ name: 'controls-listener.bpmn', content: fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'controls-listener.bpmn')) }]);
    const identity = createIdentityRepository(api.t.db);
    await identity.upsertUser({ id: 'ann', name: 'Ann (approver, level 1)', roles: ['approver'], approverLevel: 1, teams: [] });
    api.tokens.ann = await identity.issueToken('ann', 'listener');
    workers = startWorkers(api.engine, { db: api.t.db, engine: api.engine, now: () => new Date() } as never, silentLogger, [checkTaskPolicy]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all((workers ?? []).map((w) => w.close()));
    await api?.close();
  });

  async function approval(initiatedBy: string) {
    const id = `listener-${kind}-${++n}`;
    await api.t.db('communications').insert({ id, customer_id: 'C-ACME', template_id: 'invoice-notice', channel: 'email', kind: 'transactional', status: 'rendered', amount: '20000.00', initiated_by: initiatedBy, data: '{}', subject: 'Invoice' });
    const { processInstanceKey } = await api.engine.createInstance({ bpmnProcessId: 'controls-listener', variables: { communicationId: id, channel: 'email', approvalLevels: 1, initiatedBy } });
    return { id, pik: processInstanceKey, task: await api.task(processInstanceKey, 'approve-level-1') };
  }
  const openTask = async (key: string) => (await api.engine.listUserTasks()).find((t) => t.userTaskKey === key);

  it("Herald's tasklist claims set the engine's assignee, and its decisions pass the listener", async () => {
    const { pik, task } = await approval('erp');
    expect((await http().post(`/api/tasks/${task.key}/claim`).set(api.as('alice'))).status).toBe(200);
    expect((await openTask(task.key))?.assignee).toBe('alice');
    expect((await http().post(`/api/tasks/${task.key}/completion`).set(api.as('alice')).send({ variables: { approved: true } })).status).toBe(200);
    expect(await openTask(task.key)).toBeUndefined();
    expect((await api.engine.getInstance(pik))?.elements.some((e) => e.elementId === 'approve-level-1' && e.state === 'COMPLETED')).toBe(true);
  });

  it('an assignment outside Herald to the initiator is denied naming the rule; to an eligible approver it passes, audited', async () => {
    const { task } = await approval('alice');
    await expect(api.engine.assignUserTask(task.key, 'alice')).rejects.toThrow(/denied by Task Listener.*maker-checker/);
    expect((await openTask(task.key))?.assignee ?? null).toBeNull();
    await expect(api.engine.assignUserTask(task.key, 'sam')).rejects.toThrow(/candidate-group/);
    await api.engine.assignUserTask(task.key, 'ann');
    expect((await openTask(task.key))?.assignee).toBe('ann');
    const rows = await createAuditRepository(api.t.db).list({ subjectType: 'task', subjectId: task.key, action: 'task.claim' });
    expect(rows.map((r) => [r.actor, r.outcome, r.rule])).toEqual([
      ['alice', 'refused', 'maker-checker'],
      ['sam', 'refused', 'candidate-group'],
      ['ann', 'allowed', null],
    ]);
    expect(rows.every((r) => r.detail.via === 'task-listener')).toBe(true);
  });

  it('a completion outside Herald is decided by the policy: unassigned is denied, the assigned approver passes and the approval is recorded', async () => {
    const { id, pik, task } = await approval('erp');
    await expect(api.engine.completeUserTask(task.key, { approved: true })).rejects.toThrow(/denied by Task Listener.*claim the task/);
    expect(await openTask(task.key)).toBeDefined();
    await api.engine.assignUserTask(task.key, 'ann');
    await api.engine.completeUserTask(task.key, { approved: true });
    expect(await openTask(task.key)).toBeUndefined();
    const approvals = await createAuditRepository(api.t.db).list({ subjectType: 'communication', subjectId: id, action: APPROVAL_RECORDED });
    expect(approvals.map((a) => [a.actor, a.detail.level, a.detail.approved])).toEqual([['ann', 1, true]]);
    // the tasklist follows the engine: the task is completed there too
    const tasks = createTaskRepository(api.t.db);
    for (let i = 0; i < 300 && (await tasks.get(task.key))?.state !== 'COMPLETED'; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await tasks.get(task.key))?.state).toBe('COMPLETED');
    expect((await api.engine.getInstance(pik))?.elements.some((e) => e.elementId === 'approve-level-1' && e.state === 'COMPLETED')).toBe(true);
  });
});
