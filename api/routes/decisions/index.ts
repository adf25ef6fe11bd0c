/**
 * Decision tables, edited and deployed like diagrams: deployed decision requirements graphs
 * (one per .dmn file, versioned as a whole, as Zeebe does) with their XML, drafts saved by
 * analysts and engineers, and a draft's deployment (engineers only, never by its author:
 * segregation of duties, every decision audited). DMN is checked with the embedded engine's
 * own reader before it is saved or deployed, so both engines get only tables Herald can run.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { DmnError } from '../../../engine/embedded/dmn/index.js';
import { scanReferences } from '../../../engine/spec/model.js';
import { EngineError, type Engine } from '../../../engine/types.js';
import type { Db } from '../../../storage/db.js';
import { createAuditRepository } from '../../../storage/repositories/audit.js';
import { createDraftRepository, type Draft as DraftRow } from '../../../storage/repositories/drafts.js';
import { principal } from '../../plugins/app/auth.js';
import { HttpProblem, notFound } from '../../plugins/problem.js';
import { authProblems, Problem } from '../../schemas/common.js';
import {
  CreatedDecisionDraft,
  DecisionDefinition,
  DecisionDefinitionParams,
  DecisionDefinitionQuery,
  DecisionDefinitionXml,
  DecisionDeploymentResult,
  DecisionDraft,
  DecisionDraftBody,
  DecisionDraftParams,
  DecisionDraftQuery,
  DecisionDraftWithXml,
  DmnProblem,
  SMALL_BODY,
} from '../../schemas/decisions.js';
import { createDeployer, guardDraftDeployment, type Deployer } from '../../services/deployer.js';
import { readDmn, registerLargeJsonParser } from '../../services/diagram-pool.js';

const inspect = { roles: ['engineer' as const, 'admin' as const, 'analyst' as const, 'compliance' as const] };
const author = { roles: ['analyst' as const, 'engineer' as const] };

export interface DecisionRoutesOptions {
  engine: Engine;
  db: Db;
  deployer?: Deployer;
}

/** A deployed version as the list answers it, with its XML when one version was asked for. */
type Definition = Static<typeof DecisionDefinition> & { xml?: string };

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The name on the file's <definitions>, read without parsing the whole file. */
function drgName(xml: string): string | undefined {
  const root = /<(?:[\w-]+:)?definitions\b[^>]*>/.exec(xml)?.[0];
  const name = root && /\sname="([^"]*)"/.exec(root)?.[1];
  return name ? name.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ENTITIES[e]) : undefined;
}

/**
 * Reads the DMN the way the embedded engine will: unsafe or unreadable XML, FEEL that does not
 * parse and unknown required decisions are refused with 422, naming the element where it can.
 */
async function checkDmn(xml: string, resourceName: string, what: 'saved' | 'deployed'): Promise<{ id: string; decisionIds: string[] }> {
  const refuse = (message: string, elementId: string | null): never => {
    throw new HttpProblem(422, `the decision table cannot be ${what}: ${message.replace(/^'[^']+':? ?/, '')}`, { rule: 'dmn', errors: [{ resource: resourceName, elementId, rule: 'dmn', message }] });
  };
  try {
    // read on the diagram pool: a large DMN file never holds the event loop
    return await readDmn(xml, resourceName);
  } catch (err) {
    if (err instanceof DmnError) return refuse(err.message, err.elementId ?? null);
    if (err instanceof EngineError) return refuse(err.message.replace(`${resourceName}: `, ''), null);
    throw err;
  }
}

const draftView = (d: DraftRow) => {
  const { bpmnProcessId, processDefinitionKey, ...rest } = d;
  const view = { ...rest, decisionRequirementsId: bpmnProcessId, decisionRequirementsKey: processDefinitionKey };
  return Object.fromEntries(Object.entries(view).filter(([, v]) => v !== null && v !== undefined));
};

export async function decisionRoutes(app: FastifyInstance, opts: DecisionRoutesOptions): Promise<void> {
  const { engine, db } = opts;
  const drafts = createDraftRepository(db);
  const deployer = opts.deployer ?? createDeployer({ engine, db });
  registerLargeJsonParser(app);

  // The embedded engine's DRGs are in Herald's database; with Zeebe, Herald lists the versions
  // it deployed itself from a draft (Zeebe's own list is in Operate).
  async function definitions(filter: { decisionRequirementsId?: string; key?: string }): Promise<Definition[]> {
    if (engine.kind !== 'embedded') {
      const records = filter.key
        ? [await drafts.deployedXml(filter.key, 'drg')].filter((r) => r !== undefined)
        : await Promise.all((await drafts.deployments({ bpmnProcessId: filter.decisionRequirementsId, kind: 'drg' })).map(async (r) => (await drafts.deployedXml(r.processDefinitionKey, 'drg'))!));
      return records.map((r) => ({
        decisionRequirementsKey: r.processDefinitionKey,
        decisionRequirementsId: r.bpmnProcessId,
        name: drgName(r.xml),
        version: r.version,
        resourceName: r.resourceName,
        deployedAt: r.deployedAt,
        decisionIds: scanReferences(r.resourceName, r.xml).defines,
        deployedBy: r.deployedBy,
        ...(r.draftId ? { draftId: r.draftId } : {}),
        ...(filter.key ? { xml: r.xml } : {}),
      }));
    }
    const q = db('engine_resources').where({ kind: 'drg' }).orderBy('resource_id').orderBy('version');
    if (filter.decisionRequirementsId) q.where({ resource_id: filter.decisionRequirementsId });
    if (filter.key) q.where({ key: filter.key });
    const rows = (await q.select(['key', 'resource_id', 'version', 'resource_name', 'content', 'meta', 'created_at'])) as Record<string, unknown>[];
    const who = new Map((await drafts.deployments({ keys: rows.map((r) => String(r.key)), kind: 'drg' })).map((r) => [r.processDefinitionKey, r]));
    return rows.map((r) => {
      const meta = (typeof r.meta === 'string' ? JSON.parse(r.meta) : r.meta) as { decisions?: string[] };
      const record = who.get(String(r.key));
      return {
        decisionRequirementsKey: String(r.key),
        decisionRequirementsId: r.resource_id as string,
        name: drgName(r.content as string),
        version: Number(r.version),
        resourceName: r.resource_name as string,
        deployedAt: new Date(r.created_at as string).toISOString(),
        decisionIds: meta.decisions ?? [],
        ...(record ? { deployedBy: record.deployedBy, ...(record.draftId ? { draftId: record.draftId } : {}) } : {}),
        ...(filter.key ? { xml: r.content as string } : {}),
      };
    });
  }

  app.get(
    '/api/decision-definitions',
    {
      config: inspect,
      schema: { tags: ['decisions'], summary: 'Deployed decision requirements graphs (one per .dmn file), oldest version first', querystring: DecisionDefinitionQuery, response: { 200: Type.Array(DecisionDefinition), 400: Problem, ...authProblems } },
    },
    async (request) => (await definitions({ decisionRequirementsId: (request.query as { decisionRequirementsId?: string }).decisionRequirementsId })).map(({ xml: _xml, ...d }) => d),
  );

  app.get(
    '/api/decision-definitions/:key/xml',
    { config: inspect, schema: { tags: ['decisions'], summary: "A deployed version's DMN XML", params: DecisionDefinitionParams, response: { 200: DecisionDefinitionXml, 400: Problem, 404: Problem, ...authProblems } } },
    async (request) => {
      const key = (request.params as { key: string }).key;
      const [found] = await definitions({ key });
      if (!found?.xml) throw notFound(`decision definition ${key}`);
      return { xml: found.xml };
    },
  );

  app.post(
    '/api/decision-drafts',
    {
      config: author,
      schema: {
        tags: ['decisions'],
        summary: 'Save a draft of a decision table (you become its author); DMN the engine cannot read or run is refused',
        body: DecisionDraftBody,
        response: { 201: CreatedDecisionDraft, 400: Problem, 413: Problem, 422: DmnProblem, ...authProblems },
      },
    },
    async (request, reply) => {
      const who = principal(request);
      const body = request.body as DecisionDraftBody;
      const drg = await checkDmn(body.xml, `${body.decisionRequirementsId}.dmn`, 'saved');
      if (drg.id !== body.decisionRequirementsId) {
        throw new HttpProblem(422, `the DMN file's definitions id is '${drg.id}', not '${body.decisionRequirementsId}'; save it under its own id`, { field: 'body.decisionRequirementsId', rule: 'dmn', errors: [] });
      }
      const decisionIds = drg.decisionIds;
      const draft = await db.transaction(async (tx) => {
        const d = await createDraftRepository(tx).create({ kind: 'drg', bpmnProcessId: body.decisionRequirementsId, xml: body.xml, author: who.id, baseVersion: body.baseVersion });
        await createAuditRepository(tx).append({ actor: who.id, action: 'decision-draft.create', subjectType: 'decision-draft', subjectId: d.id, detail: { decisionRequirementsId: d.bpmnProcessId, baseVersion: d.baseVersion, decisionIds } });
        return d;
      });
      const { xml: _xml, ...rest } = draft;
      reply.status(201);
      return { ...draftView(rest), decisionIds };
    },
  );

  app.get(
    '/api/decision-drafts',
    { config: inspect, schema: { tags: ['decisions'], summary: 'Decision table drafts, newest first (without their XML)', querystring: DecisionDraftQuery, response: { 200: Type.Array(DecisionDraft), 400: Problem, ...authProblems } } },
    async (request) => {
      const q = request.query as { decisionRequirementsId?: string; limit?: number };
      return (await drafts.list({ kind: 'drg', bpmnProcessId: q.decisionRequirementsId, limit: q.limit })).map(draftView);
    },
  );

  const draftOf = async (id: string) => {
    const d = await drafts.get(id, 'drg');
    if (!d) throw notFound(`decision draft ${id}`);
    return d;
  };

  app.get(
    '/api/decision-drafts/:id',
    { config: inspect, schema: { tags: ['decisions'], summary: 'A decision table draft with its XML', params: DecisionDraftParams, response: { 200: DecisionDraftWithXml, 400: Problem, 404: Problem, ...authProblems } } },
    async (request) => draftView(await draftOf((request.params as { id: string }).id)),
  );

  app.post(
    '/api/decision-drafts/:id/deployment',
    {
      bodyLimit: SMALL_BODY,
      schema: {
        tags: ['decisions'],
        summary: 'Deploy a decision table draft: engineers only, never its author (segregation of duties); every decision is audited',
        params: DecisionDraftParams,
        response: { 201: DecisionDeploymentResult, 400: Problem, 404: Problem, 409: Problem, 422: DmnProblem, ...authProblems },
      },
    },
    async (request, reply) => {
      const who = principal(request);
      const draft = await draftOf((request.params as { id: string }).id);
      const subject = { type: 'decision-draft', id: draft.id };
      const facts = { decisionRequirementsId: draft.bpmnProcessId, author: draft.author };
      await guardDraftDeployment(db, who, draft, { action: 'decision-draft.deploy', subjectType: subject.type, label: 'decision draft', facts });

      const resourceName = `${draft.bpmnProcessId}.dmn`;
      await checkDmn(draft.xml, resourceName, 'deployed');
      let outcome: { key: string; version: number; duplicate: boolean } | undefined;
      const result = await deployer
        .deploy({
          actor: who.id,
          resources: [{ name: resourceName, content: draft.xml }],
          subject,
          action: 'decision-draft.deploy',
          draftId: draft.id,
          detail: facts,
          record: async (tx, deployment) => {
            const mine = deployment.decisions.filter((d) => d.decisionRequirementsId === draft.bpmnProcessId);
            if (!mine.length) return;
            // the embedded engine's decision keys are `<DRG key>:<decision id>`; Zeebe's port gives no DRG key, so its first decision's key stands in
            outcome = { key: mine[0].decisionKey.split(':')[0], version: mine[0].version, duplicate: mine.every((d) => d.duplicate) };
            const repo = createDraftRepository(tx);
            if (!outcome.duplicate) await repo.recordDeployment({ kind: 'drg', processDefinitionKey: outcome.key, bpmnProcessId: draft.bpmnProcessId, version: outcome.version, resourceName, xml: draft.xml, deployedBy: who.id, draftId: draft.id });
            await repo.markDeployed(draft.id, { by: who.id, version: outcome.version, processDefinitionKey: outcome.key });
          },
        })
        .catch((err: unknown) => {
          // an engine that refuses what Herald's reader accepted (Zeebe) answers in the same shape (the deployer audited it
          // and turns the engine's refusal into a 422 of rule 'engine'; here it is the decision table's)
          if (err instanceof HttpProblem && err.extra.rule === 'engine') {
            const errors = ((err.extra.errors as { resource: string; elementId: string | null; message: string }[] | undefined) ?? []).map((e) => ({ ...e, rule: 'dmn' }));
            throw new HttpProblem(422, `the decision table cannot be deployed: ${err.message}`, { rule: 'dmn', errors });
          }
          if (!(err instanceof EngineError) || err.code !== 'DEPLOY_REFUSED') throw err;
          const errors = (err.details?.problems ?? [{ resource: resourceName, message: err.message }]).map((p) => ({ resource: p.resource, elementId: p.elementId ?? null, rule: 'dmn', message: p.message }));
          throw new HttpProblem(422, `the decision table cannot be deployed: ${err.message}`, { rule: 'dmn', errors });
        });
      if (!outcome) throw new HttpProblem(422, `the deployment defined no decisions of '${draft.bpmnProcessId}'`, { rule: 'dmn', errors: [] });
      reply.status(201);
      return {
        deploymentKey: result.deploymentKey,
        decisionRequirementsId: draft.bpmnProcessId,
        decisionRequirementsKey: outcome.key,
        version: outcome.version,
        duplicate: outcome.duplicate,
        decisions: result.decisions.map((d) => ({ decisionId: d.decisionId, ...(d.decisionName ? { decisionName: d.decisionName } : {}), decisionKey: d.decisionKey, version: d.version })),
      };
    },
  );
}
