/** The contract between the element behaviours (elements.ts) and an instance's runtime (runtime.ts). */
import type { IncidentErrorType, Variables } from '../types.js';

export interface Failure {
  errorType: IncidentErrorType;
  message: string;
}

export interface UserTaskSpec {
  camunda: boolean;
  assignee?: string;
  candidateGroups: string[];
  candidateUsers: string[];
  dueDate?: string;
  followUpDate?: string;
  formKey?: string;
  form?: string;
  priority?: number;
}

export type WaitDescriptor =
  | { kind: 'job'; type: string; retries: number; headers: Record<string, string>; userTask?: UserTaskSpec }
  | { kind: 'user-task'; userTask: UserTaskSpec }
  | { kind: 'message'; name: string; correlationKey: string }
  | { kind: 'timer'; dueAt: number; repeat?: number }
  | { kind: 'signal'; name: string }
  | { kind: 'call'; processId: string; variables: Variables; bindingType?: 'latest' | 'deployment' | 'versionTag'; versionTag?: string }
  | { kind: 'incident'; failure: Failure };

export type Activated =
  | { failure: Failure }
  | { immediate: true; variables?: Variables; wait?: undefined }
  | { wait: WaitDescriptor; immediate?: undefined };

export type ListenerStep = { none: true } | { failure: Failure } | { wait: Extract<WaitDescriptor, { kind: 'job' }>; keySuffix: string };

export type PreparedEvent = Activated | { discard: true; immediate?: undefined; wait?: undefined };

export interface ElementHost {
  beginMultiInstance(activity: any, executeMessage: any): Failure | undefined;
  innerInstanceStarted(activity: any, content: any): void;
  innerInstanceDiscarded(activity: any, content: any): void;
  innerInstanceCompleted(activity: any, content: any): void;
  activate(activity: any, executeMessage: any): Activated;
  completeElement(activity: any, executeMessage: any, variables: Variables | undefined): Failure | undefined;
  /** undefined: caught here; a Failure: an incident; 'propagated': handed to the parent instance's call activity (this instance ends). */
  prepareThrow(activity: any, executeMessage: any, error: { errorCode: string; errorMessage?: string; variables?: Variables }): Failure | undefined | 'propagated';
  elementActivated(activity: any, executeMessage: any): void;
  chooseFlows(activity: any, executeMessage: any): { failure: Failure } | { outbound: { id: string; action: 'take' | 'discard' }[] };
  prepareEvent(activity: any, executeMessage: any, isThrowing: boolean): PreparedEvent;
  /** `keySuffix` sets a listener job's wait apart from the element's own (its job row gets its own key). */
  registerWait(activity: any, executeMessage: any, descriptor: WaitDescriptor, keySuffix?: string): void;
  /**
   * zeebe:executionListeners. Where the element stands: running its start or end listeners (at
   * `index`), or undefined when it does its own work (no start listeners, or they are done).
   */
  listenerStage(activity: any, executeMessage: any): { phase: 'start' | 'end'; index: number } | undefined;
  /** The job of the listener `index` of a phase; `none` when the phase is done (or has none). */
  listenerStep(activity: any, executeMessage: any, phase: 'start' | 'end', index: number): ListenerStep;
  /** A listener job completed with these variables. */
  listenerDone(activity: any, executeMessage: any, phase: 'start' | 'end', index: number, variables: Variables | undefined): void;
  broadcastSignal(activity: any, executeMessage: any): void;
  skipStartEvent(activity: any, executeMessage: any): boolean;
  checkThrowEvent(activity: any, executeMessage: any, eventDefinitionType: string): Failure | undefined | 'propagated';
  /** A converging inclusive gateway holds tokens: `tryFire` is asked again whenever the instance settles (true: done). */
  /** An event sub-process's scope activated (or resumed) / ended: open or close its timer, message or signal start. */
  openEventSubProcess(activity: any, scopeExecution: any): void;
  closeEventSubProcess(activity: any, scopeExecution: any): void;
  /** A compensation throw: starts the handlers inside completed sub-processes; returns how many still run. */
  compensateNested(activity: any, executeMessage: any): number;
  awaitJoin(tryFire: () => boolean): void;
  /** May the converging inclusive gateway activate with tokens on `arrived` (no token can reach its other incoming flows)? */
  inclusiveJoinReady(activity: any, tokenContent: any, arrived: Set<string>): boolean;
}
