import { Type, type Static } from '@sinclair/typebox';
import { Problem } from './common.js';
import { DefinitionParams, DefinitionXml, draftLifecycle, LintIssue, MAX_XML_CHARS, SMALL_BODY } from './deployments.js';

export { SMALL_BODY };

/** The id of a DMN file's <definitions>: the decision requirements graph (DRG) Zeebe versions. */
export const DecisionRequirementsId = Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$' });

export const DecisionDefinition = Type.Object({
  decisionRequirementsKey: Type.String(),
  decisionRequirementsId: Type.String(),
  name: Type.Optional(Type.String()),
  version: Type.Integer(),
  resourceName: Type.String(),
  deployedAt: Type.String({ format: 'date-time' }),
  /** The decisions the file defines (what a business rule task's zeebe:calledDecision names). */
  decisionIds: Type.Array(Type.String()),
  deployedBy: Type.Optional(Type.String()),
  draftId: Type.Optional(Type.String()),
});
export const DecisionDefinitionQuery = Type.Object({ decisionRequirementsId: Type.Optional(DecisionRequirementsId) }, { additionalProperties: false });
// a deployed version's key and XML are shaped as for processes
export const DecisionDefinitionParams = DefinitionParams;
export const DecisionDefinitionXml = DefinitionXml;

export const DecisionDraft = Type.Object({
  id: Type.String(),
  decisionRequirementsId: Type.String(),
  ...draftLifecycle,
  decisionRequirementsKey: Type.Optional(Type.String()),
});
export const DecisionDraftWithXml = Type.Object({ ...DecisionDraft.properties, xml: Type.String() });
export const CreatedDecisionDraft = Type.Object({ ...DecisionDraft.properties, decisionIds: Type.Array(Type.String()) });
export const DecisionDraftBody = Type.Object(
  {
    decisionRequirementsId: DecisionRequirementsId,
    xml: Type.String({ minLength: 1, maxLength: MAX_XML_CHARS }),
    baseVersion: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  },
  { additionalProperties: false },
);
export type DecisionDraftBody = Static<typeof DecisionDraftBody>;
export const DecisionDraftQuery = Type.Object({ decisionRequirementsId: Type.Optional(DecisionRequirementsId), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }, { additionalProperties: false });
export const DecisionDraftParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** A deployed draft: the DRG's new version (or the unchanged one, `duplicate`), and its decisions. */
export const DecisionDeploymentResult = Type.Object({
  deploymentKey: Type.String(),
  decisionRequirementsId: Type.String(),
  decisionRequirementsKey: Type.String(),
  version: Type.Integer(),
  duplicate: Type.Boolean(),
  decisions: Type.Array(Type.Object({ decisionId: Type.String(), decisionName: Type.Optional(Type.String()), decisionKey: Type.String(), version: Type.Integer() })),
});

/** 422: the DMN cannot be read or evaluated; `errors` names the element (decision, rule, cell) where it can. */
export const DmnProblem = Type.Object({ ...Problem.properties, rule: Type.String(), errors: Type.Array(LintIssue) }, { additionalProperties: true });
