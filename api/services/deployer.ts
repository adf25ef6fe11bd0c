/**
 * The one door resources go through to the engine: lint first (errors refuse with 422 naming
 * each element and rule), then deploy, then record who deployed each new process version, with
 * the audit row in the same transaction as the record. Refusals and failures are audited too.
 * Drafts add their checks (role, segregation of duties) in front of this.
 */
import type { Knex } from 'knex';
import { EngineError, type Deployment, type Engine, type Resource } from '../../engine/types.js';
import type { Db } from '../../storage/db.js';
import { createAuditRepository, type NewAuditEntry } from '../../storage/repositories/audit.js';
import { createDraftRepository, type Draft } from '../../storage/repositories/drafts.js';
import { checkSod } from '../../domain/sod/index.js';
import type { Principal } from '../plugins/app/auth.js';
import { HttpProblem } from '../plugins/problem.js';
import { isBpmn, lintResources, lintTitle, type LintIssue } from './lint.js';
import { deploymentProblems } from './template-contracts.js';

export interface DeployRequest {
  actor: string;
  resources: { name: string; content: string }[];
  /** What the audit row is about: the draft, or the process for a direct deployment. */
  subject: { type: string; id: string };
  action: string;
  draftId?: string;
  /** Extra facts for the audit row (the draft's author, ...). */
  detail?: Record<string, unknown>;
  /** Runs inside the recording transaction, after the deployment record (draft bookkeeping). */
  record?: (tx: Knex.Transaction, deployment: Deployment) => Promise<void>;
}

export type DeployResult = Deployment & { warnings: LintIssue[] };

export function createDeployer(deps: { engine: Engine; db: Db }) {
  const { engine, db } = deps;
  const audit = (e: NewAuditEntry) => createAuditRepository(db).append(e);

  return {
    async deploy(req: DeployRequest): Promise<DeployResult> {
      const lint = await lintResources(req.resources);
      if (lint.errors.length) {
        await audit({ actor: req.actor, action: req.action, subjectType: req.subject.type, subjectId: req.subject.id, outcome: 'refused', rule: 'lint', detail: { ...req.detail, errors: lint.errors.slice(0, 50) } });
        throw new HttpProblem(422, lintTitle(lint.errors), { rule: 'lint', errors: lint.errors, warnings: lint.warnings }).markAudited();
      }
      // every template the process sends must get all its data at the element that sends it
      const contract = await deploymentProblems(db, req.resources);
      if (contract.length) {
        await audit({ actor: req.actor, action: req.action, subjectType: req.subject.type, subjectId: req.subject.id, outcome: 'refused', rule: 'template-contract', detail: { ...req.detail, errors: contract.slice(0, 50) } });
        throw new HttpProblem(422, `${contract[0].message}${contract.length > 1 ? ` (and ${contract.length - 1} more)` : ''}`, { rule: 'template-contract', errors: contract, warnings: lint.warnings }).markAudited();
      }
      let deployment: Deployment;
      try {
        deployment = await engine.deploy(req.resources as Resource[]);
      } catch (err) {
        await audit({ actor: req.actor, action: req.action, subjectType: req.subject.type, subjectId: req.subject.id, outcome: 'failed', detail: { ...req.detail, error: (err as Error).message } });
        // the engine's own refusal (a DMN file, a form, what lint does not see) as the same 422 lint gives
        if (err instanceof EngineError && (err.code === 'DEPLOY_REFUSED' || err.code === 'INVALID_ARGUMENT')) {
          const d = err.details ?? {};
          const problems = d.problems?.length ? d.problems : [{ elementId: d.elementId, message: err.message }];
          const errors = problems.map((p) => ({ resource: d.resource ?? req.resources.map((r) => r.name).join(', '), elementId: p.elementId ?? null, rule: 'engine', message: p.message }));
          throw new HttpProblem(422, err.message, { rule: 'engine', errors, warnings: lint.warnings });
        }
        throw err;
      }
      const content = new Map(req.resources.filter((r) => isBpmn(r.name)).map((r) => [r.name, r.content]));
      await db.transaction(async (tx) => {
        const drafts = createDraftRepository(tx);
        for (const p of deployment.processes.filter((x) => !x.duplicate)) {
          await drafts.recordDeployment({ processDefinitionKey: p.processDefinitionKey, bpmnProcessId: p.bpmnProcessId, version: p.version, resourceName: p.resourceName, xml: content.get(p.resourceName) ?? '', deployedBy: req.actor, draftId: req.draftId });
        }
        await req.record?.(tx, deployment);
        await createAuditRepository(tx).append({
          actor: req.actor,
          action: req.action,
          subjectType: req.subject.type,
          subjectId: req.subject.id,
          // a draft's deployment is a decision (role, segregation of duties); a direct one is a change
          outcome: req.draftId ? 'allowed' : 'done',
          detail: {
            ...req.detail,
            deploymentKey: deployment.deploymentKey,
            processes: deployment.processes.map((p) => ({ bpmnProcessId: p.bpmnProcessId, version: p.version, processDefinitionKey: p.processDefinitionKey, duplicate: p.duplicate })),
            warnings: lint.warnings.length,
          },
        });
      });
      return { ...deployment, warnings: lint.warnings };
    },
  };
}

export type Deployer = ReturnType<typeof createDeployer>;

/**
 * Who may deploy a draft (of a process or a decision table): an engineer, never its author
 * (segregation of duties), and only once. A refusal is audited under `action` and thrown as a
 * problem naming the rule; the allowed decision is audited with the deployment itself.
 */
export async function guardDraftDeployment(
  db: Db,
  who: Principal,
  draft: Draft,
  audit: { action: string; subjectType: string; label: string; facts: Record<string, unknown> },
): Promise<void> {
  const refuse = async (rule: string, reason: string, status = 403): Promise<never> => {
    await createAuditRepository(db).append({ actor: who.id, action: audit.action, subjectType: audit.subjectType, subjectId: draft.id, outcome: 'refused', rule, detail: { ...audit.facts, reason } });
    throw new HttpProblem(status, reason, { rule }).markAudited();
  };
  if (!who.roles.includes('engineer')) await refuse('role', `only engineers deploy; ${who.id} has ${who.roles.join(', ')}`);
  // a decision table version counts as a process version here: its author does not deploy it
  const decision = checkSod({ actor: { id: who.id, groups: who.groups }, duty: 'deploy', subject: { kind: 'process-version', id: draft.id }, history: [{ actor: draft.author, duty: 'author' }] });
  if (!decision.allowed) await refuse(decision.rule, decision.reason);
  if (draft.deployedVersion !== null) await refuse('already-deployed', `${audit.label} ${draft.id} was already deployed as ${draft.bpmnProcessId} version ${draft.deployedVersion} by ${draft.deployedBy}; save a new draft to change it`, 409);
}
