import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/herald.js';
import { rollbackAll } from '../../storage/db.js';
import { dbKinds, openTestDb } from '../support/db.js';
import { startApi, type Api } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const customerCommunication = fs.readFileSync(path.join(here, '../../processes/customer-communication.bpmn'), 'utf8');

/** A one-task process; `jobType: null` leaves the service task without zeebe:taskDefinition. */
function diagram(processId: string, options: { jobType?: string | null; name?: string } = {}): string {
  const jobType = options.jobType === undefined ? 'deployments-test-work' : options.jobType;
  const definition = jobType === null ? '' : `<bpmn:extensionElements><zeebe:taskDefinition type="${jobType}" /></bpmn:extensionElements>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-${processId}" targetNamespace="http://herald.example/tests">
  <bpmn:process id="${processId}" name="${options.name ?? 'Deployments test'}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="do-work" name="Do the work">${definition}<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="do-work" />
    <bpmn:sequenceFlow id="f2" sourceRef="do-work" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>`;
}

const xxe = (id: string) => diagram(id).replace('<bpmn:definitions', '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<bpmn:definitions').replace('Deployments test', '&x;');
const billionLaughs = (id: string) =>
  diagram(id).replace('<bpmn:definitions', `<!DOCTYPE d [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>\n<bpmn:definitions`).replace('Deployments test', '&c;');

describe.each(await dbKinds())('deployment API on %s', (kind) => {
  let api: Api;
  const http = () => request(api.app.server);
  const uniqueId = (what: string) => `deployments-${what}-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    api = await startApi(kind);
  });
  afterAll(async () => {
    await api?.close();
  });

  const saveDraft = async (user: string, bpmnProcessId: string, xml: string, baseVersion?: number) => {
    const res = await http().post('/api/drafts').set(api.as(user)).send({ bpmnProcessId, xml, ...(baseVersion ? { baseVersion } : {}) });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; author: string; lint: { errors: unknown[]; warnings: unknown[] } };
  };
  const auditOf = async (draftId: string) => (await http().get('/api/audit').query({ subjectType: 'draft', subjectId: draftId }).set(api.as('carl'))).body as { actor: string; action: string; outcome: string; rule: string | null }[];

  describe('process definitions', () => {
    it('lists deployed versions, gives their XML and downloads the same file', async () => {
      const list = await http().get('/api/process-definitions').query({ bpmnProcessId: 'api-form' }).set(api.as('ada'));
      expect(list.status).toBe(200);
      expect(list.body).toEqual([expect.objectContaining({ bpmnProcessId: 'api-form', version: 1, resourceName: 'api-form.bpmn', processDefinitionKey: expect.stringMatching(/^\d+$/), deployedAt: expect.any(String) })]);
      const key = list.body[0].processDefinitionKey;
      const fixture = fs.readFileSync(path.join(here, 'fixtures', 'api-form.bpmn'), 'utf8');
      const xml = await http().get(`/api/process-definitions/${key}/xml`).set(api.as('eric'));
      expect(xml.status).toBe(200);
      expect(xml.body.xml).toBe(fixture);
      const download = await http().get(`/api/process-definitions/${key}/resource`).set(api.as('eric')).buffer(true).parse((res, done) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => done(null, text));
      });
      expect(download.status).toBe(200);
      expect(download.headers['content-type']).toContain('application/xml');
      expect(download.headers['content-disposition']).toBe('attachment; filename="api-form.bpmn"');
      expect(download.body).toBe(fixture);
    });

    it('answers 404 for an unknown key, 400 for a malformed one, 403 to people who do not model', async () => {
      expect((await http().get('/api/process-definitions/999999999/xml').set(api.as('eric'))).status).toBe(404);
      expect((await http().get('/api/process-definitions/999999999/resource').set(api.as('eric'))).status).toBe(404);
      expect((await http().get('/api/process-definitions/abc/xml').set(api.as('eric'))).status).toBe(400);
      expect((await http().get('/api/process-definitions').set(api.as('acme'))).status).toBe(403);
      expect((await http().get('/api/process-definitions')).status).toBe(401);
    });
  });

  describe('drafts and their deployment', () => {
    it("deploys ada's draft by eric as the next version, records who deployed it, and audits the decision", async () => {
      const id = uniqueId('next');
      // version 1: ada's saved draft, deployed by eric sending its content
      await saveDraft('ada', id, diagram(id));
      const v1 = await http().post('/api/deployments').set(api.as('eric')).send({ resources: [{ name: `${id}.bpmn`, content: diagram(id) }] });
      expect(v1.status, JSON.stringify(v1.body)).toBe(201);
      expect(v1.body.processes[0]).toMatchObject({ bpmnProcessId: id, version: 1 });

      const draft = await saveDraft('ada', id, diagram(id, { name: 'Deployments test, revised' }), 1);
      expect(draft).toMatchObject({ bpmnProcessId: id, author: 'ada', baseVersion: 1, lint: { errors: [] } });
      expect(draft).not.toHaveProperty('xml');
      const listed = await http().get('/api/drafts').query({ bpmnProcessId: id }).set(api.as('eric'));
      // newest first: the revision, then version 1's draft
      expect(listed.body.map((d: { id: string }) => d.id)[0]).toEqual(draft.id);
      expect(listed.body).toHaveLength(2);
      expect((await http().get(`/api/drafts/${draft.id}`).set(api.as('eric'))).body.xml).toContain('Deployments test, revised');

      const deployed = await http().post(`/api/drafts/${draft.id}/deployment`).set(api.as('eric')).send({});
      expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
      expect(deployed.body.processes).toEqual([expect.objectContaining({ bpmnProcessId: id, version: 2, duplicate: false })]);

      const defs = (await http().get('/api/process-definitions').query({ bpmnProcessId: id }).set(api.as('ada'))).body;
      expect(defs.map((d: { version: number; deployedBy?: string }) => [d.version, d.deployedBy])).toEqual([
        [1, 'eric'],
        [2, 'eric'],
      ]);
      expect(defs[1].draftId).toBe(draft.id);
      expect((await http().get(`/api/process-definitions/${defs[1].processDefinitionKey}/xml`).set(api.as('ada'))).body.xml).toContain('Deployments test, revised');
      expect((await http().get(`/api/drafts/${draft.id}`).set(api.as('ada'))).body).toMatchObject({ deployedVersion: 2, deployedBy: 'eric', processDefinitionKey: defs[1].processDefinitionKey });
      expect(await auditOf(draft.id)).toEqual([
        expect.objectContaining({ actor: 'ada', action: 'draft.create', outcome: 'done' }),
        expect.objectContaining({ actor: 'eric', action: 'draft.deploy', outcome: 'allowed' }),
      ]);

      const again = await http().post(`/api/drafts/${draft.id}/deployment`).set(api.as('eric')).send({});
      expect(again.status).toBe(409);
      expect(again.body.rule).toBe('already-deployed');
    });

    it('refuses eric deploying his own draft, naming the rule, and audits the refusal', async () => {
      const id = uniqueId('own');
      const draft = await saveDraft('eric', id, diagram(id));
      const res = await http().post(`/api/drafts/${draft.id}/deployment`).set(api.as('eric')).send({});
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.rule).toBe('author-not-deployer');
      expect(res.body.title).toContain('eric authored');
      expect((await http().get('/api/process-definitions').query({ bpmnProcessId: id }).set(api.as('eric'))).body).toEqual([]);
      expect(await auditOf(draft.id)).toContainEqual(expect.objectContaining({ actor: 'eric', action: 'draft.deploy', outcome: 'refused', rule: 'author-not-deployer' }));
    });

    it('refuses people who are not engineers (rule role), audited', async () => {
      const id = uniqueId('role');
      const draft = await saveDraft('eric', id, diagram(id));
      for (const user of ['ada', 'alice', 'root']) {
        const res = await http().post(`/api/drafts/${draft.id}/deployment`).set(api.as(user)).send({});
        expect(res.status, user).toBe(403);
        expect(res.body.rule).toBe('role');
      }
      expect((await auditOf(draft.id)).filter((a) => a.outcome === 'refused' && a.rule === 'role').map((a) => a.actor)).toEqual(['ada', 'alice', 'root']);
      // saving drafts is for analysts and engineers
      const approver = await http().post('/api/drafts').set(api.as('alice')).send({ bpmnProcessId: id, xml: diagram(id) });
      expect(approver.status).toBe(403);
      expect(approver.body.rule).toBe('role');
    });

    it('answers 404 for an unknown draft and 400 for a malformed id', async () => {
      const unknown = randomUUID();
      const res = await http().post(`/api/drafts/${unknown}/deployment`).set(api.as('eric')).send({});
      expect(res.status).toBe(404);
      expect(res.body.title).toContain(unknown);
      expect((await http().get(`/api/drafts/${unknown}`).set(api.as('eric'))).status).toBe(404);
      expect((await http().get('/api/drafts/not-a-uuid').set(api.as('eric'))).status).toBe(400);
    });
  });

  describe('lint before deploy', () => {
    it('answers an engine refusal of a direct deployment (a malformed DMN table) with 422 naming the problem, not 500', async () => {
      const dmn = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="broken-drg" name="Broken" namespace="http://herald.example">
  <decision id="broken-decision" name="Broken"><decisionTable id="t" hitPolicy="FIRST">
    <input id="i1"><inputExpression id="ie1" typeRef="number"><text>amount</text></inputExpression></input>
    <output id="o1" name="level" typeRef="string" />
    <rule id="r1"><inputEntry id="r1-i1"><text>&gt; 1000</text></inputEntry><outputEntry id="r1-o1"><text>"high" +</text></outputEntry></rule>
  </decisionTable></decision>
</definitions>`;
      // a decision table is deployed from a decision draft, never directly
      const res = await http().post('/api/deployments').set(api.as('eric')).send({ resources: [{ name: 'broken.dmn', content: dmn }] });
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ rule: 'draft-required', field: 'resources[0]' });
      expect(res.body.title).toMatch(/decision-drafts/);
    });

    it('refuses a draft whose service task has no zeebe:taskDefinition, naming the element and the rule', async () => {
      const id = uniqueId('lint');
      const draft = await saveDraft('ada', id, diagram(id, { jobType: null }));
      // a draft may be saved with lint errors; it says so
      expect(draft.lint.errors).toContainEqual(expect.objectContaining({ elementId: 'do-work' }));
      const res = await http().post(`/api/drafts/${draft.id}/deployment`).set(api.as('eric')).send({});
      expect(res.status).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.title).toContain('do-work');
      expect(res.body.errors).toContainEqual({ resource: `${id}.bpmn`, elementId: 'do-work', rule: 'camunda-compat/implementation', message: expect.any(String) });
      expect(res.body.errors.every((e: { elementId: string | null; rule: string; message: string }) => e.rule && e.message)).toBe(true);
      expect((await http().get('/api/process-definitions').query({ bpmnProcessId: id }).set(api.as('eric'))).body).toEqual([]);
      expect(await auditOf(draft.id)).toContainEqual(expect.objectContaining({ actor: 'eric', action: 'draft.deploy', outcome: 'refused', rule: 'lint' }));

      const direct = await http().post('/api/deployments').set(api.as('eric')).send({ resources: [{ name: `${id}.bpmn`, content: diagram(id, { jobType: null }) }] });
      expect(direct.status).toBe(422);
      expect(direct.body.errors).toContainEqual(expect.objectContaining({ elementId: 'do-work' }));
    });

    it('finding 2: a draft refused to its author cannot be deployed by him through the direct route, and content that is no draft is refused; both audited', async () => {
      const id = uniqueId('finding-2');
      const own = await saveDraft('eric', id, diagram(id));
      const refused = await http().post(`/api/drafts/${own.id}/deployment`).set(api.as('eric')).send({});
      expect(refused.status).toBe(403);
      expect(refused.body.rule).toBe('author-not-deployer');
      const direct = await http().post('/api/deployments').set(api.as('eric')).send({ resources: [{ name: `${id}.bpmn`, content: diagram(id) }] });
      expect(direct.status).toBe(403);
      expect(direct.body.rule).toBe('author-not-deployer');
      const unsaved = await http().post('/api/deployments').set(api.as('eric')).send({ resources: [{ name: `${id}.bpmn`, content: diagram(id, { name: 'never saved' }) }] });
      expect(unsaved.status).toBe(403);
      expect(unsaved.body).toMatchObject({ rule: 'draft-required', field: 'resources[0]' });
      expect((await http().get('/api/process-definitions').query({ bpmnProcessId: id }).set(api.as('eric'))).body).toEqual([]);
      expect((await auditOf(own.id)).filter((r) => r.outcome === 'refused').map((r) => r.rule)).toEqual(['author-not-deployer', 'author-not-deployer']);
      const process = (await http().get('/api/audit').query({ action: 'process.deploy', outcome: 'refused' }).set(api.as('carl'))).body as { rule: string; subjectId: string }[];
      expect(process).toContainEqual(expect.objectContaining({ rule: 'draft-required', subjectId: id }));
    });

    it('returns warnings but deploys', async () => {
      const content = fs.readFileSync(path.join(here, 'fixtures', 'api-approval.bpmn'), 'utf8');
      await saveDraft('ada', 'api-approval', content);
      const res = await http().post('/api/deployments').set(api.as('eric')).send({ resources: [{ name: 'api-approval.bpmn', content }] });
      expect(res.status).toBe(201);
      expect(res.body.processes[0]).toMatchObject({ bpmnProcessId: 'api-approval', duplicate: true });
      expect(res.body.warnings).toContainEqual(expect.objectContaining({ elementId: 'approve-level-1', rule: 'camunda-compat/user-task-definition' }));
    });

    it.each([
      ['an external entity (XXE)', xxe],
      ['nested entities (billion laughs)', billionLaughs],
    ])('refuses %s with a problem that says why, before any parser sees it', async (_what, hostile) => {
      const id = uniqueId('hostile');
      const draft = await http().post('/api/drafts').set(api.as('ada')).send({ bpmnProcessId: id, xml: hostile(id) });
      expect(draft.status).toBe(422);
      expect(draft.headers['content-type']).toContain('application/problem+json');
      expect(draft.body.title).toMatch(/DOCTYPE/);
      expect(draft.body.errors[0]).toMatchObject({ elementId: null, rule: 'xml' });
      const direct = await http().post('/api/deployments').set(api.as('eric')).send({ resources: [{ name: `${id}.bpmn`, content: hostile(id) }] });
      expect(direct.status).toBe(422);
      expect(direct.body.title).toMatch(/DOCTYPE/);
      expect((await http().get('/api/drafts').query({ bpmnProcessId: id }).set(api.as('ada'))).body).toEqual([]);
    });

    it('refuses malformed XML with its position, and a draft saved under another process id', async () => {
      const id = uniqueId('malformed');
      const broken = await http().post('/api/drafts').set(api.as('ada')).send({ bpmnProcessId: id, xml: diagram(id).replace('</bpmn:process>', '') });
      expect(broken.status).toBe(422);
      expect(broken.body.title).toMatch(/line \d+, column \d+/);
      const elsewhere = await http().post('/api/drafts').set(api.as('ada')).send({ bpmnProcessId: 'customer-communication', xml: diagram(id) });
      expect(elsewhere.status).toBe(422);
      expect(elsewhere.body.field).toBe('body.bpmnProcessId');
    });
  });

  it('refuses a body over the deployment limit (413) and a diagram over 4 MiB (422)', async () => {
    const id = uniqueId('big');
    const huge = await http().post('/api/drafts').set(api.as('ada')).send({ bpmnProcessId: id, xml: diagram(id).replace('Deployments test', 'x'.repeat(5 * 1024 * 1024)) });
    expect(huge.status).toBe(413);
    // under the schema's 4 Mi characters, over the guard's 4 MiB of UTF-8
    const big = diagram(id).replace('Deployments test', 'é'.repeat(2.1 * 1024 * 1024));
    const res = await http().post('/api/deployments').set(api.as('eric')).send({ resources: [{ name: `${id}.bpmn`, content: big }] });
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(422);
    expect(res.body.title).toMatch(/the limit is 4 MiB/);
  });

  describe('dry run', () => {
    it('runs the process tests of customer-communication against the diagram and reports every case passed', { timeout: 120_000 }, async () => {
      const res = await http().post('/api/deployments/dry-run').set(api.as('ada')).send({ xml: customerCommunication });
      expect(res.status, JSON.stringify(res.body).slice(0, 2000)).toBe(200);
      expect(res.body).toMatchObject({ bpmnProcessId: 'customer-communication', ok: true, failed: 0, lint: { errors: [] } });
      expect(res.body.specs.map((s: { file: string }) => s.file)).toEqual(['processes/customer-communication.spec.yaml']);
      expect(res.body.passed).toBeGreaterThanOrEqual(5);
      expect(res.body.specs[0].cases.every((c: { status: string }) => c.status === 'passed')).toBe(true);
      // nothing was deployed to the real engine
      expect((await http().get('/api/process-definitions').query({ bpmnProcessId: 'customer-communication' }).set(api.as('ada'))).body).toEqual([]);
    });

    it("reports the failing cases of a broken draft, with where and why", { timeout: 120_000 }, async () => {
      const broken = customerCommunication.replace('type="validate-customer-data"', 'type="validate-customer"');
      expect(broken).not.toBe(customerCommunication);
      const draft = await saveDraft('ada', 'customer-communication', broken);
      const res = await http().post(`/api/drafts/${draft.id}/dry-run`).set(api.as('ada')).send({});
      expect(res.status).toBe(200);
      expect(res.body.ok).toBe(false);
      expect(res.body.failed).toBeGreaterThan(0);
      const failed = res.body.specs[0].cases.find((c: { status: string }) => c.status === 'failed');
      expect(failed.failure).toMatchObject({ where: expect.stringMatching(/instruction \d+/), message: expect.any(String) });
    });

    it('blocks deploying a draft whose process tests fail, unless an engineer overrides with a reason, on the audit trail', { timeout: 180_000 }, async () => {
      const broken = customerCommunication.replace('type="validate-customer-data"', 'type="validate-customer"');
      const draft = await saveDraft('ada', 'customer-communication', broken);
      const refused = await http().post(`/api/drafts/${draft.id}/deployment`).set(api.as('eric')).send({});
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ rule: 'spec', report: { ok: false } });
      expect(refused.body.title).toMatch(/process test cases? failed/);
      expect((await http().get('/api/process-definitions').query({ bpmnProcessId: 'customer-communication' }).set(api.as('eric'))).body).toEqual([]);
      const tooShort = await http().post(`/api/drafts/${draft.id}/deployment`).set(api.as('eric')).send({ override: { reason: 'ok' } });
      expect(tooShort.status).toBe(400);
      const overridden = await http().post(`/api/drafts/${draft.id}/deployment`).set(api.as('eric')).send({ override: { reason: 'hotfix: the worker was renamed in the same release' } });
      expect(overridden.status).toBe(201);
      const entries = (await http().get('/api/audit').query({ subjectType: 'draft', subjectId: draft.id }).set(api.as('carl'))).body as { outcome: string; rule?: string | null; detail: Record<string, unknown> }[];
      expect(entries.some((e) => e.outcome === 'refused' && e.rule === 'spec')).toBe(true);
      expect(entries.some((e) => e.outcome === 'allowed' && e.detail.specs === 'overridden' && e.detail.overrideReason === 'hotfix: the worker was renamed in the same release')).toBe(true);
    });

    it('stops at lint errors without running the tests', async () => {
      const id = uniqueId('dry-lint');
      const res = await http().post('/api/deployments/dry-run').set(api.as('eric')).send({ bpmnProcessId: id, xml: diagram(id, { jobType: null }) });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ ok: false, specs: [], passed: 0 });
      expect(res.body.lint.errors).toContainEqual(expect.objectContaining({ elementId: 'do-work' }));
      expect((await http().post(`/api/drafts/${randomUUID()}/dry-run`).set(api.as('eric')).send({})).status).toBe(404);
    });
  });

  describe('herald CLI', () => {
    let url: string;
    const saved = { url: process.env.HERALD_URL, token: process.env.HERALD_TOKEN };
    beforeAll(async () => {
      url = await api.app.listen({ port: 0, host: '127.0.0.1' });
    });
    afterAll(() => {
      for (const [k, v] of [['HERALD_URL', saved.url], ['HERALD_TOKEN', saved.token]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });
    const herald = async (user: string, ...argv: string[]) => {
      process.env.HERALD_URL = url;
      process.env.HERALD_TOKEN = api.tokens[user];
      let out = '';
      let err = '';
      const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
      return { code, out, err };
    };
    const file = (name: string, content: string) => {
      const dir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'herald-deploy-'));
      fs.writeFileSync(path.join(dir, name), content);
      return path.join(dir, name);
    };

    it('herald deploy prints the version made, or the lint errors with their element ids', async () => {
      const id = uniqueId('cli');
      // what eric deploys from a file is ada's saved draft of it
      await saveDraft('ada', id, diagram(id));
      const ok = await herald('eric', 'deploy', file(`${id}.bpmn`, diagram(id)));
      expect(ok, ok.err).toMatchObject({ code: 0 });
      expect(ok.out).toContain(`${id}  version 1`);
      const refused = await herald('eric', 'deploy', file(`${id}.bpmn`, diagram(id, { jobType: null })));
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/error +.*do-work: .*\(camunda-compat\/implementation\)/);
      const notEngineer = await herald('ada', 'deploy', file(`${id}.bpmn`, diagram(id)));
      expect(notEngineer.code).toBe(1);
      expect(notEngineer.err).toContain('[role]');
      // a file that is no saved draft is refused, naming the rule
      const unsaved = await herald('eric', 'deploy', file(`${id}.bpmn`, diagram(id, { name: 'not saved' })));
      expect(unsaved.code).toBe(1);
      expect(unsaved.err).toContain('[draft-required]');
      expect((await herald('eric', 'deploy')).code).toBe(2);
    });

    it('herald instances lists instances and herald incidents retry gives a failed job another go', async () => {
      const id = uniqueId('cli-incident');
      const jobType = `${id}-work`;
      await saveDraft('ada', id, diagram(id, { jobType }));
      expect((await herald('eric', 'deploy', file(`${id}.bpmn`, diagram(id, { jobType })))).code).toBe(0);
      const pik = (await api.engine.createInstance({ bpmnProcessId: id })).processInstanceKey;
      const listed = await herald('ada', 'instances', '--process', id);
      expect(listed.code, listed.err).toBe(0);
      expect(listed.out).toContain(`${pik}  ${id} v1  ACTIVE`);

      const [job] = await api.engine.activateJobs({ type: jobType, worker: 'test', maxJobsToActivate: 1, timeout: 60_000 });
      await api.engine.failJob(job.key, { retries: 0, errorMessage: 'the ledger was down' });
      const [incident] = await api.engine.listIncidents({ processInstanceKey: pik });
      expect(incident).toMatchObject({ errorType: 'JOB_NO_RETRIES', state: 'ACTIVE' });
      expect((await herald('eric', 'incidents')).out).toContain(`${incident.incidentKey}  ${id} instance ${pik}  do-work  JOB_NO_RETRIES: the ledger was down`);
      expect((await herald('ada', 'incidents', 'retry', incident.incidentKey)).code).toBe(1);
      const retried = await herald('eric', 'incidents', 'retry', incident.incidentKey);
      expect(retried, retried.err).toMatchObject({ code: 0 });
      expect(await api.engine.listIncidents({ processInstanceKey: pik, state: 'ACTIVE' })).toEqual([]);
      const again = await api.engine.activateJobs({ type: jobType, worker: 'test', maxJobsToActivate: 1, timeout: 60_000 });
      expect(again.map((j) => [j.key, j.retries])).toEqual([[job.key, 1]]);
    });
  });

  it('keeps the audit chain intact', async () => {
    expect((await http().get('/api/audit/verify').set(api.as('carl'))).body).toMatchObject({ ok: true });
  });
});

describe.each(await dbKinds())('drafts migration on %s', (kind) => {
  it('creates the draft and deployment tables, and drops them again', { timeout: 120_000 }, async () => {
    const t = await openTestDb(kind);
    try {
      for (const table of ['process_drafts', 'process_deployments']) expect(await t.db.schema.hasTable(table)).toBe(true);
      await rollbackAll(t.db, t.schema);
      for (const table of ['process_drafts', 'process_deployments']) expect(await t.db.schema.hasTable(table)).toBe(false);
    } finally {
      await t.close();
    }
  });
});
