/**
 * Process versions and how they get made: deployed process definitions (list, XML, download),
 * drafts saved by analysts and engineers, a draft's deployment (engineers only, never by its
 * author: segregation of duties, every decision audited), and dry runs that lint a diagram and
 * run its process tests on a throw-away engine. Routes carrying XML take the app's body limit
 * (AppDeps.bodyLimit, meant for deployments); the XML guard then holds each file to 4 MiB.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { scanReferences } from '../../../engine/spec/model.js';
import type { Engine } from '../../../engine/types.js';
import type { Db } from '../../../storage/db.js';
import { createAuditRepository } from '../../../storage/repositories/audit.js';
import { createDraftRepository, type Draft as DraftRow, type DraftWithXml as DraftWithXmlRow } from '../../../storage/repositories/drafts.js';
import { principal, type Principal } from '../../plugins/app/auth.js';
import { HttpProblem, notFound } from '../../plugins/problem.js';
import { authProblems, Problem } from '../../schemas/common.js';
import {
  CreatedDraft,
  DefinitionParams,
  DefinitionQuery,
  DefinitionXml,
  DeploymentResult,
  DeploymentBody,
  Draft,
  DraftBody,
  DraftDeploymentBody,
  DraftParams,
  DraftQuery,
  DraftWithXml,
  DryRunBody,
  DryRunReport,
  LintProblem,
  ProcessDefinition,
  SpecProblem,
  SMALL_BODY,
} from '../../schemas/deployments.js';
import { createDeployer, guardDraftDeployment, type Deployer, type DeployResult } from '../../services/deployer.js';
import { createDryRun, type DryRunService } from '../../services/dry-run.js';
import { lintBpmn, lintResources, lintTitle } from '../../services/lint.js';
import { registerLargeJsonParser } from '../../services/diagram-pool.js';

const inspect = { roles: ['engineer' as const, 'admin' as const, 'analyst' as const, 'compliance' as const] };
const author = { roles: ['analyst' as const, 'engineer' as const] };
const test = { roles: ['analyst' as const, 'engineer' as const, 'admin' as const] };

export interface DeploymentRoutesOptions {
  engine: Engine;
  db: Db;
  deployer?: Deployer;
  dryRun?: DryRunService;
  /** Run the draft's process tests before deploying it (on unless a test turns it off). */
  specGate?: boolean;
  /** Where the process tests live (processes/ by default). */
  processesDir?: string;
}

interface Definition {
  processDefinitionKey: string;
  bpmnProcessId: string;
  version: number;
  resourceName: string;
  deployedAt: string;
  deployedBy?: string;
  draftId?: string;
}

/** Drops nulls: optional fields are absent, not null. */
const draftView = <T extends DraftRow>(d: T) => Object.fromEntries(Object.entries(d).filter(([, v]) => v !== null)) as Partial<T>;

const filename = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200) || 'process.bpmn';

export async function deploymentRoutes(app: FastifyInstance, opts: DeploymentRoutesOptions): Promise<void> {
  const { engine, db } = opts;
  const drafts = createDraftRepository(db);
  const deployer = opts.deployer ?? createDeployer({ engine, db });
  const dryRun = opts.dryRun ?? createDryRun({ processesDir: opts.processesDir });
  // a 4 MiB diagram's JSON body is parsed on the diagram pool, not on the event loop
  registerLargeJsonParser(app);

  /**
   * The one door a process version goes through, whichever route asked: an engineer who did not
   * author the draft (segregation of duties, refusals audited), its process tests passing (or an
   * override with a reason, audited), lint, then the deployment recorded with its audit row.
   */
  async function deployDraft(who: Principal, draft: DraftWithXmlRow, override: { reason: string } | undefined, via = 'draft') {
    const subject = { type: 'draft', id: draft.id };
    const facts = { bpmnProcessId: draft.bpmnProcessId, author: draft.author, via };
    await guardDraftDeployment(db, who, draft, { action: 'draft.deploy', subjectType: subject.type, label: 'draft', facts });

    // the process tests gate the deployment; an engineer may override a failing run, on the record
    let gate: Record<string, unknown> = { specs: 'passed' };
    if (opts.specGate !== false) {
      const report = await dryRun.run({ bpmnProcessId: draft.bpmnProcessId, xml: draft.xml });
      const failures: { file: string; case?: string; where?: string; error?: string }[] = report.specs.flatMap((sp) => [...(sp.error ? [{ file: sp.file, error: sp.error }] : []), ...sp.cases.filter((c) => c.status === 'failed').map((c) => ({ file: sp.file, case: c.name, where: c.failure?.where }))]);
      if (report.lint.errors.length === 0 && failures.length) {
        if (!override) {
          await createAuditRepository(db).append({ actor: who.id, action: 'draft.deploy', subjectType: subject.type, subjectId: subject.id, outcome: 'refused', rule: 'spec', detail: { ...facts, failures: failures.slice(0, 20) } });
          throw new HttpProblem(422, `${report.failed} process test case${report.failed === 1 ? '' : 's'} failed against this draft (first: ${failures[0].case ?? failures[0].file}); fix the draft or deploy with an override and a reason`, { rule: 'spec', report }).markAudited();
        }
        gate = { specs: 'overridden', overrideReason: override.reason, failures: failures.slice(0, 20) };
      } else gate = { specs: report.passed + report.skipped ? 'passed' : 'none', passed: report.passed, skipped: report.skipped };
    }

    return deployer.deploy({
      actor: who.id,
      resources: [{ name: `${draft.bpmnProcessId}.bpmn`, content: draft.xml }],
      subject,
      action: 'draft.deploy',
      draftId: draft.id,
      detail: { ...facts, ...gate },
      record: async (tx, deployment) => {
        const p = deployment.processes.find((x) => x.bpmnProcessId === draft.bpmnProcessId);
        if (p) await createDraftRepository(tx).markDeployed(draft.id, { by: who.id, version: p.version, processDefinitionKey: p.processDefinitionKey });
      },
    });
  }

  // The embedded engine's definitions are in Herald's database; with Zeebe, Herald lists the
  // versions it deployed itself (Zeebe's own list is in Operate).
  async function definitions(filter: { bpmnProcessId?: string; key?: string }): Promise<(Definition & { xml?: string })[]> {
    if (engine.kind !== 'embedded') {
      if (filter.key) {
        const r = await drafts.deployedXml(filter.key);
        return r ? [{ ...r, draftId: r.draftId ?? undefined }] : [];
      }
      return (await drafts.deployments({ bpmnProcessId: filter.bpmnProcessId })).map((r) => ({ ...r, draftId: r.draftId ?? undefined }));
    }
    const q = db('engine_resources').where({ kind: 'process' }).orderBy('resource_id').orderBy('version');
    if (filter.bpmnProcessId) q.where({ resource_id: filter.bpmnProcessId });
    if (filter.key) q.where({ key: filter.key });
    const rows = (await q.select(['key', 'resource_id', 'version', 'resource_name', 'created_at', ...(filter.key ? ['content'] : [])])) as Record<string, unknown>[];
    const who = new Map((await drafts.deployments({ keys: rows.map((r) => String(r.key)) })).map((r) => [r.processDefinitionKey, r]));
    return rows.map((r) => {
      const record = who.get(String(r.key));
      return {
        processDefinitionKey: String(r.key),
        bpmnProcessId: r.resource_id as string,
        version: Number(r.version),
        resourceName: r.resource_name as string,
        deployedAt: new Date(r.created_at as string).toISOString(),
        ...(record ? { deployedBy: record.deployedBy, ...(record.draftId ? { draftId: record.draftId } : {}) } : {}),
        ...(filter.key ? { xml: r.content as string } : {}),
      };
    });
  }

  async function definitionXml(key: string) {
    const [found] = await definitions({ key });
    if (!found?.xml) throw notFound(`process definition ${key}`);
    return found as Definition & { xml: string };
  }

  app.get(
    '/api/process-definitions',
    { config: inspect, schema: { tags: ['deployments'], summary: 'Deployed process versions, oldest first', querystring: DefinitionQuery, response: { 200: Type.Array(ProcessDefinition), 400: Problem, ...authProblems } } },
    async (request) => (await definitions({ bpmnProcessId: (request.query as { bpmnProcessId?: string }).bpmnProcessId })).map(({ xml: _xml, ...d }) => d),
  );

  app.get(
    '/api/process-definitions/:key/xml',
    { config: inspect, schema: { tags: ['deployments'], summary: "A deployed version's BPMN XML", params: DefinitionParams, response: { 200: DefinitionXml, 400: Problem, 404: Problem, ...authProblems } } },
    async (request) => ({ xml: (await definitionXml((request.params as { key: string }).key)).xml }),
  );

  app.get(
    '/api/process-definitions/:key/resource',
    {
      config: inspect,
      schema: {
        tags: ['deployments'],
        summary: 'Download a deployed version as its .bpmn file',
        params: DefinitionParams,
        response: { 200: { description: 'the .bpmn file', content: { 'application/xml': { schema: Type.String() } } }, 400: Problem, 404: Problem, ...authProblems },
      },
    },
    async (request, reply) => {
      const d = await definitionXml((request.params as { key: string }).key);
      return reply
        .type('application/xml; charset=utf-8')
        .header('content-disposition', `attachment; filename="${filename(d.resourceName)}"`)
        .header('x-content-type-options', 'nosniff')
        .send(d.xml);
    },
  );

  app.post(
    '/api/drafts',
    {
      config: author,
      schema: {
        tags: ['deployments'],
        summary: 'Save a draft of a process (you become its author); lint findings come back, unsafe or unreadable XML is refused',
        body: DraftBody,
        response: { 201: CreatedDraft, 400: Problem, 413: Problem, 422: LintProblem, ...authProblems },
      },
    },
    async (request, reply) => {
      const who = principal(request);
      const body = request.body as DraftBody;
      const resourceName = `${body.bpmnProcessId}.bpmn`;
      const lint = await lintBpmn(body.xml, resourceName);
      const unreadable = lint.errors.filter((e) => e.rule === 'xml');
      if (unreadable.length) throw new HttpProblem(422, `the draft cannot be saved: ${lintTitle(unreadable).replace(/^.*cannot be deployed: /, '')}`, { rule: 'xml', errors: unreadable });
      // the lint read the processes it defines (on the pool); a scan of the text is only for the refusal's wording
      const ids = lint.processIds.includes(body.bpmnProcessId) ? lint.processIds : scanReferences(resourceName, body.xml).defines;
      if (!ids.includes(body.bpmnProcessId)) {
        throw new HttpProblem(422, `the diagram defines no process '${body.bpmnProcessId}' (it defines ${ids.join(', ') || 'none'}); save it under its process id`, { field: 'body.bpmnProcessId', errors: [] });
      }
      const draft = await db.transaction(async (tx) => {
        const d = await createDraftRepository(tx).create({ bpmnProcessId: body.bpmnProcessId, xml: body.xml, author: who.id, baseVersion: body.baseVersion, checksum: lint.checksum });
        await createAuditRepository(tx).append({ actor: who.id, action: 'draft.create', subjectType: 'draft', subjectId: d.id, detail: { bpmnProcessId: d.bpmnProcessId, baseVersion: d.baseVersion, lintErrors: lint.errors.length, lintWarnings: lint.warnings.length } });
        return d;
      });
      const { xml: _xml, ...rest } = draft;
      reply.status(201);
      return { ...draftView(rest), lint: { errors: lint.errors, warnings: lint.warnings } };
    },
  );

  app.get(
    '/api/drafts',
    { config: inspect, schema: { tags: ['deployments'], summary: 'Drafts, newest first (without their XML)', querystring: DraftQuery, response: { 200: Type.Array(Draft), 400: Problem, ...authProblems } } },
    async (request) => (await drafts.list(request.query as { bpmnProcessId?: string; limit?: number })).map(draftView),
  );

  const draftOf = async (id: string) => {
    const d = await drafts.get(id);
    if (!d) throw notFound(`draft ${id}`);
    return d;
  };

  app.get(
    '/api/drafts/:id',
    { config: inspect, schema: { tags: ['deployments'], summary: 'A draft with its XML', params: DraftParams, response: { 200: DraftWithXml, 400: Problem, 404: Problem, ...authProblems } } },
    async (request) => draftView(await draftOf((request.params as { id: string }).id)),
  );

  app.post(
    '/api/drafts/:id/deployment',
    {
      bodyLimit: SMALL_BODY,
      schema: {
        tags: ['deployments'],
        summary:
          "Deploy a draft: engineers only, never its author (segregation of duties); lint errors refuse it; its process tests run first and a failure blocks it unless the engineer overrides with a reason (audited)",
        params: DraftParams,
        body: Type.Optional(DraftDeploymentBody),
        // 413: a draft saved before the element limit existed is refused by it at deploy
        response: { 201: DeploymentResult, 400: Problem, 404: Problem, 409: Problem, 413: Problem, 422: Type.Union([LintProblem, SpecProblem]), ...authProblems },
      },
    },
    async (request, reply) => {
      const who = principal(request);
      const draft = await draftOf((request.params as { id: string }).id);
      const result = await deployDraft(who, draft, (request.body as DraftDeploymentBody | undefined)?.override);
      reply.status(201);
      return result;
    },
  );

  app.post(
    '/api/deployments',
    {
      config: { roles: ['engineer' as const, 'admin' as const] },
      schema: {
        tags: ['deployments'],
        summary: 'Deploy the saved process drafts whose content is sent: the same door as a draft deployment (engineer, never the author, process tests gate it, lint errors refuse); content that is no saved draft is refused (403 draft-required)',
        body: DeploymentBody,
        response: { 201: DeploymentResult, 400: Problem, 409: Problem, 413: Problem, 422: Type.Union([LintProblem, SpecProblem]), ...authProblems },
      },
    },
    async (request, reply) => {
      const who = principal(request);
      const { resources, override } = request.body as DeploymentBody;
      const ids = resources.flatMap((r) => scanReferences(r.name, r.content).defines);
      const refuse = async (rule: string, reason: string, field: string): Promise<never> => {
        await createAuditRepository(db).append({ actor: who.id, action: 'process.deploy', subjectType: 'process', subjectId: (ids.join(',') || resources.map((r) => r.name).join(',')).slice(0, 128), outcome: 'refused', rule, detail: { resources: resources.map((r) => r.name), reason } });
        throw new HttpProblem(403, reason, { rule, field }).markAudited();
      };
      // bad content hears what is wrong with it first (lint errors name elements; the XML guard names the limit)
      const lint = await lintResources(resources);
      if (lint.errors.length) {
        await createAuditRepository(db).append({ actor: who.id, action: 'process.deploy', subjectType: 'process', subjectId: (ids.join(',') || resources.map((r) => r.name).join(',')).slice(0, 128), outcome: 'refused', rule: 'lint', detail: { resources: resources.map((r) => r.name), errors: lint.errors.slice(0, 50) } });
        throw new HttpProblem(422, lintTitle(lint.errors), { rule: 'lint', errors: lint.errors, warnings: lint.warnings }).markAudited();
      }
      // a deployment is always a reviewed draft: each resource must be a saved draft, deployed through the draft door
      const chosen: DraftWithXmlRow[] = [];
      for (const [i, r] of resources.entries()) {
        const field = `resources[${i}]`;
        if (!/\.bpmn$/i.test(r.name)) await refuse('draft-required', `${r.name}: only process diagrams (.bpmn) are deployed here, each from a saved draft; decision tables deploy from decision drafts (POST /api/decision-drafts/{id}/deployment), forms ship in processes/ and deploy at start`, field);
        const candidates = await drafts.undeployedWithContent(r.content);
        if (!candidates.length) await refuse('draft-required', `${r.name} matches no saved draft: save it as a draft (POST /api/drafts) and another engineer deploys it (author-not-deployer)`, field);
        chosen.push(candidates.find((d) => d.author !== who.id) ?? candidates[0]);
      }
      const results: DeployResult[] = [];
      for (const draft of chosen) results.push(await deployDraft(who, draft, override, 'content'));
      reply.status(201);
      return results.length === 1 ? results[0] : { ...results[results.length - 1], processes: results.flatMap((r) => r.processes), decisions: results.flatMap((r) => r.decisions), forms: results.flatMap((r) => r.forms), warnings: results.flatMap((r) => r.warnings) };
    },
  );

  const reportDryRun = async (reply: FastifyReply, bpmnProcessId: string, xml: string) => {
    const report = await dryRun.run({ bpmnProcessId, xml });
    return reply.status(200).send(report);
  };

  app.post(
    '/api/drafts/:id/dry-run',
    {
      config: test,
      bodyLimit: SMALL_BODY,
      schema: {
        tags: ['deployments'],
        summary: "Lint the draft and run its process's tests against it on a throw-away engine; deploys nothing",
        params: DraftParams,
        // 413 and 422: the diagram pool's element-count limit and time budget
        response: { 200: DryRunReport, 400: Problem, 404: Problem, 413: Problem, 422: LintProblem, ...authProblems },
      },
    },
    async (request, reply) => {
      const draft = await draftOf((request.params as { id: string }).id);
      return reportDryRun(reply, draft.bpmnProcessId, draft.xml);
    },
  );

  app.post(
    '/api/deployments/dry-run',
    {
      config: test,
      schema: {
        tags: ['deployments'],
        summary: "Lint a diagram and run its process's tests against it on a throw-away engine; deploys nothing",
        body: Type.Union([DryRunBody, DeploymentBody]),
        response: { 200: DryRunReport, 400: Problem, 413: Problem, 422: LintProblem, ...authProblems },
      },
    },
    async (request, reply) => {
      const body = request.body as { bpmnProcessId?: string; xml?: string; resources?: { name: string; content: string }[] };
      const resource = body.xml !== undefined ? { name: `${body.bpmnProcessId ?? 'process'}.bpmn`, content: body.xml } : body.resources!.find((r) => /\.bpmn$/i.test(r.name));
      if (!resource) throw new HttpProblem(400, 'a dry run needs one .bpmn resource', { field: 'body.resources' });
      let id = body.bpmnProcessId;
      if (!id) {
        const lint = await lintResources([resource]);
        if (lint.errors.some((e) => e.rule === 'xml')) throw new HttpProblem(422, lintTitle(lint.errors), { rule: 'lint', errors: lint.errors, warnings: lint.warnings });
        if (lint.processIds.length !== 1) throw new HttpProblem(400, `name the process to test with bpmnProcessId: the diagram defines ${lint.processIds.length ? lint.processIds.join(', ') : 'no executable process'}`, { field: 'body.bpmnProcessId' });
        id = lint.processIds[0];
      }
      return reportDryRun(reply, id, resource.content);
    },
  );
}
