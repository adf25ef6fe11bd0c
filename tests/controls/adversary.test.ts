/**
 * The adversary's property test (issue 14): random sequences of people × every route that can
 * move an approval or a release — the tasklist (claim, complete, give back), a request's task
 * route, the engine routes an engineer has (complete a user task, start an instance, publish a
 * message, broadcast a signal) and the ERP's signed events — × random extra variables (control
 * variables among them), on instances whose start may carry a wrong `approvalLevels`, of a
 * diagram drawn right or of one with shortcuts a careless analyst might draw (a signal that skips
 * the first approval, a message that skips the second). Invariants, checked against an oracle
 * written apart from the policy:
 * - nothing is sent without the approvals the policy requires for the communication's amount,
 *   kind and customer risk (as the database holds them), from distinct eligible people who did
 *   not initiate it — whichever instance, of whichever sequence, released it;
 * - every refusal, whatever its status, is on the audit trail (an event's under `system:erp`);
 * - the audit chain verifies at the end.
 * CI runs a small count; `npm run soak` runs 10,000 sequences (HERALD_SOAK=1) on each database.
 * tests/controls/adversary-routes.test.ts drives the same doors with the real processes. */
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/log.js';
import type { JobWorker } from '../../engine/types.js';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { createIdentityRepository } from '../../storage/repositories/identity.js';
import { createTaskRepository } from '../../storage/repositories/tasks.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { APPROVAL_RECORDED } from '../../services/controls.js';
import { sign } from '../../api/services/signature.js';
import deliverCommunication from '../../workers/deliver-communication.js';
import { startWorkers } from '../../workers/index.js';
import { dbKinds } from '../support/db.js';
import { SECRET, startApi, type Api } from '../api/harness.js';
import { required } from './oracle.js';

const SOAK = !!process.env.HERALD_SOAK;
const RUNS = Number(process.env.HERALD_ADVERSARY_RUNS ?? (SOAK ? 10_000 : 25));
const SEED = Number(process.env.HERALD_ADVERSARY_SEED ?? 20261207);

/** People beyond the demo's: a second approver at each level, an approver who also initiates. */
const EXTRA = [
  { id: 'ann', name: 'Ann (approver, level 1)', roles: ['approver' as const], approverLevel: 1, teams: [] },
  { id: 'ben', name: 'Ben (approver, level 2)', roles: ['approver' as const], approverLevel: 2, teams: [] },
  { id: 'ivy', name: 'Ivy (approver, level 2, and an initiator)', roles: ['approver' as const], approverLevel: 2, teams: [] },
];
const LEVEL = { alice: 1, ann: 1, bob: 2, ben: 2, ivy: 2 } as Record<string, number | undefined>;
// approvers come up most often, so that sequences reach the release as well as refusals
const ACTORS = ['alice', 'ann', 'bob', 'ben', 'ivy', 'alice', 'ann', 'bob', 'ben', 'ivy', 'sam', 'eric', 'carl', 'root', 'acme'];
const INITIATORS = ['erp', 'alice', 'ivy', 'bob'];
const AMOUNTS = ['500.00', '10000.00', '10000.01', '49999.99', '50000.00', '50000.01', '60000.00'];
const KINDS = ['transactional', 'dunning', 'legal'] as const;
const CUSTOMERS = { 'C-ACME': 'low', 'C-NORTHWIND': 'high' } as const;

const extraVariables = fc.dictionary(
  fc.constantFrom('approved', 'reason', 'approvalLevels', 'approvals', 'initiatedBy', 'amount', 'workedBy', 'approvedBy2', 'junk', 'kind'),
  fc.constantFrom<unknown>(true, false, 0, 1, 'fine', '1.00', 'ivy', [{ by: 'ann', level: 1, approved: true }, { by: 'ben', level: 2, approved: true }]),
  { maxKeys: 3 },
);
const step = fc.record({
  actor: fc.constantFrom(...ACTORS),
  // a person's usual move (claim, then complete) four times in ten; fc.constantFrom draws each distinct value alike
  route: fc.oneof({ weight: 4, arbitrary: fc.constant('act' as const) }, { weight: 6, arbitrary: fc.constantFrom('claim', 'complete', 'request-complete', 'unclaim', 'engine-complete', 'start', 'publish', 'signal', 'event') }),
  // what an event slips into its data
  control: fc.constantFrom('approvalLevels', 'initiatedBy', 'approvedBy', 'approvals', 'requestedBy', 'approved'),
  task: fc.nat({ max: 3 }),
  bogus: fc.boolean().map((b) => b && Math.random() < 0.1),
  variables: fc.oneof({ weight: 5, arbitrary: fc.constant({ approved: true }) }, { weight: 1, arbitrary: fc.constant({ approved: false, reason: 'no' }) }, { weight: 2, arbitrary: extraVariables }),
});
const sequence = fc.record({
  amount: fc.constantFrom(...AMOUNTS),
  kind: fc.constantFrom(...KINDS),
  diagram: fc.constantFrom('controls-communication', 'controls-shortcuts'),
  customer: fc.constantFrom(...(Object.keys(CUSTOMERS) as (keyof typeof CUSTOMERS)[])),
  initiator: fc.constantFrom(...INITIATORS),
  // what the start claims the policy asks: right, or wrong in either direction
  startLevels: fc.constantFrom(0, 1, 2, -1),
  steps: fc.array(step, { minLength: 1, maxLength: 10 }),
});

describe.each(await dbKinds())('the adversary on %s', (kind) => {
  let api: Api;
  let workers: JobWorker[];
  const queued = new Set<string>();
  const http = () => request(api.app.server);
  let n = 0;
  let eventN = 0;
  const stats = { sequences: 0, sent: 0, refusals: 0, allowed: 0, releaseRefused: 0, routes: {} as Record<string, number> };
  /** What the oracle knows of each communication: the policy's inputs as inserted, and who initiated it. */
  const facts = new Map<string, { kind: string; amount: string; risk: string; initiator: string }>();
  const checked = new Set<string>();

  beforeAll(async () => {
    api = await startApi(kind);
    await seedDemoData(api.t.db);
    await api.engine.deploy(['controls-communication.bpmn', 'controls-shortcuts.bpmn'].map((name) => ({ name, content: fs.readFileSync(path.join(import.meta.dirname, 'fixtures', name)) })));
    const identity = createIdentityRepository(api.t.db);
    for (const u of EXTRA) {
      await identity.upsertUser(u);
      api.tokens[u.id] = await identity.issueToken(u.id, 'adversary');
    }
    const deps = { db: api.t.db, engine: api.engine, now: () => new Date(), delivery: { enqueue: async (id: string) => (queued.add(id), true) } };
    workers = startWorkers(api.engine, deps as never, silentLogger, [deliverCommunication]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all((workers ?? []).map((w) => w.close()));
    await api?.close();
  });

  async function settled(pik: string): Promise<'ended' | 'waiting'> {
    const tasks = createTaskRepository(api.t.db);
    const until = Date.now() + 30_000;
    for (;;) {
      const instance = await api.engine.getInstance(pik);
      if (instance && instance.state !== 'ACTIVE') return 'ended';
      // an incident stops the instance where it is: nothing more happens without an engineer
      if ((await api.engine.listIncidents({ processInstanceKey: pik })).some((i) => i.state === 'ACTIVE')) return 'ended';
      const open = (await api.engine.listUserTasks({ processInstanceKey: pik })).map((t) => t.userTaskKey);
      if (open.length) {
        const rows = await Promise.all(open.map((k) => tasks.get(k)));
        if (rows.every((r) => r?.state === 'CREATED')) return 'waiting';
      }
      if (Date.now() > until) throw new Error(`instance ${pik} did not settle (seed ${SEED}): ${JSON.stringify({ elements: instance?.elements.map((e) => [e.elementId, e.state]), incidents: await api.engine.listIncidents({ processInstanceKey: pik }) })}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Until no release is pending or running (twice in a row): what signals and messages set moving has been decided. */
  async function waitForRest(): Promise<void> {
    const until = Date.now() + 60_000;
    for (let calm = 0; calm < 2; ) {
      const pending = (await api.t.db('engine_jobs').where({ type: 'deliver-communication' }).where((q) => q.where({ state: 'ACTIVATED' }).orWhere((q2) => q2.where({ state: 'ACTIVATABLE' }).where('retries', '>', 0))).count({ n: '*' }).first()) as { n: string | number };
      calm = Number(pending.n) === 0 ? calm + 1 : 0;
      if (Date.now() > until) throw new Error(`releases still pending after 60 s (seed ${SEED})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Every communication handed to delivery and not yet checked: the approvals the policy requires, from distinct eligible people, none of them its initiator. */
  async function checkQueued(): Promise<void> {
    const audit = createAuditRepository(api.t.db);
    for (const id of [...queued].filter((c) => !checked.has(c))) {
      checked.add(id);
      stats.sent++;
      const f = facts.get(id)!;
      const needs = required(f.kind, f.amount, f.risk);
      const approvals = (await audit.list({ subjectType: 'communication', subjectId: id, action: APPROVAL_RECORDED, limit: 100 })).filter((r) => r.detail.approved !== false);
      const people = approvals.map((a) => a.actor);
      expect(new Set(people).size, `${id}: approvals ${people.join(', ')}`).toBe(people.length);
      expect(people).not.toContain(f.initiator);
      expect(people.length, `${id} (${f.kind}, ${f.amount}, ${f.risk} risk) was sent with ${people.length} approvals; the policy requires ${needs} (seed ${SEED})`).toBeGreaterThanOrEqual(needs);
      for (const a of approvals) expect(LEVEL[a.actor], `${a.actor} approved level ${a.detail.level}`).toBe(Number(a.detail.level));
    }
  }

  it(`never sends without the approvals the policy requires, and audits every refusal (${RUNS} sequences)`, { timeout: SOAK ? 0 : 600_000 }, async () => {
    const audit = createAuditRepository(api.t.db);
    await fc.assert(
      fc.asyncProperty(sequence, async (seq) => {
        const id = `adv-${kind}-${++n}`;
        const risk = CUSTOMERS[seq.customer];
        const needs = required(seq.kind, seq.amount, risk);
        await api.t.db('communications').insert({ id, customer_id: seq.customer, template_id: 'invoice-notice', channel: 'email', kind: seq.kind, status: 'rendered', amount: seq.amount, initiated_by: seq.initiator, data: '{}', subject: 'Invoice' });
        const startLevels = seq.startLevels === -1 ? needs : seq.startLevels;
        facts.set(id, { kind: seq.kind, amount: seq.amount, risk, initiator: seq.initiator });
        const { processInstanceKey: pik } = await api.engine.createInstance({ bpmnProcessId: seq.diagram, variables: { communicationId: id, channel: 'email', approvalLevels: startLevels, initiatedBy: seq.initiator } });
        let state = await settled(pik);
        for (const s of seq.steps) {
          if (state === 'ended') break;
          const open = (await api.engine.listUserTasks({ processInstanceKey: pik })).map((t) => t.userTaskKey);
          const key = s.bogus || !open.length ? '9999999999' : open[s.task % open.length];
          const before = (await api.t.db('audit_log').max({ id: 'id' }).first())?.id ?? 0;
          const as = api.as(s.actor);
          stats.routes[s.route] = (stats.routes[s.route] ?? 0) + 1;
          // a person's usual move: claim the task, then complete it (each answer checked below)
          if (s.route === 'act') {
            const claimed = await http().post(`/api/tasks/${key}/claim`).set(as);
            if (claimed.status >= 400) {
              stats.refusals++;
              const rows = await audit.list({ afterId: Number(before), actor: s.actor, outcome: 'refused' });
              expect(rows.length, `claim by ${s.actor} answered ${claimed.status} with no refusal on the audit trail (seed ${SEED})`).toBeGreaterThanOrEqual(1);
              state = await settled(pik);
              continue;
            }
          }
          let actor = s.actor;
          const res =
            s.route === 'engine-complete'
              ? await http().post(`/api/user-tasks/${key}/completion`).set(as).send({ variables: s.variables })
              : s.route === 'start'
                ? // a second instance for the same communication, started by hand
                  await http().post('/api/instances').set(as).send({ bpmnProcessId: seq.diagram, variables: { communicationId: id, channel: 'email', ...s.variables } })
                : s.route === 'publish'
                  ? await http().post('/api/messages').set(as).send({ name: 'approval-override', correlationKey: id, variables: s.variables })
                  : s.route === 'signal'
                    ? await http().post('/api/signals').set(as).send({ signalName: 'approve-everything', variables: s.variables })
                    : s.route === 'event'
                      ? await (() => {
                          // the ERP's door, with a control variable slipped into an invoice's data
                          actor = 'system:erp';
                          const raw = JSON.stringify({ type: 'invoice.issued', source: 'erp', data: { invoiceId: `${id}-E${++eventN}`, customerId: seq.customer, number: `${id}-E${eventN}`, issueDate: '2026-12-01', dueDate: '2026-12-31', paymentTerms: 'net 30 days', amount: seq.amount, currency: 'USD', channel: 'email', ...s.variables, [s.control]: s.control === 'approvalLevels' ? 0 : s.control === 'approved' ? true : 'alice' } });
                          return http().post('/api/events').set('Content-Type', 'application/json').set('Idempotency-Key', `adv-${kind}-event-${eventN}`).set('X-Herald-Signature', sign(SECRET, raw)).send(raw);
                        })()
                      : s.route === 'claim'
              ? await http().post(`/api/tasks/${key}/claim`).set(as)
              : s.route === 'unclaim'
                ? await http().post(`/api/tasks/${key}/unclaim`).set(as)
                : s.route === 'complete' || s.route === 'act'
                  ? await http().post(`/api/tasks/${key}/completion`).set(as).send({ variables: s.variables })
                  : await http().post(`/api/requests/REQ-NOPE/tasks/${key}/completion`).set(as).send({ variables: s.variables });
          if (s.route === 'event') expect(res.status, `an event carrying ${s.control} is refused`).toBe(400);
          if (res.status >= 400) {
            stats.refusals++;
            // the refusal is on the audit trail, by this actor, whatever the status
            const rows = await audit.list({ afterId: Number(before), actor, outcome: 'refused' });
            expect(rows.length, `${s.route} by ${actor} answered ${res.status} ${JSON.stringify(res.body)} with no refusal on the audit trail (seed ${SEED})`).toBeGreaterThanOrEqual(1);
          } else stats.allowed++;
          state = await settled(pik);
        }
        stats.sequences++;
        // long runs show progress (the soak runs 10,000)
        if (stats.sequences % 500 === 0) console.info(`adversary on ${kind}: ${stats.sequences} of ${RUNS} sequences, ${JSON.stringify(stats)}`);
        if (!queued.has(id) && state === 'ended' && (await audit.list({ subjectType: 'communication', subjectId: id, action: 'communication.release', outcome: 'refused' })).length) stats.releaseRefused++;
        // a signal, a message or a second instance may release another sequence's communication: every one handed over so far is checked
        await checkQueued();
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    // what the last signals and messages set moving, once the engine has come to rest
    await waitForRest();
    await checkQueued();
    const verdict = (await http().get('/api/audit/verify').set(api.as('carl'))).body;
    expect(verdict.ok, JSON.stringify(verdict)).toBe(true);
    console.info(`adversary on ${kind}: ${JSON.stringify(stats)}`);
    // both answers were exercised
    expect(stats.refusals).toBeGreaterThan(0);
    expect(stats.allowed).toBeGreaterThan(0);
  });
});
