/**
 * The adversary on every route that can make Herald send (issue 14): the real processes of
 * processes/ and the real workers, driven through every door from outside — the ERP's signed
 * events (with control variables slipped into their data), the customer portal (disputes, claims
 * on approval tasks), the engine routes an engineer has (start an instance, publish a message,
 * broadcast a signal, complete a user task), and the tasklist — by random people, among them
 * one who is both engineer and approver. Invariants, checked against the database and an oracle
 * written apart from the policy (./oracle.ts):
 * - a communication is handed to delivery only with the approvals the policy requires for the
 *   amount it is about (its invoice's amount as recorded, whatever the variables said), its kind
 *   and its customer's risk, from distinct people at the right levels, none of them its initiator
 *   (for an instance started by hand, the engineer who started it);
 * - an adjustment is booked only with the approvals its chain and the amount thresholds require,
 *   from distinct people, none of them its proposer or requester (nor, for a refund or contract
 *   change, the customer's account manager);
 * - every refusal, whatever its route and status, is on the audit trail (a refused event under
 *   its verified sender, `system:erp`);
 * - the audit chain verifies at the end.
 * CI runs a small count on each database; `npm run soak` runs 1,000 (HERALD_ROUTES_RUNS sets it;
 * HERALD_ROUTES_TRACE=1 prints each step with the open tasks and incidents).
 */
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/log.js';
import type { JobWorker } from '../../engine/types.js';
import { sign } from '../../api/services/signature.js';
import { APPROVAL_RECORDED } from '../../services/controls.js';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { createIdentityRepository } from '../../storage/repositories/identity.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { seedTemplateLibrary } from '../../storage/templates.js';
import { startWorkers } from '../../workers/index.js';
import { dbKinds } from '../support/db.js';
import { SECRET, startApi, type Api } from '../api/harness.js';
import { adjustmentRequired, required } from './oracle.js';

const SOAK = !!process.env.HERALD_SOAK;
const RUNS = Number(process.env.HERALD_ROUTES_RUNS ?? (SOAK ? 1_000 : 12));
const SEED = Number(process.env.HERALD_ROUTES_SEED ?? 20261208);
const processes = path.resolve('processes');

const EXTRA = [
  { id: 'ann', name: 'Ann (approver, level 1)', roles: ['approver' as const], approverLevel: 1, teams: ['finance-lead', 'customer-service-lead', 'credit'] },
  { id: 'ben', name: 'Ben (approver, level 2)', roles: ['approver' as const], approverLevel: 2, teams: ['finance-controller', 'credit-committee'] },
  // the insider: may start instances, work requests and approve
  { id: 'max', name: 'Max (engineer, agent and approver, level 2)', roles: ['engineer' as const, 'agent' as const, 'approver' as const], approverLevel: 2, teams: ['finance', 'finance-controller'] },
];
const LEVEL = { alice: 1, ann: 1, bob: 2, ben: 2, max: 2 } as Record<string, number | undefined>;
const APPROVERS = ['alice', 'ann', 'bob', 'ben', 'max'];
const AMOUNTS = ['500.00', '10000.01', '49999.99', '60000.00'];
const CUSTOMERS = { 'C-ACME': { risk: 'low', user: 'acme', currency: 'USD' }, 'C-NORTHWIND': { risk: 'high', user: 'northwind', currency: 'EUR' } } as const;
type CustomerId = keyof typeof CUSTOMERS;
/** The library's templates that print an invoice's amount (as their texts read). */
const PRINTS_INVOICE_AMOUNT = /^(invoice-notice|payment-reminder-.*|dunning-escalation|payment-confirmation|corrected-invoice)$/;
const PEOPLE_VARIABLES = ['approvalLevels', 'initiatedBy', 'approvedBy', 'approvals', 'requestedBy'];

const step = fc.oneof(
  { weight: 6, arbitrary: fc.record({ route: fc.constant('act' as const), actor: fc.constantFrom(...APPROVERS), task: fc.nat({ max: 1 }), approve: fc.boolean().map((b) => b || Math.random() < 0.8) }) },
  { weight: 4, arbitrary: fc.record({ route: fc.constant('approve' as const), actor: fc.constantFrom(...APPROVERS), task: fc.nat({ max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ route: fc.constant('start' as const), actor: fc.constantFrom('eric', 'max', 'root', 'alice'), kind: fc.constantFrom('transactional', 'dunning', 'legal'), invoice: fc.constantFrom('own', 'other', 'none'), amount: fc.constantFrom<string | null>('1.00', null), inject: fc.option(fc.constantFrom(...PEOPLE_VARIABLES), { nil: undefined, freq: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ route: fc.constant('publish' as const), actor: fc.constantFrom('eric', 'max'), inject: fc.option(fc.constantFrom(...PEOPLE_VARIABLES), { nil: undefined, freq: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ route: fc.constant('signal' as const), actor: fc.constantFrom('eric', 'max'), inject: fc.option(fc.constantFrom(...PEOPLE_VARIABLES), { nil: undefined, freq: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ route: fc.constant('engine-complete' as const), actor: fc.constantFrom('eric', 'max', 'root'), task: fc.nat({ max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ route: fc.constant('dispute' as const), own: fc.boolean().map((b) => b || Math.random() < 0.7) }) },
  { weight: 3, arbitrary: fc.record({ route: fc.constant('propose' as const), actor: fc.constantFrom('sam', 'sam', 'alice', 'max'), task: fc.nat({ max: 3 }), amount: fc.constantFrom('500.00', '12500.00', '60000.00') }) },
  { weight: 1, arbitrary: fc.record({ route: fc.constant('customer-claim' as const), task: fc.nat({ max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ route: fc.constant('event-inject' as const), field: fc.constantFrom(...PEOPLE_VARIABLES, 'approved') }) },
);
const sequence = fc.record({
  amount: fc.constantFrom(...AMOUNTS),
  customer: fc.constantFrom(...(Object.keys(CUSTOMERS) as CustomerId[])),
  steps: fc.array(step, { minLength: 2, maxLength: 10 }),
});

describe.each(await dbKinds())('the adversary on every route that can send, on %s', (kind) => {
  let api: Api;
  let workers: JobWorker[];
  const queued: string[] = [];
  const http = () => request(api.app.server);
  /** What the oracle knows of each communication id prefix: the invoice it is about, who started it by hand. */
  const invoiceOf = new Map<string, string>();
  const starterOf = new Map<string, string>();
  const stats = { sequences: 0, sent: 0, booked: 0, refusals: 0, allowed: 0, steps: {} as Record<string, number> };
  let n = 0;
  let eventN = 0;

  const event = (body: unknown) => {
    const raw = JSON.stringify(body);
    return http().post('/api/events').set('Content-Type', 'application/json').set('Idempotency-Key', `adv-routes-${kind}-${++eventN}`).set('X-Herald-Signature', sign(SECRET, raw)).send(raw);
  };
  const invoiceEvent = (invoiceId: string, customerId: CustomerId, amount: string, extra: Record<string, unknown> = {}) =>
    event({ type: 'invoice.issued', source: 'erp', data: { invoiceId, customerId, number: invoiceId.slice(4), issueDate: '2026-12-01', dueDate: '2026-12-31', paymentTerms: 'net 30 days', amount, currency: CUSTOMERS[customerId].currency, channel: 'email', ...extra } });

  beforeAll(async () => {
    api = await startApi(kind);
    await seedDemoData(api.t.db);
    await seedTemplateLibrary(api.t.db);
    const resources = fs.readdirSync(processes).filter((f) => /\.(bpmn|dmn|form)$/.test(f));
    await api.engine.deploy(resources.map((name) => ({ name, content: fs.readFileSync(path.join(processes, name)) })));
    const identity = createIdentityRepository(api.t.db);
    for (const u of EXTRA) {
      await identity.upsertUser(u);
      api.tokens[u.id] = await identity.issueToken(u.id, 'adversary');
    }
    const now = () => new Date(api.engine.clock.now());
    // delivery as the real service answers it: handed over, then reported sent (so requests go on after their acknowledgement)
    const delivery = {
      enqueue: async (id: string) => {
        queued.push(id);
        void api.engine.publishMessage({ name: 'delivery-result', correlationKey: id, messageId: `delivery-result-${id}`, timeToLive: 86_400_000, variables: { deliveryStatus: 'sent', providerMessageId: `test-${id}` } }).catch(() => undefined);
        return true;
      },
    };
    workers = startWorkers(api.engine, { db: api.t.db, engine: api.engine, now, delivery, baseUrl: 'http://herald.test' } as never, silentLogger);
  }, 180_000);
  afterAll(async () => {
    await Promise.all((workers ?? []).map((w) => w.close()));
    await api?.close();
  });

  const workerTypes = () => new Set(workers.map((w) => w.type));
  /** Waits until nothing moves: no job a running worker could take, and the tasklist holds every open user task. */
  async function quiet(): Promise<void> {
    const types = workerTypes();
    const until = Date.now() + 60_000;
    for (let calm = 0; calm < 3; ) {
      const jobs = (await api.t.db('engine_jobs').whereIn('state', ['ACTIVATABLE', 'ACTIVATED']).select('type', 'state', 'retries')) as { type: string; state: string; retries: number }[];
      const busy = jobs.some((j) => j.state === 'ACTIVATED' || (j.retries > 0 && (types.has(j.type) || j.type.startsWith('herald:'))));
      const open = (await api.t.db('engine_user_tasks').where({ state: 'CREATED' }).select('key')).map((r) => String(r.key));
      const known = open.length ? ((await api.t.db('tasks').whereIn('key', open).where({ state: 'CREATED' }).count({ n: '*' }).first()) as { n: string | number }).n : 0;
      calm = !busy && Number(known) === open.length ? calm + 1 : 0;
      if (Date.now() > until) throw new Error(`the platform did not come to rest (seed ${SEED}): ${JSON.stringify(jobs)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  // newest first: a step's task index falls on what this sequence opened more often than not
  const openTasks = async (bpmnProcessId?: string, elementPrefix?: string) =>
    (
      await api.t
        .db('tasks')
        .where({ state: 'CREATED', ...(bpmnProcessId && { bpmn_process_id: bpmnProcessId }) })
        .where('element_id', 'like', `${elementPrefix ?? ''}%`)
        .orderByRaw('length(key) desc, key desc')
        .select('key')
    ).map((r) => String(r.key));

  it(`hands nothing to delivery without the approvals the policy requires, and audits every refusal on every route (${RUNS} sequences)`, { timeout: SOAK ? 0 : 600_000 }, async () => {
    const audit = createAuditRepository(api.t.db);
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(sequence, async (seq) => {
        const id = ++n;
        const invoiceId = `INV-ADV-${kind}-${id}`;
        const other = (Object.keys(CUSTOMERS) as CustomerId[]).find((c) => c !== seq.customer)!;
        const otherInvoice = other === 'C-ACME' ? 'INV-2026-0142' : 'INV-2026-0157';
        invoiceOf.set(`${invoiceId}-`, invoiceId);
        const issued = await invoiceEvent(invoiceId, seq.customer, seq.amount);
        expect(issued.status, JSON.stringify(issued.body)).toBe(202);
        await quiet();
        for (const [i, s] of seq.steps.entries()) {
          stats.steps[s.route] = (stats.steps[s.route] ?? 0) + 1;
          const before = Number((await api.t.db('audit_log').max({ id: 'id' }).first())?.id ?? 0);
          const tasks = await openTasks();
          const pick = (k: number) => (tasks.length ? tasks[k % tasks.length] : '9999999999');
          let res: request.Response;
          let actor: string;
          switch (s.route) {
            case 'act': {
              actor = s.actor;
              const key = pick(s.task);
              res = await http().post(`/api/tasks/${key}/claim`).set(api.as(actor));
              if (res.status < 400) res = await http().post(`/api/tasks/${key}/completion`).set(api.as(actor)).send({ variables: s.approve ? { approved: true } : { approved: false, reason: 'not this one' } });
              break;
            }
            case 'start': {
              actor = s.actor;
              const communicationId = `${invoiceId}-direct-${i}`;
              if (s.invoice !== 'none') invoiceOf.set(communicationId, s.invoice === 'own' ? invoiceId : otherInvoice);
              starterOf.set(communicationId, actor);
              const variables: Record<string, unknown> = { communicationId, templateId: 'invoice-notice', kind: s.kind, channel: 'email', customerId: seq.customer, amount: s.amount, ...(s.invoice !== 'none' && { invoiceId: s.invoice === 'own' ? invoiceId : otherInvoice }) };
              if (s.inject) variables[s.inject] = s.inject === 'approvalLevels' ? 0 : 'erp';
              res = await http().post('/api/instances').set(api.as(actor)).send({ bpmnProcessId: 'customer-communication', variables });
              break;
            }
            case 'publish': {
              actor = s.actor;
              // a second dunning for the same invoice, started by hand with an understated amount
              const variables: Record<string, unknown> = { invoiceId, customerId: seq.customer, amount: '1.00', currency: CUSTOMERS[seq.customer].currency, channel: 'email', number: invoiceId.slice(4), issueDate: '2026-12-01', dueDate: '2026-12-31', paymentTerms: 'net 30 days' };
              if (s.inject) variables[s.inject] = s.inject === 'approvalLevels' ? 0 : 'erp';
              res = await http().post('/api/messages').set(api.as(actor)).send({ name: 'invoice-issued', correlationKey: `${invoiceId}-by-hand-${i}`, variables });
              break;
            }
            case 'signal': {
              actor = s.actor;
              res = await http().post('/api/signals').set(api.as(actor)).send({ signalName: 'approve-everything', variables: s.inject ? { [s.inject]: s.inject === 'approvalLevels' ? 0 : 'erp' } : { approved: true } });
              break;
            }
            case 'engine-complete': {
              actor = s.actor;
              res = await http().post(`/api/user-tasks/${pick(s.task)}/completion`).set(api.as(actor)).send({ variables: { approved: true } });
              break;
            }
            case 'dispute': {
              actor = s.own ? CUSTOMERS[seq.customer].user : CUSTOMERS[other].user;
              res = await http().post('/api/portal/requests').set(api.as(actor)).send({ subject: 'This amount is wrong', body: 'We dispute it.', invoiceId });
              if (res.status === 201) invoiceOf.set(`${res.body.id}-`, invoiceId);
              break;
            }
            case 'approve': {
              // an approver takes one of the newest approval tasks, of any process
              actor = s.actor;
              const approvals = await openTasks(undefined, 'approve-');
              const key = approvals.length ? approvals[s.task % approvals.length] : pick(s.task);
              res = await http().post(`/api/tasks/${key}/claim`).set(api.as(actor));
              if (res.status < 400) res = await http().post(`/api/tasks/${key}/completion`).set(api.as(actor)).send({ variables: { approved: true } });
              break;
            }
            case 'propose': {
              // an agent works a request's task, proposing a credit
              actor = s.actor;
              const requestTasks = await openTasks('customer-request');
              const key = requestTasks.length ? requestTasks[s.task % requestTasks.length] : pick(s.task);
              res = await http().post(`/api/tasks/${key}/claim`).set(api.as(actor));
              if (res.status < 400) res = await http().post(`/api/tasks/${key}/completion`).set(api.as(actor)).send({ variables: { adjustmentAmount: s.amount, adjustmentReason: 'billed at list price' } });
              break;
            }
            case 'customer-claim': {
              actor = CUSTOMERS[seq.customer].user;
              res = await http().post(`/api/tasks/${pick(s.task)}/claim`).set(api.as(actor));
              break;
            }
            case 'event-inject': {
              actor = 'system:erp';
              res = await invoiceEvent(`${invoiceId}-X${i}`, seq.customer, seq.amount, { [s.field]: s.field === 'approvalLevels' ? 0 : s.field === 'approved' ? true : 'alice' });
              expect(res.status, 'an event with a control variable in its data is refused').toBe(400);
              expect(res.body.field).toBe(`body.data.${s.field}`);
              break;
            }
          }
          if (process.env.HERALD_ROUTES_TRACE) console.info(`${id}.${i} ${s.route} by ${actor}: ${res.status} ${res.status >= 400 ? res.body.title : ''} · open: ${JSON.stringify(await api.t.db('tasks').where({ state: 'CREATED' }).select('key', 'element_id', 'candidate_groups'))} · incidents ${JSON.stringify((await api.engine.listIncidents({ state: 'ACTIVE' })).map((x) => x.errorMessage.slice(0, 120)))}`);
          if (res.status >= 400) {
            stats.refusals++;
            const rows = await audit.list({ afterId: before, actor, outcome: 'refused' });
            expect(rows.length, `${s.route} by ${actor} answered ${res.status} ${JSON.stringify(res.body)} with no refusal on the audit trail (seed ${SEED})`).toBeGreaterThanOrEqual(1);
          } else stats.allowed++;
          await quiet();
        }
        stats.sequences++;
        if (stats.sequences % 100 === 0) console.info(`adversary on every route (${kind}): ${stats.sequences} of ${RUNS} sequences, ${JSON.stringify(stats)}`);
        // every communication handed to delivery so far, checked once against the database
        for (const communicationId of queued.filter((c) => !seen.has(c))) {
          seen.add(communicationId);
          stats.sent++;
          const row = (await api.t.db('communications').where({ id: communicationId }).first()) as { kind: string; customer_id: string; initiated_by: string | null; template_id: string; amount: string | null };
          const about = invoiceOf.get(communicationId) ?? [...invoiceOf.entries()].find(([prefix]) => prefix.endsWith('-') && communicationId.startsWith(prefix))?.[1];
          const invoice = about ? ((await api.t.db('invoices').where({ id: about }).first()) as { amount: string; customer_id: string } | undefined) : undefined;
          expect(invoice?.customer_id ?? row.customer_id, `${communicationId} went to the customer of its invoice`).toBe(row.customer_id);
          const risk = CUSTOMERS[row.customer_id as CustomerId].risk;
          // a message that prints its invoice's amount is about that amount, whatever its variables said
          const amount = invoice && PRINTS_INVOICE_AMOUNT.test(row.template_id) ? String(invoice.amount) : row.amount;
          const needs = required(row.kind, amount, risk);
          const approvals = (await audit.list({ subjectType: 'communication', subjectId: communicationId, action: APPROVAL_RECORDED, limit: 100 })).filter((r) => r.detail.approved !== false);
          const people = approvals.map((a) => a.actor);
          expect(new Set(people).size, `${communicationId}: approvals ${people.join(', ')}`).toBe(people.length);
          expect(people.length, `${communicationId} (${row.template_id}, ${row.kind}, invoice ${about ?? 'none'} of ${invoice?.amount ?? '-'}, amount ${amount}, ${risk} risk) was handed to delivery with ${people.length} approvals; the policy requires ${needs} (seed ${SEED})`).toBeGreaterThanOrEqual(needs);
          const starter = starterOf.get(communicationId);
          if (starter) expect(row.initiated_by, `${communicationId} was started by ${starter}`).toBe(starter);
          if (row.initiated_by) expect(people, `${communicationId}: its initiator approved it`).not.toContain(row.initiated_by);
          for (const a of approvals) expect(LEVEL[a.actor], `${a.actor} approved ${communicationId} at level ${a.detail.level}`).toBe(Number(a.detail.level));
        }
        // every adjustment booked so far, checked once against the database and the audit trail
        for (const adj of (await api.t.db('request_adjustments').where({ status: 'applied' }).select('id', 'request_id', 'kind', 'amount', 'proposed_by', 'approval_groups')) as { id: string; request_id: string; kind: string; amount: string; proposed_by: string; approval_groups: unknown }[]) {
          if (seen.has(adj.id)) continue;
          seen.add(adj.id);
          stats.booked++;
          const chain = (typeof adj.approval_groups === 'string' ? JSON.parse(adj.approval_groups) : adj.approval_groups ?? []) as unknown[];
          const req = (await api.t.db('customer_requests').where({ id: adj.request_id }).first('requested_by', 'customer_id')) as { requested_by: string; customer_id: string };
          const manager = ((await api.t.db('customers').where({ id: req.customer_id }).first('account_manager')) as { account_manager: string | null }).account_manager;
          const approvals = (await audit.list({ subjectType: 'adjustment', subjectId: adj.id, action: APPROVAL_RECORDED, limit: 100 })).filter((r) => r.detail.approved !== false);
          const people = approvals.map((a) => a.actor);
          const needs = Math.max(chain.length, adjustmentRequired(adj.kind, String(adj.amount)));
          expect(new Set(people).size, `${adj.id}: approvals ${people.join(', ')}`).toBe(people.length);
          expect(people.length, `adjustment ${adj.id} of ${adj.amount} was booked with ${people.length} approvals; it needs ${needs} (seed ${SEED})`).toBeGreaterThanOrEqual(needs);
          expect(people, `${adj.id}: its proposer approved it`).not.toContain(adj.proposed_by);
          expect(people, `${adj.id}: its requester approved it`).not.toContain(req.requested_by);
          if (['refund', 'contract'].includes(adj.kind) && manager) expect(people, `${adj.id}: the account manager approved a ${adj.kind}`).not.toContain(manager);
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    const verdict = (await http().get('/api/audit/verify').set(api.as('carl'))).body;
    expect(verdict.ok, JSON.stringify(verdict)).toBe(true);
    console.info(`adversary on every route (${kind}): ${JSON.stringify(stats)}`);
    expect(stats.refusals).toBeGreaterThan(0);
    expect(stats.allowed).toBeGreaterThan(0);
    expect(stats.sent, 'some communications went out: the property was exercised').toBeGreaterThan(0);
    // bookings need a dispute, a proposal and the right approvers in one sequence: the CI count reaches one or two, the soak many
    if (SOAK) expect(stats.booked, 'some adjustments were booked').toBeGreaterThan(0);
  });
});
