/**
 * A deployed process, compiled once: bpmn-engine's serialized context (what every instance of
 * the version runs on, parsed once) and an index of the Zeebe extension data per element, which
 * the Zeebe-semantics layer (runtime.ts, elements.ts) reads instead of walking moddle objects.
 */
import { createRequire } from 'node:module';
import { BpmnModdle } from 'bpmn-moddle';
import * as Elements from 'bpmn-elements';
import serializer, { TypeResolver } from 'moddle-context-serializer';
import { EngineError } from '../types.js';
import { heraldElements } from './elements.js';
import type { TaskListenerDefinition } from './task-listeners.js';

const require = createRequire(import.meta.url);
const zeebeSchema = require('zeebe-bpmn-moddle/resources/zeebe.json');

export interface Mapping {
  source: string;
  target: string;
}

export interface UserTaskInfo {
  /** zeebe:userTask present: a Camunda user task; otherwise a job-worker user task. */
  camunda: boolean;
  assignee?: string;
  candidateGroups?: string;
  candidateUsers?: string;
  dueDate?: string;
  followUpDate?: string;
  formKey?: string;
  formId?: string;
  /** Which version of the linked form (Zeebe 8.6+ bindingType on zeebe:formDefinition); latest when absent. */
  formBinding?: { bindingType: 'deployment' | 'versionTag'; versionTag?: string };
  priority?: string;
  /** zeebe:taskListeners, in their order (Camunda user tasks only). */
  listeners?: TaskListenerDefinition[];
}

export interface LoopInfo {
  isSequential: boolean;
  inputCollection: string;
  inputElement?: string;
  outputCollection?: string;
  outputElement?: string;
  completionCondition?: string;
}

/** An ad-hoc sub-process (Zeebe 8.8's BPMN implementation; expressions keep their leading '='). */
export interface AdHocInfo {
  /** zeebe:adHoc activeElementsCollection: the ids of the inner elements to activate on entry. */
  activeElementsCollection?: string;
  /** Evaluated in the sub-process's scope whenever a path inside it ends; true completes it. */
  completionCondition?: string;
  /** When the completion condition holds: terminate what still runs inside (true, the default) or wait for it. */
  cancelRemainingInstances: boolean;
  outputCollection?: string;
  outputElement?: string;
}

export interface ElementInfo {
  id: string;
  name?: string;
  type: string;
  /** Id of the enclosing process or sub-process. */
  parentId: string;
  taskDefinition?: { type: string; retries: string };
  headers: Record<string, string>;
  inputs: Mapping[];
  outputs: Mapping[];
  messageName?: string;
  correlationKey?: string;
  timer?: { kind: 'timeDuration' | 'timeCycle' | 'timeDate'; value: string };
  signalName?: string;
  errorCode?: string;
  escalationCode?: string;
  /** The event definition kind for events: message, timer, signal, error, escalation, ... */
  eventKind?: string;
  loop?: LoopInfo;
  adHoc?: AdHocInfo;
  calledElement?: {
    processId: string;
    propagateAllChildVariables: boolean;
    propagateAllParentVariables: boolean;
    /** Zeebe 8.6+: which version is called; `latest` when absent. */
    bindingType?: 'latest' | 'deployment' | 'versionTag';
    versionTag?: string;
  };
  /** bindingType (Zeebe 8.6+): which version of the decision is evaluated; `latest` when absent. */
  calledDecision?: { decisionId: string; resultVariable: string; bindingType?: 'latest' | 'deployment' | 'versionTag'; versionTag?: string };
  script?: { expression: string; resultVariable: string };
  userTask?: UserTaskInfo;
  attachedTo?: string;
  cancelActivity?: boolean;
  triggeredByEvent?: boolean;
  /** zeebe:executionListeners in their order: jobs before (start) and after (end) the element's work. */
  executionListeners?: { eventType: 'start' | 'end'; type: string; retries: string }[];
  isForCompensation?: boolean;
  /** For a compensation boundary event: the handler its association points at. */
  compensationHandler?: string;
  properties: Record<string, string>;
  /** The element's bpmn:documentation (its first text), which an ad-hoc sub-process lists in adHocSubProcessElements. */
  documentation?: string;
  /** Embedded forms (zeebe:userTaskForm) of the process, for camunda-forms:bpmn: keys. */
  incoming: string[];
  outgoing: string[];
  defaultFlow?: string;
}

export interface FlowInfo {
  id: string;
  name?: string;
  sourceId: string;
  targetId: string;
  /** FEEL condition without the leading '='. */
  condition?: string;
}

export interface ProcessModel {
  bpmnProcessId: string;
  name?: string;
  /** zeebe:versionTag of the process, which a call activity with bindingType versionTag names. */
  versionTag?: string;
  elements: Map<string, ElementInfo>;
  flows: Map<string, FlowInfo>;
  /** Start events directly in the process (not in event sub-processes). */
  startEvents: ElementInfo[];
  forms: Map<string, string>;
  /** bpmn-engine's serialized context, shared by every instance of this version. */
  sourceContext: unknown;
}

export interface CompiledDefinitions {
  processes: ProcessModel[];
}

interface ModdleEl {
  $type: string;
  id?: string;
  name?: string;
  [key: string]: unknown;
}

const typeResolver = TypeResolver({ ...Elements, ...heraldElements });

export async function parseModdle(xml: string): Promise<{ rootElement: ModdleEl; warnings: { message: string }[] } & Record<string, unknown>> {
  const moddle = new BpmnModdle({ zeebe: zeebeSchema });
  try {
    return (await moddle.fromXML(xml)) as never;
  } catch (err) {
    throw new EngineError('DEPLOY_REFUSED', `the BPMN XML could not be read: ${(err as Error).message}`);
  }
}

function ext(el: ModdleEl | undefined, type: string): ModdleEl | undefined {
  const values = (el?.extensionElements as { values?: ModdleEl[] } | undefined)?.values;
  return values?.find((v) => v.$type === type);
}

function mappings(list: unknown): Mapping[] {
  return ((list as ModdleEl[] | undefined) ?? []).map((m) => ({ source: String(m.source ?? ''), target: String(m.target ?? '') }));
}

function stripEq(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return String(value);
}

/** Compiles parsed moddle definitions into one ProcessModel per executable process. */
export function compile(moddleContext: { rootElement: ModdleEl } & Record<string, unknown>): CompiledDefinitions {
  // Message flows only document collaborations (Zeebe ignores them), and black-box pools
  // without a process break bpmn-engine's serializer: leave them out.
  const refs = moddleContext.references as { element: ModdleEl }[] | undefined;
  if (refs) moddleContext.references = refs.filter((r) => r.element.$type !== 'bpmn:MessageFlow');
  for (const root of (moddleContext.rootElement.rootElements as ModdleEl[] | undefined) ?? []) {
    if (root.$type === 'bpmn:Collaboration') root.messageFlows = [];
  }
  const serialized = serializer(moddleContext as never, typeResolver) as unknown as SerializedContext;
  // bpmn-engine serializes the whole definition again at every getState(); it never changes
  const text = (serialized as unknown as { serialize(): string }).serialize();
  (serialized as unknown as { serialize(): string }).serialize = () => text;
  const definitions = moddleContext.rootElement;
  const rootElements = (definitions.rootElements as ModdleEl[] | undefined) ?? [];
  const processes: ProcessModel[] = [];
  for (const proc of rootElements) {
    if (proc.$type !== 'bpmn:Process' || proc.isExecutable === false) continue;
    processes.push(compileProcess(proc, serialized));
  }
  return { processes };
}

interface SerializedElement {
  id: string;
  type: string;
  parent?: { id: string; type: string };
  behaviour: Record<string, unknown> & { loopCharacteristics?: { type: string; behaviour: Record<string, unknown> } };
}
interface SerializedContext {
  elements: { activities: SerializedElement[]; processes: SerializedElement[]; [k: string]: unknown };
}

function compileProcess(proc: ModdleEl, serialized: SerializedContext): ProcessModel {
  const elements = new Map<string, ElementInfo>();
  const flows = new Map<string, FlowInfo>();
  const forms = new Map<string, string>();
  for (const form of ((proc.extensionElements as { values?: ModdleEl[] } | undefined)?.values ?? []).filter((v) => v.$type === 'zeebe:UserTaskForm')) {
    forms.set(String(form.id), String(form.body ?? ''));
  }

  const visit = (container: ModdleEl, parentId: string) => {
    for (const el of (container.flowElements as ModdleEl[] | undefined) ?? []) {
      if (el.$type === 'bpmn:SequenceFlow') {
        const cond = el.conditionExpression as ModdleEl | undefined;
        const body = cond ? String(cond.body ?? '').trim() : undefined;
        flows.set(el.id!, {
          id: el.id!,
          name: el.name,
          sourceId: (el.sourceRef as ModdleEl).id!,
          targetId: (el.targetRef as ModdleEl).id!,
          condition: body ? body.replace(/^=/, '') : undefined,
        });
        continue;
      }
      elements.set(el.id!, describe(el, parentId));
      if (el.flowElements) visit(el, el.id!);
    }
    for (const art of (container.artifacts as ModdleEl[] | undefined) ?? []) {
      if (art.$type === 'bpmn:Association') associations.push(art);
    }
  };
  const associations: ModdleEl[] = [];
  visit(proc, proc.id!);
  for (const association of associations) {
    const source = elements.get(String((association.sourceRef as ModdleEl | undefined)?.id));
    const target = elements.get(String((association.targetRef as ModdleEl | undefined)?.id));
    if (source?.attachedTo && source.eventKind === 'compensate' && target?.isForCompensation) source.compensationHandler = target.id;
  }
  for (const flow of flows.values()) {
    elements.get(flow.sourceId)?.outgoing.push(flow.id);
    elements.get(flow.targetId)?.incoming.push(flow.id);
  }

  // Zeebe's multi-instance: bpmn-engine's loop reads `collection`, `elementVariable` and
  // `completionCondition`; point them at the zeebe:loopCharacteristics FEEL (resolved by our
  // expressions handler, see runtime.ts).
  for (const act of serialized.elements.activities) {
    const loop = act.behaviour.loopCharacteristics;
    const info = elements.get(act.id)?.loop;
    if (!loop || !info) continue;
    loop.behaviour.collection = `=${info.inputCollection.replace(/^=/, '')}`;
    loop.behaviour.elementVariable = '__heraldItem';
    delete loop.behaviour.completionCondition;
    if (info.completionCondition) loop.behaviour.completionCondition = `=${info.completionCondition.replace(/^=/, '')}`;
  }

  const startEvents = [...elements.values()].filter((e) => e.type === 'bpmn:StartEvent' && e.parentId === proc.id);
  const versionTag = ((proc.extensionElements as { values?: ModdleEl[] } | undefined)?.values ?? []).find((v) => v.$type === 'zeebe:VersionTag')?.value as string | undefined;
  return { bpmnProcessId: proc.id!, name: proc.name, ...(versionTag && { versionTag }), elements, flows, startEvents, forms, sourceContext: serialized };
}

function describe(el: ModdleEl, parentId: string): ElementInfo {
  const taskDef = ext(el, 'zeebe:TaskDefinition');
  const io = ext(el, 'zeebe:IoMapping');
  const headers: Record<string, string> = {};
  for (const h of ((ext(el, 'zeebe:TaskHeaders')?.values as ModdleEl[] | undefined) ?? [])) headers[String(h.key)] = String(h.value ?? '');
  const properties: Record<string, string> = {};
  for (const p of ((ext(el, 'zeebe:Properties')?.properties as ModdleEl[] | undefined) ?? [])) properties[String(p.name)] = String(p.value ?? '');

  const info: ElementInfo = {
    id: el.id!,
    name: el.name,
    type: el.$type,
    parentId,
    headers,
    properties,
    inputs: mappings(io?.inputParameters),
    outputs: mappings(io?.outputParameters),
    incoming: [],
    outgoing: [],
  };
  const documentation = (el.documentation as ModdleEl[] | undefined)?.[0]?.text;
  if (typeof documentation === 'string' && documentation) info.documentation = documentation;
  if (taskDef) info.taskDefinition = { type: String(taskDef.type ?? ''), retries: String(taskDef.retries ?? '3') };
  if (el.default) info.defaultFlow = (el.default as ModdleEl).id;
  if (el.attachedToRef) {
    info.attachedTo = (el.attachedToRef as ModdleEl).id;
    info.cancelActivity = el.cancelActivity !== false;
  }
  if (el.triggeredByEvent) info.triggeredByEvent = true;
  const executionListeners = ((ext(el, 'zeebe:ExecutionListeners')?.listeners as ModdleEl[] | undefined) ?? []).map((l) => ({
    eventType: (l.eventType === 'end' ? 'end' : 'start') as 'start' | 'end',
    type: String(l.type ?? ''),
    retries: String(l.retries ?? '3'),
  }));
  if (executionListeners.length) info.executionListeners = executionListeners;
  if (el.isForCompensation) info.isForCompensation = true;
  if (el.$type === 'bpmn:StartEvent') info.cancelActivity = el.isInterrupting !== false;

  const eventDef = ((el.eventDefinitions as ModdleEl[] | undefined) ?? [])[0];
  const messageRef = (eventDef?.messageRef ?? el.messageRef) as ModdleEl | undefined;
  if (eventDef) info.eventKind = eventDef.$type.replace(/^bpmn:/, '').replace(/EventDefinition$/, '').toLowerCase();
  if (el.$type === 'bpmn:ReceiveTask') info.eventKind = 'message';
  if (messageRef) {
    info.messageName = messageRef.name === undefined ? undefined : String(messageRef.name);
    const sub = ext(messageRef, 'zeebe:Subscription');
    if (sub?.correlationKey !== undefined) info.correlationKey = String(sub.correlationKey);
  }
  if (eventDef?.$type === 'bpmn:TimerEventDefinition') {
    for (const kind of ['timeDuration', 'timeCycle', 'timeDate'] as const) {
      const expr = eventDef[kind] as ModdleEl | undefined;
      if (expr) info.timer = { kind, value: String(expr.body ?? '').trim() };
    }
  }
  if (eventDef?.$type === 'bpmn:SignalEventDefinition') info.signalName = stripEq((eventDef.signalRef as ModdleEl | undefined)?.name);
  if (eventDef?.$type === 'bpmn:ErrorEventDefinition') info.errorCode = stripEq((eventDef.errorRef as ModdleEl | undefined)?.errorCode);
  if (eventDef?.$type === 'bpmn:EscalationEventDefinition') {
    info.escalationCode = stripEq((eventDef.escalationRef as ModdleEl | undefined)?.escalationCode);
  }

  const loop = el.loopCharacteristics as ModdleEl | undefined;
  const zloop = ext(loop, 'zeebe:LoopCharacteristics');
  if (loop && zloop) {
    info.loop = {
      isSequential: loop.isSequential === true,
      inputCollection: String(zloop.inputCollection ?? ''),
      inputElement: stripEq(zloop.inputElement),
      outputCollection: stripEq(zloop.outputCollection),
      outputElement: stripEq(zloop.outputElement),
      completionCondition: stripEq((loop.completionCondition as ModdleEl | undefined)?.body),
    };
  }
  if (el.$type === 'bpmn:AdHocSubProcess') {
    const adHoc = ext(el, 'zeebe:AdHoc');
    const blankToUndefined = (v: unknown) => (v === undefined || v === null || String(v).trim() === '' ? undefined : String(v).trim());
    info.adHoc = {
      activeElementsCollection: blankToUndefined(adHoc?.activeElementsCollection),
      completionCondition: blankToUndefined((el.completionCondition as ModdleEl | undefined)?.body),
      cancelRemainingInstances: el.cancelRemainingInstances !== false,
      outputCollection: blankToUndefined(adHoc?.outputCollection),
      outputElement: blankToUndefined(adHoc?.outputElement),
    };
  }
  const called = ext(el, 'zeebe:CalledElement');
  if (called) {
    info.calledElement = {
      processId: String(called.processId ?? ''),
      propagateAllChildVariables: called.propagateAllChildVariables !== false,
      propagateAllParentVariables: called.propagateAllParentVariables !== false,
    };
    // zeebe-bpmn-moddle 2.0 does not declare bindingType and versionTag yet: they arrive as plain attributes
    const attrs = (called.$attrs ?? {}) as Record<string, string>;
    const bindingType = attrs.bindingType ?? (called.bindingType as string | undefined);
    if (bindingType === 'deployment' || bindingType === 'versionTag' || bindingType === 'latest') info.calledElement.bindingType = bindingType;
    const versionTag = attrs.versionTag ?? (called.versionTag as string | undefined);
    if (versionTag) info.calledElement.versionTag = versionTag;
  }
  const decision = ext(el, 'zeebe:CalledDecision');
  if (decision) {
    info.calledDecision = { decisionId: String(decision.decisionId ?? ''), resultVariable: String(decision.resultVariable ?? '') };
    const dAttrs = (decision.$attrs ?? {}) as Record<string, string>;
    const dBinding = dAttrs.bindingType ?? (decision.bindingType as string | undefined);
    if (dBinding === 'deployment' || dBinding === 'versionTag' || dBinding === 'latest') info.calledDecision.bindingType = dBinding;
    const dTag = dAttrs.versionTag ?? (decision.versionTag as string | undefined);
    if (dTag) info.calledDecision.versionTag = dTag;
  }
  const script = ext(el, 'zeebe:Script');
  if (script) info.script = { expression: String(script.expression ?? ''), resultVariable: String(script.resultVariable ?? '') };
  if (el.$type === 'bpmn:UserTask') {
    const assignment = ext(el, 'zeebe:AssignmentDefinition');
    const schedule = ext(el, 'zeebe:TaskSchedule');
    const form = ext(el, 'zeebe:FormDefinition');
    const priority = ext(el, 'zeebe:PriorityDefinition');
    info.userTask = {
      camunda: !!ext(el, 'zeebe:UserTask'),
      assignee: stripEq(assignment?.assignee),
      candidateGroups: stripEq(assignment?.candidateGroups),
      candidateUsers: stripEq(assignment?.candidateUsers),
      dueDate: stripEq(schedule?.dueDate),
      followUpDate: stripEq(schedule?.followUpDate),
      formKey: stripEq(form?.formKey),
      formId: stripEq(form?.formId),
      priority: stripEq(priority?.priority),
    };
    // declared by some zeebe-bpmn-moddle versions, a plain attribute in others
    const formAttrs = (form?.$attrs ?? {}) as Record<string, string>;
    const formBinding = (form?.bindingType as string | undefined) ?? formAttrs.bindingType;
    const formVersionTag = (form?.versionTag as string | undefined) ?? formAttrs.versionTag;
    if (formBinding === 'deployment' || formBinding === 'versionTag') {
      info.userTask.formBinding = { bindingType: formBinding, ...(formVersionTag && { versionTag: formVersionTag }) };
    }
    const listeners = ((ext(el, 'zeebe:TaskListeners')?.listeners as ModdleEl[] | undefined) ?? []).map((l) => ({
      eventType: String(l.eventType ?? '') as TaskListenerDefinition['eventType'],
      type: String(l.type ?? ''),
      retries: String(l.retries ?? '3'),
    }));
    if (listeners.length) info.userTask.listeners = listeners;
    // Zeebe ignores a task definition on a user task: the job type is fixed.
    delete info.taskDefinition;
  }
  return info;
}

/** Is the element a job worker in Zeebe (it creates a job and waits for its completion)? */
export function isJobElement(info: ElementInfo): boolean {
  switch (info.type) {
    case 'bpmn:ServiceTask':
    case 'bpmn:SendTask':
      return true;
    case 'bpmn:ScriptTask':
      return !info.script;
    case 'bpmn:BusinessRuleTask':
      return !info.calledDecision;
    case 'bpmn:IntermediateThrowEvent':
    case 'bpmn:EndEvent':
      return info.eventKind === 'message';
    default:
      return false;
  }
}
