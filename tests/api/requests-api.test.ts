/**
 * The customer-request API for agents: raise on a customer's behalf, read with the trail,
 * filter, pass on a customer's reply (the waiting instance resumes), complete a request task
 * under the request's duties (403 naming the rule), reopen, metrics. The customer-request
 * process runs with Herald's workers; delivery is stubbed as in tests/requests.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/log.js';
import type { JobWorker } from '../../engine/types.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { createIdentityRepository } from '../../storage/repositories/identity.js';
import { requestRepository } from '../../storage/requests.js';
import { durationToMs } from '../../domain/requests/policy.js';
import { startWorkers, workers } from '../../workers/index.js';
import { REQUEST_RESOURCES, resource } from '../requests/harness.js';
import { dbKinds } from '../support/db.js';
import { startApi, type Api } from './harness.js';

const DELIVERY = new Set(['render-communication', 'deliver-communication', 'archive-communication']);

describe.each(await dbKinds())('requests API on %s', (kind) => {
  let api: Api;
  let running: JobWorker[] = [];
  let fiona: { Authorization: string };
  const http = () => request(api.app.server);

  beforeAll(async () => {
    api = await startApi(kind);
    await seedDemoData(api.t.db);
    await api.engine.deploy(REQUEST_RESOURCES.map(resource));
    const deps = { db: api.t.db, engine: api.engine, now: () => new Date(api.engine.clock.now()) };
    running = startWorkers(api.engine, deps, silentLogger, workers.filter((d) => !DELIVERY.has(d.type)));
    running.push(
      api.engine.createWorker({ type: 'render-communication', handler: async () => ({ outcome: 'complete' }) }),
      api.engine.createWorker({
        type: 'deliver-communication',
        handler: async (job) => {
          const id = String(job.variables.communicationId);
          setTimeout(() => void api.engine.publishMessage({ name: 'delivery-result', correlationKey: id, variables: { deliveryStatus: 'sent' }, timeToLive: 60_000 }).catch(() => undefined), 0);
          return { outcome: 'complete' };
        },
      }),
      api.engine.createWorker({ type: 'archive-communication', handler: async () => ({ outcome: 'complete' }) }),
    );
    const identity = createIdentityRepository(api.t.db);
    await identity.upsertUser({ id: 'fiona', name: 'Fiona (finance agent)', roles: ['agent'], teams: ['finance'] });
    fiona = { Authorization: `Bearer ${await identity.issueToken('fiona', 'requests-api test')}` };
  }, 60_000);
  afterAll(async () => {
    await Promise.all(running.map((w) => w.close()));
    await new Promise((r) => setTimeout(r, 50));
    await api?.close();
  });

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>): Promise<T> {
    for (let i = 0; i < 1000; i++) {
      const v = await probe();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 15));
    }
    throw new Error(`timed out waiting for ${what}`);
  }
  const statusOf = async (reference: string) => (await requestRepository(api.t.db).byReference(reference))?.status;
  const openTask = (requestId: string, elementId: string) => waitFor(`${elementId} of ${requestId}`, async () => (await api.engine.listUserTasks()).find((t) => t.elementId === elementId && t.variables.requestId === requestId));
  const raise = (body: Record<string, unknown>, who = api.as('sam')) => http().post('/api/requests').set(who).send({ customerId: 'C-ACME', subject: 'Invoice 2026-0142 discrepancy', body: 'Contract price expected.', ...body });

  describe('raising a request for a customer', () => {
    it('is for agents: the request gets a reference, its instance starts, the agent is its requester', async () => {
      const res = await raise({ invoiceId: 'INV-2026-0142', category: 'billing-dispute' });
      expect(res.status).toBe(201);
      expect(res.body.reference).toMatch(/^REQ-[0-9A-F]{8}$/);
      expect(res.body.processInstanceKey).toMatch(/^[0-9]+$/);
      const row = await requestRepository(api.t.db).get(res.body.id);
      expect(row).toMatchObject({ customerId: 'C-ACME', intakeChannel: 'api', requestedBy: 'sam', invoiceId: 'INV-2026-0142' });
      const customer = await raise({}, api.as('acme'));
      expect(customer.status).toBe(403);
      expect(customer.body.rule).toBe('role');
      expect((await raise({}, api.as('alice'))).status).toBe(403);
    });

    it('refuses an unknown customer, another customer’s invoice, bad input and oversized bodies, naming the field', async () => {
      const unknown = await raise({ customerId: 'C-NOBODY' });
      expect(unknown.status).toBe(422);
      expect(unknown.body.field).toBe('body.customerId');
      const foreign = await raise({ invoiceId: 'INV-2026-0157' });
      expect(foreign.status).toBe(422);
      expect(foreign.body.field).toBe('body.invoiceId');
      const category = await raise({ category: 'complaint' });
      expect(category.status).toBe(400);
      expect(category.body.field).toBe('body.category');
      const status = await raise({ status: 'resolved' });
      expect(status.status).toBe(400);
      expect(status.body.field).toBe('body.status');
      expect((await raise({ body: 'x'.repeat(40 * 1024) })).status).toBe(413);
    });

    it('takes the sender’s own id once: the same externalId gives the same request', async () => {
      const first = await raise({ externalId: 'ERP-CASE-77', subject: 'Payment not applied' });
      const again = await raise({ externalId: 'ERP-CASE-77', subject: 'Payment not applied' });
      expect(first.status).toBe(201);
      expect(again.body).toMatchObject({ id: 'ERP-CASE-77', reference: first.body.reference, processInstanceKey: first.body.processInstanceKey });
      const elsewhere = await raise({ externalId: 'ERP-CASE-77', customerId: 'C-NORTHWIND' });
      expect(elsewhere.status).toBe(409);
      expect(elsewhere.body.field).toBe('body.externalId');
    });
  });

  describe('working a request', () => {
    it('refuses the requester working it (403 naming the rule, on the trail); another agent resolves it; the customer reopens it', async () => {
      // given sam raised a dispute for acme and it reached finance's review
      const raised = (await raise({ invoiceId: 'INV-2026-0142', category: 'billing-dispute', subject: 'Freight billed twice' })).body;
      const review = await openTask(raised.id, 'review-invoice');
      // when sam, who raised it, tries to work it
      const own = await http().post(`/api/requests/${raised.reference}/tasks/${review.userTaskKey}/completion`).set(api.as('sam')).send({ variables: { needCustomerInfo: false } });
      // then refused with the rule, and the refusal is on the request's trail
      expect(own.status).toBe(403);
      expect(own.headers['content-type']).toContain('application/problem+json');
      expect(own.body.rule).toBe('requester-not-resolver');
      const detail = await http().get(`/api/requests/${raised.reference}`).set(api.as('carl'));
      expect(detail.status).toBe(200);
      expect(detail.body).toMatchObject({ reference: raised.reference, customerId: 'C-ACME', category: 'billing-dispute', team: 'finance', trailIntact: true });
      expect(detail.body.events.map((e: { action: string; actor: string; outcome: string }) => `${e.action}:${e.actor}:${e.outcome}`)).toEqual(expect.arrayContaining(['received:sam:done', 'review-invoice:sam:refused']));
      // a task of another request is not reachable through this one
      expect((await http().post(`/api/requests/${raised.reference}/tasks/999999/completion`).set(fiona).send({})).status).toBe(404);
      // when fiona from finance answers without a correction, the request is resolved
      const done = await http().post(`/api/requests/${raised.reference}/tasks/${review.userTaskKey}/completion`).set(fiona).send({ variables: { needCustomerInfo: false } });
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({ elementId: 'review-invoice', completedBy: 'fiona' });
      await waitFor('resolved', async () => (await statusOf(raised.reference)) === 'resolved');
      // the detail lists what the customer was told: the acknowledgement, then the outcome
      const told = await waitFor('the outcome message', async () => {
        const body = (await http().get(`/api/requests/${raised.reference}`).set(api.as('acme'))).body;
        return body.messages?.length === 2 ? body : undefined;
      });
      expect(told.messages.map((m: { purpose: string; templateId: string; communicationId: string }) => [m.purpose, m.templateId, m.communicationId])).toEqual([
        ['acknowledgement', 'request-acknowledgement', `${raised.id}-ack-0`],
        ['outcome', 'request-resolution', `${raised.id}-result-0`],
      ]);
      // reopening: not by another customer, not twice while open
      expect((await http().post(`/api/requests/${raised.reference}/reopening`).set(api.as('northwind')).send({ reason: 'mine?' })).status).toBe(404);
      const reopened = await http().post(`/api/requests/${raised.reference}/reopening`).set(api.as('acme')).send({ reason: 'The freight is still on the invoice.' });
      expect(reopened.status).toBe(201);
      expect(reopened.body).toMatchObject({ reference: raised.reference, status: 'open', reopenCount: 1 });
      expect(reopened.body.processInstanceKey).not.toBe(raised.processInstanceKey);
      const twice = await http().post(`/api/requests/${raised.reference}/reopening`).set(api.as('acme')).send({ reason: 'again' });
      expect(twice.status).toBe(409);
      expect(twice.body.title).toMatch(/only a resolved request can be reopened/);
      expect((await http().post(`/api/requests/${raised.reference}/reopening`).set(api.as('acme')).send({})).body.field).toBe('body.reason');
      await api.engine.cancelInstance(reopened.body.processInstanceKey);
    });

    it('passes on the customer’s reply to a request waiting on them, and the request resumes', async () => {
      // given a dispute without an invoice: the process asks the customer and waits
      const raised = (await raise({ category: 'billing-dispute', subject: 'One invoice is wrong' })).body;
      await waitFor('waiting on the customer', async () => (await statusOf(raised.reference)) === 'waiting_customer');
      expect((await http().post(`/api/requests/${raised.reference}/replies`).set(api.as('northwind')).send({ text: 'hello' })).status).toBe(404);
      const foreign = await http().post(`/api/requests/${raised.reference}/replies`).set(api.as('acme')).send({ text: 'It is 2026-0157', invoiceId: 'INV-2026-0157' });
      expect(foreign.status).toBe(422);
      expect(foreign.body.field).toBe('body.invoiceId');
      // when acme answers with the invoice
      const replied = await http().post(`/api/requests/${raised.reference}/replies`).set(api.as('acme')).send({ text: 'It is 2026-0142', invoiceId: 'INV-2026-0142' });
      expect(replied.status).toBe(202);
      // then the request resumes and reaches finance with the invoice
      const review = await openTask(raised.id, 'review-invoice');
      expect(review.variables.invoiceId).toBe('INV-2026-0142');
      const again = await http().post(`/api/requests/${raised.reference}/replies`).set(api.as('acme')).send({ text: 'me again' });
      expect(again.status).toBe(409);
      expect(again.body.title).toMatch(/not waiting for the customer/);
      const trail = (await requestRepository(api.t.db).events(raised.id)).map((e) => `${e.action}:${e.actor}`);
      expect(trail).toEqual(expect.arrayContaining(['waiting-on-customer:herald', 'customer-replied:acme', 'resumed:herald']));
    });
  });

  describe('reading requests', () => {
    it('serves the list and the detail from the requests plugin', async () => {
      const res = await http().get('/api/requests').query({ status: 'open' }).set(api.as('sam'));
      expect(res.status, "GET /api/requests is still the first cut in api/routes/customers/index.ts; drop its '/api/requests' resource so this plugin's routes mount").toBe(200);
    });

    it('filters for agents; a customer sees only their own, without the internal trail', async () => {
      const northwinds = (await raise({ customerId: 'C-NORTHWIND', invoiceId: 'INV-2026-0157', subject: 'Skonto fehlt' })).body;
      const all = await http().get('/api/requests').query({ limit: 100 }).set(api.as('sam'));
      expect(all.status).toBe(200);
      expect(all.body.map((r: { reference: string }) => r.reference)).toContain(northwinds.reference);
      const acmeApi = await http().get('/api/requests').query({ customerId: 'C-ACME', intakeChannel: 'api', category: 'billing-dispute' }).set(api.as('sam'));
      expect(acmeApi.status).toBe(200);
      expect(acmeApi.body.length).toBeGreaterThan(0);
      expect(acmeApi.body.every((r: { customerId: string; intakeChannel: string; category: string }) => r.customerId === 'C-ACME' && r.intakeChannel === 'api' && r.category === 'billing-dispute')).toBe(true);
      const bad = await http().get('/api/requests').query({ status: 'pending' }).set(api.as('sam'));
      expect(bad.status).toBe(400);
      expect(bad.body.field).toMatch(/^query\.status/);
      // a customerId filter never widens a customer's view
      const acme = await http().get('/api/requests').query({ customerId: 'C-NORTHWIND' }).set(api.as('acme'));
      expect(acme.status).toBe(200);
      expect(acme.body.length).toBeGreaterThan(0);
      expect(acme.body.every((r: { customerId: string }) => r.customerId === 'C-ACME')).toBe(true);
      expect((await http().get(`/api/requests/${northwinds.reference}`).set(api.as('acme'))).status).toBe(404);
      const own = await http().get(`/api/requests/${northwinds.reference}`).set(api.as('northwind'));
      expect(own.status).toBe(200);
      expect(own.body.events).toBeUndefined();
      // by id as well as by reference
      expect((await http().get(`/api/requests/${northwinds.id}`).set(api.as('northwind'))).body.reference).toBe(northwinds.reference);
    });

    it('the workspace list: SLA clock on each row, filtered by hours left and sorted by least time left, paged', async () => {
      // given two requests routed with an 8-hour budget and their SLA running (set here: the routing itself is tested in tests/requests)
      const a = (await raise({ subject: 'SLA list a' })).body;
      const b = (await raise({ subject: 'SLA list b' })).body;
      const budget = 'PT8H';
      const startedAt = new Date(api.engine.clock.now());
      await api.t.db('customer_requests').whereIn('id', [a.id, b.id]).update({ sla_escalate_after: budget, sla_started_at: startedAt, sla_consumed_ms: 0 });
      // and b has used up most of its budget
      await api.t.db('customer_requests').where({ id: b.id }).update({ sla_consumed_ms: durationToMs(budget) - 30 * 60_000 });
      // when an agent asks for the requests with at most an hour left, least time first
      const soon = await http().get('/api/requests').query({ slaWithinHours: 1, sort: 'sla', limit: 500 }).set(api.as('sam'));
      expect(soon.status).toBe(200);
      const refs = soon.body.map((r: { reference: string }) => r.reference);
      // then b is there with its clock, a (a full budget left) is not
      expect(refs).toContain(b.reference);
      expect(refs).not.toContain(a.reference);
      const row = soon.body.find((r: { reference: string }) => r.reference === b.reference);
      expect(row.sla).toMatchObject({ budget, state: 'running', dueAt: expect.any(String) });
      expect(row.sla.remainingMs).toBeLessThanOrEqual(30 * 60_000);
      const left = soon.body.map((r: { sla: { remainingMs: number } }) => r.sla.remainingMs);
      expect(left).toEqual([...left].sort((x, y) => x - y));
      // sorted by SLA over everything, paged: the first page of one is the least time left
      const first = await http().get('/api/requests').query({ sort: 'sla', limit: 1 }).set(api.as('sam'));
      expect(first.body).toHaveLength(1);
      expect(first.body[0].sla.remainingMs).toBeLessThanOrEqual(row.sla.remainingMs);
      // bad input names the field
      for (const [query, field] of [[{ slaWithinHours: -1 }, 'query.slaWithinHours'], [{ sort: 'oldest' }, 'query.sort']] as const) {
        const bad = await http().get('/api/requests').query(query).set(api.as('sam'));
        expect(bad.status).toBe(400);
        expect(bad.body.field).toMatch(new RegExp(`^${field.replace('.', '\\.')}`));
      }
    });

    it('gives staff the metrics, not customers', async () => {
      const m = await http().get('/api/requests/metrics').set(api.as('sam'));
      expect(m.status).toBe(200);
      expect(m.body.backlog.find((b: { team: string }) => b.team === 'finance')?.open).toBeGreaterThanOrEqual(1);
      expect(m.body.resolutionHours).toHaveProperty('median');
      expect((await http().get('/api/requests/metrics').set(api.as('acme'))).status).toBe(403);
    });

    it('deploys an edited priority table from a decision draft: the next request is prioritised by the new version', async () => {
      // given an analyst's edit: payment questions from 1,000 are high, not medium
      const original = resource('customer-request-priority.dmn').content;
      const rule = /(<rule id="customer-request-priority-r6">[\s\S]*?<outputEntry id="customer-request-priority-r6-o0"><text>)"medium"(<\/text>)/;
      expect(original).toMatch(rule);
      const edited = original.replace(rule, '$1"high"$2');
      const raise = async () => {
        const created = await http().post('/api/requests').set(fiona).send({ customerId: 'C-ACME', subject: 'Did you receive our payment?', body: 'Please confirm the balance.', amount: '2000.00' });
        expect(created.status).toBe(201);
        return waitFor('the request to be prioritised', async () => (await requestRepository(api.t.db).get(created.body.id))?.priority);
      };
      expect(await raise()).toBe('medium');
      // when an analyst saves it as a decision draft and an engineer deploys the draft
      const deployTable = async (xml: string) => {
        const draft = await http().post('/api/decision-drafts').set(api.as('ada')).send({ decisionRequirementsId: 'customer-request-priority-definitions', xml });
        expect(draft.status, JSON.stringify(draft.body)).toBe(201);
        const deployed = await http().post(`/api/decision-drafts/${draft.body.id}/deployment`).set(api.as('eric')).send({});
        expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
      };
      await deployTable(edited);
      // then the next request takes the new version's answer
      expect(await raise()).toBe('high');
      // and the table goes back the same way
      await deployTable(original);
      expect(await raise()).toBe('medium');
    });
  });
});
