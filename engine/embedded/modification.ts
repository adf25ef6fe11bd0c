/**
 * Process instance modification on the embedded engine (Zeebe's ModifyProcessInstance): every
 * instruction is checked against the instance's model and state first, with Zeebe's rejection
 * texts, and only then applied, in one command (runtime.ts `modify`): the modification commits
 * as one settled step or not at all.
 *
 * Activation follows Zeebe's ElementActivationBehavior: the element's flow scopes (embedded
 * sub-processes) are walked from the process down; an active instance of a flow scope is reused
 * (`ancestorElementInstanceKey` chooses when there are several), a missing one is created, its
 * start event skipped. What bpmn-engine cannot do is refused, named, with the reason: a second
 * instance of an element that is active already (it runs one execution of an element at a
 * time), elements inside event or ad-hoc sub-processes.
 *
 * Termination follows Zeebe's terminateFlowScopes: a flow scope left without active children
 * (and not needed by an activation) is terminated too, up to the process instance.
 */
import { EngineError, type ModifyInstanceRequest, type Variables } from '../types.js';
import type { ElementInfo, ProcessModel } from './model.js';
import type { InstanceRuntime } from './runtime.js';

const ROOT = 'root';

/** One element run by a modification directly inside an existing flow scope instance. */
export interface ModificationRun {
  /** Execution id of the flow scope instance (`root` for the process instance). */
  scope: string;
  elementId: string;
}

export interface ModificationPlan {
  rootVariables: Variables;
  /** Local variables for flow scope instances that exist already: execution id -> variables. */
  scopeVariables: Record<string, Variables>;
  /** The elements to run in existing scopes (an element, or the outermost sub-process created for it). */
  runs: ModificationRun[];
  /** Sub-processes created by the modification: sub-process id -> the children that start instead of its start event. */
  starts: Record<string, string[]>;
  /** Local variables of element instances the modification creates, by element id. */
  createdVariables: Record<string, Variables>;
  /** The element ids activated, as asked (for the audit and the log). */
  activate: { elementId: string }[];
  /**
   * Execution ids of the element instances to terminate, in order: each instance to terminate
   * (an element, or the flow scope it leaves empty) followed by the instances inside it, which go
   * with it (their incidents are resolved too).
   */
  terminate: string[];
}

const isObject = (v: unknown): v is Variables => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Zeebe's BpmnElementType names (protocol enum), for its rejection texts. */
const ZEEBE_TYPES: Record<string, string> = {
  'bpmn:StartEvent': 'START_EVENT',
  'bpmn:BoundaryEvent': 'BOUNDARY_EVENT',
  'bpmn:SequenceFlow': 'SEQUENCE_FLOW',
};
const SUPPORTED_TYPES =
  '[PROCESS, SUB_PROCESS, EVENT_SUB_PROCESS, AD_HOC_SUB_PROCESS, AD_HOC_SUB_PROCESS_INNER_INSTANCE, INTERMEDIATE_CATCH_EVENT, INTERMEDIATE_THROW_EVENT, END_EVENT, SERVICE_TASK, RECEIVE_TASK, USER_TASK, MANUAL_TASK, TASK, EXCLUSIVE_GATEWAY, PARALLEL_GATEWAY, EVENT_BASED_GATEWAY, INCLUSIVE_GATEWAY, MULTI_INSTANCE_BODY, CALL_ACTIVITY, BUSINESS_RULE_TASK, SCRIPT_TASK, SEND_TASK]';

/** The flow scopes of an element below the process, outermost first. */
export function flowScopesOf(model: ProcessModel, info: ElementInfo): ElementInfo[] {
  const scopes: ElementInfo[] = [];
  for (let id = info.parentId; id !== model.bpmnProcessId; ) {
    const scope = model.elements.get(id);
    if (!scope) break;
    scopes.unshift(scope);
    id = scope.parentId;
  }
  return scopes;
}

/**
 * Checks a request against the instance; throws INVALID_ARGUMENT naming the first bad instruction.
 * `calledByParent`: the instance was started by a call activity, so it may not be terminated by
 * its own modification (Zeebe: modify the parent instead).
 */
export function planModification(rt: InstanceRuntime, request: ModifyInstanceRequest, options: { calledByParent?: boolean } = {}): ModificationPlan {
  const model = rt.model;
  const processId = model.bpmnProcessId;
  const instanceKey = rt.data.instanceKey;
  const prefix = `Expected to modify instance of process '${processId}' but it contains one or more`;
  const refuse = (message: string, field: string, elementId?: string): never => {
    throw new EngineError('INVALID_ARGUMENT', message, { field, ...(elementId && { elementId }) });
  };
  if (!isObject(request)) refuse('the modification must be a JSON object with activateInstructions and/or terminateInstructions', 'body');
  const activations = request.activateInstructions ?? [];
  const terminations = request.terminateInstructions ?? [];
  if (!Array.isArray(activations)) refuse('activateInstructions must be a list', 'activateInstructions');
  if (!Array.isArray(terminations)) refuse('terminateInstructions must be a list', 'terminateInstructions');
  if (!activations.length && !terminations.length) refuse('a modification needs at least one activate or terminate instruction', 'activateInstructions');

  const active = rt.data.active;
  /** The execution id behind an element instance key of this instance (`root` for the instance itself). */
  const executionOf = (key: string): string | undefined => {
    if (key === instanceKey) return ROOT;
    return key.startsWith(`${instanceKey}/`) ? key.slice(instanceKey.length + 1) : undefined;
  };
  const parentOf = (executionId: string): string => {
    const fs = active[executionId]?.flowScopeKey;
    return !fs || fs === instanceKey ? ROOT : (executionOf(fs) ?? ROOT);
  };
  const childrenOf = (executionId: string, among: Set<string>) => [...among].filter((id) => parentOf(id) === executionId);
  const isAncestorInstance = (ancestor: string, executionId: string): boolean => {
    for (let id = executionId; id !== ROOT; ) {
      id = parentOf(id);
      if (id === ancestor) return true;
    }
    return false;
  };

  // --- the elements to activate exist and are of a type Zeebe activates
  for (const [i, a] of activations.entries()) {
    const elementId = typeof a?.elementId === 'string' ? a.elementId : '';
    if (!model.elements.has(elementId) && !model.flows.has(elementId)) {
      refuse(`${prefix} activate instructions with an element that could not be found: '${elementId}'`, `activateInstructions[${i}].elementId`, elementId || undefined);
    }
  }
  for (const [i, a] of activations.entries()) {
    const field = `activateInstructions[${i}].elementId`;
    const unsupported = (why: string) => refuse(`${prefix} activate instructions for elements that are unsupported: '${a.elementId}'. ${why}.`, field, a.elementId);
    const info = model.elements.get(a.elementId);
    if (!info) unsupported(`The activation of elements with type 'SEQUENCE_FLOW' is not supported. Supported element types are: ${SUPPORTED_TYPES}`);
    if (info!.incoming.some((f) => model.elements.get(model.flows.get(f)?.sourceId ?? '')?.type === 'bpmn:EventBasedGateway')) {
      unsupported('The activation of events belonging to an event-based gateway is not supported');
    }
    const zeebeType = info!.attachedTo ? 'BOUNDARY_EVENT' : ZEEBE_TYPES[info!.type];
    if (zeebeType) unsupported(`The activation of elements with type '${zeebeType}' is not supported. Supported element types are: ${SUPPORTED_TYPES}`);
  }

  // --- terminate instructions name active element instances
  const terminateIds: string[] = [];
  for (const [i, t] of terminations.entries()) {
    const raw = String(t?.elementInstanceKey ?? '');
    const executionId = executionOf(raw) ?? (active[raw] ? raw : undefined);
    if (!executionId || executionId === ROOT || !active[executionId]) {
      refuse(`${prefix} terminate instructions with an element instance that could not be found: '${raw}'`, `terminateInstructions[${i}].elementInstanceKey`);
    }
    terminateIds.push(executionId!);
  }

  // --- variable instructions: the process, the element, or one of its flow scopes
  for (const [i, a] of activations.entries()) {
    if (a.variableInstructions !== undefined && !Array.isArray(a.variableInstructions)) refuse(`activateInstructions[${i}].variableInstructions must be a list`, `activateInstructions[${i}].variableInstructions`, a.elementId);
    for (const [j, v] of (a.variableInstructions ?? []).entries()) {
      const field = `activateInstructions[${i}].variableInstructions[${j}]`;
      if (!isObject(v?.variables)) refuse(`${field}.variables must be a JSON object`, `${field}.variables`, a.elementId);
      const scopeId = v.scopeId ?? '';
      if (scopeId !== '' && !model.elements.has(scopeId) && scopeId !== processId) {
        refuse(`${prefix} variable instructions with a scope element id that could not be found: '${scopeId}'`, `${field}.scopeId`, scopeId);
      }
    }
  }
  for (const [i, a] of activations.entries()) {
    const info = model.elements.get(a.elementId)!;
    const scopes = new Set(flowScopesOf(model, info).map((s) => s.id));
    for (const [j, v] of (a.variableInstructions ?? []).entries()) {
      const scopeId = v.scopeId ?? '';
      if (scopeId === '' || scopeId === processId || scopeId === info.id || scopes.has(scopeId)) continue;
      refuse(
        `Expected to modify instance of process '${processId}' but it contains one or more variable instructions with a scope element that doesn't belong to the activating element's flow scope. These variables should be set before or after the modification.`,
        `activateInstructions[${i}].variableInstructions[${j}].scopeId`,
        scopeId,
      );
    }
  }

  // --- ancestor keys: an active element instance of this instance, above the element
  const ancestors: (string | undefined)[] = [];
  for (const [i, a] of activations.entries()) {
    const field = `activateInstructions[${i}].ancestorElementInstanceKey`;
    const raw = a.ancestorElementInstanceKey === undefined || a.ancestorElementInstanceKey === null ? '' : String(a.ancestorElementInstanceKey);
    if (raw === '' || raw === '-1') {
      ancestors.push(undefined);
      continue;
    }
    const executionId = executionOf(raw);
    if (executionId === undefined) {
      // another instance's element instance key (Herald's keys carry their instance's key)
      if (/^\d+(\/.*)?$/.test(raw)) refuse(`${prefix} activate instructions with an ancestor scope key that does not belong to the modified process instance: '${raw}'`, field, a.elementId);
      refuse(`${prefix} activate instructions with an ancestor scope key that does not exist, or is not in an active state: '${raw}'`, field, a.elementId);
    }
    if (executionId !== ROOT && !active[executionId!]) {
      refuse(`${prefix} activate instructions with an ancestor scope key that does not exist, or is not in an active state: '${raw}'`, field, a.elementId);
    }
    const ancestorElement = executionId === ROOT ? processId : active[executionId!].elementId;
    const info = model.elements.get(a.elementId)!;
    if (ancestorElement !== processId && !flowScopesOf(model, info).some((s) => s.id === ancestorElement)) {
      refuse(`${prefix} activate instructions with an ancestor scope key that is not an ancestor of the element to activate:\n- instance '${raw}' of element '${ancestorElement}' is not an ancestor of element '${a.elementId}'`, field, a.elementId);
    }
    ancestors.push(executionId);
  }

  // --- no activation needs a flow scope instance that is being terminated
  const conflicts: string[] = [];
  for (const id of terminateIds) {
    const terminatedElement = active[id].elementId;
    for (const [i, a] of activations.entries()) {
      const info = model.elements.get(a.elementId)!;
      const clash = ancestors[i] !== undefined ? ancestors[i] === id : flowScopesOf(model, info).some((s) => s.id === terminatedElement);
      if (clash) conflicts.push(`element '${a.elementId}' requires flow scope instance '${rt.elementInstanceKey(id)}' which is being terminated`);
    }
  }
  if (conflicts.length) {
    refuse(
      `${prefix} activate instructions for elements whose required flow scope instance is also being terminated: ${conflicts.join(', ')}. Please provide a valid ancestor scope key for the activation or avoid terminating the required flow scope.`,
      'terminateInstructions',
    );
  }

  // --- where each element activates: reuse or create its flow scopes (ElementActivationBehavior)
  const plan: ModificationPlan = { rootVariables: {}, scopeVariables: {}, runs: [], starts: {}, createdVariables: {}, activate: [], terminate: [] };
  /** Flow scope instances that activations need (never terminated as emptied). */
  const required = new Set<string>([ROOT]);
  /** Sub-processes this modification creates (one instance each: bpmn-engine runs one at a time). */
  const created = new Set<string>();
  /** Elements already running or about to run, per flow scope instance (`<scope>|<element>`; `new|<element>` inside created ones). */
  const running = new Set(Object.entries(active).map(([id, a]) => `${parentOf(id)}|${a.elementId}`));
  const activeElsewhere = (elementId: string) => Object.values(active).some((x) => x.elementId === elementId);

  for (const [i, a] of activations.entries()) {
    const info = model.elements.get(a.elementId)!;
    const field = `activateInstructions[${i}].elementId`;
    const tooMany = (why: string) => refuse(`${prefix} activate instructions for elements that are unsupported: '${info.id}'. ${why}`, field, info.id);
    const ancestor = ancestors[i];
    let scope = ROOT;
    /** Once a flow scope is created, everything below it is new as well. */
    let creating: string | undefined;
    const localVars = (elementId: string): Variables => {
      const out: Variables = {};
      for (const v of a.variableInstructions ?? []) if (v.scopeId === elementId) Object.assign(out, structuredClone(v.variables));
      return out;
    };
    for (const v of a.variableInstructions ?? []) if (!v.scopeId || v.scopeId === processId) Object.assign(plan.rootVariables, structuredClone(v.variables));

    for (const sub of flowScopesOf(model, info)) {
      if (sub.type !== 'bpmn:SubProcess' || sub.triggeredByEvent) {
        const kind = sub.triggeredByEvent ? 'an event sub-process' : sub.type === 'bpmn:AdHocSubProcess' ? 'an ad-hoc sub-process' : `a ${sub.type.replace(/^bpmn:/, '')}`;
        tooMany(`It is inside ${kind} ('${sub.id}'); the embedded engine activates elements of the process and of embedded sub-processes.`);
      }
      if (creating) {
        if (sub.loop) refuse(`${prefix} activate instructions that would result in the activation of multi-instance element '${sub.id}', which is currently unsupported.`, field, sub.id);
        if (created.has(sub.id) || activeElsewhere(sub.id)) tooMany(`Its flow scope '${sub.id}' would get a second instance; the embedded engine runs one instance of an element at a time.`);
        plan.starts[creating] = [...new Set([...(plan.starts[creating] ?? []), sub.id])];
        created.add(sub.id);
        creating = sub.id;
        Object.assign((plan.createdVariables[sub.id] ??= {}), localVars(sub.id));
        continue;
      }
      if (created.has(sub.id)) {
        // an earlier instruction creates this flow scope: the element joins it
        Object.assign((plan.createdVariables[sub.id] ??= {}), localVars(sub.id));
        creating = sub.id;
        continue;
      }
      // the instances of this sub-process in the current scope (a multi-instance one: its inner instances)
      let instances = Object.keys(active).filter((id) => active[id].elementId === sub.id && parentOf(id) === scope);
      if (sub.loop) {
        if (!instances.length) refuse(`${prefix} activate instructions that would result in the activation of multi-instance element '${sub.id}', which is currently unsupported.`, field, sub.id);
        const body = instances[0];
        instances = Object.keys(active).filter((id) => active[id].elementId === sub.id && parentOf(id) === body);
        if (!instances.length) refuse(`${prefix} activate instructions that would result in the activation of multi-instance element '${sub.id}', which is currently unsupported.`, field, sub.id);
      }
      let reuse: string | undefined;
      if (instances.length === 1) {
        // an instance below the chosen ancestor is not reused: a new one is created there (Zeebe)
        reuse = ancestor !== undefined && isAncestorInstance(ancestor, instances[0]) ? undefined : instances[0];
      } else if (instances.length > 1) {
        if (ancestor === undefined) {
          refuse(
            `${prefix} activate instructions for an element that has a flow scope with more than one active instance: '${sub.id}'. Can't decide in which instance of the flow scope the element should be activated. Please specify an ancestor element instance key for this activate instruction.`,
            field,
            sub.id,
          );
        }
        reuse = instances.find((id) => id === ancestor) ?? instances.find((id) => ancestor !== undefined && isAncestorInstance(id, ancestor));
        if (!reuse && !instances.some((id) => isAncestorInstance(ancestor!, id))) {
          refuse(
            `${prefix} activate instructions for an element that has a flow scope with more than one active instance: '${sub.id}'. Can't decide in which instance of the flow scope the element should be activated. Please specify an ancestor element instance key for this activate instruction.`,
            field,
            sub.id,
          );
        }
      }
      if (reuse) {
        scope = reuse;
        required.add(reuse);
        const vars = localVars(sub.id);
        if (Object.keys(vars).length) Object.assign((plan.scopeVariables[reuse] ??= {}), vars);
        continue;
      }
      if (sub.loop) refuse(`${prefix} activate instructions that would result in the activation of multi-instance element '${sub.id}', which is currently unsupported.`, field, sub.id);
      if (activeElsewhere(sub.id)) tooMany(`Its flow scope '${sub.id}' would get a second instance; the embedded engine runs one instance of an element at a time.`);
      plan.runs.push({ scope, elementId: sub.id });
      created.add(sub.id);
      creating = sub.id;
      Object.assign((plan.createdVariables[sub.id] ??= {}), localVars(sub.id));
    }

    // the element itself: bpmn-engine runs one execution of an element per flow scope instance
    const where = creating ? `new|${creating}` : scope;
    if (running.has(`${where}|${info.id}`)) tooMany('It is active already; the embedded engine runs one instance of an element at a time.');
    running.add(`${where}|${info.id}`);
    if (creating) plan.starts[creating] = [...new Set([...(plan.starts[creating] ?? []), info.id])];
    else plan.runs.push({ scope, elementId: info.id });
    const own = localVars(info.id);
    if (Object.keys(own).length) Object.assign((plan.createdVariables[info.id] ??= {}), own);
    plan.activate.push({ elementId: info.id });
  }

  // --- terminations, and the flow scopes they leave empty (Zeebe's terminateFlowScopes)
  const remaining = new Set(Object.keys(active));
  const descendants = (executionId: string): string[] => {
    const out: string[] = [];
    for (const child of childrenOf(executionId, remaining)) out.push(child, ...descendants(child));
    return out;
  };
  for (const id of terminateIds) {
    if (!remaining.has(id)) continue; // went with a flow scope terminated before
    let top = id;
    for (let scope = parentOf(top); scope !== ROOT; scope = parentOf(top)) {
      const others = childrenOf(scope, remaining).filter((c) => c !== top && !terminateIds.includes(c));
      if (others.length || required.has(scope)) break;
      top = scope;
    }
    const gone = [top, ...descendants(top)];
    for (const g of gone) remaining.delete(g);
    plan.terminate.push(...gone);
  }
  if (options.calledByParent && plan.terminate.length && !plan.runs.length && !remaining.size) {
    refuse(
      `Expected to modify instance of process '${processId}' but the given instructions would terminate the instance. The instance was created by a call activity in the parent process. To terminate this instance please modify the parent process instead.`,
      'terminateInstructions',
    );
  }
  return plan;
}
