/**
 * Ad-hoc sub-processes (Zeebe 8.8's BPMN implementation) on bpmn-elements' sub-process.
 *
 * bpmn-elements runs an ad-hoc sub-process as a plain sub-process: every inner element without an
 * incoming flow starts, and it completes when none is left. Zeebe's rules differ, and are put on
 * each execution of the sub-process here (its ProcessExecution):
 *
 * - on entry only the elements named by zeebe:adHoc activeElementsCollection (evaluated in the
 *   sub-process's scope, after its input mappings) start; an empty list or none starts nothing,
 *   and the sub-process stays active;
 * - a collection that is no list of strings, or names an element that is not an inner element
 *   without incoming flows, is an EXTRACT_VALUE_ERROR incident on the sub-process, with Zeebe's text;
 * - whenever a path inside ends (an element with no outgoing flow completes), the output element is
 *   appended to the output collection and the completion condition is evaluated (runtime.ts,
 *   `adHocPathEnded`); when it holds, what still runs inside is terminated
 *   (cancelRemainingInstances, the default) or waited for; with no condition the sub-process
 *   completes once nothing inside runs;
 * - a resumed execution with nothing running stays active (bpmn-elements would complete it).
 *
 * What was activated, the last value of the condition and a failed evaluation are in the
 * instance's runtime data, so all of it survives a reload.
 */
import type { ElementHost, Failure } from './runtime-types.js';

type Msg = { content: any; fields?: any; properties?: any };
type AnyActivity = any;

const kElements = Symbol.for('elements');
const kCompleted = Symbol.for('completed');
const kStatus = Symbol.for('status');
const kExecuteMessage = Symbol.for('executeMessage');
const kActivityQ = Symbol.for('activityQ');
const kMessageHandlers = Symbol.for('messageHandlers');
const kAdHoc = Symbol('herald ad-hoc execution');
const kCancelling = Symbol('herald ad-hoc cancelling');

/** What the ad-hoc behaviour needs from elements.ts (given, not imported: elements.ts imports this file). */
export interface AdHocBase {
  /** elements.ts's sub-process factory (Zeebe tokens, multi-instance scopes). */
  subProcess(activityDef: any, context: any): AnyActivity;
  heraldOf(activity: AnyActivity): ElementHost;
  /** Routes the runtime's triggers of one execution's wait (`retry`, `discard`) to a handler. */
  listen(activity: AnyActivity, executionId: string, handler: ((type: string, message: any) => void) | undefined): void;
}

/** The runtime's side of an ad-hoc sub-process (implemented in runtime.ts). */
export interface AdHocHost {
  /** Evaluates (once per execution) which inner elements to activate; a failure is an incident. */
  adHocActivation(activity: AnyActivity, executeMessage: Msg): { failure: Failure } | { elements: string[] };
  /** What to do now that `running` elements are left inside: complete, terminate the rest and complete, wait, or an incident. */
  adHocNext(activity: AnyActivity, executionId: string, running: number): 'complete' | 'cancel' | 'wait' | { failure: Failure };
  /** The incident on the completion condition was resolved: evaluate it again. */
  adHocRetry(activity: AnyActivity, executionId: string): void;
}

const hostOf = (base: AdHocBase, activity: AnyActivity) => base.heraldOf(activity) as ElementHost & AdHocHost;

export function adHocSubProcess(activityDef: any, context: any, base: AdHocBase): AnyActivity {
  const activity = base.subProcess(activityDef, context);
  const Stock = activity.Behaviour;
  // a function, not an arrow: bpmn-elements builds behaviours with `new`
  activity.Behaviour = function HeraldAdHocSubProcess(act: AnyActivity, ctx: any) {
    return adHocBehaviour(new Stock(act, ctx), act, base);
  };
  return activity;
}

function adHocBehaviour(stock: any, activity: AnyActivity, base: AdHocBase) {
  const execute = stock.execute.bind(stock);
  const upsert = stock._upsertExecution.bind(stock);
  stock._upsertExecution = (executeMessage: Msg) => adHocExecution(upsert(executeMessage), activity, executeMessage, base);
  // saved while its incident on entry was open, the sub-process has no execution yet: recovering
  // that empty state would make one without an id, which later hides the real one from getState
  const recover = stock.recover.bind(stock);
  stock.recover = (state: any) => (state && (state.executionId || state.executions) ? recover(state) : undefined);
  stock.execute = function executeAdHoc(executeMessage: Msg) {
    const content = executeMessage.content;
    if (stock.loopCharacteristics && content.isRootScope) return execute(executeMessage); // the body: each inner instance comes back here
    const activation = hostOf(base, activity).adHocActivation(activity, executeMessage);
    if ('failure' in activation) {
      return holdWithIncident(activity, executeMessage, activation.failure, base, {
        // a fresh start: the execution of the sub-process is new even when the message was redelivered by a reload
        retry: () => stock.execute({ ...executeMessage, fields: { ...executeMessage.fields, redelivered: false } }),
        discard: () => activity.broker.publish('execution', 'execute.discard', { ...content }),
      });
    }
    base.listen(activity, content.executionId, undefined);
    return execute(executeMessage);
  };
  return stock;
}

/** An incident on the ad-hoc sub-process itself, kept until resolved (`retry`) or the sub-process is terminated. */
function holdWithIncident(activity: AnyActivity, executeMessage: Msg, failure: Failure, base: AdHocBase, on: { retry: () => void; discard?: () => void }) {
  const { executionId } = executeMessage.content;
  base.listen(activity, executionId, (type) => {
    if (type === 'retry') {
      base.listen(activity, executionId, undefined);
      on.retry();
    } else if (type === 'discard' && on.discard) {
      base.listen(activity, executionId, undefined);
      on.discard();
    }
  });
  const descriptor = { kind: 'incident' as const, failure };
  base.heraldOf(activity).registerWait(activity, executeMessage, descriptor);
  activity.broker.publish('event', 'activity.wait', { ...executeMessage.content, state: 'wait', herald: descriptor });
}

/** Gives one ProcessExecution of the sub-process Zeebe's ad-hoc start, completion and resume. */
function adHocExecution(execution: any, activity: AnyActivity, executeMessage: Msg, base: AdHocBase) {
  if (execution[kAdHoc]) return execution;
  execution[kAdHoc] = true;

  // bpmn-elements' _start, with the activated elements instead of every element without incoming flows
  execution._start = function startAdHoc(this: any) {
    const elements = this[kElements];
    this[kStatus] = 'start';
    this.broker.publish(this._exchangeName, 'execute.start', { ...this[kExecuteMessage].content, state: 'start' });
    const activation = hostOf(base, activity).adHocActivation(activity, executeMessage);
    const ids = 'elements' in activation ? activation.elements : [];
    const chosen = ids.map((id) => elements.children.find((child: any) => child.id === id)).filter(Boolean);
    for (const child of chosen) child.init();
    this[kStatus] = 'executing';
    for (const child of chosen) child.run();
    elements.postponed.clear();
    elements.detachedActivities.clear();
    this[kActivityQ].assertConsumer(this[kMessageHandlers].onChildMessage, { prefetch: 1000, consumerTag: `_process-activity-${this.executionId}` });
  };

  // a child left: Zeebe decides (completion condition, cancelRemainingInstances), not "nothing left"
  execution._onChildCompleted = function childLeftAdHoc(this: any, message: any) {
    this._stateChangeMessage(message, false);
    message.ack();
    if (message.fields.redelivered) return;
    next(this);
  };

  // resumed, a running execution stays as it was saved: had it been due to complete, it would have
  const resume = execution.resume;
  execution.resume = function resumeAdHoc(this: any) {
    if (this[kCompleted]) return resume.call(this);
    const complete = this._complete;
    this._complete = () => undefined;
    try {
      return resume.call(this);
    } finally {
      this._complete = complete;
      const host = hostOf(base, activity);
      const decision = host.adHocNext(activity, this.executionId, running(this));
      if (typeof decision === 'object') conditionIncident(this, decision.failure);
    }
  };

  const running = (self: any) => {
    const { postponed, detachedActivities } = self[kElements];
    let count = 0;
    for (const msg of postponed) if (!msg.content.isSequenceFlow && !msg.content.isAssociation) count++;
    return count - detachedActivities.size;
  };

  const conditionIncident = (self: any, failure: Failure) => {
    holdWithIncident(activity, { ...executeMessage, content: { ...self[kExecuteMessage].content } }, failure, base, {
      retry: () => {
        hostOf(base, activity).adHocRetry(activity, self.executionId);
        next(self);
      },
    });
  };

  const next = (self: any) => {
    if (self[kCompleted] || self[kCancelling]) return;
    const left = running(self);
    const decision = hostOf(base, activity).adHocNext(activity, self.executionId, left);
    if (typeof decision === 'object') return conditionIncident(self, decision.failure);
    if (decision === 'wait') return;
    if (decision === 'cancel') {
      self[kCancelling] = true;
      try {
        for (const api of self.getPostponed()) {
          if (api.content?.isSequenceFlow || api.content?.isAssociation) continue;
          api.discard();
        }
      } finally {
        self[kCancelling] = false;
      }
    }
    if (self[kCompleted]) return;
    const { detachedActivities } = self[kElements];
    if (running(self) <= 0 && detachedActivities.size) {
      // boundary events and link catches left waiting with nothing else inside: bpmn-elements' own way out
      self[kActivityQ].queueMessage({ routingKey: 'execution.discard.detached' }, { id: self.id, type: self.type, executionId: self.executionId }, { type: 'cancel' });
      return;
    }
    self._complete('completed');
  };

  return execution;
}
