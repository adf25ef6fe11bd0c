/**
 * Deploy validation of a parsed BPMN diagram in the Zeebe dialect. The rules follow Zeebe's own
 * deploy-time validators (io.camunda.zeebe.model.bpmn.validation.zeebe.*), so a diagram Herald
 * accepts also deploys on Camunda 8, plus what the embedded engine cannot run (UNSUPPORTED) and
 * what would run code on the server (JavaScript scripts and conditions). Every problem names the
 * element id and the rule in words a process analyst can act on.
 */
import { isIsoDateTime, isIsoDuration, isTimeCycle } from '../embedded/timer-values.js';
import type { DeployProblem } from '../types.js';

export type FeelCheck = (expression: string) => { ok: true } | { ok: false; message: string };

export interface ValidateOptions {
  /** Syntax check of a FEEL expression, given without its leading `=`. */
  checkFeel: FeelCheck;
  /**
   * Receives what is deployable but worth telling the author: inert Camunda 7 attributes
   * (`camunda:class`, `camunda:delegateExpression`, …) on a task that has a zeebe:taskDefinition,
   * which Zeebe ignores and Herald ignores too.
   */
  warnings?: DeployProblem[];
}

/**
 * What the embedded engine refuses at deploy, by BPMN type (or construct), with the reason.
 * The README compatibility table is generated from this.
 */
export const UNSUPPORTED: Readonly<Record<string, string>> = {
  'bpmn:ComplexGateway': 'complex gateways are not supported (Zeebe does not run them either); use exclusive, inclusive or parallel gateways',
  'bpmn:Transaction': 'transaction sub-processes are not supported; use a sub-process with error or compensation events',
  'bpmn:AdHocSubProcess (job worker implementation: zeebe:taskDefinition)': 'the job worker implementation of an ad-hoc sub-process (a zeebe:taskDefinition on it, as AI agents use) is not run by the embedded engine; let zeebe:adHoc activeElementsCollection choose the elements, or deploy to Zeebe',
  'bpmn:CancelEventDefinition': 'cancel events belong to transactions, which are not supported',
  'bpmn:ConditionalEventDefinition': 'conditional events are not run by the embedded engine; use a message or signal event',
  'bpmn:StandardLoopCharacteristics': 'standard (while) loops are not supported; use a multi-instance marker or a gateway loop',
  'bpmn:MultiInstanceLoopCharacteristics (no inputCollection)': 'a multi-instance activity needs zeebe:loopCharacteristics with an inputCollection; loop cardinality alone is not supported',
  'bpmn:ScriptTask (scriptFormat / inline script)': 'an inline script (JavaScript or another language) would run code on the server; use a FEEL zeebe:script or a job worker',
  'bpmn:ConditionExpression (language other than FEEL)': 'a condition in JavaScript or another language would run code on the server; write it in FEEL (=...)',
  'zeebe:executionListeners (on processes, sub-processes, events, parallel and event-based gateways, multi-instance activities)': 'execution listeners there are not run by the embedded engine yet (it runs them on tasks, call activities and exclusive or inclusive gateways); use a service task before or after the element',
  'camunda:* / activiti:* / flowable:* code extensions': 'Camunda 7, Activiti and Flowable scripts, expressions, classes and listeners would run code on the server; Herald runs the Zeebe (Camunda 8) dialect',
};

const CODE_NAMESPACES = new Set([
  'http://camunda.org/schema/1.0/bpmn',
  'http://activiti.org/bpmn',
  'http://flowable.org/bpmn',
  'http://www.jboss.org/drools',
]);
const CODE_PREFIXES = new Set(['camunda', 'activiti', 'flowable', 'drools']);
/** Camunda 7 / Activiti attributes that name code to run (a Java class, a JUEL expression, a script). */
const CODE_ATTRIBUTES = /^(class|delegateExpression|expression|script|scriptFormat|resource|variableMappingClass|variableMappingDelegateExpression)$/;
/** Extension elements that run code: scripts, execution/task listeners, connectors. */
const CODE_ELEMENTS = /(script|listener|connector)$/i;
/** JUEL (`${...}`, `#{...}`) in any Camunda 7 / Activiti value is evaluated as code. */
const JUEL = /[$#]\{/;

// -------------------------------------------------------------------------------- timers

// Durations, date-times and cycles are read by the module the engine's timers run on, so what
// deploys is what runs (P1M from 31 January is 28 February; six-field Spring cron is a cycle).
export { isIsoDateTime, isIsoDuration, isTimeCycle };

// -------------------------------------------------------------------------------- helpers

type El = any;

const is = (el: El, type: string): boolean => !!el && typeof el.$instanceOf === 'function' && el.$instanceOf(type);
const short = (type: string) => type.replace(/^bpmn:/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
const ext = (el: El, type: string): El | undefined => (el?.extensionElements?.values ?? []).find((v: El) => v.$type === type);
const exts = (el: El, type: string): El[] => (el?.extensionElements?.values ?? []).filter((v: El) => v.$type === type);
const blank = (v: unknown) => typeof v !== 'string' || v.trim() === '';
const isExpression = (v: unknown): v is string => typeof v === 'string' && v.trimStart().startsWith('=');

function eventKind(el: El): string | undefined {
  const def = el?.eventDefinitions?.[0];
  return def ? def.$type.replace(/^bpmn:/, '').replace(/EventDefinition$/, '').toLowerCase() : undefined;
}

class Collector {
  readonly problems: DeployProblem[] = [];
  constructor(
    readonly resource: string,
    readonly checkFeel: FeelCheck,
    readonly warnings: DeployProblem[] = [],
  ) {}

  add(elementId: string | undefined, message: string) {
    const id = elementId || '(element without id)';
    this.problems.push({ resource: this.resource, elementId: id, message: `${id}: ${message}` });
  }

  warn(elementId: string, message: string) {
    this.warnings.push({ resource: this.resource, elementId, message: `${elementId}: ${message}`, severity: 'warning' });
  }

  /** A value that is a FEEL expression (leading `=`) must parse. */
  feel(elementId: string, what: string, value: unknown) {
    if (!isExpression(value)) return;
    const expr = value.trimStart().slice(1);
    const result = this.checkFeel(expr);
    if (!result.ok) this.add(elementId, `${what} '${expr.trim()}' is not valid FEEL: ${result.message}`);
  }

  /** A value that must be a FEEL expression (leading `=`), e.g. a sequence flow condition. */
  mandatoryFeel(elementId: string, what: string, value: unknown) {
    if (isExpression(value)) this.feel(elementId, what, value);
    else this.add(elementId, `${what} '${String(value ?? '').trim()}' must be a FEEL expression starting with '='`);
  }
}

// -------------------------------------------------------------------------------- validation

/**
 * Validates moddle definitions (from parseBpmn) for deploy. Returns every problem found; an
 * empty list means the diagram may be deployed.
 */
export function validateDefinitions(definitions: El, resourceName: string, options: ValidateOptions): DeployProblem[] {
  const c = new Collector(resourceName, options.checkFeel, options.warnings);
  const roots: El[] = definitions?.rootElements ?? [];
  const processes = roots.filter((r) => is(r, 'bpmn:Process'));
  const executable = processes.filter((p) => p.isExecutable === true);
  if (!executable.length) {
    c.problems.push({
      resource: resourceName,
      message: processes.length
        ? `no executable process in the file: set isExecutable="true" on the process to deploy (${processes.map((p) => p.id).join(', ')})`
        : 'no process in the file: a deployable diagram needs a bpmn:process with isExecutable="true"',
    });
    return c.problems;
  }
  const codePrefixes = new Set(CODE_PREFIXES);
  for (const [key, value] of Object.entries(definitions.$attrs ?? {})) {
    if (key.startsWith('xmlns:') && CODE_NAMESPACES.has(String(value))) codePrefixes.add(key.slice(6));
  }
  // Signal names usable by throw events and messages used anywhere (validated once per element).
  for (const process of executable) validateProcess(process, c, codePrefixes);
  for (const root of roots) validateRootElement(root, c);
  return c.problems;
}

function validateRootElement(root: El, c: Collector) {
  if (is(root, 'bpmn:Message')) {
    c.feel(root.id, 'the message name', root.name);
    for (const sub of exts(root, 'zeebe:Subscription')) c.feel(root.id, 'the correlation key', sub.correlationKey);
  } else if (is(root, 'bpmn:Signal')) {
    c.feel(root.id, 'the signal name', root.name);
  }
}

const LISTENER_TASKS = ['bpmn:ServiceTask', 'bpmn:SendTask', 'bpmn:UserTask', 'bpmn:ScriptTask', 'bpmn:BusinessRuleTask', 'bpmn:ReceiveTask', 'bpmn:ManualTask', 'bpmn:Task', 'bpmn:CallActivity'];
const GATEWAYS = ['bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway', 'bpmn:ParallelGateway', 'bpmn:EventBasedGateway'];

/**
 * zeebe:executionListeners: Zeebe's rules first (an event type of start or end, a job type, no
 * two with the same event and type, no end listeners on gateways, no start listeners on boundary
 * events), then what the embedded engine runs: start and end listeners of tasks and call
 * activities, start listeners of exclusive and inclusive gateways. The rest is refused, named.
 */
function validateExecutionListeners(el: El, c: Collector) {
  const listeners: El[] = ext(el, 'zeebe:ExecutionListeners')?.listeners ?? [];
  if (!listeners.length) return;
  const seen = new Map<string, number>();
  for (const l of listeners) {
    if (l.eventType !== 'start' && l.eventType !== 'end') c.add(el.id, `an execution listener needs an eventType of start or end (found '${l.eventType ?? ''}')`);
    if (blank(l.type)) c.add(el.id, 'an execution listener needs a job type (type)');
    else c.feel(el.id, 'the execution listener job type', l.type);
    if (!blank(l.retries)) c.feel(el.id, 'the execution listener retries', l.retries);
    const key = `${l.eventType}|${l.type}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  for (const [key, count] of seen) {
    const [eventType, type] = key.split('|');
    if (count > 1) c.add(el.id, `Found '${count}' duplicates based on eventType[${eventType}] and type[${type}], these combinations should be unique.`);
  }
  const has = (eventType: string) => listeners.some((l) => l.eventType === eventType);
  const kind = el.$type.replace(/^bpmn:/, '');
  const gatewayEnd = GATEWAYS.includes(el.$type) && has('end');
  const boundaryStart = is(el, 'bpmn:BoundaryEvent') && has('start');
  if (gatewayEnd) c.add(el.id, `Execution listeners of type 'end' are not supported by ${kind} elements (Zeebe runs only start listeners on gateways)`);
  if (boundaryStart) c.add(el.id, "Execution listeners of type 'start' are not supported by boundary events");
  const runs = (LISTENER_TASKS.includes(el.$type) && !el.loopCharacteristics) || is(el, 'bpmn:ExclusiveGateway') || is(el, 'bpmn:InclusiveGateway');
  if (!runs && !gatewayEnd && !boundaryStart) {
    const where = el.loopCharacteristics ? 'on a multi-instance activity' : `on a ${kind}`;
    c.add(el.id, `execution listeners (${listeners.map((l) => `${l.eventType ?? '?'}: ${l.type ?? '?'}`).join(', ')}) ${where} are not run by the embedded engine yet (it runs them on tasks, call activities and exclusive or inclusive gateways); move the work into a service task before or after the element`);
  }
}

function validateProcess(process: El, c: Collector, codePrefixes: Set<string>) {
  validateExecutionListeners(process, c);
  const starts = (process.flowElements ?? []).filter((e: El) => is(e, 'bpmn:StartEvent'));
  if (!starts.length) {
    c.add(process.id, 'the process has no start event; add a none, message, timer or signal start event so it can be started');
  } else if (starts.filter((s: El) => !eventKind(s)).length > 1) {
    c.add(process.id, 'the process has more than one none start event; Zeebe allows one (use message or signal start events for the others)');
  }
  validateScope(process, c, codePrefixes, 'process');
}

function validateScope(scope: El, c: Collector, codePrefixes: Set<string>, kind: 'process' | 'subprocess' | 'event-subprocess' | 'ad-hoc') {
  const elements: El[] = scope.flowElements ?? [];
  const flows = elements.filter((e) => is(e, 'bpmn:SequenceFlow'));
  const outgoing = new Map<El, El[]>();
  const incoming = new Map<El, El[]>();
  for (const f of flows) {
    if (f.sourceRef) outgoing.set(f.sourceRef, [...(outgoing.get(f.sourceRef) ?? []), f]);
    if (f.targetRef) incoming.set(f.targetRef, [...(incoming.get(f.targetRef) ?? []), f]);
  }
  const out = (el: El) => outgoing.get(el) ?? [];
  const inc = (el: El) => incoming.get(el) ?? [];
  const associations: El[] = (scope.artifacts ?? []).filter((a: El) => is(a, 'bpmn:Association'));

  if (kind === 'ad-hoc') validateAdHocSubProcess(scope, elements, c);
  else if (kind !== 'process') {
    const starts = elements.filter((e) => is(e, 'bpmn:StartEvent'));
    if (kind === 'subprocess') {
      if (starts.length !== 1) c.add(scope.id, `an embedded sub-process needs exactly one start event (found ${starts.length})`);
      for (const s of starts) if (eventKind(s)) c.add(s.id, `the start event of an embedded sub-process must be a none start event, not ${eventKind(s)}`);
    } else {
      if (starts.length !== 1) c.add(scope.id, `an event sub-process needs exactly one start event (found ${starts.length})`);
      for (const s of starts) if (!eventKind(s)) c.add(s.id, 'the start event of an event sub-process needs an event (message, timer, signal, error or escalation)');
      if (inc(scope).length || out(scope).length) c.add(scope.id, 'an event sub-process cannot have incoming or outgoing sequence flows');
    }
  }

  // Link events: every throw needs a catch with the same name in the same scope.
  const linkCatches = new Map<string, number>();
  for (const e of elements) {
    if (is(e, 'bpmn:IntermediateCatchEvent') && eventKind(e) === 'link') {
      const name = e.eventDefinitions[0].name;
      if (blank(name)) c.add(e.id, 'a link catch event needs a link name');
      else linkCatches.set(name, (linkCatches.get(name) ?? 0) + 1);
    }
  }
  for (const [name, count] of linkCatches) {
    if (count > 1) c.add(scope.id, `the link name '${name}' is caught by ${count} link catch events in the same scope; link names must be unique`);
  }

  for (const el of elements) {
    validateCodeExtensions(el, c, codePrefixes);
    validateExecutionListeners(el, c);
    if (is(el, 'bpmn:SequenceFlow')) {
      validateSequenceFlow(el, c);
      continue;
    }
    if (!is(el, 'bpmn:FlowNode')) continue;

    for (const [type, reason] of Object.entries(UNSUPPORTED)) {
      if (el.$type === type) c.add(el.id, reason);
    }
    for (const def of el.eventDefinitions ?? []) {
      if (UNSUPPORTED[def.$type]) c.add(el.id, UNSUPPORTED[def.$type]);
    }
    if ((el.eventDefinitions ?? []).length > 1) c.add(el.id, 'an event may have only one event definition (multiple events are not supported)');

    if (is(el, 'bpmn:Activity')) validateActivity(el, c);
    if (is(el, 'bpmn:Event')) validateEvent(el, c, { kind, out, inc, associations, linkCatches });
    if (is(el, 'bpmn:Gateway')) validateGateway(el, c, out, inc);

    if (is(el, 'bpmn:AdHocSubProcess')) validateScope(el, c, codePrefixes, 'ad-hoc');
    else if (is(el, 'bpmn:SubProcess') && !is(el, 'bpmn:Transaction')) {
      validateScope(el, c, codePrefixes, el.triggeredByEvent ? 'event-subprocess' : 'subprocess');
    }
  }
}

/**
 * Ad-hoc sub-processes (Zeebe 8.8, AdHocSubProcessValidator): at least one activity, no start or
 * end events; zeebe:adHoc's activeElementsCollection and outputElement and the completion
 * condition are FEEL; an output collection goes with an output element. The job worker
 * implementation (a zeebe:taskDefinition on the ad-hoc sub-process) is refused, named.
 */
function validateAdHocSubProcess(scope: El, elements: El[], c: Collector) {
  const nodes = elements.filter((e) => is(e, 'bpmn:FlowNode'));
  if (!nodes.some((e) => is(e, 'bpmn:Activity'))) c.add(scope.id, 'an ad-hoc sub-process needs at least one activity');
  for (const e of nodes) {
    if (is(e, 'bpmn:StartEvent')) c.add(e.id, `an ad-hoc sub-process cannot contain a start event ('${scope.id}' activates its elements by zeebe:adHoc activeElementsCollection)`);
    if (is(e, 'bpmn:EndEvent')) c.add(e.id, `an ad-hoc sub-process cannot contain an end event ('${scope.id}' completes when its elements are done or its completion condition holds)`);
  }
  if (ext(scope, 'zeebe:TaskDefinition')) c.add(scope.id, UNSUPPORTED['bpmn:AdHocSubProcess (job worker implementation: zeebe:taskDefinition)']);
  const adHoc = ext(scope, 'zeebe:AdHoc');
  if (adHoc) {
    // Zeebe: optional, but never a static value (ZeebeRuntimeValidators)
    if (!blank(adHoc.activeElementsCollection)) c.mandatoryFeel(scope.id, 'the active elements collection (zeebe:adHoc activeElementsCollection)', adHoc.activeElementsCollection);
    if (!blank(adHoc.outputCollection) && blank(adHoc.outputElement)) c.add(scope.id, 'an ad-hoc output collection needs an output element (zeebe:adHoc outputElement)');
    if (blank(adHoc.outputCollection) && !blank(adHoc.outputElement)) c.add(scope.id, 'an ad-hoc output element needs an output collection (zeebe:adHoc outputCollection)');
    c.feel(scope.id, 'the output element (zeebe:adHoc outputElement)', adHoc.outputElement);
  }
  const completion = scope.completionCondition?.body;
  if (!blank(completion)) c.mandatoryFeel(scope.id, 'the completion condition of the ad-hoc sub-process', completion);
}

function validateSequenceFlow(flow: El, c: Collector) {
  const cond = flow.conditionExpression;
  if (!cond) return;
  const language: string | undefined = cond.language;
  if (language && !/feel/i.test(language)) {
    c.add(flow.id, `the condition is written in '${language}', which would run code on the server; write it in FEEL (=...)`);
    return;
  }
  const body = typeof cond.body === 'string' ? cond.body : '';
  if (/\$\{|#\{/.test(body) && !isExpression(body)) {
    c.add(flow.id, `the condition '${body.trim()}' is a JUEL/script expression, which would run code on the server; write it in FEEL (=...)`);
    return;
  }
  c.mandatoryFeel(flow.id, 'the condition', body);
}

const JOB_TASKS = ['bpmn:ServiceTask', 'bpmn:SendTask'];

/** Task listener events the embedded engine runs (Zeebe 8.8 also has `creating`). */
const TASK_LISTENER_EVENTS = ['assigning', 'updating', 'completing', 'canceling'];

/** zeebe:taskListeners: only on a Camunda user task, each with a known event and a job type (as Zeebe's validators ask). */
function validateTaskListeners(el: El, c: Collector) {
  const listeners: El[] = ext(el, 'zeebe:TaskListeners')?.listeners ?? [];
  if (!listeners.length) return;
  if (el.$type !== 'bpmn:UserTask' || !ext(el, 'zeebe:UserTask')) {
    c.add(el.id, 'task listeners (zeebe:taskListeners) are only supported on a Camunda user task (a user task with zeebe:userTask)');
    return;
  }
  for (const l of listeners) {
    if (l.eventType === 'creating') c.add(el.id, "a 'creating' task listener is not supported by the embedded engine (assigning, updating, completing and canceling are)");
    else if (!TASK_LISTENER_EVENTS.includes(l.eventType)) c.add(el.id, `a task listener needs an eventType of ${TASK_LISTENER_EVENTS.join(', ')} (got '${l.eventType ?? ''}')`);
    if (blank(l.type)) c.add(el.id, `the ${l.eventType ?? ''} task listener needs a job type (type)`);
    else if (isExpression(l.type)) c.add(el.id, `the ${l.eventType} task listener's type '${l.type}' is an expression; the embedded engine takes a static job type`);
  }
}

function validateActivity(el: El, c: Collector) {
  const taskDefinition = ext(el, 'zeebe:TaskDefinition');
  const needsJobType = (what: string) => {
    if (!taskDefinition || blank(taskDefinition.type)) c.add(el.id, `${what} needs a job type (zeebe:taskDefinition type)`);
  };
  const checkTaskDefinition = () => {
    if (!taskDefinition) return;
    c.feel(el.id, 'the job type (zeebe:taskDefinition type)', taskDefinition.type);
    c.feel(el.id, 'the job retries (zeebe:taskDefinition retries)', taskDefinition.retries);
  };

  validateTaskListeners(el, c);
  if (JOB_TASKS.some((t) => el.$type === t)) {
    needsJobType(`a ${short(el.$type)}`);
    checkTaskDefinition();
  } else if (el.$type === 'bpmn:ScriptTask') {
    const script = ext(el, 'zeebe:Script');
    // an inline script is refused even beside a zeebe:script: only the FEEL would run here, but the
    // same file on another engine (or a later one) could run the JavaScript (finding 9 of issue 14)
    if (!blank(el.scriptFormat) || !blank(el.script)) {
      const beside = script ? ' beside its zeebe:script' : '';
      c.add(el.id, `the script task has an inline ${el.scriptFormat ? `'${el.scriptFormat}' ` : ''}script${beside}, which would run code on the server; remove it and use a FEEL zeebe:script (expression="=...") or a job worker (zeebe:taskDefinition)`);
    } else if (script) {
      if (blank(script.expression)) c.add(el.id, 'a script task needs a FEEL expression (zeebe:script expression)');
      else c.mandatoryFeel(el.id, 'the script expression (zeebe:script expression)', script.expression);
      if (blank(script.resultVariable)) c.add(el.id, 'a script task with zeebe:script needs a result variable (zeebe:script resultVariable)');
    } else {
      needsJobType('a script task without zeebe:script');
      checkTaskDefinition();
    }
  } else if (el.$type === 'bpmn:BusinessRuleTask') {
    const decision = ext(el, 'zeebe:CalledDecision');
    if (decision) {
      if (blank(decision.decisionId)) c.add(el.id, 'a business rule task needs a decision id (zeebe:calledDecision decisionId)');
      c.feel(el.id, 'the decision id (zeebe:calledDecision decisionId)', decision.decisionId);
      if (blank(decision.resultVariable)) c.add(el.id, 'a business rule task that calls a decision needs a result variable (zeebe:calledDecision resultVariable)');
      // bindingType (Zeebe 8.6+): latest (default), deployment or versionTag, which then needs the tag
      const binding = decision.$attrs?.bindingType ?? decision.bindingType;
      if (binding !== undefined && !['latest', 'deployment', 'versionTag'].includes(binding)) {
        c.add(el.id, `the decision's bindingType '${binding}' is not one of latest, deployment, versionTag`);
      }
      if (binding === 'versionTag' && blank(decision.$attrs?.versionTag ?? decision.versionTag)) c.add(el.id, "a business rule task with bindingType 'versionTag' needs the versionTag of the decision (zeebe:calledDecision versionTag)");
    } else {
      needsJobType('a business rule task without zeebe:calledDecision');
      checkTaskDefinition();
    }
  } else if (el.$type === 'bpmn:ReceiveTask') {
    validateMessageCatch(el, el.messageRef, c, 'a receive task');
  } else if (el.$type === 'bpmn:CallActivity') {
    const called = ext(el, 'zeebe:CalledElement');
    if (!called || blank(called.processId)) c.add(el.id, 'a call activity needs the id of the process to call (zeebe:calledElement processId)');
    else c.feel(el.id, 'the called process id (zeebe:calledElement processId)', called.processId);
    // bindingType (Zeebe 8.6+): latest (default), deployment or versionTag, which then needs the tag
    const binding = called?.$attrs?.bindingType ?? called?.bindingType;
    if (binding !== undefined && !['latest', 'deployment', 'versionTag'].includes(binding)) {
      c.add(el.id, `the call activity's bindingType '${binding}' is not one of latest, deployment, versionTag`);
    }
    if (binding === 'versionTag' && blank(called?.$attrs?.versionTag ?? called?.versionTag)) c.add(el.id, "a call activity with bindingType 'versionTag' needs the versionTag to call");
  }
  // User tasks ignore zeebe:taskDefinition (Zeebe creates io.camunda.zeebe:userTask jobs).

  const assignment = ext(el, 'zeebe:AssignmentDefinition');
  if (assignment) {
    for (const attr of ['assignee', 'candidateGroups', 'candidateUsers']) c.feel(el.id, `the ${attr} (zeebe:assignmentDefinition)`, assignment[attr]);
  }
  const schedule = ext(el, 'zeebe:TaskSchedule');
  if (schedule) for (const attr of ['dueDate', 'followUpDate']) c.feel(el.id, `the ${attr} (zeebe:taskSchedule)`, schedule[attr]);
  const priority = ext(el, 'zeebe:PriorityDefinition');
  if (priority) c.feel(el.id, 'the priority (zeebe:priorityDefinition)', priority.priority);

  validateIoMapping(el, c);

  const loop = el.loopCharacteristics;
  if (loop) {
    if (is(loop, 'bpmn:StandardLoopCharacteristics')) c.add(el.id, UNSUPPORTED['bpmn:StandardLoopCharacteristics']);
    else if (is(loop, 'bpmn:MultiInstanceLoopCharacteristics')) {
      const zl = ext(loop, 'zeebe:LoopCharacteristics');
      if (!zl || blank(zl.inputCollection)) {
        c.add(el.id, 'a multi-instance activity needs an input collection (zeebe:loopCharacteristics inputCollection); loop cardinality alone is not supported');
      } else {
        c.feel(el.id, 'the input collection (zeebe:loopCharacteristics inputCollection)', zl.inputCollection);
        if (!blank(zl.outputCollection) && blank(zl.outputElement)) c.add(el.id, 'a multi-instance output collection needs an output element (zeebe:loopCharacteristics outputElement)');
        if (blank(zl.outputCollection) && !blank(zl.outputElement)) c.add(el.id, 'a multi-instance output element needs an output collection (zeebe:loopCharacteristics outputCollection)');
        c.feel(el.id, 'the output element (zeebe:loopCharacteristics outputElement)', zl.outputElement);
      }
      const completion = loop.completionCondition?.body;
      if (!blank(completion)) c.mandatoryFeel(el.id, 'the completion condition', completion);
    }
  }
}

function validateIoMapping(el: El, c: Collector) {
  const io = ext(el, 'zeebe:IoMapping');
  if (!io) return;
  for (const [kind, list] of [
    ['input', io.inputParameters ?? []],
    ['output', io.outputParameters ?? []],
  ] as const) {
    for (const p of list as El[]) {
      if (blank(p.target)) c.add(el.id, `an ${kind} mapping needs a target variable (zeebe:${kind} target)`);
      if (p.source === undefined || p.source === null) c.add(el.id, `the ${kind} mapping to '${p.target ?? ''}' has no source (zeebe:${kind} source)`);
      c.feel(el.id, `the ${kind} mapping to '${p.target ?? ''}' (zeebe:${kind} source)`, p.source);
    }
  }
}

function validateMessageCatch(el: El, message: El, c: Collector, what: string) {
  if (!message) {
    c.add(el.id, `${what} needs a message (messageRef)`);
    return;
  }
  if (blank(message.name)) c.add(el.id, `${what} needs a message with a name (message '${message.id}' has none)`);
  const sub = exts(message, 'zeebe:Subscription');
  if (sub.length !== 1 || blank(sub[0].correlationKey)) {
    c.add(el.id, `${what} needs a correlation key (zeebe:subscription correlationKey on message '${message.id}')`);
  }
}

interface ScopeInfo {
  kind: 'process' | 'subprocess' | 'event-subprocess' | 'ad-hoc';
  out: (el: El) => El[];
  inc: (el: El) => El[];
  associations: El[];
  linkCatches: Map<string, number>;
}

function validateEvent(el: El, c: Collector, scope: ScopeInfo) {
  const kind = eventKind(el);
  const def = el.eventDefinitions?.[0];
  const type: string = el.$type;
  const throwing = type === 'bpmn:IntermediateThrowEvent' || type === 'bpmn:EndEvent';

  if (type === 'bpmn:StartEvent') {
    const allowed = scope.kind === 'process' ? ['message', 'timer', 'signal'] : scope.kind === 'event-subprocess' ? ['message', 'timer', 'signal', 'error', 'escalation', 'compensate'] : [];
    if (kind && !allowed.includes(kind) && !UNSUPPORTED[def.$type]) {
      c.add(el.id, scope.kind === 'process' ? `a process start event must be a none, message, timer or signal start event, not ${kind}` : `a ${kind} start event is not allowed here`);
    }
  }
  if (type === 'bpmn:IntermediateCatchEvent' && !kind) c.add(el.id, 'an intermediate catch event needs an event definition (message, timer, signal or link)');

  switch (kind) {
    case 'message': {
      const message = def.messageRef;
      if (throwing) {
        // Message throw events are job workers in Zeebe: they publish nothing themselves.
        const td = ext(el, 'zeebe:TaskDefinition');
        if (!td || blank(td.type)) c.add(el.id, `a message ${type === 'bpmn:EndEvent' ? 'end' : 'throw'} event needs a job type (zeebe:taskDefinition type); it runs as a job worker`);
        else {
          c.feel(el.id, 'the job type (zeebe:taskDefinition type)', td.type);
          c.feel(el.id, 'the job retries (zeebe:taskDefinition retries)', td.retries);
        }
      } else if (type === 'bpmn:StartEvent' && scope.kind === 'process') {
        // Message start events of a process correlate by name only.
        if (!message) c.add(el.id, 'a message start event needs a message (messageRef)');
        else if (blank(message.name)) c.add(el.id, `a message start event needs a message with a name (message '${message.id}' has none)`);
      } else {
        validateMessageCatch(el, message, c, type === 'bpmn:BoundaryEvent' ? 'a message boundary event' : type === 'bpmn:StartEvent' ? 'a message start event of an event sub-process' : 'a message catch event');
      }
      break;
    }
    case 'timer':
      validateTimer(el, def, c, scope.kind);
      break;
    case 'signal': {
      const signal = def.signalRef;
      if (!signal) c.add(el.id, 'a signal event needs a signal (signalRef)');
      else if (blank(signal.name)) c.add(el.id, `a signal event needs a signal with a name (signal '${signal.id}' has none)`);
      break;
    }
    case 'error': {
      const error = def.errorRef;
      if (type === 'bpmn:EndEvent') {
        if (!error) c.add(el.id, 'an error end event needs an error (errorRef)');
        else if (blank(error.errorCode)) c.add(el.id, `an error end event needs an error code (error '${error.id}' has an empty errorCode)`);
        else c.feel(el.id, 'the error code', error.errorCode);
      } else if (error && isExpression(error.errorCode)) {
        c.add(el.id, `the error code of a catching error event cannot be an expression ('${error.errorCode}')`);
      }
      if (type === 'bpmn:BoundaryEvent' && el.cancelActivity === false) c.add(el.id, 'an error boundary event must be interrupting');
      break;
    }
    case 'escalation': {
      const escalation = def.escalationRef;
      if (throwing) {
        if (!escalation) c.add(el.id, 'an escalation throw event needs an escalation (escalationRef)');
        else if (blank(escalation.escalationCode)) c.add(el.id, `an escalation throw event needs an escalation code (escalation '${escalation.id}' has none)`);
        else c.feel(el.id, 'the escalation code', escalation.escalationCode);
      } else if (escalation && isExpression(escalation.escalationCode)) {
        c.add(el.id, `the escalation code of a catching escalation event cannot be an expression ('${escalation.escalationCode}')`);
      }
      break;
    }
    case 'link':
      if (type === 'bpmn:IntermediateThrowEvent') {
        if (blank(def.name)) c.add(el.id, 'a link throw event needs a link name');
        else if (!scope.linkCatches.has(def.name)) c.add(el.id, `no link catch event named '${def.name}' in the same scope for this link throw event`);
      }
      break;
    case 'compensate':
      if (type === 'bpmn:BoundaryEvent') {
        const handler = scope.associations
          .filter((a) => a.sourceRef === el || a.sourceRef?.id === el.id)
          .map((a) => a.targetRef)
          .find((t) => t && is(t, 'bpmn:Activity'));
        if (!handler) c.add(el.id, 'a compensation boundary event needs an association to its compensation handler (an activity marked isForCompensation)');
        else if (!handler.isForCompensation) c.add(el.id, `the compensation handler '${handler.id}' must be marked as a compensation activity (isForCompensation="true")`);
        if (scope.out(el).length) c.add(el.id, 'a compensation boundary event cannot have outgoing sequence flows; connect the handler with an association');
      }
      break;
    default:
      break;
  }

  if (type === 'bpmn:BoundaryEvent') {
    const host = el.attachedToRef;
    if (!host) c.add(el.id, 'a boundary event must be attached to an activity (attachedToRef)');
    else if (!is(host, 'bpmn:Activity')) c.add(el.id, `a boundary event can only be attached to an activity, not to ${short(host.$type)} '${host.id}'`);
    else if (host.triggeredByEvent) c.add(el.id, `a boundary event cannot be attached to the event sub-process '${host.id}'`);
    if (!kind) c.add(el.id, 'a boundary event needs an event definition (timer, message, error, signal, escalation or compensation)');
    if (scope.inc(el).length) c.add(el.id, 'a boundary event cannot have incoming sequence flows');
  }
}

function validateTimer(el: El, def: El, c: Collector, scopeKind: ScopeInfo['kind']) {
  const present = (['timeDuration', 'timeCycle', 'timeDate'] as const).filter((k) => def[k] && !blank(def[k].body));
  if (present.length !== 1) {
    c.add(el.id, present.length ? `a timer must have exactly one of timeDuration, timeCycle or timeDate (found ${present.join(', ')})` : 'a timer needs a value (timeDuration, timeCycle or timeDate)');
    return;
  }
  const which = present[0];
  const value: string = def[which].body.trim();
  const type: string = el.$type;
  if (type === 'bpmn:StartEvent' && scopeKind === 'process' && which === 'timeDuration') {
    c.add(el.id, 'a timer start event needs a timeCycle or timeDate; a duration has nothing to count from');
  }
  if (type === 'bpmn:IntermediateCatchEvent' && which === 'timeCycle') {
    c.add(el.id, 'an intermediate timer catch event needs a timeDuration or timeDate; a cycle cannot repeat here');
  }
  if (type === 'bpmn:BoundaryEvent' && which === 'timeCycle' && el.cancelActivity !== false) {
    // Zeebe accepts it (fires once); nothing to refuse.
  }
  if (isExpression(value)) {
    c.feel(el.id, `the timer ${which}`, value);
    return;
  }
  const ok = which === 'timeDuration' ? isIsoDuration(value) : which === 'timeDate' ? isIsoDateTime(value) : isTimeCycle(value);
  if (!ok) {
    const expected =
      which === 'timeDuration'
        ? 'an ISO 8601 duration such as PT15M or P1DT2H'
        : which === 'timeDate'
          ? 'an ISO 8601 date-time such as 2025-03-01T09:00:00Z'
          : 'a repeating interval such as R3/PT10M or R/P1D (optionally R/2025-03-01T09:00:00Z/P1D) or a cron expression such as 0 0 9 * * MON-FRI';
    c.add(el.id, `the timer ${which} '${value}' is not valid: expected ${expected}, or a FEEL expression starting with '='`);
  }
}

function validateGateway(el: El, c: Collector, out: (el: El) => El[], inc: (el: El) => El[]) {
  const outgoing = out(el);
  if (el.$type === 'bpmn:ExclusiveGateway' || el.$type === 'bpmn:InclusiveGateway') {
    const dflt = el.default;
    if (dflt) {
      if (!outgoing.includes(dflt)) c.add(el.id, `the default flow '${dflt.id}' must be an outgoing flow of this gateway`);
      if (dflt.conditionExpression) c.add(dflt.id, `the default flow of gateway '${el.id}' must not have a condition`);
    }
    if (outgoing.length > 1) {
      for (const f of outgoing) {
        if (f !== dflt && !f.conditionExpression) {
          c.add(f.id, `this flow leaves the ${short(el.$type)} '${el.id}' without a condition; give it a FEEL condition or make it the gateway's default flow`);
        }
      }
    }
  } else if (el.$type === 'bpmn:EventBasedGateway') {
    if (outgoing.length < 2) c.add(el.id, `an event-based gateway needs at least two outgoing flows to catch events (found ${outgoing.length})`);
    const seenMessages = new Set<string>();
    for (const f of outgoing) {
      const target = f.targetRef;
      const kind = target && is(target, 'bpmn:IntermediateCatchEvent') && target.eventDefinitions?.length === 1 ? eventKind(target) : undefined;
      if (!kind || !['message', 'timer', 'signal'].includes(kind)) {
        c.add(el.id, `an event-based gateway may only lead to message, timer or signal intermediate catch events; '${target?.id ?? f.id}' is a ${target ? short(target.$type) : 'missing element'}`);
        continue;
      }
      if (kind === 'message') {
        const name = target.eventDefinitions[0].messageRef?.name;
        if (name && seenMessages.has(name)) c.add(el.id, `an event-based gateway cannot wait for the message '${name}' twice`);
        if (name) seenMessages.add(name);
      }
      if (inc(target).length > 1) c.add(target.id, `an event after the event-based gateway '${el.id}' cannot have other incoming flows`);
      if (f.conditionExpression) c.add(f.id, 'a flow leaving an event-based gateway cannot have a condition');
    }
  }
}

/** Camunda 7 / Activiti / Flowable attributes and extension elements that would run code. */
function validateCodeExtensions(el: El, c: Collector, codePrefixes: Set<string>) {
  const prefixOf = (name: string) => (name.includes(':') ? name.slice(0, name.indexOf(':')) : '');
  // A task with a job type runs as a job and nothing else: Zeebe never reads camunda:* attributes,
  // and published diagrams migrated from Camunda 7 keep them, so there they are inert (warned, ignored)
  const jobWorker = !!ext(el, 'zeebe:TaskDefinition');
  for (const key of Object.keys(el.$attrs ?? {})) {
    const prefix = prefixOf(key);
    if (codePrefixes.has(prefix) && (CODE_ATTRIBUTES.test(key.slice(prefix.length + 1)) || JUEL.test(String(el.$attrs[key])))) {
      if (jobWorker) c.warn(el.id, `${key} is a Camunda 7 attribute that Zeebe ignores; the task runs as a job of its zeebe:taskDefinition type, and ${key} is ignored (remove it to silence this warning)`);
      else c.add(el.id, `${key} would run code on the server (a ${prefix} extension); Herald runs the Zeebe dialect: use a zeebe:taskDefinition job worker or a FEEL expression`);
    }
  }
  for (const v of el.extensionElements?.values ?? []) {
    const prefix = prefixOf(String(v.$type ?? ''));
    if (codePrefixes.has(prefix) && runsCode(v)) {
      c.add(el.id, `the ${v.$type} extension would run code on the server (scripts, expressions or listeners); Herald runs the Zeebe dialect: use a job worker or FEEL`);
    }
  }
}

function runsCode(v: El, depth = 0): boolean {
  if (depth > 32) return true;
  const local = String(v.$type ?? '').replace(/^.*:/, '');
  if (CODE_ELEMENTS.test(local)) return true;
  for (const [k, value] of Object.entries({ ...(v.$attrs ?? {}), ...v })) {
    if (k.startsWith('$')) continue;
    if (CODE_ATTRIBUTES.test(k.replace(/^.*:/, '')) || (typeof value === 'string' && JUEL.test(value))) return true;
  }
  if (typeof v.$body === 'string' && JUEL.test(v.$body)) return true;
  return (v.$children ?? []).some((child: El) => runsCode(child, depth + 1));
}
