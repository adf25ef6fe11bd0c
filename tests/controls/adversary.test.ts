/**
 * The adversary's property test (issue 14): random sequences of people × every route that can
 * complete, claim or give back a task (the tasklist, a request's task route) × random extra
 * variables (control variables among them), on instances whose start may carry a wrong
 * `approvalLevels`. Invariants, checked against an oracle written apart from the policy:
 * - nothing is sent without the approvals the policy requires for the communication's amount,
 *   kind and customer risk (as the database holds them), from distinct eligible people who did
 *   not initiate it;
 * - every refusal, whatever its status, is on the audit trail;
 * - the audit chain verifies at the end.
 * CI runs a small count; `npm run soak` runs 10,000 sequences (HERALD_SOAK=1) on each database.
 */
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
import deliverCommunication from '../../workers/deliver-communication.js';
import { startWorkers } from '../../workers/index.js';
import { dbKinds } from '../support/db.js';
import { startApi, type Api } from '../api/harness.js';
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
  route: fc.constantFrom('act', 'act', 'act', 'act', 'claim', 'complete', 'request-complete', 'unclaim'),
  task: fc.nat({ max: 3 }),
  bogus: fc.boolean().map((b) => b && Math.random() < 0.1),
  variables: fc.oneof({ weight: 5, arbitrary: fc.constant({ approved: true }) }, { weight: 1, arbitrary: fc.constant({ approved: false, reason: 'no' }) }, { weight: 2, arbitrary: extraVariables }),
});
const sequence = fc.record({
  amount: fc.constantFrom(...AMOUNTS),
  kind: fc.constantFrom(...KINDS),
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
  const stats = { sequences: 0, sent: 0, refusals: 0, allowed: 0, releaseRefused: 0 };

  beforeAll(async () => {
    api = await startApi(kind);
    await seedDemoData(api.t.db);
    await api.engine.deploy([{ name: 'controls-communication.bpmn', content: fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'controls-communication.bpmn')) }]);
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

  it(`never sends without the approvals the policy requires, and audits every refusal (${RUNS} sequences)`, { timeout: SOAK ? 0 : 600_000 }, async () => {
    const audit = createAuditRepository(api.t.db);
    await fc.assert(
      fc.asyncProperty(sequence, async (seq) => {
        const id = `adv-${kind}-${++n}`;
        const risk = CUSTOMERS[seq.customer];
        const needs = required(seq.kind, seq.amount, risk);
        await api.t.db('communications').insert({ id, customer_id: seq.customer, template_id: 'invoice-notice', channel: 'email', kind: seq.kind, status: 'rendered', amount: seq.amount, initiated_by: seq.initiator, data: '{}', subject: 'Invoice' });
        const startLevels = seq.startLevels === -1 ? needs : seq.startLevels;
        const { processInstanceKey: pik } = await api.engine.createInstance({ bpmnProcessId: 'controls-communication', variables: { communicationId: id, channel: 'email', approvalLevels: startLevels, initiatedBy: seq.initiator } });
        let state = await settled(pik);
        for (const s of seq.steps) {
          if (state === 'ended') break;
          const open = (await api.engine.listUserTasks({ processInstanceKey: pik })).map((t) => t.userTaskKey);
          const key = s.bogus || !open.length ? '9999999999' : open[s.task % open.length];
          const before = (await api.t.db('audit_log').max({ id: 'id' }).first())?.id ?? 0;
          const as = api.as(s.actor);
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
          const res =
            s.route === 'claim'
              ? await http().post(`/api/tasks/${key}/claim`).set(as)
              : s.route === 'unclaim'
                ? await http().post(`/api/tasks/${key}/unclaim`).set(as)
                : s.route === 'complete' || s.route === 'act'
                  ? await http().post(`/api/tasks/${key}/completion`).set(as).send({ variables: s.variables })
                  : await http().post(`/api/requests/REQ-NOPE/tasks/${key}/completion`).set(as).send({ variables: s.variables });
          if (res.status >= 400) {
            stats.refusals++;
            // the refusal is on the audit trail, by this actor, whatever the status
            const rows = await audit.list({ afterId: Number(before), actor: s.actor, outcome: 'refused' });
            expect(rows.length, `${s.route} by ${s.actor} answered ${res.status} ${JSON.stringify(res.body)} with no refusal on the audit trail (seed ${SEED})`).toBeGreaterThanOrEqual(1);
          } else stats.allowed++;
          state = await settled(pik);
        }
        stats.sequences++;
        // long runs show progress (the soak runs 10,000)
        if (stats.sequences % 500 === 0) console.info(`adversary on ${kind}: ${stats.sequences} of ${RUNS} sequences, ${JSON.stringify(stats)}`);
        const approvals = (await audit.list({ subjectType: 'communication', subjectId: id, action: APPROVAL_RECORDED, limit: 100 })).filter((r) => r.detail.approved !== false);
        if (!queued.has(id)) {
          if (state === 'ended' && (await audit.list({ subjectType: 'communication', subjectId: id, action: 'communication.release', outcome: 'refused' })).length) stats.releaseRefused++;
          return;
        }
        stats.sent++;
        // sent: the approvals the policy requires, from distinct eligible people, none of them the initiator
        const people = approvals.map((a) => a.actor);
        expect(new Set(people).size, `${id}: approvals ${people.join(', ')}`).toBe(people.length);
        expect(people).not.toContain(seq.initiator);
        expect(people.length, `${id} (${seq.kind}, ${seq.amount}, ${risk} risk) was sent with ${people.length} approvals; the policy requires ${needs}`).toBeGreaterThanOrEqual(needs);
        for (const a of approvals) expect(LEVEL[a.actor], `${a.actor} approved level ${a.detail.level}`).toBe(Number(a.detail.level));
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    const verdict = (await http().get('/api/audit/verify').set(api.as('carl'))).body;
    expect(verdict.ok, JSON.stringify(verdict)).toBe(true);
    console.info(`adversary on ${kind}: ${JSON.stringify(stats)}`);
    // both answers were exercised
    expect(stats.refusals).toBeGreaterThan(0);
    expect(stats.allowed).toBeGreaterThan(0);
  });
});
