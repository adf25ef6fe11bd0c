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
  decisions: { id: string; name?: string }[];
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
    decisions: drg.decisions.map((d) => ({ id: d.id, name: d.name })),
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
