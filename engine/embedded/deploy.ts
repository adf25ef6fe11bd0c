/**
 * What a resource must pass before the embedded engine runs it: guarded XML (no DTDs, bounded
 * size and depth, checked by a linear scan before any parser sees it), a parse with the Zeebe
 * moddle, deploy validation where every problem names its element, then compilation.
 */
import type { DeployProblem, Variables } from '../types.js';
import { parseFeel } from './feel/index.js';
import { DmnError, evaluateDecision, parseDmn } from './dmn/index.js';
import { compile, parseModdle, type ProcessModel } from './model.js';
import { guardXml, refuseResource } from '../bpmn/guard.js';
import { validateDefinitions } from '../bpmn/validate.js';

export { guardXml };

export interface DecisionRequirements {
  id: string;
  decisions: { id: string; name?: string; versionTag?: string }[];
  evaluate(decisionId: string, variables: Variables, now: () => number): unknown;
}

export interface DecisionService {
  evaluate(decisionId: string, variables: Variables, now: () => number): unknown;
}

export async function prepareBpmn(content: string | Buffer, resourceName: string): Promise<{ xml: string; processes: ProcessModel[]; warnings: DeployProblem[] }> {
  const xml = guardXml(content, resourceName);
  const moddle = await parseModdle(xml).catch((err: Error) => refuseResource(resourceName, err.message));
  const warnings: DeployProblem[] = [];
  const problems = validateDefinitions(moddle.rootElement, resourceName, { checkFeel: parseFeel, warnings });
  if (problems.length) refuseResource(resourceName, problems.map((p) => p.message).join('; '), problems);
  const { processes } = compile(moddle);
  if (!processes.length) refuseResource(resourceName, 'no executable process (isExecutable="true") in the file');
  return { xml, processes, warnings };
}

export function prepareDmn(content: string | Buffer, resourceName: string): DecisionRequirements {
  const xml = guardXml(content, resourceName);
  let drg;
  try {
    drg = parseDmn(xml, resourceName);
  } catch (err) {
    if (err instanceof DmnError) refuseResource(resourceName, err.message, [{ resource: resourceName, elementId: err.elementId, message: err.message }]);
    throw err;
  }
  return {
    id: drg.id,
    decisions: drg.decisions.map((d) => ({ id: d.id, name: d.name, ...(d.versionTag ? { versionTag: d.versionTag } : {}) })),
    evaluate: (decisionId, variables, now) => {
      try {
        return evaluateDecision(drg, decisionId, variables, { now }).output;
      } catch (err) {
        const e = new Error((err as Error).message) as Error & { errorType: string };
        e.errorType = 'DECISION_EVALUATION_ERROR';
        throw e;
      }
    },
  };
}

/** The decision ids a prepared resource of a deployment carries (a parsed DMN, or one unchanged since its latest version). */
export function preparedDecisionIds(p: { kind: string; dmn?: { decisions: { id: string }[] }; same?: { decisions: { decisionId: string }[] } }): string[] {
  return [...(p.dmn?.decisions.map((d) => d.id) ?? []), ...(p.same?.decisions.map((d) => d.decisionId) ?? [])];
}

/**
 * Zeebe's deploy check for business rule tasks with bindingType `deployment`: a static decision
 * id must be one of the decisions deployed in the same deployment (an expression is resolved at
 * run time, where a miss is an incident). Refuses the BPMN resource naming the element, with
 * Zeebe's text.
 */
export function checkDecisionBindings(resourceName: string, processes: ProcessModel[], deployedDecisionIds: Set<string>): void {
  const problems: DeployProblem[] = [];
  for (const model of processes) {
    for (const info of model.elements.values()) {
      const called = info.calledDecision;
      if (!called || called.bindingType !== 'deployment' || called.decisionId.startsWith('=')) continue;
      if (deployedDecisionIds.has(called.decisionId)) continue;
      problems.push({ resource: resourceName, elementId: info.id, message: `Expected to find decision with id '${called.decisionId}' in current deployment, but not found.` });
    }
  }
  if (problems.length) refuseResource(resourceName, problems.map((p) => `${p.elementId}: ${p.message}`).join('; '), problems);
}
