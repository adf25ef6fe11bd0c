import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds } from '../support/db.js';
import { startApi, type Api } from './harness.js';

describe.each(await dbKinds())('tasklist API on %s', (kind) => {
  let api: Api;
  const http = () => request(api.app.server);
  beforeAll(async () => {
    api = await startApi(kind);
  });
  afterAll(async () => {
    await api?.close();
  });

  /** An approval instance: someone prepared it, approvals follow at levels 1 and 2. */
  async function approvalAtLevel1(variables: Record<string, unknown> = {}) {
    const pik = await api.start('api-approval', { initiatedBy: 'ada', amount: '60000.00', priority: 60, level2Groups: ['approver-l2'], ...variables });
    const prepare = await api.task(pik, 'prepare');
    expect((await http().post(`/api/tasks/${prepare.key}/claim`).set(api.as('sam'))).status).toBe(200);
    expect((await http().post(`/api/tasks/${prepare.key}/completion`).set(api.as('sam')).send({ variables: { note: 'ready' } })).status).toBe(200);
    return { pik, l1: await api.task(pik, 'approve-level-1') };
  }

  describe('authentication', () => {
    it('refuses a request without credentials, with a bad token, or a non-bearer scheme (401)', async () => {
      const none = await http().get('/api/tasks');
      expect(none.status).toBe(401);
      expect(none.headers['content-type']).toContain('application/problem+json');
      expect(none.headers['www-authenticate']).toContain('Bearer');
      expect((await http().get('/api/tasks').set('Authorization', `Bearer hrd_demo-sam_${'x'.repeat(43)}`)).status).toBe(401);
      const basic = await http().get('/api/tasks').set('Authorization', 'Basic c2FtOnNhbQ==');
      expect(basic.status).toBe(401);
      expect(basic.body.field).toBe('header.authorization');
    });
  });

  describe('list and filter', () => {
    it('shows a task to its candidate groups only, and filters by group, assignee, process, due date and priority', async () => {
      const pik = await api.start('api-approval', { initiatedBy: 'ada', amount: '10.00', dueDate: '2026-12-01T09:00:00Z', priority: 90, level2Groups: ['approver-l2'] });
      const task = await api.task(pik, 'prepare');
      const mine = await http().get('/api/tasks').query({ processInstanceKey: pik }).set(api.as('sam'));
      expect(mine.status).toBe(200);
      expect(mine.body.map((t: { key: string }) => t.key)).toEqual([task.key]);
      expect((await http().get('/api/tasks').query({ processInstanceKey: pik }).set(api.as('alice'))).body).toEqual([]);
      // overseers read everything
      expect((await http().get('/api/tasks').query({ processInstanceKey: pik }).set(api.as('carl'))).body).toHaveLength(1);
      const q = (query: Record<string, string | number>) => http().get('/api/tasks').query({ processInstanceKey: pik, ...query }).set(api.as('sam'));
      expect((await q({ candidateGroup: 'agent' })).body).toHaveLength(1);
      expect((await q({ candidateGroup: 'approver-l1' })).body).toHaveLength(0);
      expect((await q({ bpmnProcessId: 'api-approval' })).body).toHaveLength(1);
      expect((await q({ bpmnProcessId: 'api-form' })).body).toHaveLength(0);
      expect((await q({ dueBefore: '2026-12-02T00:00:00Z' })).body).toHaveLength(1);
      expect((await q({ dueAfter: '2026-12-02T00:00:00Z' })).body).toHaveLength(0);
      expect((await q({ minPriority: 80 })).body).toHaveLength(1);
      expect((await q({ minPriority: 95 })).body).toHaveLength(0);
      expect((await q({ assignee: 'me' })).body).toHaveLength(0);
      await http().post(`/api/tasks/${task.key}/claim`).set(api.as('sam'));
      expect((await q({ assignee: 'me' })).body).toHaveLength(1);
      await http().post(`/api/tasks/${task.key}/unclaim`).set(api.as('sam'));
    });

    it('names the query field it refuses (400)', async () => {
      const res = await http().get('/api/tasks').query({ minPriority: 'high' }).set(api.as('sam'));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ status: 400, field: 'query.minPriority' });
      const extra = await http().get('/api/tasks').query({ owner: 'sam' }).set(api.as('sam'));
      expect(extra.status).toBe(400);
      expect(extra.body.field).toBe('query.owner');
    });
  });

  describe('object-level authorisation', () => {
    it("answers 404 for a task outside one's groups, as for one that does not exist", async () => {
      const pik = await api.start('api-approval', { initiatedBy: 'ada', amount: '10.00', level2Groups: ['approver-l2'] });
      const task = await api.task(pik, 'prepare');
      expect((await http().get(`/api/tasks/${task.key}`).set(api.as('sam'))).status).toBe(200);
      for (const outsider of ['acme', 'alice', 'eric']) {
        for (const [method, path] of [['get', ''], ['post', '/claim'], ['post', '/unclaim'], ['get', '/comments'], ['get', '/history']] as const) {
          const res = await http()[method](`/api/tasks/${task.key}${path}`).set(api.as(outsider));
          expect(res.status, `${outsider} ${method} ${path}`).toBe(404);
        }
        expect((await http().post(`/api/tasks/${task.key}/completion`).set(api.as(outsider)).send({ variables: {} })).status).toBe(404);
      }
      expect((await http().get('/api/tasks/999999999').set(api.as('sam'))).status).toBe(404);
    });
  });

  describe('claim, unclaim, complete', () => {
    it('claims, refuses a second claimant, unclaims, and needs a claim to complete', async () => {
      const pik = await api.start('api-approval', { initiatedBy: 'ada', amount: '10.00', level2Groups: ['approver-l2'] });
      const task = await api.task(pik, 'prepare');
      expect((await http().post(`/api/tasks/${task.key}/completion`).set(api.as('sam')).send({ variables: {} })).status).toBe(409);
      const claimed = await http().post(`/api/tasks/${task.key}/claim`).set(api.as('sam'));
      expect(claimed.status).toBe(200);
      expect(claimed.body.assignee).toBe('sam');
      // root oversees and can see it, but holds no agent group: SoD refuses, naming the rule
      const root = await http().post(`/api/tasks/${task.key}/claim`).set(api.as('root'));
      expect(root.status).toBe(403);
      expect(root.body.rule).toBe('candidate-group');
      expect((await http().post(`/api/tasks/${task.key}/unclaim`).set(api.as('sam'))).body.assignee).toBeNull();
      expect((await http().post(`/api/tasks/${task.key}/unclaim`).set(api.as('sam'))).status).toBe(409);
      await http().post(`/api/tasks/${task.key}/claim`).set(api.as('sam'));
      const done = await http().post(`/api/tasks/${task.key}/completion`).set(api.as('sam')).send({ variables: { note: 'checked' } });
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({ key: task.key, state: 'COMPLETED', completedBy: 'sam', variables: { note: 'checked', workedBy: 'sam' } });
      expect((await http().post(`/api/tasks/${task.key}/completion`).set(api.as('sam')).send({ variables: {} })).status).toBe(409);
      expect((await http().get(`/api/tasks/${task.key}`).set(api.as('sam'))).body.state).toBe('COMPLETED');
    });

    it('refuses mass assignment: state, status and Herald-set variables cannot be sent (400 naming the field)', async () => {
      const pik = await api.start('api-approval', { initiatedBy: 'ada', amount: '10.00', level2Groups: ['approver-l2'] });
      const task = await api.task(pik, 'prepare');
      await http().post(`/api/tasks/${task.key}/claim`).set(api.as('sam'));
      const top = await http().post(`/api/tasks/${task.key}/completion`).set(api.as('sam')).send({ variables: {}, state: 'COMPLETED' });
      expect(top.status).toBe(400);
      expect(top.body.field).toBe('body.state');
      for (const name of ['status', 'approvals', 'initiatedBy', 'workedBy']) {
        const res = await http().post(`/api/tasks/${task.key}/completion`).set(api.as('sam')).send({ variables: { [name]: 'x' } });
        expect(res.status, name).toBe(400);
        expect(res.body.field).toBe(`variables.${name}`);
      }
      expect((await http().get(`/api/tasks/${task.key}`).set(api.as('sam'))).body.state).toBe('CREATED');
    });

    it('validates variables against the task form: required, types, options, unknown fields', async () => {
      const pik = await api.start('api-form', {});
      const task = await api.task(pik, 'decide-credit');
      expect(task.form).toContain('credit-form');
      await http().post(`/api/tasks/${task.key}/claim`).set(api.as('sam'));
      const complete = (variables: Record<string, unknown>) => http().post(`/api/tasks/${task.key}/completion`).set(api.as('sam')).send({ variables });
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ limit: 10 }, 'variables.decision', /required/],
        [{ decision: 'maybe' }, 'variables.decision', /one of "approve", "reject"/],
        [{ decision: 'approve', limit: '5000' }, 'variables.limit', /number/],
        [{ decision: 'approve', limit: -1 }, 'variables.limit', /at least 0/],
        [{ decision: 'approve', notify: 'yes' }, 'variables.notify', /true or false/],
        [{ decision: 'approve', note: 3 }, 'variables.note', /string/],
        [{ decision: 'approve', riskOverride: true }, 'variables.riskOverride', /not a field/],
      ];
      for (const [variables, field, title] of cases) {
        const res = await complete(variables);
        expect(res.status, JSON.stringify(variables)).toBe(400);
        expect(res.body.field).toBe(field);
        expect(res.body.title).toMatch(title);
      }
      const ok = await complete({ decision: 'approve', limit: 25000, note: 'good payer', notify: true });
      expect(ok.status).toBe(200);
    });

    it('limits the body size (413)', async () => {
      const pik = await api.start('api-approval', { initiatedBy: 'ada', amount: '10.00', level2Groups: ['approver-l2'] });
      const task = await api.task(pik, 'prepare');
      const res = await http().post(`/api/tasks/${task.key}/completion`).set(api.as('sam')).send({ variables: { note: 'x'.repeat(100_000) } });
      expect(res.status).toBe(413);
      expect(res.headers['content-type']).toContain('application/problem+json');
    });
  });

  describe('segregation of duties', () => {
    it('runs two levels with two people; the approvals are recorded by Herald, not the client', async () => {
      const { pik, l1 } = await approvalAtLevel1();
      expect((await http().post(`/api/tasks/${l1.key}/claim`).set(api.as('alice'))).status).toBe(200);
      const a = await http().post(`/api/tasks/${l1.key}/completion`).set(api.as('alice')).send({ variables: { approved: true } });
      expect(a.status).toBe(200);
      expect(a.body.variables.approvals).toEqual([expect.objectContaining({ by: 'alice', level: 1, approved: true })]);
      const l2 = await api.task(pik, 'approve-level-2');
      await http().post(`/api/tasks/${l2.key}/claim`).set(api.as('bob'));
      const b = await http().post(`/api/tasks/${l2.key}/completion`).set(api.as('bob')).send({ variables: { approved: true } });
      expect(b.status).toBe(200);
      expect(b.body.variables.approvals.map((x: { by: string }) => x.by)).toEqual(['alice', 'bob']);
      for (let i = 0; i < 100 && (await api.engine.getInstance(pik))?.state !== 'COMPLETED'; i++) await new Promise((r) => setTimeout(r, 20));
      expect((await api.engine.getInstance(pik))?.state).toBe('COMPLETED');
    });

    it('refuses self-approval (maker-checker) on claim and audits the refusal', async () => {
      const { l1 } = await approvalAtLevel1({ initiatedBy: 'alice' });
      const res = await http().post(`/api/tasks/${l1.key}/claim`).set(api.as('alice'));
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ status: 403, rule: 'maker-checker' });
      expect(res.body.title).toContain('alice initiated');
      const history = await http().get(`/api/tasks/${l1.key}/history`).set(api.as('alice'));
      expect(history.body).toContainEqual(expect.objectContaining({ actor: 'alice', action: 'task.claim', outcome: 'refused', rule: 'maker-checker' }));
    });

    it('refuses the same person at two levels', async () => {
      const { pik, l1 } = await approvalAtLevel1({ level2Groups: ['approver-l1', 'approver-l2'] });
      await http().post(`/api/tasks/${l1.key}/claim`).set(api.as('alice'));
      expect((await http().post(`/api/tasks/${l1.key}/completion`).set(api.as('alice')).send({ variables: { approved: true } })).status).toBe(200);
      const l2 = await api.task(pik, 'approve-level-2');
      const res = await http().post(`/api/tasks/${l2.key}/claim`).set(api.as('alice'));
      expect(res.status).toBe(403);
      expect(res.body.rule).toBe('distinct-approvers');
      expect(res.body.title).toContain('level 1');
    });

    it('refuses the wrong group, and re-checks at completion', async () => {
      const { l1 } = await approvalAtLevel1();
      const wrong = await http().post(`/api/tasks/${l1.key}/claim`).set(api.as('root'));
      expect(wrong.status).toBe(403);
      expect(wrong.body.rule).toBe('candidate-group');
      // alice claims; then alice is found to have initiated it (variables changed under her): completion refuses
      await http().post(`/api/tasks/${l1.key}/claim`).set(api.as('alice'));
      await api.t.db('tasks').where({ key: l1.key }).update({ variables: JSON.stringify({ ...l1.variables, initiatedBy: 'alice' }) });
      const res = await http().post(`/api/tasks/${l1.key}/completion`).set(api.as('alice')).send({ variables: { approved: true } });
      expect(res.status).toBe(403);
      expect(res.body.rule).toBe('maker-checker');
      expect((await http().get(`/api/tasks/${l1.key}`).set(api.as('alice'))).body.state).toBe('CREATED');
      const audit = await http().get('/api/audit').query({ subjectType: 'task', subjectId: l1.key }).set(api.as('carl'));
      expect(audit.body.map((r: { action: string; outcome: string }) => `${r.action}:${r.outcome}`)).toEqual(['task.claim:refused', 'task.claim:allowed', 'task.complete:refused']);
    });
  });

  describe('comments and history', () => {
    it('adds and lists comments; history shows every decision', async () => {
      const pik = await api.start('api-approval', { initiatedBy: 'ada', amount: '10.00', level2Groups: ['approver-l2'] });
      const task = await api.task(pik, 'prepare');
      const created = await http().post(`/api/tasks/${task.key}/comments`).set(api.as('sam')).send({ body: 'Customer called about the due date.' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ author: 'sam', body: 'Customer called about the due date.' });
      const empty = await http().post(`/api/tasks/${task.key}/comments`).set(api.as('sam')).send({ body: '' });
      expect(empty.status).toBe(400);
      expect(empty.body.field).toBe('body.body');
      const extra = await http().post(`/api/tasks/${task.key}/comments`).set(api.as('sam')).send({ body: 'x', author: 'alice' });
      expect(extra.body.field).toBe('body.author');
      expect((await http().get(`/api/tasks/${task.key}/comments`).set(api.as('sam'))).body).toHaveLength(1);
      await http().post(`/api/tasks/${task.key}/claim`).set(api.as('sam'));
      await http().post(`/api/tasks/${task.key}/completion`).set(api.as('sam')).send({ variables: {} });
      const history = await http().get(`/api/tasks/${task.key}/history`).set(api.as('sam'));
      expect(history.status).toBe(200);
      expect(history.body.map((h: { action: string }) => h.action)).toEqual(['task.created', 'task.comment', 'task.claim', 'task.complete']);
    });
  });

  it('completes through the engine route only under the same rules', async () => {
    const pik = await api.start('api-approval', { initiatedBy: 'ada', amount: '10.00', level2Groups: ['approver-l2'] });
    const task = await api.task(pik, 'prepare');
    expect((await http().post(`/api/user-tasks/${task.key}/completion`).set(api.as('sam')).send({})).status).toBe(403);
    const eric = await http().post(`/api/user-tasks/${task.key}/completion`).set(api.as('eric')).send({});
    expect(eric.status).toBe(404);
    const root = await http().post(`/api/user-tasks/${task.key}/completion`).set(api.as('root')).send({});
    expect(root.status).toBe(403);
    expect(root.body.rule).toBe('candidate-group');
  });
});
