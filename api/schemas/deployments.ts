import { Type, type Static } from '@sinclair/typebox';
import { Problem } from './common.js';

/** The XML guard's limit (engine/bpmn/guard.ts): a diagram is at most 4 MiB. */
export const MAX_XML_CHARS = 4 * 1024 * 1024;
export const SMALL_BODY = 16 * 1024;

export const BpmnProcessId = Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$' });

export const LintIssue = Type.Object({
  resource: Type.String(),
  elementId: Type.Union([Type.String(), Type.Null()]),
  rule: Type.String(),
  message: Type.String(),
});
export const LintSummary = Type.Object({ errors: Type.Array(LintIssue), warnings: Type.Array(LintIssue) });

/** 422: the diagram has lint errors (or unsafe XML); `errors` names each element and rule. */
export const LintProblem = Type.Object({ ...Problem.properties, errors: Type.Array(LintIssue), warnings: Type.Optional(Type.Array(LintIssue)) }, { additionalProperties: true });

export const ProcessDefinition = Type.Object({
  processDefinitionKey: Type.String(),
  bpmnProcessId: Type.String(),
  version: Type.Integer(),
  resourceName: Type.String(),
  deployedAt: Type.String({ format: 'date-time' }),
  deployedBy: Type.Optional(Type.String()),
  draftId: Type.Optional(Type.String()),
});
export const DefinitionQuery = Type.Object({ bpmnProcessId: Type.Optional(BpmnProcessId) }, { additionalProperties: false });
export const DefinitionParams = Type.Object({ key: Type.String({ pattern: '^[0-9]{1,30}$' }) });
export const DefinitionXml = Type.Object({ xml: Type.String() });

/** What every draft records of its life, process or decision: who wrote it on which version, and its deployment. */
export const draftLifecycle = {
  author: Type.String(),
  baseVersion: Type.Optional(Type.Integer()),
  createdAt: Type.String({ format: 'date-time' }),
  deployedBy: Type.Optional(Type.String()),
  deployedAt: Type.Optional(Type.String({ format: 'date-time' })),
  deployedVersion: Type.Optional(Type.Integer()),
};

export const Draft = Type.Object({
  id: Type.String(),
  bpmnProcessId: Type.String(),
  ...draftLifecycle,
  processDefinitionKey: Type.Optional(Type.String()),
});
export const DraftWithXml = Type.Object({ ...Draft.properties, xml: Type.String() });
export const CreatedDraft = Type.Object({ ...Draft.properties, lint: LintSummary });
export const DraftBody = Type.Object(
  {
    bpmnProcessId: BpmnProcessId,
    xml: Type.String({ minLength: 1, maxLength: MAX_XML_CHARS }),
    baseVersion: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  },
  { additionalProperties: false },
);
export type DraftBody = Static<typeof DraftBody>;
export const DraftQuery = Type.Object({ bpmnProcessId: Type.Optional(BpmnProcessId), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }, { additionalProperties: false });
export const DraftParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

const DeployedProcess = Type.Object({ bpmnProcessId: Type.String(), version: Type.Integer(), processDefinitionKey: Type.String(), resourceName: Type.String(), duplicate: Type.Boolean() });
/** The engine's deployment, with the lint warnings that did not stop it. */
export const DeploymentResult = Type.Object({
  deploymentKey: Type.String(),
  processes: Type.Array(DeployedProcess),
  decisions: Type.Array(Type.Unknown()),
  forms: Type.Array(Type.Unknown()),
  warnings: Type.Array(LintIssue),
});

export const DeploymentBody = Type.Object(
  {
    resources: Type.Array(Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }), content: Type.String({ maxLength: MAX_XML_CHARS }) }, { additionalProperties: false }), { minItems: 1, maxItems: 50 }),
    /** As for a draft's deployment: deploy despite failing process tests, with a reason on the record. */
    override: Type.Optional(Type.Object({ reason: Type.String({ minLength: 10, maxLength: 2000 }) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type DeploymentBody = Static<typeof DeploymentBody>;
export const DryRunBody = Type.Object(
  {
    bpmnProcessId: Type.Optional(BpmnProcessId),
    xml: Type.String({ minLength: 1, maxLength: MAX_XML_CHARS }),
  },
  { additionalProperties: false },
);
export type DryRunBody = Static<typeof DryRunBody>;

const DryRunCase = Type.Object({
  name: Type.String(),
  status: Type.Union([Type.Literal('passed'), Type.Literal('failed'), Type.Literal('skipped')]),
  durationMs: Type.Integer(),
  failure: Type.Optional(Type.Object({ where: Type.String(), message: Type.String(), expected: Type.Optional(Type.String()), actual: Type.Optional(Type.String()) })),
  skipReason: Type.Optional(Type.String()),
});
export const DryRunReport = Type.Object({
  bpmnProcessId: Type.String(),
  ok: Type.Boolean(),
  lint: LintSummary,
  specs: Type.Array(Type.Object({ file: Type.String(), error: Type.Optional(Type.String()), cases: Type.Array(DryRunCase) })),
  passed: Type.Integer(),
  failed: Type.Integer(),
  skipped: Type.Integer(),
  durationMs: Type.Integer(),
  /** The same diagram, process id and processes/ folder were dry-run before: that run's results, not a second run. */
  reused: Type.Optional(Type.Boolean()),
});

/** Deploying a draft: its process tests run first; a failing run blocks unless an engineer overrides it, with a reason. */
export const DraftDeploymentBody = Type.Object(
  { override: Type.Optional(Type.Object({ reason: Type.String({ minLength: 10, maxLength: 2000 }) }, { additionalProperties: false })) },
  { additionalProperties: false },
);
export type DraftDeploymentBody = Static<typeof DraftDeploymentBody>;
export const SpecProblem = Type.Object({ ...Problem.properties, report: DryRunReport }, { additionalProperties: true });
