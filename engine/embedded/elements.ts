/**
 * Zeebe semantics for bpmn-engine, through its `elements` extension point (no fork).
 *
 * Every element is built on `ZeebeActivity` (bpmn-elements' Activity with Zeebe's tokens: no
 * dead-path elimination, one token per taken flow, joins counting tokens per incoming flow).
 *
 * bpmn-engine (bpmn-elements) carries the tokens: processes, sub-processes, boundary events,
 * event sub-processes, parallel and event-based gateways, links, escalation, compensation,
 * terminate. These behaviours replace the element kinds whose Zeebe meaning differs:
 *
 * - job workers (service, send, job-based script and business rule tasks, message throw
 *   events), user tasks, call activities, receive tasks: wait states owned by the runtime;
 * - FEEL script tasks and business rule tasks (DMN): evaluated in place;
 * - exclusive and inclusive gateways: FEEL conditions in document order, incidents instead of
 *   crashes, and a converging inclusive gateway that waits for every branch that can still
 *   arrive (bpmn-elements issue 46: the stock join completes on the first token);
 * - message, timer and signal events: correlation keys, a virtual clock and durable timers;
 * - start events: only the one that started the instance runs;
 * - event sub-processes: their timer, message and signal starts open and close with their scope;
 * - compensation throws: also the handlers inside completed sub-processes;
 * - ad-hoc sub-processes: the elements their collection names, completion by condition (ad-hoc.ts).
 *
 * Every behaviour talks to the instance's runtime (runtime.ts) through `heraldOf(activity)`;
 * failures become incidents that keep the element waiting until resolved, as in Zeebe.
 */
import * as Elements from 'bpmn-elements';
import type { ElementHost, Failure, WaitDescriptor } from './runtime-types.js';
import { adHocSubProcess } from './ad-hoc.js';

type Msg = { content: any; fields?: any; properties?: any };
type AnyActivity = any;

const { Activity } = Elements as any;
const kFlows = Symbol.for('flows');
const kMessageHandlers = Symbol.for('messageHandlers');
const kCompleted = Symbol.for('completed');

function clone(content: any, extra?: any) {
  return { ...content, ...extra };
}

/**
 * bpmn-elements' Activity with Zeebe's token semantics, for every element kind:
 *
 * - no dead-path elimination: a flow that is not taken (a gateway branch not chosen, the
 *   outbound of a discarded event-based gateway target, a boundary event that never fired) sends
 *   nothing downstream. The stock Activity sends a "discard" that a parallel join counts as an
 *   arrival, so a join after an event-based gateway completed on its other branch alone;
 * - every taken flow carries its own token, also when several flows share a target (the stock
 *   `_doRunOutbound` keeps one flow per target, so a fork of 3 flows into an exclusive join let
 *   one token through instead of 3).
 */
class ZeebeActivity extends (Activity as { new (...args: any[]): any }) {
  _doRunOutbound(outboundList: any[], content: any, discardSequence: any) {
    for (const flow of outboundList) {
      if (flow.action === 'take') this._publishRunOutbound(flow, content, discardSequence);
    }
    return outboundList;
  }
}

/** Gives an Activity built by a stock bpmn-elements factory Zeebe's token semantics. */
function zeebe(activity: AnyActivity): AnyActivity {
  Object.setPrototypeOf(activity, ZeebeActivity.prototype);
  if (activity[kFlows].inboundJoinFlows) activity[kMessageHandlers].onInbound = parallelJoin(activity);
  return activity;
}

function zeebeFactory(factory: (activityDef: any, context: any) => AnyActivity) {
  // a function, not an arrow: bpmn-elements calls element factories with `new`
  return function factory_(activityDef: any, context: any) {
    return zeebe(factory(activityDef, context));
  };
}

/**
 * Tokens waiting at a join, one per incoming flow: a second token on a flow that already has
 * one stays in the inbound queue for the join's next activation (as in Zeebe). Messages the
 * queue took back (a stopped consumer) are forgotten, they come again.
 */
class HeldTokens {
  private held = new Map<string, Msg & { ack(): void; pending: boolean }>();

  /** Holds a flow.take; false when the flow already has a token (the message stays queued). */
  hold(message: any): boolean {
    this.prune();
    const flowId = message.content.id;
    if (this.held.has(flowId)) return false;
    this.held.set(flowId, message);
    return true;
  }

  prune() {
    for (const [flowId, message] of this.held) if (!message.pending) this.held.delete(flowId);
  }

  get flowIds(): Set<string> {
    this.prune();
    return new Set(this.held.keys());
  }

  get first(): any {
    return this.held.values().next().value;
  }

  /** Consumes the held tokens: the join's inbound. */
  take(): any[] {
    const inbound = [...this.held.values()].map((m) => {
      m.ack();
      return clone(m.content);
    });
    this.held.clear();
    return inbound;
  }
}

/** A parallel join: activates once every incoming flow has a token (discards never arrive). */
function parallelJoin(activity: AnyActivity) {
  const tokens = new HeldTokens();
  const incoming = new Set<string>(activity[kFlows].inboundSequenceFlows.map((f: any) => f.id));
  return (routingKey: string, message: any) => {
    if (routingKey !== 'flow.take') return message.ack();
    if (!tokens.hold(message)) return;
    const arrived = tokens.flowIds;
    for (const id of incoming) if (!arrived.has(id)) return;
    const inbound = tokens.take();
    activity.broker.cancel('_run-on-inbound');
    activity.run({ inbound });
  };
}

/**
 * A converging inclusive gateway (Zeebe 8.6): activates when no token can still reach one of
 * its incoming flows that has none yet. Whether one can is a question about the whole flow
 * scope, answered by the runtime once the instance settles (a fork may still be handing out
 * its tokens while the first one arrives here).
 */
function inclusiveJoin(activity: AnyActivity) {
  const tokens = new HeldTokens();
  const tryFire = (): boolean => {
    const arrived = tokens.flowIds;
    if (!arrived.size) return true;
    if (!heraldOf(activity).inclusiveJoinReady(activity, tokens.first, arrived)) return false;
    const inbound = tokens.take();
    activity.broker.cancel('_run-on-inbound');
    activity.run({ inbound });
    return true;
  };
  return (routingKey: string, message: any) => {
    if (routingKey !== 'flow.take') return message.ack();
    if (!tokens.hold(message)) return;
    heraldOf(activity).awaitJoin(tryFire);
  };
}

export function heraldOf(activity: AnyActivity): ElementHost {
  const host = activity.environment.getServiceByName('herald') as ElementHost | undefined;
  if (!host) throw new Error('the Herald runtime is not attached to this environment');
  return host;
}

const kWaitHandlers = Symbol('herald wait handlers');

/**
 * The activity's wait handlers by execution id, behind one api subscription made at its first wait.
 * Its binding priority (300) puts it before bpmn-elements' own api subscriptions (200, 100), as
 * the per-wait subscriptions it replaces were.
 */
function waitRouter(activity: AnyActivity): Map<string, (type: string, message: any) => void> {
  let handlers = activity[kWaitHandlers] as Map<string, (type: string, message: any) => void> | undefined;
  if (handlers) return handlers;
  handlers = new Map();
  activity[kWaitHandlers] = handlers;
  const routed = handlers;
  activity.broker.subscribeTmp(
    'api',
    'activity.*.#',
    (routingKey: string, message: Msg) => {
      // activity.<type>.<execution id>
      const handler = routed.get(routingKey.slice(routingKey.indexOf('.', 9) + 1));
      if (handler) handler(message.properties.type, message.content.message);
    },
    { noAck: true, consumerTag: '_herald-waits', priority: 300 },
  );
  return handlers;
}

/** The handler `listen` gave an execution's wait on this activity, for the triggers the runtime hands over directly. */
export function waitHandler(activity: AnyActivity, executionId: string): ((type: string, message: any) => void) | undefined {
  return (activity[kWaitHandlers] as Map<string, (type: string, message: any) => void> | undefined)?.get(executionId);
}

/**
 * The waiting machinery shared by every behaviour here: publish `activity.wait` with a
 * descriptor the runtime records, and react to the runtime's api messages:
 * `signal` (complete with variables), `error` (BPMN error), `retry` (incident resolved).
 */
abstract class WaitingBehaviour {
  id: string;
  type: string;
  activity: AnyActivity;
  broker: any;
  loopCharacteristics: any;

  constructor(activity: AnyActivity) {
    this.id = activity.id;
    this.type = activity.type;
    this.activity = activity;
    this.broker = activity.broker;
    const loop = activity.behaviour?.loopCharacteristics;
    this.loopCharacteristics = loop && new loop.Behaviour(activity, loop);
  }

  execute(executeMessage: Msg) {
    const content = executeMessage.content;
    if (this.loopCharacteristics && content.isRootScope) {
      const host = heraldOf(this.activity);
      const failure = host.beginMultiInstance(this.activity, executeMessage);
      if (failure) return this.incident(executeMessage, failure, () => this.execute(executeMessage));
      return this.loopCharacteristics.execute(executeMessage);
    }
    this.run(executeMessage);
  }

  /** One (inner) instance of the element. */
  protected abstract run(executeMessage: Msg): void;

  protected wait(executeMessage: Msg, descriptor: WaitDescriptor, onSignal: (message: any) => void, onError?: (message: any) => void) {
    const { executionId } = executeMessage.content;
    this.listen(executionId, (type, message) => {
      if (type === 'signal') onSignal(message);
      else if (type === 'error' && onError) onError(message);
      else if (type === 'discard') {
        this.unlisten(executionId);
        this.broker.publish('execution', 'execute.discard', clone(executeMessage.content));
      }
    });
    heraldOf(this.activity).registerWait(this.activity, executeMessage, descriptor);
    this.broker.publish('event', 'activity.wait', clone(executeMessage.content, { state: 'wait', herald: descriptor }));
  }

  /** Keeps the element where it is with an incident; `retry` runs when the incident is resolved. */
  protected incident(executeMessage: Msg, failure: Failure, retry: () => void) {
    const { executionId } = executeMessage.content;
    this.listen(executionId, (type) => {
      if (type === 'retry') {
        this.unlisten(executionId);
        retry();
      } else if (type === 'discard') {
        this.unlisten(executionId);
        this.broker.publish('execution', 'execute.discard', clone(executeMessage.content));
      }
    });
    const descriptor: WaitDescriptor = { kind: 'incident', failure };
    heraldOf(this.activity).registerWait(this.activity, executeMessage, descriptor);
    this.broker.publish('event', 'activity.wait', clone(executeMessage.content, { state: 'wait', herald: descriptor }));
  }

  /**
   * Routes the triggers of one execution's wait to `handler`: `signal` and `retry` come straight
   * from the runtime (`waitHandler`); `error`, `discard` and `stop` come over the activity's api
   * exchange, through one subscription per activity (`waitRouter`) rather than a queue per wait.
   */
  protected listen(executionId: string, handler: (type: string, message: any) => void) {
    waitRouter(this.activity).set(executionId, handler);
  }

  protected unlisten(executionId: string) {
    this.activity[kWaitHandlers]?.delete(executionId);
  }

  /** Completes this (inner) instance after the runtime applied variables and output mappings, then its end listeners ran. */
  protected complete(executeMessage: Msg, variables: Record<string, unknown> | undefined) {
    const { executionId } = executeMessage.content;
    this.unlisten(executionId);
    const failure = heraldOf(this.activity).completeElement(this.activity, executeMessage, variables);
    if (failure) return this.incident(executeMessage, failure, () => this.complete(executeMessage, variables));
    this.listeners(executeMessage, 'end', 0, () => this.completed(executeMessage));
  }

  protected completed(executeMessage: Msg) {
    this.broker.publish('execution', 'execute.completed', clone(executeMessage.content, { output: undefined }));
  }

  /**
   * Runs zeebe:executionListeners of one phase from `index`, each as a job the element waits for
   * (an incident when its job fails without retries or its type cannot be evaluated), then `then`.
   * Resumed from a snapshot, the element picks up at the listener it waited for (`listenerStage`).
   */
  protected listeners(executeMessage: Msg, phase: 'start' | 'end', index: number, then: () => void) {
    const host = heraldOf(this.activity);
    const step = host.listenerStep(this.activity, executeMessage, phase, index);
    if ('none' in step) return then();
    if ('failure' in step) return this.incident(executeMessage, step.failure, () => this.listeners(executeMessage, phase, index, then));
    const { executionId } = executeMessage.content;
    this.listen(executionId, (type, message) => {
      if (type === 'signal') {
        this.unlisten(executionId);
        host.listenerDone(this.activity, executeMessage, phase, index, message?.variables);
        this.listeners(executeMessage, phase, index + 1, then);
      } else if (type === 'discard') {
        this.unlisten(executionId);
        this.broker.publish('execution', 'execute.discard', clone(executeMessage.content));
      }
    });
    host.registerWait(this.activity, executeMessage, step.wait, step.keySuffix);
    this.broker.publish('event', 'activity.wait', clone(executeMessage.content, { state: 'wait', herald: step.wait }));
  }

  /** Start listeners first, or the end listeners an element resumed from a snapshot was waiting for. */
  protected withListeners(executeMessage: Msg, work: () => void) {
    const stage = heraldOf(this.activity).listenerStage(this.activity, executeMessage);
    if (stage?.phase === 'start') return this.listeners(executeMessage, 'start', stage.index, work);
    if (stage?.phase === 'end') return this.listeners(executeMessage, 'end', stage.index, () => this.completed(executeMessage));
    work();
  }

  /** A BPMN error thrown by a job: caught by a boundary or event sub-process, else an incident. */
  protected throwError(executeMessage: Msg, error: { errorCode: string; errorMessage?: string; variables?: Record<string, unknown> }) {
    const { executionId } = executeMessage.content;
    const host = heraldOf(this.activity);
    const failure = host.prepareThrow(this.activity, executeMessage, error);
    if (failure === 'propagated') return this.unlisten(executionId);
    if (failure) {
      this.unlisten(executionId);
      return this.incident(executeMessage, failure, () => this.run(executeMessage));
    }
    this.unlisten(executionId);
    const bpmnError = new (Elements as any).ActivityError(error.errorMessage ?? error.errorCode, executeMessage, {
      code: error.errorCode,
      name: error.errorCode,
    });
    this.broker.publish('execution', 'execute.error', clone(executeMessage.content, { error: bpmnError }), { mandatory: true });
  }
}

/** Job workers and user tasks: create a job (or a user task) and wait for its outcome. */
class JobBehaviour extends WaitingBehaviour {
  protected run(executeMessage: Msg) {
    this.withListeners(executeMessage, () => this.work(executeMessage));
  }

  protected work(executeMessage: Msg) {
    const host = heraldOf(this.activity);
    const prepared = host.activate(this.activity, executeMessage);
    if ('failure' in prepared) return this.incident(executeMessage, prepared.failure, () => this.work(executeMessage));
    if (prepared.immediate) return this.complete(executeMessage, prepared.variables);
    this.wait(
      executeMessage,
      prepared.wait!,
      (message) => this.complete(executeMessage, message?.variables),
      (message) => this.throwError(executeMessage, message),
    );
  }
}

/** Call activities: the runtime starts the child instance once this one settles. */
class CallBehaviour extends JobBehaviour {}

function define(Behaviour: any) {
  return function factory(activityDef: any, context: any) {
    return followInnerInstances(new ZeebeActivity(Behaviour, activityDef, context));
  };
}

/**
 * A multi-instance activity tells the runtime when its inner instances start, end and are
 * discarded (history, output collection, loop counters). Subscribed when the activity is built,
 * not when its body begins: an activity rebuilt to resume a saved instance follows the inner
 * instances of the body it resumes too (subscribing at the body's start lost them after a reload).
 */
function followInnerInstances(activity: AnyActivity): AnyActivity {
  if (!activity.behaviour?.loopCharacteristics) return activity;
  const on = (routingKey: string, priority: number, handle: (host: ElementHost, content: any) => void) =>
    activity.broker.subscribeTmp(
      'execution',
      routingKey,
      (_: string, message: Msg) => {
        if (message.content.isMultiInstance) handle(heraldOf(activity), message.content);
      },
      { noAck: true, consumerTag: `_herald-mi-${routingKey}`, priority },
    );
  on('execute.start', 600, (host, c) => host.innerInstanceStarted(activity, c));
  on('execute.discard', 600, (host, c) => host.innerInstanceDiscarded(activity, c));
  on('execute.completed', 500, (host, c) => host.innerInstanceCompleted(activity, c));
  return activity;
}

/** Gateways with FEEL conditions: exclusive takes the first true flow, inclusive every true flow. */
class ConditionalGatewayBehaviour extends WaitingBehaviour {
  override execute(executeMessage: Msg) {
    this.run(executeMessage);
  }

  protected run(executeMessage: Msg) {
    this.withListeners(executeMessage, () => this.choose(executeMessage));
  }

  private choose(executeMessage: Msg) {
    const host = heraldOf(this.activity);
    host.elementActivated(this.activity, executeMessage);
    const decision = host.chooseFlows(this.activity, executeMessage);
    if ('failure' in decision) return this.incident(executeMessage, decision.failure, () => this.choose(executeMessage));
    this.broker.publish('execution', 'execute.completed', clone(executeMessage.content, { outbound: decision.outbound }));
  }
}

function inclusiveGateway(activityDef: any, context: any) {
  const converging = context.getInboundSequenceFlows(activityDef.id).length > 1;
  if (!converging) return new ZeebeActivity(ConditionalGatewayBehaviour, activityDef, context);
  // isParallelGateway: bpmn-elements then lets the join's consumer hold many tokens at once
  const activity: AnyActivity = new ZeebeActivity(ConditionalGatewayBehaviour, { ...activityDef, isParallelGateway: true }, context);
  activity[kMessageHandlers].onInbound = inclusiveJoin(activity);
  return activity;
}

/**
 * Catch event definitions (message, timer, signal): wait for the runtime to trigger them.
 * Start events that did not start the instance step aside.
 */
class CatchEventDefinition {
  id: string;
  type: string;
  activity: AnyActivity;
  broker: any;
  isThrowing: boolean;
  eventDefinition: any;

  constructor(activity: AnyActivity, eventDefinition: any) {
    this.id = activity.id;
    this.type = eventDefinition.type;
    this.activity = activity;
    this.broker = activity.broker;
    this.isThrowing = activity.isThrowing;
    this.eventDefinition = eventDefinition;
  }

  execute(executeMessage: Msg) {
    const host = heraldOf(this.activity);
    const content = executeMessage.content;
    const executionId = content.executionId;
    const prepared = host.prepareEvent(this.activity, executeMessage, this.isThrowing);
    if ('failure' in prepared) {
      return this.holdWithIncident(executeMessage, prepared.failure);
    }
    if ('discard' in prepared) {
      return this.broker.publish('execution', 'execute.discard', clone(content));
    }
    if (prepared.immediate) {
      return this.broker.publish('execution', 'execute.completed', clone(content, { output: prepared.variables }));
    }
    this.broker.subscribeTmp(
      'api',
      `activity.*.${executionId}`,
      (_: string, message: Msg) => {
        const type = message.properties.type;
        if (type === 'signal') {
          this.broker.cancel(`_herald-${executionId}`);
          const trigger = message.content.message ?? {};
          if (trigger.repeat !== undefined && (trigger.repeat > 1 || trigger.repeat === -1)) {
            this.broker.publish('execution', 'execute.repeat', clone(content, { repeat: trigger.repeat === -1 ? -1 : trigger.repeat - 1 }));
          }
          this.broker.publish('execution', 'execute.completed', clone(content, { output: trigger.variables, heraldTrigger: true }));
        } else if (type === 'error' && message.content.message?.errorCode) {
          // a job-based message throw event that throws a BPMN error
          this.broker.cancel(`_herald-${executionId}`);
          const error = message.content.message;
          const failure = host.prepareThrow(this.activity, executeMessage, error);
          if (failure === 'propagated') return;
          if (failure) return this.holdWithIncident(executeMessage, failure);
          const bpmnError = new (Elements as any).ActivityError(error.errorMessage ?? error.errorCode, executeMessage, { code: error.errorCode });
          this.broker.publish('execution', 'execute.error', clone(content, { error: bpmnError }), { mandatory: true });
        } else if (type === 'discard' || type === 'stop') {
          this.broker.cancel(`_herald-${executionId}`);
          if (type === 'discard') this.broker.publish('execution', 'execute.discard', clone(content));
        }
      },
      { noAck: true, consumerTag: `_herald-${executionId}`, priority: 300 },
    );
    host.registerWait(this.activity, executeMessage, prepared.wait!);
    this.broker.publish('event', 'activity.wait', clone(content, { state: 'wait', herald: prepared.wait }));
  }

  private holdWithIncident(executeMessage: Msg, failure: Failure) {
    const content = executeMessage.content;
    const executionId = content.executionId;
    const host = heraldOf(this.activity);
    this.broker.subscribeTmp(
      'api',
      `activity.*.${executionId}`,
      (_: string, message: Msg) => {
        const type = message.properties.type;
        if (type === 'retry') {
          this.broker.cancel(`_herald-${executionId}`);
          this.execute(executeMessage);
        } else if (type === 'discard') {
          this.broker.cancel(`_herald-${executionId}`);
          this.broker.publish('execution', 'execute.discard', clone(content));
        }
      },
      { noAck: true, consumerTag: `_herald-${executionId}`, priority: 300 },
    );
    const descriptor: WaitDescriptor = { kind: 'incident', failure };
    host.registerWait(this.activity, executeMessage, descriptor);
    this.broker.publish('event', 'activity.wait', clone(content, { state: 'wait', herald: descriptor }));
  }
}

/** Signal throw events broadcast through the engine (every instance, every signal start). */
class SignalEventDefinition extends CatchEventDefinition {
  override execute(executeMessage: Msg) {
    if (!this.isThrowing) return super.execute(executeMessage);
    heraldOf(this.activity).broadcastSignal(this.activity, executeMessage);
    this.broker.publish('execution', 'execute.completed', clone(executeMessage.content));
  }
}

/**
 * Compensation throws: Zeebe also compensates completed activities inside completed
 * sub-processes of the throw's scope; bpmn-elements forgets those once their sub-process
 * completed. The runtime runs their handlers as jobs, and the throw waits for them before the
 * stock compensation of its own scope.
 */
function compensateEventDefinition(this: any, activity: AnyActivity, eventDefinition: any, context: any) {
  const inner = new (Elements as any).CompensateEventDefinition(activity, eventDefinition, context);
  const self = Object.create(inner);
  self.execute = (executeMessage: Msg) => {
    if (!inner.isThrowing) return inner.execute(executeMessage);
    const host = heraldOf(activity);
    const running = host.compensateNested(activity, executeMessage);
    if (!running) return inner.execute(executeMessage);
    const { executionId } = executeMessage.content;
    activity.broker.subscribeTmp(
      'api',
      `activity.*.${executionId}`,
      (_: string, message: Msg) => {
        const type = message.properties.type;
        if (type === 'signal') {
          activity.broker.cancel(`_herald-compensate-${executionId}`);
          inner.execute(executeMessage);
        } else if (type === 'discard' || type === 'stop') {
          activity.broker.cancel(`_herald-compensate-${executionId}`);
          if (type === 'discard') activity.broker.publish('execution', 'execute.discard', clone(executeMessage.content));
        }
      },
      { noAck: true, consumerTag: `_herald-compensate-${executionId}`, priority: 300 },
    );
  };
  return self;
}

/**
 * Link catch events: bpmn-elements runs them from the start of their scope, waiting for their
 * throw, and only a discarded throw (dead-path elimination, which Zeebe does not have) releases
 * them, so a scope whose link was never thrown never completed. In Zeebe a link catch is no
 * element instance until its throw is reached: a waiting catch is detached like a boundary event,
 * so the scope completes (discarding it) once nothing else is left.
 */
function linkEventDefinition(this: any, activity: AnyActivity, eventDefinition: any, ...rest: any[]) {
  const inner = new (Elements as any).LinkEventDefinition(activity, eventDefinition, ...rest);
  if (inner.isThrowing) return inner;
  const self = Object.create(inner);
  self.execute = (executeMessage: Msg) => {
    const result = inner.execute(executeMessage);
    if (inner[kCompleted]) return result;
    // as the stock catch's own `activity.wait`: in the name of the activity's execution and its parent
    const parent = executeMessage.content.parent;
    const [up, ...path] = parent.path ?? [];
    const detached = clone(executeMessage.content, { executionId: parent.executionId, parent: up && { ...up, ...(path.length && { path }) } });
    activity.broker.publish('event', 'activity.detach', detached);
    return result;
  };
  return self;
}

/** Start events: only the one that started the instance (or a start event of an event sub-process) runs. */
function startEvent(activityDef: any, context: any) {
  const activity = zeebe((Elements as any).StartEvent(activityDef, context));
  const Original = activity.Behaviour;
  activity.Behaviour = function HeraldStartEvent(this: any, act: AnyActivity, ctx: any) {
    const inner = new Original(act, ctx);
    Object.assign(this, inner);
    this.execute = (executeMessage: Msg) => {
      const host = heraldOf(act);
      if (host.skipStartEvent(act, executeMessage)) {
        return act.broker.publish('execution', 'execute.discard', clone(executeMessage.content));
      }
      return inner.execute(executeMessage);
    };
  };
  return activity;
}

/** Escalation and error throws are checked by the runtime first: Zeebe raises an incident for an uncaught error. */
function guardedThrow(Original: any) {
  return function HeraldThrow(this: any, activity: AnyActivity, eventDefinition: any, ...rest: any[]) {
    const inner = new Original(activity, eventDefinition, ...rest);
    const self = Object.create(inner);
    self.execute = (executeMessage: Msg) => {
      if (inner.isThrowing) {
        const failure = heraldOf(activity).checkThrowEvent(activity, executeMessage, eventDefinition.type);
        if (failure === 'propagated') return;
        if (failure) return new CatchEventDefinition(activity, eventDefinition)['holdWithIncident'](executeMessage, failure);
      }
      return inner.execute(executeMessage);
    };
    return self;
  };
}

/**
 * Sub-processes run on bpmn-elements' stock behaviour; a multi-instance one also needs Zeebe's
 * loop variables. Before the stock loop sees an `execute.start`, the body gets its scope
 * (numberOfInstances, output collection: `beginMultiInstance`) and each inner instance a scope
 * of its own holding `loopCounter` and the input element, which the elements inside read.
 * Without this the input element of a multi-instance sub-process was invisible inside it.
 */
function subProcess(activityDef: any, context: any) {
  const activity = zeebe((Elements as any).SubProcess(activityDef, context));
  if (activityDef.behaviour?.triggeredByEvent) {
    // Its scope's execution activates it when the scope starts (or resumes) and deactivates it
    // when the scope ends: that is when Zeebe opens and closes the event sub-process's start.
    const { activate, deactivate } = activity;
    let scope: any;
    activity.activate = function activateEventSubProcess(scopeExecution: any) {
      const result = activate.call(activity, scopeExecution);
      scope = scopeExecution;
      heraldOf(activity).openEventSubProcess(activity, scopeExecution);
      return result;
    };
    activity.deactivate = function deactivateEventSubProcess() {
      if (scope) heraldOf(activity).closeEventSubProcess(activity, scope);
      scope = undefined;
      return deactivate.call(activity);
    };
  }
  if (!activityDef.behaviour?.loopCharacteristics) return activity;
  followInnerInstances(activity);
  activity.broker.subscribeTmp(
    'execution',
    'execute.start',
    (_: string, message: Msg) => {
      const host = heraldOf(activity) as ElementHost & { beginInnerInstance(activity: any, executeMessage: any): void };
      if (message.content.isRootScope) host.beginMultiInstance(activity, message);
      else if (message.content.isMultiInstance) host.beginInnerInstance(activity, message);
    },
    { noAck: true, consumerTag: '_herald-subprocess-loop', priority: 500 },
  );
  return activity;
}

const E = Elements as any;

export const heraldElements = {
  SubProcess: subProcess,
  AdHocSubProcess: function factory(activityDef: any, context: any) {
    return adHocSubProcess(activityDef, context, {
      subProcess,
      heraldOf,
      listen: (activity, executionId, handler) => (handler ? waitRouter(activity).set(executionId, handler) : activity[kWaitHandlers]?.delete(executionId)),
    });
  },
  Transaction: zeebeFactory(E.Transaction),
  BoundaryEvent: zeebeFactory(E.BoundaryEvent),
  EndEvent: zeebeFactory(E.EndEvent),
  IntermediateCatchEvent: zeebeFactory(E.IntermediateCatchEvent),
  IntermediateThrowEvent: zeebeFactory(E.IntermediateThrowEvent),
  EventBasedGateway: zeebeFactory(E.EventBasedGateway),
  ParallelGateway: zeebeFactory(E.ParallelGateway),
  ServiceTask: define(JobBehaviour),
  SendTask: define(JobBehaviour),
  ScriptTask: define(JobBehaviour),
  BusinessRuleTask: define(JobBehaviour),
  UserTask: define(JobBehaviour),
  ManualTask: define(JobBehaviour),
  Task: define(JobBehaviour),
  ReceiveTask: define(JobBehaviour),
  CallActivity: define(CallBehaviour),
  ExclusiveGateway: define(ConditionalGatewayBehaviour),
  InclusiveGateway: inclusiveGateway,
  StartEvent: startEvent,
  MessageEventDefinition: CatchEventDefinition,
  TimerEventDefinition: CatchEventDefinition,
  SignalEventDefinition,
  LinkEventDefinition: linkEventDefinition,
  CompensateEventDefinition: compensateEventDefinition,
  ErrorEventDefinition: guardedThrow((Elements as any).ErrorEventDefinition),
};
