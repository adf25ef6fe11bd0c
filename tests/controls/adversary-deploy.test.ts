/**
 * The adversary against every route that deploys (issue 14): random people save process and
 * decision drafts, deploy drafts by id, send the content of drafts (theirs, others', none) to the
 * direct deployment route, with and without overrides. Invariants, read from the database after
 * each sequence: every version deployed came from a draft that someone other than its deployer
 * authored, and its deployer is an engineer; every refusal of a signed-in person is on the audit
 * trail; the chain verifies. CI runs a small count; `npm run soak` runs 10,000 sequences.
 */
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { createIdentityRepository } from '../../storage/repositories/identity.js';
import { dbKinds } from '../support/db.js';
import { startApi, type Api } from '../api/harness.js';

const SOAK = !!process.env.HERALD_SOAK;
const RUNS = Number(process.env.HERALD_ADVERSARY_RUNS ?? (SOAK ? 10_000 : 12));
const SEED = Number(process.env.HERALD_ADVERSARY_SEED ?? 20261207);
const ENGINEERS = new Set(['eric', 'eve']);
const ACTORS = ['ada', 'eric', 'eve', 'eric', 'eve', 'alice', 'carl', 'root', 'acme'];

const bpmn = (id: string, label: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-${id}" targetNamespace="http://herald.example/tests">
  <bpmn:process id="${id}" name="${label}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="work" name="Work"><bpmn:extensionElements><zeebe:taskDefinition type="adversary-work" /></bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>`;
const dmn = (id: string, label: string) => `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="${id}" name="${label}" namespace="http://herald.test/dmn">
  <decision id="${id}-band" name="band">
    <decisionTable id="${id}-t" hitPolicy="FIRST">
      <input id="${id}-i"><inputExpression id="${id}-ie" typeRef="number"><text>points</text></inputExpression></input>
      <output id="${id}-o" name="band" typeRef="string" />
      <rule id="${id}-r"><inputEntry id="${id}-ri"><text>&lt; 10</text></inputEntry><outputEntry id="${id}-ro"><text>"${label}"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>`;

const step = fc.record({
  actor: fc.constantFrom(...ACTORS),
  action: fc.constantFrom('save', 'save', 'deploy-draft', 'deploy-content', 'deploy-content', 'save-decision', 'deploy-decision'),
  label: fc.constantFrom('A', 'B'),
  pick: fc.nat({ max: 5 }),
  override: fc.boolean(),
});

describe.each(await dbKinds())('the deploying adversary on %s', (kind) => {
  let api: Api;
  const http = () => request(api.app.server);
  let n = 0;
  const stats = { sequences: 0, deployed: 0, refusals: 0 };

  beforeAll(async () => {
    api = await startApi(kind);
    const identity = createIdentityRepository(api.t.db);
    await identity.upsertUser({ id: 'eve', name: 'Eve (engineer)', roles: ['engineer'], teams: [] });
    api.tokens.eve = await identity.issueToken('eve', 'adversary');
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it(`deploys only drafts authored by someone else, by an engineer; audits every refusal (${RUNS} sequences)`, { timeout: SOAK ? 0 : 600_000 }, async () => {
    const audit = createAuditRepository(api.t.db);
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        const processId = `adv-deploy-${kind}-${++n}`;
        const drgId = `advdrg${kind}${n}`;
        const drafts: string[] = [];
        const decisionDrafts: string[] = [];
        for (const s of steps) {
          const before = Number((await api.t.db('audit_log').max({ id: 'id' }).first())?.id ?? 0);
          const as = api.as(s.actor);
          const override = s.override ? { override: { reason: 'the adversary says the tests are wrong' } } : {};
          let res;
          if (s.action === 'save') {
            res = await http().post('/api/drafts').set(as).send({ bpmnProcessId: processId, xml: bpmn(processId, s.label) });
            if (res.status === 201) drafts.push(res.body.id);
          } else if (s.action === 'deploy-draft') {
            res = await http().post(`/api/drafts/${drafts[s.pick % Math.max(1, drafts.length)] ?? '00000000-0000-4000-8000-000000000000'}/deployment`).set(as).send(override);
          } else if (s.action === 'deploy-content') {
            res = await http().post('/api/deployments').set(as).send({ resources: [{ name: `${processId}.bpmn`, content: bpmn(processId, s.label) }], ...override });
          } else if (s.action === 'save-decision') {
            res = await http().post('/api/decision-drafts').set(as).send({ decisionRequirementsId: drgId, xml: dmn(drgId, s.label) });
            if (res.status === 201) decisionDrafts.push(res.body.id);
          } else {
            res = await http().post(`/api/decision-drafts/${decisionDrafts[s.pick % Math.max(1, decisionDrafts.length)] ?? '00000000-0000-4000-8000-000000000000'}/deployment`).set(as).send({});
          }
          if (res.status >= 400) {
            stats.refusals++;
            const rows = await audit.list({ afterId: before, actor: s.actor, outcome: 'refused' });
            expect(rows.length, `${s.action} by ${s.actor} answered ${res.status} ${JSON.stringify(res.body).slice(0, 300)} with no refusal on the audit trail (seed ${SEED})`).toBeGreaterThanOrEqual(1);
          }
        }
        stats.sequences++;
        // long runs show progress (the soak runs 10,000)
        if (stats.sequences % 500 === 0) console.info(`deploying adversary on ${kind}: ${stats.sequences} of ${RUNS} sequences, ${JSON.stringify(stats)}`);
        // every version deployed: a draft by someone else, deployed by an engineer
        const deployed = await api.t.db('process_deployments').whereIn('bpmn_process_id', [processId, drgId]);
        for (const d of deployed) {
          stats.deployed++;
          expect(d.draft_id, `${d.bpmn_process_id} v${d.version} was deployed without a draft`).toBeTruthy();
          const draft = await api.t.db('process_drafts').where({ id: d.draft_id }).first();
          expect(draft.author, `${d.bpmn_process_id} v${d.version}`).not.toBe(d.deployed_by);
          expect(ENGINEERS.has(d.deployed_by), `${d.deployed_by} deployed ${d.bpmn_process_id}`).toBe(true);
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    expect((await http().get('/api/audit/verify').set(api.as('carl'))).body.ok).toBe(true);
    console.info(`deploying adversary on ${kind}: ${JSON.stringify(stats)}`);
    expect(stats.refusals).toBeGreaterThan(0);
    expect(stats.deployed).toBeGreaterThan(0);
  });
});
