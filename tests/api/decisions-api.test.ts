/**
 * Decision tables through the API: the customer-request tables are listed once deployed; an
 * analyst's edit, deployed by an engineer, is version 2 and decides the next evaluation; the
 * author cannot deploy his own draft (author-not-deployer); malformed DMN is refused with the
 * element named. Every decision lands in the audit log.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineError } from '../../engine/types.js';
import { migrationSource } from '../../migrations/index.js';
import { dbKinds, openTestDb } from '../support/db.js';
import { startApi, type Api } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dmn = (name: string) => fs.readFileSync(path.join(here, '../../processes', name), 'utf8');
const PRIORITY = 'customer-request-priority-definitions';
const CLASSIFICATION = 'customer-request-classification-definitions';
// rule 6 of the priority table: 1,000 or more is medium
const rule6Output = '<outputEntry id="customer-request-priority-r6-o0"><text>"medium"</text></outputEntry>';
const payment = { category: 'payment-clarification', requestAmount: '2500.00', riskSegment: 'low', ageDays: 3 };

interface Definition {
  decisionRequirementsKey: string;
  decisionRequirementsId: string;
  name?: string;
  version: number;
  resourceName: string;
  deployedAt: string;
  decisionIds: string[];
  deployedBy?: string;
  draftId?: string;
}

describe.each(await dbKinds())('decisions API on %s', (kind) => {
  let api: Api;
  const http = () => request(api.app.server);
  const auditOf = async (draftId: string) =>
    (await http().get('/api/audit').query({ subjectType: 'decision-draft', subjectId: draftId }).set(api.as('carl'))).body as { actor: string; action: string; outcome: string; rule: string | null }[];
  const saveDraft = async (user: string, xml: string, baseVersion?: number) => {
    const res = await http().post('/api/decision-drafts').set(api.as(user)).send({ decisionRequirementsId: PRIORITY, xml, ...(baseVersion ? { baseVersion } : {}) });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; author: string; decisionRequirementsId: string; decisionIds: string[] };
  };
  const list = async (id?: string) => (await http().get('/api/decision-definitions').query(id ? { decisionRequirementsId: id } : {}).set(api.as('ada'))).body as Definition[];

  beforeAll(async () => {
    api = await startApi(kind);
    // the tables as processes/ ships them, deployed at start as the system bootstraps them
    await api.engine.deploy(['customer-request-classification.dmn', 'customer-request-priority.dmn'].map((name) => ({ name, content: dmn(name) })));
  });
  afterAll(async () => {
    await api?.close();
  });

  it('lists the two request tables after deploying them, with their decisions and XML', async () => {
    const all = await list();
    expect(all.map((d) => [d.decisionRequirementsId, d.version])).toEqual([
      [CLASSIFICATION, 1],
      [PRIORITY, 1],
    ]);
    const priority = all.find((d) => d.decisionRequirementsId === PRIORITY)!;
    expect(priority).toMatchObject({ name: 'Customer request priority and SLA', resourceName: 'customer-request-priority.dmn', decisionIds: ['customer-request-priority', 'customer-request-sla'], decisionRequirementsKey: expect.stringMatching(/^\d+$/) });
    expect(new Date(priority.deployedAt).getTime()).not.toBeNaN();
    expect(all.find((d) => d.decisionRequirementsId === CLASSIFICATION)!.decisionIds).toEqual(['customer-request-classification']);

    const xml = await http().get(`/api/decision-definitions/${priority.decisionRequirementsKey}/xml`).set(api.as('eric'));
    expect(xml.status).toBe(200);
    expect(xml.body.xml).toBe(dmn('customer-request-priority.dmn'));
  });

  it('answers 404 for an unknown key or draft, 400 for a malformed key, 403 to people who do not model', async () => {
    expect((await http().get('/api/decision-definitions/999999999/xml').set(api.as('eric'))).status).toBe(404);
    expect((await http().get('/api/decision-definitions/abc/xml').set(api.as('eric'))).status).toBe(400);
    expect((await http().get(`/api/decision-drafts/${randomUUID()}`).set(api.as('eric'))).status).toBe(404);
    expect((await http().get('/api/decision-definitions').set(api.as('acme'))).status).toBe(403);
    expect((await http().post('/api/decision-drafts').set(api.as('sam')).send({ decisionRequirementsId: PRIORITY, xml: dmn('customer-request-priority.dmn') })).status).toBe(403);
    expect((await http().get('/api/decision-definitions')).status).toBe(401);
  });

  it('an edited table, saved by the analyst and deployed by the engineer, is version 2 and decides the next evaluation', async () => {
    // given: a payment clarification of 2,500 from a low-risk customer is medium today
    expect((await api.engine.evaluateDecision({ decisionId: 'customer-request-priority', variables: payment })).output).toBe('medium');
    const edited = dmn('customer-request-priority.dmn').replace(rule6Output, rule6Output.replace('"medium"', '"high"'));
    expect(edited).not.toBe(dmn('customer-request-priority.dmn'));

    // when: ada saves her edit as a draft and eric deploys it
    const draft = await saveDraft('ada', edited, 1);
    expect(draft).toMatchObject({ author: 'ada', decisionRequirementsId: PRIORITY, decisionIds: ['customer-request-priority', 'customer-request-sla'], baseVersion: 1 });
    expect((await http().get('/api/decision-drafts').query({ decisionRequirementsId: PRIORITY }).set(api.as('eric'))).body.map((d: { id: string }) => d.id)).toContain(draft.id);
    expect((await http().get(`/api/decision-drafts/${draft.id}`).set(api.as('eric'))).body.xml).toBe(edited);
    // a decision draft is not a process draft
    expect((await http().get(`/api/drafts/${draft.id}`).set(api.as('eric'))).status).toBe(404);
    expect((await http().get('/api/drafts').set(api.as('eric'))).body.map((d: { id: string }) => d.id)).not.toContain(draft.id);

    const deployed = await http().post(`/api/decision-drafts/${draft.id}/deployment`).set(api.as('eric')).send({});
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
    expect(deployed.body).toMatchObject({ decisionRequirementsId: PRIORITY, version: 2, duplicate: false });

    // then: the same request is high now, version 2 is listed with who deployed it, and the draft says so
    expect((await api.engine.evaluateDecision({ decisionId: 'customer-request-priority', variables: payment })).output).toBe('high');
    const versions = await list(PRIORITY);
    expect(versions.map((d) => d.version)).toEqual([1, 2]);
    expect(versions[1]).toMatchObject({ decisionRequirementsKey: deployed.body.decisionRequirementsKey, deployedBy: 'eric', draftId: draft.id });
    expect((await http().get(`/api/decision-definitions/${versions[1].decisionRequirementsKey}/xml`).set(api.as('ada'))).body.xml).toBe(edited);
    expect((await http().get(`/api/decision-drafts/${draft.id}`).set(api.as('ada'))).body).toMatchObject({ deployedBy: 'eric', deployedVersion: 2, decisionRequirementsKey: deployed.body.decisionRequirementsKey });
    expect((await auditOf(draft.id)).map((a) => [a.actor, a.action, a.outcome])).toEqual([
      ['ada', 'decision-draft.create', 'done'],
      ['eric', 'decision-draft.deploy', 'allowed'],
    ]);

    // a deployed draft is deployed once
    const again = await http().post(`/api/decision-drafts/${draft.id}/deployment`).set(api.as('eric')).send({});
    expect(again.status).toBe(409);
    expect(again.body.rule).toBe('already-deployed');
  });

  it('refuses the author, and anyone who is not an engineer, with the rule named', async () => {
    const edited = dmn('customer-request-priority.dmn').replace('"PT4H"', '"PT2H"');
    const own = await saveDraft('eric', edited);
    const refused = await http().post(`/api/decision-drafts/${own.id}/deployment`).set(api.as('eric')).send({});
    expect(refused.status).toBe(403);
    expect(refused.body.rule).toBe('author-not-deployer');
    expect(refused.body.title).toMatch(/eric/);

    const adas = await saveDraft('ada', edited);
    const analyst = await http().post(`/api/decision-drafts/${adas.id}/deployment`).set(api.as('ada')).send({});
    expect(analyst.status).toBe(403);
    expect(analyst.body).toMatchObject({ rule: 'role', title: expect.stringContaining('only engineers deploy') });

    expect((await list(PRIORITY)).map((d) => d.version)).toEqual([1, 2]);
    expect((await auditOf(own.id)).map((a) => [a.actor, a.action, a.outcome, a.rule])).toEqual([
      ['eric', 'decision-draft.create', 'done', null],
      ['eric', 'decision-draft.deploy', 'refused', 'author-not-deployer'],
    ]);
    expect((await auditOf(adas.id)).at(-1)).toMatchObject({ actor: 'ada', outcome: 'refused', rule: 'role' });
  });

  it('refuses malformed DMN with a problem that says what and where', async () => {
    const post = (xml: string, id = PRIORITY) => http().post('/api/decision-drafts').set(api.as('ada')).send({ decisionRequirementsId: id, xml });

    const unclosed = await post(dmn('customer-request-priority.dmn').replace('</decisionTable>', ''));
    expect(unclosed.status).toBe(422);
    expect(unclosed.body.rule).toBe('dmn');
    expect(unclosed.body.title).toMatch(/^the decision table cannot be saved: .*not valid DMN XML/);

    const badFeel = await post(dmn('customer-request-priority.dmn').replace(rule6Output, rule6Output.replace('"medium"', '"medium')));
    expect(badFeel.status).toBe(422);
    expect(badFeel.body.title).toMatch(/customer-request-priority.*invalid FEEL/);
    expect(badFeel.body.errors).toEqual([expect.objectContaining({ resource: `${PRIORITY}.dmn`, elementId: 'customer-request-priority-r6-o0', rule: 'dmn' })]);

    const hostile = await post(dmn('customer-request-priority.dmn').replace('<definitions', '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<definitions'));
    expect(hostile.status).toBe(422);
    expect(hostile.body.title).toMatch(/cannot be saved/);

    const notDmn = await post('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="x" />');
    expect(notDmn.status).toBe(422);
    expect(notDmn.body.title).toMatch(/not a DMN file/);

    const wrongId = await post(dmn('customer-request-priority.dmn'), CLASSIFICATION);
    expect(wrongId.status).toBe(422);
    expect(wrongId.body).toMatchObject({ field: 'body.decisionRequirementsId', title: expect.stringContaining(`'${PRIORITY}'`) });

    expect((await list(PRIORITY)).map((d) => d.version)).toEqual([1, 2]);
  });

  it("answers an engine refusal Herald's reader did not foresee (as Zeebe may) with the same problem", async () => {
    const draft = await saveDraft('ada', dmn('customer-request-priority.dmn').replace('"PT8H"', '"PT6H"'));
    const deploy = api.engine.deploy;
    api.engine.deploy = async () => {
      throw new EngineError('DEPLOY_REFUSED', `${PRIORITY}.dmn: the cluster refuses it`, { resource: `${PRIORITY}.dmn`, problems: [{ resource: `${PRIORITY}.dmn`, elementId: 'customer-request-sla-r1-o1', message: 'the cluster refuses it' }] });
    };
    try {
      const refused = await http().post(`/api/decision-drafts/${draft.id}/deployment`).set(api.as('eric')).send({});
      expect(refused.status, JSON.stringify(refused.body)).toBe(422);
      expect(refused.body).toMatchObject({ rule: 'dmn', title: `the decision table cannot be deployed: ${PRIORITY}.dmn: the cluster refuses it`, errors: [{ elementId: 'customer-request-sla-r1-o1', rule: 'dmn' }] });
    } finally {
      api.engine.deploy = deploy;
    }
    expect((await auditOf(draft.id)).at(-1)).toMatchObject({ actor: 'eric', action: 'decision-draft.deploy', outcome: 'failed' });
    expect((await http().get(`/api/decision-drafts/${draft.id}`).set(api.as('eric'))).body.deployedVersion).toBeUndefined();
  });

  it('keeps the audit chain intact', async () => {
    expect((await http().get('/api/audit/verify').set(api.as('carl'))).body).toMatchObject({ ok: true });
  });
});

describe.each(await dbKinds())('draft kind migration on %s', (kind) => {
  const MIGRATION = '20261205130000_add_draft_kind';
  it('adds the kind column to drafts and deployment records, and drops it again', { timeout: 120_000 }, async () => {
    const t = await openTestDb(kind);
    try {
      for (const table of ['process_drafts', 'process_deployments']) expect(await t.db.schema.hasColumn(table, 'kind')).toBe(true);
      // one row at a time: a multi-row insert on PGlite writes null, not the default, for a missing column
      await t.db('process_drafts').insert({ id: randomUUID(), kind: 'drg', bpmn_process_id: 'migration-drg', xml: '<definitions/>', checksum: 'x', author: 'ada', created_at: new Date().toISOString() });
      await t.db('process_drafts').insert({ id: randomUUID(), bpmn_process_id: 'migration-process', xml: '<bpmn:definitions/>', checksum: 'x', author: 'ada', created_at: new Date().toISOString() });
      await t.db.migrate.down({ migrationSource, schemaName: t.schema, name: MIGRATION });
      for (const table of ['process_drafts', 'process_deployments']) expect(await t.db.schema.hasColumn(table, 'kind')).toBe(false);
      // a decision draft without its kind would pass for a process draft: it goes with the column
      expect((await t.db('process_drafts').select('bpmn_process_id')).map((r) => r.bpmn_process_id)).toEqual(['migration-process']);
      await t.db.migrate.up({ migrationSource, schemaName: t.schema, name: MIGRATION });
      expect(await t.db('process_drafts').select('kind')).toEqual([{ kind: 'process' }]);
    } finally {
      await t.close();
    }
  });
});
