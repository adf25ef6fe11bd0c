/**
 * Issue 14's findings 1-4 as named regression tests, each through the public API as the
 * adversary reproduced it: four eyes bypassed by completion variables, a second door for task
 * completion, and refusals that left no trace. (Finding 2, the deployment bypass, is in
 * tests/api/deployments.test.ts; 5, 7, 8 and 9 beside the rate limit, event and stall tests.)
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
import deliverCommunication from '../../workers/deliver-communication.js';
import { startWorkers } from '../../workers/index.js';
import { dbKinds } from '../support/db.js';
import { startApi, type Api } from '../api/harness.js';

describe.each(await dbKinds())('issue 14 findings on %s', (kind) => {
  let api: Api;
  let workers: JobWorker[];
  const queued = new Set<string>();
  const http = () => request(api.app.server);
  let n = 0;

  beforeAll(async () => {
    api = await startApi(kind);
    await seedDemoData(api.t.db);
    await api.engine.deploy([{ name: 'controls-communication.bpmn', content: fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'controls-communication.bpmn')) }]);
    const identity = createIdentityRepository(api.t.db);
    await identity.upsertUser({ id: 'ann', name: 'Ann (approver, level 1)', roles: ['approver'], approverLevel: 1, teams: [] });
    api.tokens.ann = await identity.issueToken('ann', 'findings');
    await identity.upsertUser({ id: 'ben', name: 'Ben (approver, level 2)', roles: ['approver'], approverLevel: 2, teams: [] });
    api.tokens.ben = await identity.issueToken('ben', 'findings');
    workers = startWorkers(api.engine, { db: api.t.db, engine: api.engine, now: () => new Date(), delivery: { enqueue: async (id: string) => (queued.add(id), true) } } as never, silentLogger, [deliverCommunication]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all((workers ?? []).map((w) => w.close()));
    await api?.close();
  });

  /** A communication as validate-customer-data records it, and its instance started with `approvalLevels`. */
  async function communication(amount: string, approvalLevels: number, initiatedBy = 'erp') {
    const id = `finding-${kind}-${++n}`;
    await api.t.db('communications').insert({ id, customer_id: 'C-ACME', template_id: 'invoice-notice', channel: 'email', kind: 'transactional', status: 'rendered', amount, initiated_by: initiatedBy, data: '{}', subject: 'Invoice' });
    const { processInstanceKey } = await api.engine.createInstance({ bpmnProcessId: 'controls-communication', variables: { communicationId: id, channel: 'email', approvalLevels, initiatedBy } });
    return { id, pik: processInstanceKey };
  }
  const act = async (user: string, key: string, variables: Record<string, unknown>) => {
    expect((await http().post(`/api/tasks/${key}/claim`).set(api.as(user))).status).toBe(200);
    return http().post(`/api/tasks/${key}/completion`).set(api.as(user)).send({ variables });
  };
  const ended = async (pik: string) => {
    for (let i = 0; i < 1000; i++) {
      const instance = await api.engine.getInstance(pik);
      if (instance && instance.state !== 'ACTIVE') return instance;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`instance ${pik} did not end`);
  };
  const refusals = async (actor: string, afterId: number) => createAuditRepository(api.t.db).list({ actor, outcome: 'refused', afterId });
  const lastAuditId = async () => Number((await api.t.db('audit_log').max({ id: 'id' }).first())?.id ?? 0);

  describe('finding 1: four eyes cannot be bypassed with completion variables', () => {
    it('refuses approvalLevels in the completion (400, audited), and a $60,000 message started as needing one approval is not sent after one', async () => {
      const { id, pik } = await communication('60000.00', 1);
      const l1 = await api.task(pik, 'approve-level-1');
      const before = await lastAuditId();
      const res = await act('alice', l1.key, { approved: true, approvalLevels: 1 });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ field: 'variables.approvalLevels' });
      expect((await refusals('alice', before)).map((r) => r.rule)).toContain('control-variable');
      // the approval as the form allows it; the start said one level was enough
      expect((await http().post(`/api/tasks/${l1.key}/completion`).set(api.as('alice')).send({ variables: { approved: true } })).status).toBe(200);
      const done = await ended(pik);
      expect(done.elements.map((e) => e.elementId)).toContain('refused');
      expect(queued.has(id)).toBe(false);
      const release = await createAuditRepository(api.t.db).list({ subjectType: 'communication', subjectId: id, action: 'communication.release' });
      expect(release).toEqual([expect.objectContaining({ outcome: 'refused', rule: 'four-eyes', actor: 'herald:release' })]);
    });

    it('sends the same $60,000 message after two different approvers', async () => {
      const { id, pik } = await communication('60000.00', 2);
      expect((await act('alice', (await api.task(pik, 'approve-level-1')).key, { approved: true })).status).toBe(200);
      expect((await act('bob', (await api.task(pik, 'approve-level-2')).key, { approved: true })).status).toBe(200);
      const done = await ended(pik);
      expect(done.elements.map((e) => e.elementId)).toContain('sent');
      expect(queued.has(id)).toBe(true);
    });
  });

  describe('finding 3: one door for task completion', () => {
    it("the request route refuses a task that is not its request's, and control variables, on the record", async () => {
      const { pik } = await communication('20000.00', 1);
      const l1 = await api.task(pik, 'approve-level-1');
      const before = await lastAuditId();
      const other = await http().post(`/api/requests/REQ-NOPE/tasks/${l1.key}/completion`).set(api.as('alice')).send({ variables: { approved: true, requestedBy: 'nobody', initiatedBy: 'nobody', workedBy: 'nobody' } });
      expect(other.status).toBe(404);
      expect(await refusals('alice', before)).toContainEqual(expect.objectContaining({ action: 'task.complete', subjectId: l1.key, rule: 'not-found' }));
      // the tasklist refuses the same variables, naming the first
      expect((await http().post(`/api/tasks/${l1.key}/claim`).set(api.as('alice'))).status).toBe(200);
      const same = await http().post(`/api/tasks/${l1.key}/completion`).set(api.as('alice')).send({ variables: { approved: true, requestedBy: 'nobody' } });
      expect(same.status).toBe(400);
      expect(same.body.field).toBe('variables.requestedBy');
    });
  });

  describe('finding 4: refusals leave a trace, whatever their status', () => {
    it('the same approver at two levels (403), a claim outside the candidate groups (404), a task someone else claimed (409): each audited', async () => {
      const { pik } = await communication('60000.00', 2, 'erp');
      expect((await act('ann', (await api.task(pik, 'approve-level-1')).key, { approved: true })).status).toBe(200);
      const l2 = await api.task(pik, 'approve-level-2');
      let before = await lastAuditId();
      // ann at level 2: not in its candidate group, so the task is hidden from her (404), on the record
      const hidden = await http().post(`/api/tasks/${l2.key}/claim`).set(api.as('ann'));
      expect(hidden.status).toBe(404);
      expect(await refusals('ann', before)).toContainEqual(expect.objectContaining({ action: 'task.claim', subjectId: l2.key, rule: 'not-visible' }));
      // bob claims it; ben, another level-2 approver, cannot complete a task bob claimed (409)
      expect((await http().post(`/api/tasks/${l2.key}/claim`).set(api.as('bob'))).status).toBe(200);
      before = await lastAuditId();
      const claimed = await http().post(`/api/tasks/${l2.key}/completion`).set(api.as('ben')).send({ variables: { approved: true } });
      expect(claimed.status).toBe(409);
      expect(await refusals('ben', before)).toContainEqual(expect.objectContaining({ action: 'task.complete', subjectId: l2.key, rule: 'claimed' }));
      // carl (compliance) sees every task but holds no approver group: the policy refuses him first (403)
      const carl = await http().post(`/api/tasks/${l2.key}/completion`).set(api.as('carl')).send({ variables: { approved: true } });
      expect(carl.status).toBe(403);
      expect(await refusals('carl', before)).toContainEqual(expect.objectContaining({ action: 'task.complete', subjectId: l2.key, rule: 'candidate-group' }));
      // and the same person at two levels: an approver at both levels approved level 1
      const two = await communication('60000.00', 2, 'erp');
      const identity = createIdentityRepository(api.t.db);
      await identity.upsertUser({ id: 'dual', name: 'Dual (both levels)', roles: ['approver'], approverLevel: 1, teams: ['approver-l2'] });
      api.tokens.dual = await identity.issueToken('dual', 'findings');
      expect((await act('dual', (await api.task(two.pik, 'approve-level-1')).key, { approved: true })).status).toBe(200);
      const second = await api.task(two.pik, 'approve-level-2');
      before = await lastAuditId();
      const twice = await http().post(`/api/tasks/${second.key}/claim`).set(api.as('dual'));
      expect(twice.status).toBe(403);
      expect(twice.body.rule).toBe('distinct-approvers');
      expect(await refusals('dual', before)).toContainEqual(expect.objectContaining({ action: 'task.claim', subjectId: second.key, rule: 'distinct-approvers' }));
    });

    it('a role refusal and a schema refusal on a state-changing route are audited too', async () => {
      const before = await lastAuditId();
      expect((await http().post('/api/deployments').set(api.as('acme')).send({ resources: [{ name: 'x.bpmn', content: '<x/>' }] })).status).toBe(403);
      expect((await http().post('/api/drafts').set(api.as('ada')).send({ nonsense: true })).status).toBe(400);
      expect((await refusals('acme', before)).map((r) => r.rule)).toContain('role');
      expect((await refusals('ada', before)).map((r) => r.rule)).toContain('validation');
      expect((await http().get('/api/audit/verify').set(api.as('carl'))).body.ok).toBe(true);
    });
  });
});
