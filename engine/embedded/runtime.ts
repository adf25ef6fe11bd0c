/**
 * One process instance on the embedded engine: a bpmn-engine execution carrying the tokens,
 * plus the Zeebe semantics bpmn-engine does not have — variable scopes and zeebe:ioMapping,
 * multi-instance collections, FEEL, wait states with their subscriptions, incidents, and an
 * Operate-style history of element instances.
 *
 * The runtime is synchronous between commands: a command (start, trigger a wait, resolve an
 * incident, cancel) runs the instance until every token waits again ("settles"); the engine
 * then persists `snapshot()` together with the wait states, atomically.
 */
import { Engine as BpmnEngine } from 'bpmn-engine';
import type { ElementState, IncidentErrorType, InstanceState, Variables } from '../types.js';
import { evaluateFeel, FeelError } from './feel/index.js';
import { isJobElement, type ElementInfo, type ProcessModel } from './model.js';
import type { Activated, ElementHost, Failure, ListenerStep, PreparedEvent, UserTaskSpec, WaitDescriptor } from './runtime-types.js';
import { addDuration, firstCycleDue, parseCycle, parseDate, timerText, TimerValueError } from './timer-values.js';
import { heraldElements, waitHandler } from './elements.js';
import type { AdHocHost } from './ad-hoc.js';
import type { ModificationPlan } from './modification.js';


/** Which version of a decision a business rule task evaluates (zeebe:calledDecision bindingType). */
export interface DecisionBinding {
  bindingType: 'deployment' | 'versionTag';
  versionTag?: string;
}

export interface RuntimeServices {
  now(): number;
  /** Evaluates a deployed decision (the version its bindingType names); throws an Error whose message names the problem. */
  evaluateDecision(decisionId: string, variables: Variables, binding?: DecisionBinding): unknown;
  /** The embedded form JSON of a `camunda-forms:bpmn:` key, when the process has it. */
}

export interface Scope {
  parent?: string;
  vars: Variables;
}

export interface WaitRecord {
  /** The execution that waits (for event definitions, the definition's execution). */
  waitId: string;
  elementId: string;
  elementInstanceKey: string;
  flowScopeKey?: string;
  descriptor: WaitDescriptor;
  createdAt: number;
  /** For the start of an event sub-process: the execution of the scope whose activation opened it. */
  eventSubScope?: string;
}

/** The last variables of a scope that ended (an element instance with local variables). */
export interface EndedScope {
  elementInstanceKey: string;
  elementId: string;
  variables: Variables;
}

export interface ElementEvent {
  elementInstanceKey: string;
  elementId: string;
  elementName?: string;
  elementType: string;
  state: ElementState | 'TAKEN';
  flowScopeKey?: string;
  at: number;
}

export interface RuntimeData {
  instanceKey: string;
  startTrigger?: string;
  /** Zeebe's start instructions: the elements to start at, run when the first start event is skipped. */
  startAt?: string[];
  state: InstanceState;
  scopes: Record<string, Scope>;
  waits: Record<string, WaitRecord>;
  /** Element instances that are active: executionId -> element id. */
  active: Record<string, { elementId: string; flowScopeKey?: string; startedAt: number }>;
  outputsApplied: Record<string, true>;
  eventVariables: Record<string, Variables>;
  /** Tokens on taken flows that their target has not consumed yet (held at joins): sequence id -> flow. */
  tokens?: Record<string, { flowId: string; flowScopeKey: string }>;
  /** Event sub-process starts that will not open again in their scope (`<scope execution>|<start event>`). */
  closedEventSubs?: Record<string, true>;
  /** Non-interrupting event sub-process runs waiting for the running one to end (one run at a time per scope). */
  eventSubQueue?: { scope: string; subProcessId: string; variables?: Variables }[];
  eventSubCount?: number;
  /** Completed activities with a compensation boundary: their flow scope and the scopes around it, innermost first. */
  compensable?: { elementId: string; flowScopeKey: string; scopeKeys: string[] }[];
  /** Compensation throws waiting for the handlers the runtime started inside completed sub-processes. */
  compensations?: Record<string, string[]>;
  /** Handler job waits the runtime started: wait id -> the throw's execution. */
  compensationHandlers?: Record<string, string>;
  /** zeebe:executionListeners: where each element instance with listeners stands (`work`: its start listeners are done). */
  listenerStages?: Record<string, { phase: 'start' | 'end' | 'work'; index: number }>;
  /** Element instances whose input mappings ran before their start listeners (not again in `activate`). */
  inputsDone?: Record<string, true>;
  /** Triggers delivered so far: with the instance key, the seed of each trigger's ids. */
  triggers?: number;
  /**
   * Running ad-hoc sub-processes by execution: the elements activated on entry, the completion
   * condition's last value, and its failed evaluation (an incident on the sub-process until resolved).
   */
  adHoc?: Record<string, { activated: string[]; fulfilled?: boolean; failure?: Failure }>;
}

/** A job completion applied after the last snapshot: the wait, the variables, the time. */
export interface JournalEntry {
  w: string;
  v: Variables;
  t: number;
}

/**
 * Runs `fn` with Math.random drawing from a generator seeded by `seed` (mulberry32 over an FNV-1a
 * hash). bpmn-engine and smqp take their ids from Math.random and run synchronously, so nothing
 * else draws from it meanwhile.
 */
function seeded<T>(seed: string, fn: () => T): T {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  let state = h >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const random = Math.random;
  Math.random = () => (next() * 2 ** 21 + (next() >>> 11)) / 2 ** 53;
  try {
    return fn();
  } finally {
    Math.random = random;
  }
}

export interface Snapshot {
  engine: unknown;
  data: RuntimeData;
}

const ROOT = 'root';

/** What sets an execution listener's job apart from its element's own: `<element instance key>|el:<start|end>:<index>`. */
export const LISTENER_KEY = '|el:';

/** startTrigger of an instance created with start instructions: no start event runs. */
const START_INSTRUCTIONS = '\u0000start-instructions';

function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Array.isArray(value)) return 'ARRAY';
  if (typeof value === 'boolean') return 'BOOLEAN';
  if (typeof value === 'number') return 'NUMBER';
  if (typeof value === 'string') return 'STRING';
  return 'OBJECT';
}

/**
 * Zeebe's message for an expression whose result has the wrong type (ExpressionProcessor.typeCheck),
 * with FEEL's warnings appended as Zeebe appends them (createFailureMessage); the warnings known
 * here are the variables that were not found.
 */
export function typeMismatch(expression: string, expected: string, value: unknown, missing: string[] = []): string {
  const message = `Expected result of the expression '${expression.replace(/^=/, '')}' to be '${expected}', but was '${typeName(value)}'.`;
  if (!missing.length) return message;
  return `${message} The evaluation reported the following warnings:\n${missing.map((name) => `[NO_VARIABLE_FOUND] No variable found with name '${name}'`).join('\n')}`;
}

/** FEEL-scala's failure text is what Zeebe reports ("failed to evaluate expression 'x': ..."); add the prefix only where it is missing. */
function feelFailure(expression: string, message: string): string {
  return /^(failed to (evaluate|parse) expression|Assertion failure)/.test(message) ? message : `failed to evaluate expression '${expression}': ${message}`;
}

function csv(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value.map(String);
  return String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export class InstanceRuntime implements ElementHost, AdHocHost {
  readonly model: ProcessModel;
  data: RuntimeData;
  /** History produced since the last `drain()`. */
  private events: ElementEvent[] = [];
  /** Signals thrown since the last `drain()`. */
  private signals: { name: string; variables: Variables }[] = [];
  private endedScopes: EndedScope[] = [];
  /** In memory only: the activity behind each wait, to deliver triggers to. */
  private waitActivities = new Map<string, any>();
  private engine!: any;
  private execution: any;
  private failure?: Error;
  /** Converging inclusive gateways holding tokens, each asked again whenever the instance settles. */
  private pendingJoins = new Set<() => boolean>();
  /** In memory only: the event sub-processes of active scopes (`<scope execution>|<sub-process id>`). */
  private eventSubs = new Map<string, { activity: any; scopeExecution: any; scopeId: string }>();
  /** Trigger variables for the start event of an event sub-process that is starting. */
  private eventSubTriggers = new Map<string, Variables | undefined>();
  private stopping = false;
  /** In memory only, during `modify`: local variables for elements being activated (element id -> variables). */
  private modificationVariables = new Map<string, Variables>();
  /** In memory only, during `modify`: sub-processes being created -> the children that start instead of their start event. */
  private modificationStarts = new Map<string, string[]>();
  /** In memory only: the compensation throws waiting for nested handlers (execution -> activity). */
  private compensationThrows = new Map<string, any>();

  constructor(
    model: ProcessModel,
    readonly services: RuntimeServices,
    instanceKey: string,
  ) {
    this.model = model;
    this.data = { instanceKey, state: 'ACTIVE', scopes: { [ROOT]: { vars: {} } }, waits: {}, active: {}, outputsApplied: {}, eventVariables: {} };
  }

  private newEngine() {
    const expressions = {
      resolveExpression: (expression: string, message: any) => this.resolveExpression(expression, message),
      isExpression: (text: string) => typeof text === 'string' && text.startsWith('='),
      hasExpression: (text: string) => typeof text === 'string' && text.startsWith('='),
    };
    return new BpmnEngine({
      name: this.data.instanceKey,
      sourceContext: this.model.sourceContext as never,
      elements: heraldElements as never,
      expressions: expressions as never,
      services: { herald: this },
      settings: { enableDummyService: false, strict: false },
      Logger: quietLogger as never,
    } as never);
  }

  private listener() {
    return {
      emit: (eventName: string, api: any) => {
        try {
          this.onEvent(eventName, api);
        } catch (err) {
          this.failure ??= err as Error;
        }
      },
    };
  }

  /** Starts the instance; `startElementId` names a message/timer/signal start event that triggered it. */
  async start(variables: Variables, startElementId?: string, startAt?: string[]): Promise<void> {
    this.data.startTrigger = startElementId;
    if (startAt?.length) {
      // every start event is skipped; the first one skipped starts the chosen elements instead
      this.data.startTrigger = START_INSTRUCTIONS;
      this.data.startAt = [...startAt];
    }
    Object.assign(this.data.scopes[ROOT].vars, variables);
    this.engine = this.newEngine();
    this.execution = await this.engine.execute({ listener: this.listener() });
    this.afterCommand();
  }

  /** Restores a saved instance; waiting elements re-register their waits (no new jobs). */
  async resume(snapshot: Snapshot): Promise<void> {
    this.data = snapshot.data;
    this.engine = this.newEngine();
    this.engine.recover(snapshot.engine);
    this.execution = await this.engine.resume({ listener: this.listener() });
    this.afterCommand();
  }

  /**
   * The saved state. bpmn-engine puts the serialized definition in every definition's state (about
   * 5 KB of a 12 KB snapshot for a five-task process); it is left out: the process version's model
   * has it, and `resume` builds the engine from that model (bpmn-engine then recovers from it).
   */
  async snapshot(): Promise<Snapshot> {
    const engine = (await this.engine.getState()) as { definitions?: { source?: unknown }[] };
    for (const d of engine.definitions ?? []) delete d.source;
    return { engine, data: this.data };
  }

  stop(): void {
    this.stopping = true;
    try {
      this.engine?.stop();
    } catch {
      // stopping an ended engine is fine
    }
  }

  private afterCommand() {
    if (this.data.state !== 'TERMINATED') this.settle();
    else if (this.propagated) this.stop();
    const failure = this.failure;
    this.failure = undefined;
    if (failure) throw failure;
    if (this.data.state === 'ACTIVE' && this.execution?.state === 'completed') this.data.state = 'COMPLETED';
  }

  /**
   * Delivers a trigger to a wait: `signal` (complete, with variables), `error`, `retry`, `discard`.
   * The identifiers bpmn-engine draws meanwhile (execution ids, hence element instance keys) come
   * from a generator seeded by the instance key and the trigger's number, so a trigger replayed on
   * the instance resumed from the same snapshot draws the same ones (`applyCompletion`, the journal).
   */
  trigger(waitId: string, type: 'signal' | 'error' | 'retry' | 'discard', payload?: unknown): boolean {
    this.data.triggers = (this.data.triggers ?? 0) + 1;
    return seeded(`${this.data.instanceKey}#${this.data.triggers}`, () => this.deliver(waitId, type, payload));
  }

  /**
   * Completes a job wait at a fixed time: the engine's job completions, and their replay from the
   * journal. Resumed from the same snapshot and given the same completions in order, the instance
   * reaches the same state with the same keys. False when the entry's wait is not there.
   */
  applyCompletion(entry: JournalEntry): boolean {
    const services = this.services;
    (this as { services: RuntimeServices }).services = { ...services, now: () => entry.t };
    try {
      return this.trigger(entry.w, 'signal', { variables: entry.v });
    } finally {
      (this as { services: RuntimeServices }).services = services;
    }
  }

  private deliver(waitId: string, type: 'signal' | 'error' | 'retry' | 'discard', payload?: unknown): boolean {
    const eventSubWait = this.data.waits[waitId];
    if (this.data.compensationHandlers?.[waitId] && eventSubWait) {
      delete this.data.waits[waitId];
      this.finishCompensationHandler(eventSubWait, type, payload as { variables?: Variables } | undefined);
      this.afterCommand();
      return true;
    }
    if (eventSubWait?.eventSubScope !== undefined) {
      delete this.data.waits[waitId];
      this.fireEventSubProcess(eventSubWait, type, payload as { variables?: Variables; repeat?: number } | undefined);
      this.afterCommand();
      return true;
    }
    const activity = this.waitActivities.get(waitId);
    const wait = this.data.waits[waitId];
    if (!activity || !wait) return false;
    delete this.data.waits[waitId];
    this.waitActivities.delete(waitId);
    // a job wait takes `signal` and `retry` straight from here (nothing else on its broker reacts to
    // them); `error` and `discard` go through its api exchange, where bpmn-elements listens too
    const direct = type === 'signal' || type === 'retry' ? waitHandler(activity, waitId) : undefined;
    if (direct) direct(type, payload);
    else activity.broker.publish('api', `activity.${type}.${waitId}`, { message: payload }, { type });
    this.afterCommand();
    return true;
  }

  /** Sets variables on a scope (the instance key or an element instance key). */
  setVariables(scopeKey: string, variables: Variables, local: boolean): void {
    const scope = this.scopeIdForKey(scopeKey);
    if (!scope) throw new Error(`no element instance ${scopeKey} is active in instance ${this.data.instanceKey}`);
    if (local) Object.assign(this.data.scopes[scope].vars, variables);
    else this.merge(scope, variables);
  }

  /**
   * Applies a checked process instance modification (modification.ts): variables on the process
   * instance and on the flow scope instances reused, then each run (an element, or the outermost
   * sub-process created for it, started as a start instruction starts it, in its flow scope
   * instance); a created sub-process skips its start event and starts the children the plan names
   * (`skipStartEvent`). Then each termination (the element instance is discarded: no flow is taken
   * from it). An instance left with no active element is terminated, as Zeebe terminates a flow
   * scope whose last child was terminated.
   */
  modify(plan: ModificationPlan): void {
    this.data.triggers = (this.data.triggers ?? 0) + 1;
    seeded(`${this.data.instanceKey}#${this.data.triggers}`, () => {
      Object.assign(this.data.scopes[ROOT].vars, plan.rootVariables);
      for (const [scope, variables] of Object.entries(plan.scopeVariables)) Object.assign(this.data.scopes[scope].vars, variables);
      for (const [elementId, variables] of Object.entries(plan.createdVariables)) this.modificationVariables.set(elementId, variables);
      for (const [subProcessId, children] of Object.entries(plan.starts)) this.modificationStarts.set(subProcessId, children);
      try {
        for (const run of plan.runs) {
          const activity = this.scopeExecution(run.scope)?.getActivityById(run.elementId);
          if (!activity) throw new Error(`element '${run.elementId}' is not in the running process`);
          activity.run();
        }
      } finally {
        this.modificationVariables.clear();
        this.modificationStarts.clear();
      }
      for (const executionId of plan.terminate) this.terminateElementInstance(executionId);
    });
    const terminatedAll = plan.terminate.length > 0 && !Object.keys(this.data.active).length;
    if (terminatedAll && this.data.state !== 'TERMINATED') this.cancel();
    else this.afterCommand();
  }

  /**
   * The bpmn-elements execution that runs the children of a flow scope instance: the engine's for
   * the process, a sub-process's ProcessExecution (found through its own flow scope) otherwise.
   */
  private scopeExecution(scopeId: string): any {
    if (scopeId === ROOT) return this.execution;
    const scope = this.data.active[scopeId];
    if (!scope) return undefined;
    const key = this.data.instanceKey;
    const parentOf = (id: string) => {
      const fs = this.data.active[id]?.flowScopeKey;
      return !fs || fs === key ? ROOT : fs.slice(key.length + 1);
    };
    let parent = parentOf(scopeId);
    // an inner instance of a multi-instance sub-process: its flow scope is the body, of the same activity
    if (parent !== ROOT && this.data.active[parent]?.elementId === scope.elementId) parent = parentOf(parent);
    const activity = this.scopeExecution(parent)?.getActivityById(scope.elementId);
    const executions: any[] = activity?.execution?.source?.executions ?? [];
    return executions.find((e) => e.executionId === scopeId);
  }

  private terminateElementInstance(executionId: string) {
    if (!this.data.active[executionId]) return;
    const key = this.elementInstanceKey(executionId);
    // a waiting element (job, user task, message, timer, call, incident, execution listener) takes a discard at its wait
    const wait = Object.values(this.data.waits).find((w) => w.elementInstanceKey === key || w.elementInstanceKey.startsWith(`${key}${LISTENER_KEY}`) || w.waitId === executionId);
    const activity = wait && this.waitActivities.get(wait.waitId);
    if (wait && activity) {
      delete this.data.waits[wait.waitId];
      this.waitActivities.delete(wait.waitId);
      activity.broker.publish('api', `activity.discard.${wait.waitId}`, { message: {} }, { type: 'discard' });
      return;
    }
    // else (a sub-process) its execution, found among the postponed activities at any depth
    const find = (apis: any[]): any => {
      for (const api of apis) {
        if (api.content?.executionId === executionId) return api;
        const inner = typeof api.getPostponed === 'function' ? find(api.getPostponed() ?? []) : undefined;
        if (inner) return inner;
      }
      return undefined;
    };
    const api = find(this.execution.getPostponed());
    if (!api) throw new Error(`element instance ${key} cannot be terminated: it is neither waiting nor running`);
    // its children terminate first, as Zeebe records them
    this.terminateChildren(executionId);
    api.discard();
  }

  /** Cancels the instance: every active element is terminated. */
  cancel(): void {
    for (const [executionId, active] of Object.entries(this.data.active)) {
      this.record(executionId, active.elementId, 'TERMINATED', active.flowScopeKey);
    }
    this.data.active = {};
    this.data.waits = {};
    this.waitActivities.clear();
    this.data.state = 'TERMINATED';
    this.stop();
  }

  /**
   * History and signals since the last drain; `propagatedError` is set once when this called
   * instance handed an uncaught error to its parent (the engine then throws it on the parent's
   * call activity wait: `trigger(waitId, 'error', propagatedError)`).
   */
  drain(): { events: ElementEvent[]; signals: { name: string; variables: Variables }[]; endedScopes: EndedScope[]; propagatedError?: { errorCode: string; errorMessage?: string; variables?: Variables } } {
    const out = { events: this.events, signals: this.signals, endedScopes: this.endedScopes, ...(this.propagated && { propagatedError: this.propagated }) };
    this.events = [];
    this.signals = [];
    this.endedScopes = [];
    this.propagated = undefined;
    return out;
  }

  rootVariables(): Variables {
    return this.data.scopes[ROOT].vars;
  }

  /** The variables visible from a scope, inner scopes shadowing outer ones. */
  visibleVariables(scopeId: string): Variables {
    const chain: Scope[] = [];
    let id: string | undefined = scopeId;
    while (id) {
      const scope: Scope | undefined = this.data.scopes[id];
      if (!scope) break;
      chain.push(scope);
      id = scope.parent;
    }
    const out: Variables = {};
    for (let i = chain.length - 1; i >= 0; i--) Object.assign(out, chain[i].vars);
    return out;
  }

  scopeVariables(scopeKey: string): Variables | undefined {
    const scope = this.scopeIdForKey(scopeKey);
    return scope ? this.data.scopes[scope].vars : undefined;
  }

  private scopeIdForKey(key: string): string | undefined {
    if (key === this.data.instanceKey) return ROOT;
    const executionId = key.startsWith(`${this.data.instanceKey}/`) ? key.slice(this.data.instanceKey.length + 1) : key;
    return this.data.scopes[executionId] ? executionId : undefined;
  }

  elementInstanceKey(executionId: string): string {
    return `${this.data.instanceKey}/${executionId}`;
  }

  // ---------------------------------------------------------------- ad-hoc sub-processes (ad-hoc.ts)

  /** Inner elements an ad-hoc sub-process may activate: those without incoming flows (no boundary events, no event sub-processes). */
  private adHocActivities(adHoc: ElementInfo): Set<string> {
    const ids = new Set<string>();
    for (const e of this.model.elements.values()) {
      if (e.parentId === adHoc.id && !e.incoming.length && !e.attachedTo && !e.triggeredByEvent && !e.isForCompensation) ids.add(e.id);
    }
    return ids;
  }

  /**
   * zeebe:adHoc activeElementsCollection, evaluated once per execution of the sub-process in its
   * own scope (its input mappings applied): a list of ids of inner elements without incoming flows.
   * Failures read as Zeebe's (AdHocSubProcessProcessor, AdHocSubProcessUtils): EXTRACT_VALUE_ERROR.
   */
  adHocActivation(activity: any, executeMessage: any): { failure: Failure } | { elements: string[] } {
    const info = this.info(activity.id)!;
    const content = executeMessage.content;
    const executionId: string = content.executionId;
    const saved = this.data.adHoc?.[executionId];
    if (saved) return { elements: saved.activated };
    // resumed while its incident is open: it stays until resolved, even if the variables were fixed meanwhile
    const open = this.data.waits[executionId];
    if (open?.elementId === activity.id && open.descriptor.kind === 'incident') return { failure: open.descriptor.failure };
    const scopeId = this.data.scopes[executionId] ? executionId : this.ensureScope(content);
    const expression = info.adHoc?.activeElementsCollection?.replace(/^=/, '');
    let ids: string[] = [];
    if (expression) {
      const fail = (message: string) => ({ failure: { errorType: 'EXTRACT_VALUE_ERROR' as const, message: `Failed to activate ad-hoc elements. ${message}` } });
      const r = this.feel(expression, scopeId);
      if (!r.ok) return fail(feelFailure(expression, r.message));
      if (!Array.isArray(r.value)) return fail(typeMismatch(expression, 'ARRAY', r.value, (r as { missing?: string[] }).missing));
      if (!r.value.every((v) => typeof v === 'string')) {
        return fail(`Expected result of the expression '${expression}' to be 'ARRAY' containing 'STRING' items, but was 'ARRAY' containing at least one non-'STRING' item.`);
      }
      ids = r.value as string[];
      const activities = this.adHocActivities(info);
      const unknown = ids.filter((id) => !activities.has(id));
      if (unknown.length) {
        return {
          failure: {
            errorType: 'EXTRACT_VALUE_ERROR',
            message: `Expected to activate activities for ad-hoc sub-process with key '${this.elementInstanceKey(executionId)}', but the given elements [${unknown.join(', ')}] do not exist.`,
          },
        };
      }
    }
    // bpmn-elements runs one execution of an element at a time: an id named twice activates it once
    const activated = [...new Set(ids)];
    (this.data.adHoc ??= {})[executionId] = { activated };
    const collection = info.adHoc?.outputCollection;
    if (collection) this.data.scopes[scopeId].vars[collection] = [];
    this.data.scopes[scopeId].vars.adHocSubProcessElements = this.adHocElementsVariable(info);
    return { elements: activated };
  }

  /**
   * Zeebe 8.8's `adHocSubProcessElements`, local to the sub-process: each element it may activate,
   * empty fields left out as Zeebe's AdHocActivityMetadata does. The `parameters` Zeebe reads from
   * fromAi(...) calls are not extracted.
   */
  private adHocElementsVariable(adHoc: ElementInfo): Record<string, unknown>[] {
    const activities = this.adHocActivities(adHoc);
    return [...this.model.elements.values()]
      .filter((e) => activities.has(e.id))
      .map((e) => ({
        elementId: e.id,
        ...(e.name && { elementName: e.name }),
        ...(e.documentation && { documentation: e.documentation }),
        ...(Object.keys(e.properties).length && { properties: { ...e.properties } }),
      }));
  }

  /**
   * A path inside an ad-hoc sub-process ended (`child`, an element with no outgoing flow, completed):
   * its output element joins the output collection, then the completion condition is evaluated in
   * the sub-process's scope (Zeebe's beforeExecutionPathCompleted). A failure waits as an incident.
   */
  private adHocPathEnded(adHoc: ElementInfo, child: any) {
    const candidates = [child.parent?.executionId, ...((child.parent?.path as any[] | undefined) ?? []).map((p) => p.executionId)];
    const executionId = candidates.find((id) => id && this.data.adHoc?.[id]);
    if (!executionId) return;
    const state = this.data.adHoc![executionId];
    const { outputCollection, outputElement } = adHoc.adHoc!;
    if (outputCollection && outputElement) {
      const own = this.data.scopes[child.executionId] ? child.executionId : executionId;
      const r = this.value(outputElement.startsWith('=') ? outputElement : `=${outputElement}`, own);
      const list = this.data.scopes[executionId]?.vars[outputCollection];
      if (!r.ok) state.failure = { errorType: 'EXTRACT_VALUE_ERROR', message: r.message };
      else if (Array.isArray(list)) list.push(r.value ?? null);
      if (!r.ok) return;
    }
    this.evaluateAdHocCompletion(adHoc, executionId);
  }

  private evaluateAdHocCompletion(adHoc: ElementInfo, executionId: string) {
    const state = this.data.adHoc?.[executionId];
    const condition = adHoc.adHoc?.completionCondition?.replace(/^=/, '');
    if (!state || !condition) return;
    delete state.failure;
    const r = this.feel(condition, executionId);
    const prefix = 'Failed to evaluate completion condition. ';
    if (!r.ok) state.failure = { errorType: 'EXTRACT_VALUE_ERROR', message: prefix + feelFailure(condition, r.message) };
    else if (typeof r.value !== 'boolean') state.failure = { errorType: 'EXTRACT_VALUE_ERROR', message: prefix + typeMismatch(condition, 'BOOLEAN', r.value, (r as { missing?: string[] }).missing) };
    else state.fulfilled = r.value;
  }

  adHocNext(activity: any, executionId: string, running: number): 'complete' | 'cancel' | 'wait' | { failure: Failure } {
    const info = this.info(activity.id)!;
    const state = this.data.adHoc?.[executionId];
    if (!state) return running > 0 ? 'wait' : 'complete';
    if (state.failure) return { failure: state.failure };
    if (!info.adHoc?.completionCondition) return running > 0 ? 'wait' : 'complete';
    if (!state.fulfilled) return 'wait';
    if (running <= 0) return 'complete';
    return info.adHoc.cancelRemainingInstances ? 'cancel' : 'wait';
  }

  adHocRetry(activity: any, executionId: string): void {
    const info = this.info(activity.id)!;
    const state = this.data.adHoc?.[executionId];
    if (!state) return;
    delete state.failure;
    this.evaluateAdHocCompletion(info, executionId);
  }

  /** The output collection, local to the ad-hoc sub-process, goes to its flow scope as it completes. */
  private propagateOutputCollection(info: ElementInfo, executionId: string) {
    const scope = this.data.scopes[executionId];
    const name = info.adHoc!.outputCollection!;
    if (scope && Object.prototype.hasOwnProperty.call(scope.vars, name)) this.merge(scope.parent ?? ROOT, { [name]: scope.vars[name] });
  }

  // ---------------------------------------------------------------- converging inclusive gateways

  awaitJoin(tryFire: () => boolean): void {
    this.pendingJoins.add(tryFire);
  }

  /**
   * Work that waits until the instance is quiet: inclusive joins that no token can reach any
   * more, and queued runs of non-interrupting event sub-processes whose previous run ended.
   */
  private settle() {
    for (let round = 0; round < 10_000; round++) {
      let fired = this.runQueuedEventSubProcess();
      for (const tryFire of [...this.pendingJoins]) {
        let done: boolean;
        try {
          done = tryFire();
        } catch (err) {
          this.failure ??= err as Error;
          done = true;
        }
        if (done) {
          this.pendingJoins.delete(tryFire);
          fired = true;
        }
      }
      if (!fired) return;
    }
  }

  // ---------------------------------------------------------------- compensation in completed sub-processes

  /** Flow scope keys from a scope outwards to the process instance. */
  private scopeKeys(scopeId: string): string[] {
    const keys: string[] = [];
    for (let id: string | undefined = scopeId; id; id = this.data.scopes[id]?.parent) {
      keys.push(id === ROOT ? this.data.instanceKey : this.elementInstanceKey(id));
      if (id === ROOT) break;
    }
    if (keys[keys.length - 1] !== this.data.instanceKey) keys.push(this.data.instanceKey);
    return keys;
  }

  /**
   * A compensation throw (intermediate or end event) compensates the completed activities of its
   * scope, and in Zeebe also those inside completed sub-processes of that scope, at every level.
   * bpmn-elements does the first (the handlers of its own scope); the second is done here: a job
   * for each handler inside a completed sub-process, which the throw waits for. Returns how many
   * handlers are still running for the throw.
   */
  compensateNested(activity: any, executeMessage: any): number {
    const content = executeMessage.content;
    const throwId: string = content.executionId;
    const running = this.data.compensations?.[throwId];
    if (running) {
      this.compensationThrows.set(throwId, activity);
      return running.length;
    }
    // the definition's message: its parent is the throw event, whose flow scope is the one to compensate
    const own: string = content.parent?.id === activity.id ? content.parent.executionId : throwId;
    const scopeId = this.data.scopes[own]?.parent ?? this.parentScope(content);
    const scopeKey = scopeId === ROOT ? this.data.instanceKey : this.elementInstanceKey(scopeId);
    const activeKeys = new Set(Object.keys(this.data.active).map((id) => this.elementInstanceKey(id)));
    const started: string[] = [];
    const remaining: NonNullable<RuntimeData['compensable']> = [];
    for (const entry of this.data.compensable ?? []) {
      const nested = entry.flowScopeKey !== scopeKey && entry.scopeKeys.includes(scopeKey) && !activeKeys.has(entry.flowScopeKey);
      if (!nested) {
        remaining.push(entry);
        continue;
      }
      const boundary = this.boundaries(entry.elementId).find((b) => b.eventKind === 'compensate' && b.compensationHandler)!;
      const handler = this.info(boundary.compensationHandler!)!;
      const prepared = this.jobWait(handler, scopeId);
      const descriptor: WaitDescriptor = 'failure' in prepared ? { kind: 'incident', failure: prepared.failure } : (prepared.wait as WaitDescriptor);
      this.data.eventSubCount = (this.data.eventSubCount ?? 0) + 1;
      const waitId = `${handler.id}-${throwId}-${this.data.eventSubCount}`;
      this.data.waits[waitId] = {
        waitId,
        elementId: handler.id,
        elementInstanceKey: this.elementInstanceKey(waitId),
        flowScopeKey: entry.flowScopeKey,
        descriptor,
        createdAt: this.services.now(),
      };
      (this.data.compensationHandlers ??= {})[waitId] = throwId;
      // active in the throw's scope: the sub-process it belonged to has completed (and may still be leaving)
      this.data.active[waitId] = { elementId: handler.id, flowScopeKey: scopeKey, startedAt: this.services.now() };
      this.record(waitId, handler.id, 'ACTIVATED', entry.flowScopeKey);
      started.push(waitId);
    }
    this.data.compensable = remaining;
    if (!started.length) return 0;
    (this.data.compensations ??= {})[throwId] = started;
    this.compensationThrows.set(throwId, activity);
    return started.length;
  }

  private finishCompensationHandler(wait: WaitRecord, type: string, payload: { variables?: Variables } | undefined) {
    const waitId = wait.waitId;
    if (type === 'retry') {
      // an incident on the handler (its job type could not be evaluated) was resolved: try again
      const handler = this.info(wait.elementId)!;
      const prepared = this.jobWait(handler, ROOT);
      this.data.waits[waitId] = { ...wait, descriptor: 'failure' in prepared ? { kind: 'incident', failure: prepared.failure } : (prepared.wait as WaitDescriptor) };
      return;
    }
    if (type !== 'signal') {
      this.data.waits[waitId] = wait; // a BPMN error thrown by a handler is not caught (Zeebe: incident); keep it waiting
      return;
    }
    const throwId = this.data.compensationHandlers![waitId];
    delete this.data.compensationHandlers![waitId];
    if (payload?.variables) this.merge(ROOT, payload.variables);
    delete this.data.active[waitId];
    this.record(waitId, wait.elementId, 'COMPLETED', wait.flowScopeKey);
    const left = (this.data.compensations?.[throwId] ?? []).filter((id) => id !== waitId);
    if (left.length) {
      this.data.compensations![throwId] = left;
      return;
    }
    delete this.data.compensations?.[throwId];
    const activity = this.compensationThrows.get(throwId);
    this.compensationThrows.delete(throwId);
    activity?.broker.publish('api', `activity.signal.${throwId}`, { message: {} }, { type: 'signal' });
  }

  // ---------------------------------------------------------------- event sub-processes

  private eventSubStart(subProcessId: string): ElementInfo | undefined {
    for (const e of this.model.elements.values()) {
      if (e.type === 'bpmn:StartEvent' && e.parentId === subProcessId && (e.eventKind === 'timer' || e.eventKind === 'message' || e.eventKind === 'signal')) return e;
    }
    return undefined;
  }

  /**
   * Zeebe opens the timer, message and signal starts of a scope's event sub-processes when the
   * scope activates (bpmn-elements only starts event sub-processes for delegated events). Called
   * by the event sub-process element when its scope execution activates it, also on resume.
   */
  openEventSubProcess(activity: any, scopeExecution: any): void {
    if (this.stopping || !scopeExecution?.executionId) return;
    const execId: string = scopeExecution.executionId;
    const isRoot = !scopeExecution.isSubProcess && scopeExecution.id === this.model.bpmnProcessId;
    const scopeId = isRoot ? ROOT : this.data.scopes[execId] ? execId : undefined;
    if (!scopeId) return; // a throwaway execution (bpmn-elements "shakes" sub-processes to map their paths)
    this.eventSubs.set(`${execId}|${activity.id}`, { activity, scopeExecution, scopeId });
    const start = this.eventSubStart(activity.id);
    if (!start) return;
    if (Object.values(this.data.waits).some((w) => w.elementId === start.id && w.eventSubScope === execId)) return; // resumed
    if (this.data.closedEventSubs?.[`${execId}|${start.id}`]) return;
    this.armEventSubProcess(start, execId, scopeId);
  }

  /** The scope ended (or was terminated): its event sub-process starts close. */
  closeEventSubProcess(activity: any, scopeExecution: any): void {
    if (this.stopping || !scopeExecution?.executionId) return;
    const execId: string = scopeExecution.executionId;
    if (!this.eventSubs.delete(`${execId}|${activity.id}`)) return;
    const start = this.eventSubStart(activity.id);
    for (const [waitId, wait] of Object.entries(this.data.waits)) {
      if (wait.eventSubScope === execId && wait.elementId === start?.id) delete this.data.waits[waitId];
    }
    if (start && this.data.closedEventSubs) delete this.data.closedEventSubs[`${execId}|${start.id}`];
    if (this.data.eventSubQueue) this.data.eventSubQueue = this.data.eventSubQueue.filter((q) => !(q.scope === execId && q.subProcessId === activity.id));
  }

  private armEventSubProcess(start: ElementInfo, execId: string, scopeId: string, repeat?: number) {
    let prepared: PreparedEvent;
    if (start.eventKind === 'timer') prepared = this.timerWait(start, scopeId, repeat === undefined ? {} : { repeat });
    else if (start.eventKind === 'message') prepared = this.messageWait(start, scopeId);
    else {
      const name = this.value(start.signalName, scopeId);
      prepared = name.ok ? { wait: { kind: 'signal', name: String(name.value ?? '') } } : { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: name.message } };
    }
    const descriptor: WaitDescriptor | undefined = 'failure' in prepared ? { kind: 'incident', failure: prepared.failure } : prepared.wait;
    if (!descriptor) return;
    this.data.eventSubCount = (this.data.eventSubCount ?? 0) + 1;
    const waitId = `${start.id}-${execId}-${this.data.eventSubCount}`;
    this.data.waits[waitId] = {
      waitId,
      elementId: start.id,
      elementInstanceKey: this.elementInstanceKey(waitId),
      flowScopeKey: scopeId === ROOT ? this.data.instanceKey : this.elementInstanceKey(scopeId),
      descriptor,
      createdAt: this.services.now(),
      eventSubScope: execId,
    };
  }

  private fireEventSubProcess(wait: WaitRecord, type: string, payload: { variables?: Variables; repeat?: number } | undefined) {
    const start = this.info(wait.elementId)!;
    const execId = wait.eventSubScope!;
    const binding = this.eventSubs.get(`${execId}|${start.parentId}`);
    if (!binding) return;
    if (type === 'retry') return this.armEventSubProcess(start, execId, binding.scopeId);
    if (type !== 'signal') return;
    const interrupting = start.cancelActivity !== false;
    const closed = (this.data.closedEventSubs ??= {});
    if (interrupting) {
      // Zeebe: an interrupting event sub-process closes every other event subscription of its scope
      for (const [waitId, other] of Object.entries(this.data.waits)) if (other.eventSubScope === execId) delete this.data.waits[waitId];
      for (const key of this.eventSubs.keys()) {
        const [scope, subId] = key.split('|');
        const other = scope === execId ? this.eventSubStart(subId) : undefined;
        if (other) closed[`${execId}|${other.id}`] = true;
      }
      this.runEventSubProcess(binding, start, payload?.variables);
      for (const api of binding.scopeExecution.getPostponed() as any[]) {
        if (api.content?.id === binding.activity.id || api.content?.isSequenceFlow || api.content?.isAssociation) continue;
        api.discard();
      }
      return;
    }
    if (start.eventKind !== 'timer' || start.timer?.kind === 'timeCycle') {
      const left = payload?.repeat;
      if (start.eventKind !== 'timer' || left === undefined || left === -1 || left > 1) {
        this.armEventSubProcess(start, execId, binding.scopeId, start.eventKind === 'timer' && left !== undefined ? (left === -1 ? -1 : left - 1) : undefined);
      } else closed[`${execId}|${start.id}`] = true;
    } else closed[`${execId}|${start.id}`] = true;
    if (binding.activity.status) {
      (this.data.eventSubQueue ??= []).push({ scope: execId, subProcessId: start.parentId, variables: payload?.variables });
    } else this.runEventSubProcess(binding, start, payload?.variables);
  }

  private runEventSubProcess(binding: { activity: any }, start: ElementInfo, variables: Variables | undefined) {
    this.eventSubTriggers.set(start.id, variables);
    binding.activity.run({});
  }

  /** bpmn-elements runs one execution of an activity at a time: the next queued run starts when the last one left. */
  private runQueuedEventSubProcess(): boolean {
    const queue = this.data.eventSubQueue;
    if (!queue?.length) return false;
    for (let i = 0; i < queue.length; i++) {
      const binding = this.eventSubs.get(`${queue[i].scope}|${queue[i].subProcessId}`);
      if (!binding) {
        queue.splice(i--, 1);
        continue;
      }
      if (binding.activity.status) continue;
      const [next] = queue.splice(i, 1);
      this.runEventSubProcess(binding, this.eventSubStart(next.subProcessId)!, next.variables);
      return true;
    }
    return false;
  }

  /** The start event of an event sub-process that the runtime started: it completes at once with the trigger's variables. */
  private eventSubStartTriggered(info: ElementInfo, content: any): boolean {
    if (!this.eventSubTriggers.has(info.id)) return false;
    const variables = this.eventSubTriggers.get(info.id);
    this.eventSubTriggers.delete(info.id);
    if (variables) this.merge(this.parentScope(content), variables);
    return true;
  }

  /**
   * Zeebe 8.6's converging inclusive gateway: it may activate once no active element instance
   * and no token waiting elsewhere in its flow scope can reach one of its incoming flows that
   * has no token yet (boundary events count as reachable from the activity they are attached to).
   */
  inclusiveJoinReady(activity: any, tokenContent: any, arrived: Set<string>): boolean {
    const join = this.info(activity.id)!;
    const missing = new Set(join.incoming.filter((f) => !arrived.has(f)));
    if (!missing.size) return true;
    const scopeKey = this.flowScopeKey(tokenContent);
    const queue: string[] = [];
    for (const active of Object.values(this.data.active)) if (active.flowScopeKey === scopeKey) queue.push(active.elementId);
    for (const token of Object.values(this.data.tokens ?? {})) {
      const flow = this.model.flows.get(token.flowId);
      if (token.flowScopeKey === scopeKey && flow && flow.targetId !== join.id) queue.push(flow.targetId);
    }
    const seen = new Set<string>();
    while (queue.length) {
      const id = queue.pop()!;
      if (seen.has(id) || id === join.id) continue;
      seen.add(id);
      const info = this.info(id);
      if (!info) continue;
      for (const flowId of info.outgoing) {
        const flow = this.model.flows.get(flowId)!;
        if (flow.targetId === join.id) {
          if (missing.has(flowId)) return false;
        } else queue.push(flow.targetId);
      }
      for (const boundary of this.boundaries(id)) queue.push(boundary.id);
    }
    return true;
  }

  private boundaryIndex?: Map<string, ElementInfo[]>;

  private boundaries(elementId: string): ElementInfo[] {
    if (!this.boundaryIndex) {
      this.boundaryIndex = new Map();
      for (const e of this.model.elements.values()) {
        if (!e.attachedTo) continue;
        const list = this.boundaryIndex.get(e.attachedTo) ?? [];
        list.push(e);
        this.boundaryIndex.set(e.attachedTo, list);
      }
    }
    return this.boundaryIndex.get(elementId) ?? [];
  }

  // ---------------------------------------------------------------- events from bpmn-engine

  private info(id: string): ElementInfo | undefined {
    return this.model.elements.get(id);
  }

  /** Boundary events, event-based gateway targets and event sub-process starts become element instances only when they trigger. */
  private isDeferred(info: ElementInfo): boolean {
    if (info.attachedTo) return true;
    // a link catch event waits for its throw: it is an element instance only once reached
    if (info.type === 'bpmn:IntermediateCatchEvent' && info.eventKind === 'link') return true;
    if (info.type === 'bpmn:StartEvent' && this.info(info.parentId)?.triggeredByEvent) return true;
    // an instance created with start instructions has no start event instance at all (Zeebe)
    if (info.type === 'bpmn:StartEvent' && info.parentId === this.model.bpmnProcessId && this.data.startTrigger === START_INSTRUCTIONS) return true;
    // nor has a sub-process a modification creates (its start event is skipped)
    if (info.type === 'bpmn:StartEvent' && this.modificationStarts.has(info.parentId)) return true;
    return info.incoming.some((f) => this.info(this.model.flows.get(f)!.sourceId)?.type === 'bpmn:EventBasedGateway');
  }

  private parentScope(content: any): string {
    const parent = content.parent;
    if (!parent) return ROOT;
    const candidates = [parent.executionId, ...((parent.path as any[] | undefined) ?? []).map((p) => p.executionId)];
    for (const id of candidates) if (id && this.data.scopes[id]) return id;
    return ROOT;
  }

  private flowScopeKey(content: any): string {
    const scope = this.parentScope(content);
    return scope === ROOT ? this.data.instanceKey : this.elementInstanceKey(scope);
  }

  private record(executionId: string, elementId: string, state: ElementEvent['state'], flowScopeKey?: string) {
    const info = this.info(elementId);
    this.events.push({
      elementInstanceKey: this.elementInstanceKey(executionId),
      elementId,
      elementName: info?.name,
      elementType: info?.type ?? (state === 'TAKEN' ? 'bpmn:SequenceFlow' : 'unknown'),
      state,
      flowScopeKey,
      at: this.services.now(),
    });
  }

  private onEvent(eventName: string, api: any) {
    const content = api.content ?? {};
    if (eventName === 'flow.take') {
      const flowScopeKey = this.flowScopeKey(content);
      this.record(content.sequenceId ?? content.executionId ?? api.id, api.id, 'TAKEN', flowScopeKey);
      if (content.sequenceId) (this.data.tokens ??= {})[content.sequenceId] = { flowId: api.id, flowScopeKey };
      return;
    }
    if ((eventName === 'activity.enter' || eventName === 'activity.discard') && this.data.tokens && Array.isArray(content.inbound)) {
      for (const inbound of content.inbound) if (inbound?.sequenceId) delete this.data.tokens[inbound.sequenceId];
    }
    if (eventName === 'process.end' && api.id === this.model.bpmnProcessId) {
      this.data.state = this.data.state === 'TERMINATED' ? 'TERMINATED' : 'COMPLETED';
      return;
    }
    if (!eventName.startsWith('activity.')) return;
    const info = this.info(api.id);
    if (!info) return;
    const executionId: string = content.executionId;
    if (!executionId) return;
    switch (eventName) {
      case 'activity.start': {
        // an MI activity publishes activity events for its body only (inner instances: beginMultiInstance)
        this.data.scopes[executionId] ??= { parent: this.parentScope(content), vars: {} };
        const modified = this.modificationVariables.get(info.id);
        if (modified) {
          // variables a modification's activate instruction gave this element's own scope
          this.modificationVariables.delete(info.id);
          Object.assign(this.data.scopes[executionId].vars, modified);
        }
        if (isScopeElement(info) && !info.loop) {
          // a sub-process's input mappings create its local variables before its children start
          const failure = this.applyInputs(info, executionId);
          if (failure) this.failure ??= new Error(`${info.id}: ${failure.message}`);
        }
        if (!this.isDeferred(info)) {
          const flowScopeKey = this.flowScopeKey(content);
          this.data.active[executionId] = { elementId: info.id, flowScopeKey, startedAt: this.services.now() };
          this.record(executionId, info.id, 'ACTIVATED', flowScopeKey);
        }
        return;
      }
      case 'activity.end': {
        // an MI activity publishes activity events for its body only (inner instances: beginMultiInstance)
        const flowScopeKey = this.flowScopeKey(content);
        if (this.isDeferred(info)) this.record(executionId, info.id, 'ACTIVATED', flowScopeKey);
        if (this.boundaries(info.id).some((b) => b.eventKind === 'compensate' && b.compensationHandler)) {
          (this.data.compensable ??= []).push({ elementId: info.id, flowScopeKey, scopeKeys: this.scopeKeys(this.parentScope(content)) });
        }
        // a terminate end event terminates what is still active in its flow scope
        if (info.type === 'bpmn:EndEvent' && info.eventKind === 'terminate') this.terminateScope(flowScopeKey, executionId);
        // a multi-instance body that completed early (completion condition) terminates its other inner instances
        if (content.isRootScope && info.loop) this.terminateChildren(executionId);
        // Zeebe propagates an ad-hoc sub-process's output collection to its flow scope when it completes
        if (info.adHoc?.outputCollection && !info.loop) this.propagateOutputCollection(info, executionId);
        this.finishElement(info, content);
        if (!info.outgoing.length && this.info(info.parentId)?.adHoc) this.adHocPathEnded(this.info(info.parentId)!, content);
        delete this.data.active[executionId];
        // Zeebe never completes an error end event: it throws, and the catch terminates the scope
        // the event is in, the event with it (an uncaught error leaves it ACTIVATED with an incident)
        this.record(executionId, info.id, info.type === 'bpmn:EndEvent' && info.eventKind === 'error' ? 'TERMINATED' : 'COMPLETED', flowScopeKey);
        this.dropWaits(executionId);
        this.dropScope(executionId, info.id);
        return;
      }
      case 'activity.leave':
      case 'activity.discard': {
        // an MI activity publishes activity events for its body only (inner instances: beginMultiInstance)
        const active = this.data.active[executionId];
        if (active) {
          delete this.data.active[executionId];
          this.record(executionId, info.id, 'TERMINATED', active.flowScopeKey);
          this.dropCompensable(executionId);
        }
        this.dropWaits(executionId);
        this.dropScope(executionId, info.id);
        this.terminateChildren(executionId);
        return;
      }
      case 'activity.throw': {
        // An escalation or error thrown: nothing to do here; catching is bpmn-engine's part.
        return;
      }
    }
  }

  /**
   * A terminated scope (a sub-process left through an interrupting boundary or event
   * sub-process) terminates what is still active inside it, as in Zeebe. bpmn-elements stops
   * the inner execution without a leave event per child, which left the inner job element
   * ACTIVATED in the history (and its wait open).
   */
  private terminateChildren(executionId: string) {
    const scopeKey = this.elementInstanceKey(executionId);
    if (this.data.tokens) for (const [id, token] of Object.entries(this.data.tokens)) if (token.flowScopeKey === scopeKey) delete this.data.tokens[id];
    for (const [childId, child] of Object.entries(this.data.active)) {
      if (child.flowScopeKey !== scopeKey) continue;
      delete this.data.active[childId];
      this.record(childId, child.elementId, 'TERMINATED', child.flowScopeKey);
      this.dropWaits(childId);
      this.dropCompensable(childId);
      this.dropScope(childId, child.elementId);
      this.terminateChildren(childId);
    }
  }

  private terminateScope(flowScopeKey: string, except: string) {
    for (const [childId, child] of Object.entries(this.data.active)) {
      if (child.flowScopeKey !== flowScopeKey || childId === except) continue;
      delete this.data.active[childId];
      this.record(childId, child.elementId, 'TERMINATED', child.flowScopeKey);
      this.dropWaits(childId);
      this.dropCompensable(childId);
      this.dropScope(childId, child.elementId);
      this.terminateChildren(childId);
    }
  }

  private dropWaits(executionId: string) {
    for (const [waitId, wait] of Object.entries(this.data.waits)) {
      if (wait.elementInstanceKey === this.elementInstanceKey(executionId) || waitId === executionId) {
        delete this.data.waits[waitId];
        this.waitActivities.delete(waitId);
      }
    }
  }

  /**
   * Zeebe deletes the compensation subscriptions inside a terminated sub-process with it
   * (CompensationEventTest.shouldDeleteSubscriptionInTerminatedSubprocessScope): a later throw
   * outside must not undo work of a scope that was cut short.
   */
  private dropCompensable(terminatedExecutionId: string) {
    if (!this.data.compensable?.length) return;
    const key = this.elementInstanceKey(terminatedExecutionId);
    this.data.compensable = this.data.compensable.filter((entry) => entry.flowScopeKey !== key && !entry.scopeKeys.includes(key));
  }

  /**
   * A scope ends: its variables go (Zeebe keeps them only in its record stream). Those it held are
   * handed out once through drain() (`endedScopes`), so process tests can still assert on them.
   */
  private dropScope(executionId: string, elementId: string) {
    const vars = this.data.scopes[executionId]?.vars;
    if (vars && executionId !== ROOT && Object.keys(vars).length) {
      this.endedScopes.push({ elementInstanceKey: this.elementInstanceKey(executionId), elementId, variables: vars });
    }
    delete this.data.scopes[executionId];
    delete this.data.outputsApplied[executionId];
    delete this.data.eventVariables[executionId];
    if (this.data.listenerStages) delete this.data.listenerStages[executionId];
    if (this.data.inputsDone) delete this.data.inputsDone[executionId];
    if (this.data.adHoc) delete this.data.adHoc[executionId];
  }

  /** Output mappings and trigger variables of elements whose behaviour did not apply them. */
  private finishElement(info: ElementInfo, content: any) {
    const executionId: string = content.executionId;
    if (this.data.outputsApplied[executionId]) return;
    const variables = this.data.eventVariables[executionId];
    if (content.isRootScope && info.loop) {
      // the multi-instance body: its output collection goes to the flow scope
      const body = this.data.scopes[executionId];
      if (info.loop.outputCollection && body) {
        this.merge(body.parent ?? ROOT, { [info.loop.outputCollection]: body.vars[info.loop.outputCollection] });
      }
      return;
    }
    const failure = this.applyOutputs(info, executionId, variables, false);
    if (failure) this.failure ??= new Error(`${info.id}: ${failure.message}`);
  }

  // ---------------------------------------------------------------- variables and FEEL

  private merge(scopeId: string, variables: Variables) {
    for (const [name, value] of Object.entries(variables)) {
      let id: string | undefined = scopeId;
      let target = ROOT;
      while (id) {
        const scope: Scope | undefined = this.data.scopes[id];
        if (!scope) break;
        if (Object.prototype.hasOwnProperty.call(scope.vars, name)) {
          target = id;
          break;
        }
        id = scope.parent;
      }
      this.data.scopes[target].vars[name] = value;
    }
  }

  private feel(expression: string, scopeId: string): { ok: true; value: unknown } | { ok: false; message: string; missing: string[] } {
    const expr = expression.replace(/^=/, '');
    try {
      const result = evaluateFeel(expr, this.visibleVariables(scopeId), { now: () => this.services.now() });
      return { ok: true, value: result.value, ...(result.missingVariables.length ? { missing: result.missingVariables } : {}) } as never;
    } catch (err) {
      return { ok: false, message: err instanceof FeelError ? err.message : String((err as Error).message ?? err), missing: [] };
    }
  }

  /** A value that may be a FEEL expression (`=...`) or a literal. */
  private value(raw: string | undefined, scopeId: string): { ok: true; value: unknown } | { ok: false; message: string } {
    if (raw === undefined) return { ok: true, value: undefined };
    if (!raw.startsWith('=')) return { ok: true, value: raw };
    const r = this.feel(raw, scopeId);
    if (!r.ok) return { ok: false, message: feelFailure(raw.slice(1), r.message) };
    const missing = (r as { missing?: string[] }).missing;
    if ((r.value === null || r.value === undefined) && missing?.length) {
      return { ok: false, message: `failed to evaluate expression '${raw.slice(1)}': no variable found for name '${missing[0]}'` };
    }
    return r;
  }

  /** bpmn-engine's expression hook: FEEL in the scope of the message's execution. */
  private resolveExpression(expression: string, message: any): unknown {
    if (typeof expression !== 'string' || !expression.startsWith('=')) return expression;
    const content = message?.content ?? message ?? {};
    const scope = content.executionId && this.data.scopes[content.executionId] ? content.executionId : this.parentScope(content);
    const r = this.feel(expression, scope);
    if (!r.ok) throw new Error(r.message);
    return r.value;
  }

  private applyInputs(info: ElementInfo, executionId: string): Failure | undefined {
    if (!info.inputs.length) return undefined;
    const scope = this.data.scopes[executionId];
    for (const mapping of info.inputs) {
      const r = this.value(mapping.source, executionId); // without '=', a static value
      if (!r.ok) return { errorType: 'IO_MAPPING_ERROR', message: r.message };
      setPath(scope.vars, mapping.target, r.value);
    }
    return undefined;
  }

  private applyOutputs(info: ElementInfo, executionId: string, variables: Variables | undefined, innerInstance: boolean): Failure | undefined {
    this.data.outputsApplied[executionId] = true;
    if (!this.data.scopes[executionId]) this.data.scopes[executionId] = { parent: ROOT, vars: {} };
    if (info.outputs.length) {
      if (variables) Object.assign(this.data.scopes[executionId].vars, variables);
      const result: Variables = {};
      for (const mapping of info.outputs) {
        const r = this.value(mapping.source, executionId);
        if (!r.ok) {
          delete this.data.outputsApplied[executionId];
          return { errorType: 'IO_MAPPING_ERROR', message: r.message };
        }
        setPath(result, mapping.target, r.value);
      }
      // Zeebe: output mappings merge into the flow scope (an inner multi-instance instance
      // keeps them, so its output element can read them); plain job variables start at the
      // element's own scope (see below).
      if (innerInstance) Object.assign(this.data.scopes[executionId].vars, result);
      else this.merge(this.data.scopes[executionId].parent ?? ROOT, result);
    } else if (variables) {
      this.merge(executionId, variables);
    }
    return undefined;
  }

  // ---------------------------------------------------------------- ElementHost

  private ensureScope(content: any): string {
    const executionId: string = content.executionId;
    this.data.scopes[executionId] ??= { parent: this.parentScope(content), vars: {} };
    return executionId;
  }

  beginMultiInstance(activity: any, executeMessage: any): Failure | undefined {
    const info = this.info(activity.id)!;
    const loop = info.loop!;
    const bodyId = this.ensureScope(executeMessage.content);
    if (this.data.scopes[bodyId].vars.numberOfInstances !== undefined) return undefined; // begun before a reload
    const r = this.value(loop.inputCollection.startsWith('=') ? loop.inputCollection : `=${loop.inputCollection}`, bodyId);
    if (!r.ok) return { errorType: 'EXTRACT_VALUE_ERROR', message: r.message };
    if (!Array.isArray(r.value)) {
      return {
        errorType: 'EXTRACT_VALUE_ERROR',
        message: `Expected result of the expression '${loop.inputCollection.replace(/^=/, '')}' to be 'ARRAY', but was '${typeName(r.value)}'.`,
      };
    }
    const body = this.data.scopes[bodyId].vars;
    if (loop.outputCollection) body[loop.outputCollection] = r.value.map(() => null);
    body.numberOfInstances = r.value.length;
    body.numberOfCompletedInstances = 0;
    body.numberOfActiveInstances = loop.isSequential ? Math.min(1, r.value.length) : r.value.length;
    return undefined;
  }

  /**
   * The inner instances of a multi-instance activity, followed from its executions (bpmn-elements
   * publishes no activity events for them): Zeebe records each as an element instance whose flow
   * scope is the body. elements.ts subscribes these for every multi-instance activity it builds,
   * so they also follow the inner instances of a body resumed from a snapshot.
   */
  innerInstanceStarted(activity: any, c: any): void {
    const bodyId: string | undefined = c.parent?.executionId;
    if (!bodyId || !this.data.scopes[bodyId] || this.data.active[c.executionId]) return;
    this.data.active[c.executionId] = { elementId: activity.id, flowScopeKey: this.elementInstanceKey(bodyId), startedAt: this.services.now() };
    this.record(c.executionId, activity.id, 'ACTIVATED', this.elementInstanceKey(bodyId));
  }

  innerInstanceDiscarded(activity: any, c: any): void {
    const bodyId: string | undefined = c.parent?.executionId;
    if (!bodyId || !this.data.active[c.executionId]) return;
    delete this.data.active[c.executionId];
    this.record(c.executionId, activity.id, 'TERMINATED', this.elementInstanceKey(bodyId));
    this.terminateChildren(c.executionId);
  }

  /** Collects an inner instance's output element before the loop decides what comes next. */
  innerInstanceCompleted(activity: any, c: any): void {
    const bodyId: string | undefined = c.parent?.executionId;
    const bodyScope = bodyId ? this.data.scopes[bodyId] : undefined;
    if (!bodyId || !bodyScope) return;
    const loop = this.info(activity.id)!.loop!;
    if (this.data.active[c.executionId]) {
      delete this.data.active[c.executionId];
      this.record(c.executionId, activity.id, 'COMPLETED', this.elementInstanceKey(bodyId));
    }
    const inner = this.data.scopes[c.executionId];
    if (loop.outputCollection && loop.outputElement && inner) {
      const out = this.value(loop.outputElement.startsWith('=') ? loop.outputElement : `=${loop.outputElement}`, c.executionId);
      const list = bodyScope.vars[loop.outputCollection] as unknown[];
      if (out.ok && Array.isArray(list)) list[c.index] = out.value ?? null;
    }
    bodyScope.vars.numberOfCompletedInstances = Number(bodyScope.vars.numberOfCompletedInstances ?? 0) + 1;
    delete this.data.scopes[c.executionId];
    if (this.data.adHoc) delete this.data.adHoc[c.executionId];
  }

  /** An inner instance of a multi-instance sub-process (see elements.ts `subProcess`): its scope with the input element. */
  beginInnerInstance(activity: any, executeMessage: any): void {
    const info = this.info(activity.id)!;
    const scopeId = this.beginInner(info, executeMessage.content);
    // Zeebe applies an MI activity's input mappings to each inner instance
    const failure = this.applyInputs(info, scopeId);
    if (failure) this.failure ??= new Error(`${info.id}: ${failure.message}`);
  }

  private beginInner(info: ElementInfo, content: any): string {
    const executionId: string = content.executionId;
    if (content.isMultiInstance) {
      const bodyId: string = content.parent?.executionId;
      const vars: Variables = { loopCounter: (content.index ?? 0) + 1 };
      if (info.loop?.inputElement) vars[info.loop.inputElement] = content.__heraldItem ?? null;
      this.data.scopes[executionId] ??= { parent: this.data.scopes[bodyId] ? bodyId : this.parentScope(content), vars };
      return executionId;
    }
    return this.ensureScope(content);
  }

  activate(activity: any, executeMessage: any): Activated {
    const info = this.info(activity.id)!;
    const content = executeMessage.content;
    const scopeId = this.beginInner(info, content);
    const inputFailure = this.data.inputsDone?.[scopeId] ? undefined : this.applyInputs(info, scopeId);
    if (inputFailure) return { failure: inputFailure };

    if (info.type === 'bpmn:ManualTask' || info.type === 'bpmn:Task') return { immediate: true };
    if (info.type === 'bpmn:ScriptTask' && info.script) {
      const r = this.value(info.script.expression.startsWith('=') ? info.script.expression : `=${info.script.expression}`, scopeId);
      if (!r.ok) return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: r.message } };
      return { immediate: true, variables: { [info.script.resultVariable]: r.value } };
    }
    if (info.type === 'bpmn:BusinessRuleTask' && info.calledDecision) {
      const id = this.value(info.calledDecision.decisionId, scopeId);
      if (!id.ok) return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: id.message } };
      try {
        const { bindingType, versionTag } = info.calledDecision;
        const binding = bindingType && bindingType !== 'latest' ? { bindingType, ...(versionTag && { versionTag }) } : undefined;
        const output = this.services.evaluateDecision(String(id.value), this.visibleVariables(scopeId), binding);
        return { immediate: true, variables: { [info.calledDecision.resultVariable]: output } };
      } catch (err) {
        const e = err as Error & { errorType?: IncidentErrorType };
        return { failure: { errorType: e.errorType ?? 'DECISION_EVALUATION_ERROR', message: e.message } };
      }
    }
    if (info.type === 'bpmn:CallActivity' && info.calledElement) {
      const id = this.value(info.calledElement.processId, scopeId);
      if (!id.ok) return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: id.message } };
      const variables = info.calledElement.propagateAllParentVariables ? this.visibleVariables(scopeId) : { ...this.data.scopes[scopeId].vars };
      const { bindingType, versionTag } = info.calledElement;
      return { wait: { kind: 'call', processId: String(id.value), variables, ...(bindingType && bindingType !== 'latest' && { bindingType, versionTag }) } };
    }
    if (info.type === 'bpmn:ReceiveTask') return this.messageWait(info, scopeId);
    if (info.type === 'bpmn:UserTask') {
      const spec = this.userTaskSpec(info, scopeId);
      if ('failure' in spec) return spec;
      if (info.userTask!.camunda) return { wait: { kind: 'user-task', userTask: spec } };
      return { wait: { kind: 'job', type: 'io.camunda.zeebe:userTask', retries: 1, headers: userTaskHeaders(spec, info.headers), userTask: spec } };
    }
    if (isJobElement(info)) return this.jobWait(info, scopeId);
    return { immediate: true };
  }

  private jobWait(info: ElementInfo, scopeId: string): Activated {
    const def = info.taskDefinition;
    if (!def) return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: `${info.id} has no job type (zeebe:taskDefinition)` } };
    const type = this.value(def.type, scopeId);
    if (!type.ok) return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: type.message } };
    if (typeof type.value !== 'string' || !type.value) {
      return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: `Expected result of the expression '${def.type.replace(/^=/, '')}' to be 'STRING', but was '${typeName(type.value)}'.` } };
    }
    const retries = this.value(def.retries, scopeId);
    if (!retries.ok) return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: retries.message } };
    return { wait: { kind: 'job', type: type.value, retries: Number(retries.value ?? 3), headers: { ...info.headers } } };
  }

  private userTaskSpec(info: ElementInfo, scopeId: string): UserTaskSpec | { failure: Failure } {
    const ut = info.userTask!;
    const out: Record<string, unknown> = {};
    for (const key of ['assignee', 'candidateGroups', 'candidateUsers', 'dueDate', 'followUpDate', 'priority'] as const) {
      const r = this.value(ut[key], scopeId);
      if (!r.ok) return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: r.message } };
      // Zeebe type-checks candidate expressions: a list of strings, never a string (a static value is comma-separated)
      const raw = ut[key];
      if ((key === 'candidateGroups' || key === 'candidateUsers') && typeof raw === 'string' && raw.startsWith('=') && r.value != null && !(Array.isArray(r.value) && r.value.every((x) => typeof x === 'string'))) {
        return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: `Expected result of the expression '${raw.slice(1)}' to be 'ARRAY', but was '${typeName(r.value)}'.` } };
      }
      out[key] = r.value;
    }
    let form: string | undefined;
    const formKey = ut.formKey ?? (ut.formId ? `formId:${ut.formId}` : undefined);
    if (ut.formKey?.startsWith('camunda-forms:bpmn:')) form = this.model.forms.get(ut.formKey.slice('camunda-forms:bpmn:'.length));
    return {
      camunda: ut.camunda,
      assignee: out.assignee == null || out.assignee === '' ? undefined : String(out.assignee),
      candidateGroups: csv(out.candidateGroups),
      candidateUsers: csv(out.candidateUsers),
      dueDate: out.dueDate == null || out.dueDate === '' ? undefined : String(out.dueDate),
      followUpDate: out.followUpDate == null || out.followUpDate === '' ? undefined : String(out.followUpDate),
      formKey,
      form,
      priority: out.priority == null || out.priority === '' ? undefined : Number(out.priority),
    };
  }

  private messageWait(info: ElementInfo, scopeId: string): Activated {
    const raw = info.correlationKey ?? '';
    const r = this.value(raw, scopeId);
    if (!r.ok) return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: r.message } };
    if (typeof r.value !== 'string' && typeof r.value !== 'number') {
      return {
        failure: {
          errorType: 'EXTRACT_VALUE_ERROR',
          message: `Failed to extract the correlation key for '${raw.replace(/^=/, '')}': The value must be either a string or a number, but was '${typeName(r.value)}'.`,
        },
      };
    }
    const name = this.value(info.messageName, scopeId);
    if (!name.ok) return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: name.message } };
    return { wait: { kind: 'message', name: String(name.value ?? ''), correlationKey: String(r.value) } };
  }

  completeElement(activity: any, executeMessage: any, variables: Variables | undefined): Failure | undefined {
    const info = this.info(activity.id)!;
    const content = executeMessage.content;
    let vars = variables;
    if (info.type === 'bpmn:CallActivity' && info.calledElement && !info.calledElement.propagateAllChildVariables) {
      vars = info.outputs.length ? variables : undefined;
    }
    return this.applyOutputs(info, content.executionId, vars, !!content.isMultiInstance);
  }

  prepareThrow(activity: any, executeMessage: any, error: { errorCode: string; errorMessage?: string; variables?: Variables }): Failure | undefined | 'propagated' {
    const info = this.info(activity.id)!;
    if (this.errorCatcher(info, error.errorCode)) {
      if (error.variables) {
        const scopeId = this.data.scopes[executeMessage.content.executionId] ? executeMessage.content.executionId : this.parentScope(executeMessage.content);
        this.merge(scopeId, error.variables);
      }
      return undefined;
    }
    if (this.parentCatchesError?.(error.errorCode)) return this.propagateError(error);
    if (error.variables) {
      const scopeId = this.data.scopes[executeMessage.content.executionId] ? executeMessage.content.executionId : this.parentScope(executeMessage.content);
      this.merge(scopeId, error.variables);
    }
    return {
      errorType: 'UNHANDLED_ERROR_EVENT',
      message: `Expected to throw an error event with the code '${error.errorCode}'${error.errorMessage ? ` with message '${error.errorMessage}'` : ''}, but it was not caught. No error events are available in the scope.`,
    };
  }

  private errorCatcher(from: ElementInfo, code: string): ElementInfo | undefined {
    return findErrorCatcher(this.model, from, code);
  }

  /**
   * An error this (called) instance does not catch goes to the call activity in the parent when
   * that can catch it (Zeebe). Set by the engine for a called instance: can the parent's call
   * activity (a boundary on it, or an error event sub-process around it) catch this code?
   */
  parentCatchesError?: (errorCode: string) => boolean;
  /** The error handed to the parent (see `drain`); the instance is terminated. */
  private propagated?: { errorCode: string; errorMessage?: string; variables?: Variables };

  private propagateError(error: { errorCode: string; errorMessage?: string; variables?: Variables }): 'propagated' {
    this.propagated = { errorCode: error.errorCode, errorMessage: error.errorMessage, variables: error.variables };
    for (const [executionId, active] of Object.entries(this.data.active)) this.record(executionId, active.elementId, 'TERMINATED', active.flowScopeKey);
    this.data.active = {};
    this.data.waits = {};
    this.waitActivities.clear();
    this.data.state = 'TERMINATED';
    return 'propagated';
  }

  elementActivated(): void {}

  chooseFlows(activity: any, executeMessage: any): { failure: Failure } | { outbound: { id: string; action: 'take' | 'discard' }[] } {
    const info = this.info(activity.id)!;
    // conditions read the gateway's flow scope; a gateway's execute message names its parent
    // without an execution id, so take the scope activity.start registered for it
    // (its own scope when it has one: it holds what its start execution listeners set, and sees the rest)
    const own: string = executeMessage.content.executionId;
    const scopeId = this.data.scopes[own] ? own : this.parentScope(executeMessage.content);
    const flows = info.outgoing.map((id) => this.model.flows.get(id)!);
    const inclusive = info.type === 'bpmn:InclusiveGateway';
    const taken = new Set<string>();
    for (const flow of flows) {
      if (flow.id === info.defaultFlow) continue;
      if (flow.condition === undefined) {
        taken.add(flow.id);
        if (!inclusive) break;
        continue;
      }
      // Zeebe evaluates a condition as any expression (ExpressionProcessor.evaluateBooleanExpression):
      // a failure or a non-boolean result (null included) is an EXTRACT_VALUE_ERROR; only "no
      // flow to take" is a CONDITION_ERROR (below)
      const r = this.feel(flow.condition, scopeId);
      if (!r.ok) return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: feelFailure(flow.condition, r.message) } };
      if (typeof r.value !== 'boolean') {
        return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: typeMismatch(flow.condition, 'BOOLEAN', r.value, (r as { missing?: string[] }).missing) } };
      }
      if (r.value) {
        taken.add(flow.id);
        if (!inclusive) break;
      }
    }
    if (!taken.size && flows.length) {
      if (info.defaultFlow) taken.add(info.defaultFlow);
      else {
        return {
          failure: {
            errorType: 'CONDITION_ERROR',
            message: 'Expected at least one condition to evaluate to true, or to have a default flow',
          },
        };
      }
    }
    return { outbound: flows.map((f) => ({ id: f.id, action: taken.has(f.id) ? 'take' : 'discard' })) };
  }

  skipStartEvent(activity: any, executeMessage: any): boolean {
    const info = this.info(activity.id)!;
    void executeMessage;
    const modified = this.modificationStarts.get(info.parentId);
    if (modified) {
      // a sub-process created by a modification starts at the elements it names instead
      this.modificationStarts.delete(info.parentId);
      for (const id of modified) activity.context.getActivityById(id)?.run();
      return true;
    }
    if (info.parentId !== this.model.bpmnProcessId) return false; // event sub-process or sub-process start
    const trigger = this.data.startTrigger;
    if (trigger === START_INSTRUCTIONS && this.data.startAt) {
      // run before this start event's discard is handled, so the process has work and does not end
      const targets = this.data.startAt;
      delete this.data.startAt;
      for (const id of targets) activity.context.getActivityById(id)?.run();
    }
    if (trigger) return trigger !== info.id;
    return !!info.eventKind; // a plain instance starts at the none start event only
  }

  prepareEvent(activity: any, executeMessage: any, isThrowing: boolean): PreparedEvent {
    const info = this.info(activity.id)!;
    const content = executeMessage.content;
    const elementExecution: string = content.parent?.id === activity.id ? content.parent.executionId : content.executionId;
    this.data.scopes[elementExecution] ??= { parent: this.parentScope(content.parent?.id === activity.id ? { parent: { path: content.parent.path } } : content), vars: {} };
    const scopeId = elementExecution;

    if (info.type === 'bpmn:StartEvent' && info.parentId === this.model.bpmnProcessId) {
      if (this.data.startTrigger === info.id) return { immediate: true };
      return { discard: true };
    }
    if (info.type === 'bpmn:StartEvent' && this.eventSubStartTriggered(info, content)) return { immediate: true };
    if (isThrowing) {
      if (info.eventKind === 'message') {
        const inputFailure = this.applyInputs(info, scopeId);
        if (inputFailure) return { failure: inputFailure };
        return this.jobWait(info, scopeId);
      }
      return { immediate: true };
    }
    switch (info.eventKind) {
      case 'message':
        return this.messageWait(info, info.attachedTo || info.type === 'bpmn:StartEvent' ? this.parentScope(content) : scopeId);
      case 'signal': {
        const name = this.value(info.signalName, scopeId);
        if (!name.ok) return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: name.message } };
        return { wait: { kind: 'signal', name: String(name.value ?? '') } };
      }
      case 'timer':
        return this.timerWait(info, scopeId, content);
      default:
        return { immediate: true };
    }
  }

  private timerWait(info: ElementInfo, scopeId: string, content: any): PreparedEvent {
    const timer = info.timer!;
    const r = this.value(timer.value, scopeId);
    if (!r.ok) return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: r.message } };
    const now = this.services.now();
    try {
      const text = timerText(r.value);
      if (timer.kind === 'timeDuration') return { wait: { kind: 'timer', dueAt: addDuration(text, now) } };
      if (timer.kind === 'timeDate') return { wait: { kind: 'timer', dueAt: parseDate(text) } };
      const cycle = parseCycle(text);
      // a repeating boundary restarts with the repetitions left on its inbound message
      const left = typeof content.repeat === 'number' ? content.repeat : content.inbound?.[0]?.repeat;
      const repeat = typeof left === 'number' ? left : cycle.repetitions;
      return { wait: { kind: 'timer', dueAt: firstCycleDue(cycle, now), repeat } };
    } catch (err) {
      if (err instanceof TimerValueError) return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: err.message } };
      throw err;
    }
  }

  registerWait(activity: any, executeMessage: any, descriptor: WaitDescriptor, keySuffix = ''): void {
    const content = executeMessage.content;
    const waitId: string = content.executionId;
    const elementExecution: string = content.parent?.id === activity.id && !content.isMultiInstance ? content.parent.executionId : waitId;
    const existing = this.data.waits[waitId];
    this.waitActivities.set(waitId, activity);
    if (existing && existing.descriptor.kind === descriptor.kind) {
      // resumed after a restart: keep the original wait (same job, same due time)
      return;
    }
    this.data.waits[waitId] = {
      waitId,
      elementId: activity.id,
      elementInstanceKey: this.elementInstanceKey(elementExecution) + keySuffix,
      flowScopeKey: this.flowScopeKey(content),
      descriptor,
      createdAt: this.services.now(),
    };
  }

  // ---------------------------------------------------------------- execution listeners

  listenerStage(activity: any, executeMessage: any): { phase: 'start' | 'end'; index: number } | undefined {
    const listeners = this.info(activity.id)?.executionListeners;
    if (!listeners) return undefined;
    const stage = this.data.listenerStages?.[executeMessage.content.executionId];
    if (stage) return stage.phase === 'work' ? undefined : { phase: stage.phase, index: stage.index };
    return listeners.some((l) => l.eventType === 'start') ? { phase: 'start', index: 0 } : undefined;
  }

  /**
   * Zeebe 8.8's execution listeners: each is a job of its type, created when the one before
   * completed. Start listeners run after the element's input mappings and before its work (a
   * job type, a condition, a called process may read what they set); end listeners run after
   * its output mappings. Type and retries may be FEEL, evaluated in the element's scope.
   */
  listenerStep(activity: any, executeMessage: any, phase: 'start' | 'end', index: number): ListenerStep {
    const info = this.info(activity.id)!;
    const listeners = (info.executionListeners ?? []).filter((l) => l.eventType === phase);
    const content = executeMessage.content;
    const executionId: string = content.executionId;
    if (!listeners.length) return { none: true };
    const stages = (this.data.listenerStages ??= {});
    if (index >= listeners.length) {
      if (phase === 'start') stages[executionId] = { phase: 'work', index: 0 };
      else delete stages[executionId];
      return { none: true };
    }
    const scopeId = this.beginInner(info, content);
    if (phase === 'start' && index === 0 && !this.data.inputsDone?.[scopeId]) {
      const inputFailure = this.applyInputs(info, scopeId);
      if (inputFailure) return { failure: inputFailure };
      (this.data.inputsDone ??= {})[scopeId] = true;
    }
    stages[executionId] = { phase, index };
    const listener = listeners[index];
    const type = this.value(listener.type, scopeId);
    if (!type.ok) return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: type.message } };
    if (typeof type.value !== 'string' || !type.value) {
      return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: typeMismatch(listener.type, 'STRING', type.value) } };
    }
    const retries = this.value(listener.retries, scopeId);
    if (!retries.ok) return { failure: { errorType: 'EXTRACT_VALUE_ERROR', message: retries.message } };
    return { wait: { kind: 'job', type: type.value, retries: Number(retries.value ?? 3), headers: {} }, keySuffix: `${LISTENER_KEY}${phase}:${index}` };
  }

  /** A start listener's variables are local to the element (its work reads them); an end listener's propagate as a job's do. */
  listenerDone(activity: any, executeMessage: any, phase: 'start' | 'end', index: number, variables: Variables | undefined): void {
    void activity;
    void index;
    if (!variables || !Object.keys(variables).length) return;
    const scopeId = this.ensureScope(executeMessage.content);
    if (phase === 'start') Object.assign(this.data.scopes[scopeId].vars, variables);
    else this.merge(scopeId, variables);
  }

  /** Trigger variables of catch events (messages, signals) are applied when the event completes. */
  setEventVariables(waitId: string, variables: Variables | undefined): void {
    const wait = this.data.waits[waitId];
    if (!wait || !variables) return;
    const executionId = wait.elementInstanceKey.slice(this.data.instanceKey.length + 1);
    this.data.eventVariables[executionId] = variables;
  }

  broadcastSignal(activity: any, executeMessage: any): void {
    const info = this.info(activity.id)!;
    const scopeId = this.parentScope(executeMessage.content);
    const name = this.value(info.signalName, scopeId);
    this.signals.push({ name: String(name.ok ? name.value : info.signalName), variables: {} });
  }

  checkThrowEvent(activity: any, executeMessage: any, eventDefinitionType: string): Failure | undefined | 'propagated' {
    void executeMessage;
    if (eventDefinitionType !== 'bpmn:ErrorEventDefinition') return undefined;
    const info = this.info(activity.id)!;
    const code = info.errorCode ?? '';
    // an error end event is caught from its own flow scope outwards: first by an error event
    // sub-process of that scope (also inside a sub-process), then by the scope's boundary events
    if (this.errorCatcher(info, code)) return undefined;
    if (this.parentCatchesError?.(code)) return this.propagateError({ errorCode: code });
    return {
      errorType: 'UNHANDLED_ERROR_EVENT',
      message: `Expected to throw an error event with the code '${code}', but it was not caught. No error events are available in the scope.`,
    };
  }
}

/** The element that catches an error thrown at `from`: a boundary event, or an error event sub-process up the scopes. */
export function findErrorCatcher(model: ProcessModel, from: ElementInfo, code: string): ElementInfo | undefined {
  const info = (id: string) => model.elements.get(id);
  const matches = (e: ElementInfo) => e.eventKind === 'error' && (e.errorCode === undefined || e.errorCode === '' || e.errorCode === code);
  let current: ElementInfo | undefined = from;
  while (current) {
    const boundary = [...model.elements.values()].find((e) => e.attachedTo === current!.id && matches(e));
    if (boundary) return boundary;
    const scopeId: string = current.parentId;
    const eventSub = [...model.elements.values()].find(
      (e) => e.type === 'bpmn:StartEvent' && matches(e) && info(e.parentId)?.triggeredByEvent && info(e.parentId)?.parentId === scopeId && e.parentId !== current!.id,
    );
    if (eventSub) return eventSub;
    current = info(scopeId);
    if (current?.triggeredByEvent) current = info(current.parentId) ?? current;
  }
  return undefined;
}

/** For the engine: can the element `elementId` of `model` (a call activity) catch an error with this code? */
export function canCatchError(model: ProcessModel, elementId: string, code: string): boolean {
  const from = model.elements.get(elementId);
  return !!from && !!findErrorCatcher(model, from, code);
}

function isScopeElement(info: ElementInfo): boolean {
  return (info.type === 'bpmn:SubProcess' && !info.triggeredByEvent) || info.type === 'bpmn:Transaction' || info.type === 'bpmn:AdHocSubProcess';
}

function setPath(target: Variables, path: string, value: unknown) {
  const parts = path.split('.');
  let obj: Record<string, unknown> = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = obj[parts[i]];
    if (!next || typeof next !== 'object') obj[parts[i]] = {};
    obj = obj[parts[i]] as Record<string, unknown>;
  }
  obj[parts[parts.length - 1]] = value;
}

function userTaskHeaders(spec: UserTaskSpec, headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...headers };
  if (spec.formKey) out['io.camunda.zeebe:formKey'] = spec.formKey;
  if (spec.assignee) out['io.camunda.zeebe:assignee'] = spec.assignee;
  if (spec.candidateGroups.length) out['io.camunda.zeebe:candidateGroups'] = JSON.stringify(spec.candidateGroups);
  if (spec.candidateUsers.length) out['io.camunda.zeebe:candidateUsers'] = JSON.stringify(spec.candidateUsers);
  if (spec.dueDate) out['io.camunda.zeebe:dueDate'] = spec.dueDate;
  if (spec.followUpDate) out['io.camunda.zeebe:followUpDate'] = spec.followUpDate;
  return out;
}

function quietLogger() {
  const noop = () => undefined;
  return { debug: noop, error: noop, warn: noop, info: noop };
}
