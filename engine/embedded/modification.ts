/**
 * Process instance modification on the embedded engine (Zeebe's ModifyProcessInstance): every
 * instruction is checked against the instance's model and state first, with Zeebe's rejection
 * texts, and only then applied, in one command (runtime.ts `modify`): the modification commits
 * as one settled step or not at all.
 *
 * What the embedded engine activates: elements of the process itself (as start instructions
 * do), not start or boundary events, not an element that is already active (bpmn-engine runs
 * one execution of an element at a time). Elements inside a sub-process are refused, named,
 * with that reason. Terminations take any active element instance.
 */
import { EngineError, type ModifyInstanceRequest, type Variables } from '../types.js';
import type { InstanceRuntime } from './runtime.js';

export interface ModificationPlan {
  rootVariables: Variables;
  activate: { elementId: string; variables?: Variables }[];
  /** Execution ids of the element instances to terminate. */
  terminate: string[];
}

const isObject = (v: unknown): v is Variables => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Checks a request against the instance; throws INVALID_ARGUMENT naming the first bad instruction. */
export function planModification(rt: InstanceRuntime, request: ModifyInstanceRequest): ModificationPlan {
  const model = rt.model;
  const instanceKey = rt.data.instanceKey;
  const prefix = `Expected to modify instance of process '${model.bpmnProcessId}' but it contains one or more`;
  const refuse = (message: string, field: string, elementId?: string): never => {
    throw new EngineError('INVALID_ARGUMENT', message, { field, ...(elementId && { elementId }) });
  };
  if (!isObject(request)) refuse('the modification must be a JSON object with activateInstructions and/or terminateInstructions', 'body');
  const activations = request.activateInstructions ?? [];
  const terminations = request.terminateInstructions ?? [];
  if (!Array.isArray(activations)) refuse('activateInstructions must be a list', 'activateInstructions');
  if (!Array.isArray(terminations)) refuse('terminateInstructions must be a list', 'terminateInstructions');
  if (!activations.length && !terminations.length) refuse('a modification needs at least one activate or terminate instruction', 'activateInstructions');

  const plan: ModificationPlan = { rootVariables: {}, activate: [], terminate: [] };
  const activeElements = new Set(Object.values(rt.data.active).map((a) => a.elementId));
  const activating = new Set<string>();
  for (const [i, a] of activations.entries()) {
    const field = `activateInstructions[${i}].elementId`;
    const elementId = typeof a?.elementId === 'string' ? a.elementId : '';
    const info = model.elements.get(elementId);
    if (!info || info.type === 'bpmn:SequenceFlow') refuse(`${prefix} activate instructions with an element that could not be found: '${elementId}'`, field, elementId || undefined);
    const unsupported = (why: string) => refuse(`${prefix} activate instructions with an element that is unsupported: '${elementId}'. ${why}`, field, elementId);
    if (info!.type === 'bpmn:StartEvent') unsupported('The activation of start events is not supported.');
    if (info!.attachedTo) unsupported('The activation of boundary events is not supported.');
    if (info!.parentId !== model.bpmnProcessId) unsupported(`It is inside '${info!.parentId}'; the embedded engine activates only elements of the process itself.`);
    if (activeElements.has(elementId) || activating.has(elementId)) unsupported('It is active already; the embedded engine runs one instance of an element at a time.');
    if (a.ancestorElementInstanceKey !== undefined && a.ancestorElementInstanceKey !== '-1' && String(a.ancestorElementInstanceKey) !== instanceKey) {
      refuse(`${prefix} activate instructions with an ancestor scope key that is not an ancestor of the element to activate: '${a.ancestorElementInstanceKey}'`, `activateInstructions[${i}].ancestorElementInstanceKey`, elementId);
    }
    activating.add(elementId);
    let local: Variables | undefined;
    for (const [j, v] of (a.variableInstructions ?? []).entries()) {
      if (!isObject(v?.variables)) refuse(`activateInstructions[${i}].variableInstructions[${j}].variables must be a JSON object`, `activateInstructions[${i}].variableInstructions[${j}].variables`, elementId);
      const scopeId = v.scopeId ?? '';
      if (scopeId === '' || scopeId === model.bpmnProcessId) Object.assign(plan.rootVariables, structuredClone(v.variables));
      else if (scopeId === elementId) local = { ...local, ...structuredClone(v.variables) };
      else {
        refuse(
          `${prefix} variable instructions with a scope element id that could not be found: '${scopeId}' (the embedded engine sets them on the process instance or on the element being activated)`,
          `activateInstructions[${i}].variableInstructions[${j}].scopeId`,
          scopeId,
        );
      }
    }
    plan.activate.push({ elementId, ...(local && { variables: local }) });
  }
  for (const [i, t] of terminations.entries()) {
    const raw = String(t?.elementInstanceKey ?? '');
    const executionId = raw.startsWith(`${instanceKey}/`) ? raw.slice(instanceKey.length + 1) : raw;
    if (!rt.data.active[executionId]) {
      refuse(`${prefix} terminate instructions with an element instance that could not be found: '${raw}'`, `terminateInstructions[${i}].elementInstanceKey`);
    }
    if (!plan.terminate.includes(executionId)) plan.terminate.push(executionId);
  }
  return plan;
}
