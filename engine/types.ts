/**
 * The Engine port: what Herald needs from a BPMN engine, shaped after Zeebe's own API so that
 * nothing above it knows which engine runs. Two adapters implement it:
 *
 * - `embedded` (engine/embedded): bpmn-engine + zeebe-bpmn-moddle + feelin, state in Herald's database;
 * - `zeebe` (engine/zeebe): @camunda8/sdk against a Camunda 8 cluster.
 *
 * Keys are decimal strings, as in Zeebe's REST API (int64 does not fit a JavaScript number).
 * Variables are JSON documents. Durations are milliseconds unless a name says otherwise.
 * Every adapter runs the contract suite in tests/engine/contract.
 */

export type Key = string;
export type Variables = Record<string, unknown>;

export interface Resource {
  /** File name, e.g. `invoice-dunning.bpmn`; the extension decides the kind (.bpmn, .dmn, .form). */
  name: string;
  content: string | Buffer;
}

export interface DeployedProcess {
  bpmnProcessId: string;
  version: number;
  processDefinitionKey: Key;
  resourceName: string;
  /** True when the content was identical to the latest version, so no new version was made. */
  duplicate: boolean;
}

export interface DeployedDecision {
  decisionId: string;
  decisionName?: string;
  version: number;
  decisionKey: Key;
  decisionRequirementsId: string;
  resourceName: string;
  duplicate: boolean;
}

export interface DeployedForm {
  formId: string;
  version: number;
  formKey: Key;
  resourceName: string;
  duplicate: boolean;
}

export interface Deployment {
  deploymentKey: Key;
  processes: DeployedProcess[];
  decisions: DeployedDecision[];
  forms: DeployedForm[];
  /**
   * What was deployed but ignored, each naming its resource and element (e.g. an inert
   * `camunda:class` on a task with a zeebe:taskDefinition). Absent when there is nothing to say.
   */
  validationWarnings?: DeployProblem[];
}

export interface CreateInstanceRequest {
  bpmnProcessId: string;
  /** A specific version; the latest when absent. */
  version?: number;
  variables?: Variables;
  /** Zeebe's start instructions: start at these elements instead of the none start event. */
  startInstructions?: { elementId: string }[];
}

export interface InstanceRef {
  processInstanceKey: Key;
  processDefinitionKey: Key;
  bpmnProcessId: string;
  version: number;
}

export interface PublishMessageRequest {
  name: string;
  /** Empty string for message start events without a key. */
  correlationKey: string;
  variables?: Variables;
  /** How long the message is buffered for subscriptions that open later; 0 = not buffered. */
  timeToLive?: number;
  /** De-duplication: a second message with the same name and id inside the TTL is refused. */
  messageId?: string;
}

export interface PublishMessageResponse {
  messageKey: Key;
}

export interface BroadcastSignalRequest {
  signalName: string;
  variables?: Variables;
}

/** A job as a worker sees it (Zeebe's ActivatedJob). */
export interface Job<V extends Variables = Variables> {
  key: Key;
  type: string;
  processInstanceKey: Key;
  processDefinitionKey: Key;
  bpmnProcessId: string;
  processDefinitionVersion: number;
  elementId: string;
  elementInstanceKey: Key;
  customHeaders: Record<string, string>;
  worker: string;
  retries: number;
  /** Epoch ms after which the job may be activated by another worker. */
  deadline: number;
  variables: V;
  /** Zeebe's job kind: a BPMN element's job, a task listener's (then see `listenerEventType`) or an execution listener's (zeebe:executionListeners). */
  kind?: 'BPMN_ELEMENT' | 'TASK_LISTENER' | 'EXECUTION_LISTENER';
  /** For a task listener job: the transition it runs on. Its customHeaders carry the task (io.camunda.zeebe:userTaskKey, :assignee, :candidateGroups, …). */
  listenerEventType?: TaskListenerEventType;
}

export interface ActivateJobsRequest {
  type: string;
  worker: string;
  maxJobsToActivate: number;
  /** Ms the job stays locked to this worker. */
  timeout: number;
  /** Only these variables; all when absent. */
  fetchVariable?: string[];
}

export interface FailJobRequest {
  retries: number;
  errorMessage?: string;
  /** Ms before the job may be activated again. */
  retryBackOff?: number;
  variables?: Variables;
}

export interface ThrowErrorRequest {
  errorCode: string;
  errorMessage?: string;
  variables?: Variables;
}

/** The lifecycle transitions of a Camunda user task that a task listener (zeebe:taskListener) can run on. */
export type TaskListenerEventType = 'assigning' | 'updating' | 'completing' | 'canceling';

/** What a task listener may correct before the transition goes through (Zeebe 8.8 JobResultCorrections). */
export interface UserTaskCorrections {
  assignee?: string;
  /** ISO 8601 date-time. */
  dueDate?: string;
  /** ISO 8601 date-time. */
  followUpDate?: string;
  candidateUsers?: string[];
  candidateGroups?: string[];
  /** 0..100. */
  priority?: number;
}

/**
 * The result a task listener job completes with (Zeebe 8.8 JobResultUserTask, sent as
 * `result: { type: 'userTask', ... }` on job completion). A listener worker is an ordinary job
 * worker for the listener's type; to refuse the transition it completes the job with
 *
 *     { outcome: 'complete', result: { denied: true, deniedReason: 'SOD_VIOLATION: ada started this request' } }
 *
 * and the command that started the transition (completeUserTask, assignUserTask, updateUserTask)
 * fails with EngineError INVALID_STATE: "Completion of the User Task with key '…' was denied by
 * Task Listener. Reason to deny: '…'" (Assignment / Update for the others); the task stays as it
 * was. Without `denied`, the next listener of the same event runs, and after the last the
 * transition happens with the corrections of all of them applied (later ones win). A
 * `canceling` listener cannot deny.
 */
export interface UserTaskListenerResult {
  denied?: boolean;
  deniedReason?: string;
  corrections?: UserTaskCorrections;
}

/** What a job handler returns: exactly one of three outcomes (see workers/runtime.ts). */
export type JobOutcome =
  | { outcome: 'complete'; variables?: Variables; /** Only for task listener jobs: see UserTaskListenerResult. */ result?: UserTaskListenerResult }
  | { outcome: 'error'; errorCode: string; errorMessage?: string; variables?: Variables }
  | { outcome: 'fail'; errorMessage: string; retries?: number; retryBackOff?: number };

export interface JobWorkerOptions {
  type: string;
  /** Name reported to the engine; defaults to `herald`. */
  worker?: string;
  /** How many jobs of this type may run at once in this process. */
  maxJobsToActivate?: number;
  /** Ms a job is locked to this worker; it is activated again after that (at-least-once). */
  timeout?: number;
  fetchVariable?: string[];
  handler: (job: Job) => Promise<JobOutcome>;
}

export interface JobWorker {
  readonly type: string;
  close(): Promise<void>;
}

export interface UserTask {
  userTaskKey: Key;
  /** `camunda`: a zeebe:userTask; `job`: a job-worker user task (job type io.camunda.zeebe:userTask). */
  kind: 'camunda' | 'job';
  /** For job-based user tasks, the job key. */
  jobKey?: Key;
  processInstanceKey: Key;
  processDefinitionKey: Key;
  bpmnProcessId: string;
  elementId: string;
  elementName?: string;
  elementInstanceKey: Key;
  assignee?: string;
  candidateGroups: string[];
  candidateUsers: string[];
  dueDate?: string;
  followUpDate?: string;
  formKey?: string;
  /** The embedded form's JSON when the task links one (camunda-forms:bpmn:...). */
  form?: string;
  priority?: number;
  variables: Variables;
  customHeaders: Record<string, string>;
  createdAt: string;
}

export interface UserTaskHooks {
  created?(task: UserTask): void | Promise<void>;
  completed?(task: UserTask, variables: Variables): void | Promise<void>;
  /** The task's element was terminated (boundary event, cancel). */
  canceled?(task: UserTask): void | Promise<void>;
}

export type IncidentErrorType =
  | 'JOB_NO_RETRIES'
  | 'EXTRACT_VALUE_ERROR'
  | 'CONDITION_ERROR'
  | 'IO_MAPPING_ERROR'
  | 'CALLED_ELEMENT_ERROR'
  | 'CALLED_DECISION_ERROR'
  | 'DECISION_EVALUATION_ERROR'
  | 'UNHANDLED_ERROR_EVENT'
  | 'FORM_NOT_FOUND'
  | 'TASK_LISTENER_NO_RETRIES'
  | 'EXECUTION_LISTENER_NO_RETRIES'
  | 'UNKNOWN';

export interface Incident {
  incidentKey: Key;
  processInstanceKey: Key;
  processDefinitionKey: Key;
  bpmnProcessId: string;
  elementId: string;
  elementInstanceKey: Key;
  jobKey?: Key;
  errorType: IncidentErrorType;
  errorMessage: string;
  state: 'ACTIVE' | 'RESOLVED';
  createdAt: string;
}

export type InstanceState = 'ACTIVE' | 'COMPLETED' | 'TERMINATED';
export type ElementState = 'ACTIVATED' | 'COMPLETED' | 'TERMINATED';

/** One element instance, Operate-style. Sequence flows appear with state TAKEN in `flows`. */
export interface ElementInstance {
  elementInstanceKey: Key;
  elementId: string;
  elementName?: string;
  elementType: string;
  state: ElementState;
  /** The enclosing element instance (process, sub-process, multi-instance body). */
  flowScopeKey?: Key;
  startedAt: string;
  endedAt?: string;
  incidentKey?: Key;
}

export interface InstanceDetails extends InstanceRef {
  state: InstanceState;
  /** Variables at the root scope. */
  variables: Variables;
  elements: ElementInstance[];
  /** Sequence flow ids taken, in order (a flow taken twice appears twice). */
  takenFlows: string[];
  incidents: Incident[];
  parentProcessInstanceKey?: Key;
  startedAt: string;
  endedAt?: string;
}

/**
 * Zeebe's ModifyProcessInstance (POST /v2/process-instances/{key}/modification): activate
 * elements (each with variables for the instance or for a scope named by element id) and
 * terminate element instances, in one step: every instruction is checked before any is applied,
 * and activations happen before terminations, as in Zeebe.
 */
export interface ModifyInstanceRequest {
  activateInstructions?: {
    elementId: string;
    /**
     * An ancestor element instance (a sub-process instance, or the process instance) to activate
     * under. Absent or `-1`: each flow scope's only active instance is used, or a new one is
     * created (refused when several are active). Instances of flow scopes below a chosen ancestor
     * are created anew, as in Zeebe.
     */
    ancestorElementInstanceKey?: Key;
    /** Variables to set: on the process instance when scopeId is absent, else on the instance of the element `scopeId`: the one activated or one of its flow scopes. */
    variableInstructions?: { variables: Variables; scopeId?: string }[];
  }[];
  terminateInstructions?: { elementInstanceKey: Key }[];
}

/**
 * Zeebe's MigrateProcessInstance: move a running instance to another process definition, each
 * active element to the element its mapping instruction names. Refused, with the reason, when the
 * instance is not migratable (an active element without a mapping, a different element type or
 * flow scope, …); nothing changes then.
 */
export interface MigrateInstanceRequest {
  targetProcessDefinitionKey: Key;
  mappingInstructions: { sourceElementId: string; targetElementId: string }[];
}

export interface InstanceFilter {
  bpmnProcessId?: string;
  version?: number;
  state?: InstanceState;
  hasIncident?: boolean;
  /** The instances a call activity of this instance started. */
  parentProcessInstanceKey?: Key;
  limit?: number;
}

export interface EngineEvents {
  /** An instance reached an end (completed or terminated). */
  instanceEnded?(ref: InstanceRef & { state: InstanceState }): void;
  incidentCreated?(incident: Incident): void;
  /**
   * An element instance with local variables ended (completed or terminated); `variables` are
   * the last values of its own scope. Zeebe keeps them in its variable records after the scope
   * is gone, which is what an element-scoped assertion in a process test reads; the embedded
   * engine drops the scope and reports it here once, after the step is saved. Embedded only.
   */
  scopeEnded?(scope: { processInstanceKey: Key; elementInstanceKey: Key; elementId: string; variables: Variables }): void;
  /**
   * A command met an instance a peer (another Herald process on the same Postgres) had saved since
   * it was loaded here: optimistic concurrency on instance rows. `retried` when the command runs
   * again on the row as it is now, false when it gave up. Embedded only.
   */
  revisionConflict?(conflict: { processInstanceKey: Key; attempt: number; retried: boolean }): void;
}

/** The port. Both adapters implement all of it; see each method's doc for the Zeebe call it mirrors. */
export interface Engine {
  readonly kind: 'embedded' | 'zeebe';

  /** Opens connections and starts schedulers. Idempotent. */
  start(): Promise<void>;
  /** Closes workers and connections; in-flight work settles first. */
  stop(): Promise<void>;

  /** DeployResource: a process gets a new version only when its content changed. */
  deploy(resources: Resource[]): Promise<Deployment>;

  /** CreateProcessInstance (latest version unless one is given). */
  createInstance(request: CreateInstanceRequest): Promise<InstanceRef>;

  /** PublishMessage: correlates by name and correlation key, buffers for its TTL, starts instances at message start events. */
  publishMessage(request: PublishMessageRequest): Promise<PublishMessageResponse>;

  /** BroadcastSignal: reaches every signal subscription, including signal start events. */
  broadcastSignal(request: BroadcastSignalRequest): Promise<{ signalKey: Key }>;

  /** CancelProcessInstance (and its called children). */
  cancelInstance(processInstanceKey: Key): Promise<void>;

  /**
   * ModifyProcessInstance: activates elements and terminates element instances (see
   * ModifyInstanceRequest). An unknown element or element instance is INVALID_ARGUMENT naming it
   * (details.elementId, details.field); nothing is applied then.
   */
  modifyInstance(processInstanceKey: Key, request: ModifyInstanceRequest): Promise<void>;

  /** MigrateProcessInstance (see MigrateInstanceRequest): INVALID_ARGUMENT with the reason when not migratable. */
  migrateInstance(processInstanceKey: Key, request: MigrateInstanceRequest): Promise<void>;

  /** SetVariables on an element instance or the process instance (key of either). */
  setVariables(elementInstanceKey: Key, variables: Variables, local?: boolean): Promise<void>;

  /** Opens a job worker; it polls (or streams) jobs of its type until closed. */
  createWorker(options: JobWorkerOptions): JobWorker;

  /** The job primitives workers use; also handy for tests and the spec runner. */
  activateJobs(request: ActivateJobsRequest): Promise<Job[]>;
  /** CompleteJob; `result` only for a task listener job (deny or correct its transition, see UserTaskListenerResult). */
  completeJob(jobKey: Key, variables?: Variables, result?: UserTaskListenerResult): Promise<void>;
  failJob(jobKey: Key, request: FailJobRequest): Promise<void>;
  throwError(jobKey: Key, request: ThrowErrorRequest): Promise<void>;
  updateJobRetries(jobKey: Key, retries: number): Promise<void>;

  /** User-task hooks feed Herald's tasklist; returns an unsubscribe function. */
  onUserTask(hooks: UserTaskHooks): () => void;
  /** Open user tasks (both kinds), for the tasklist to rebuild itself. */
  listUserTasks(filter?: { processInstanceKey?: Key }): Promise<UserTask[]>;
  /**
   * Completes a user task of either kind with variables. A Camunda user task with `completing`
   * listeners completes only after their jobs complete without denial; this resolves then, and
   * a denial rejects with EngineError INVALID_STATE naming the reason (the task stays open).
   */
  completeUserTask(userTaskKey: Key, variables?: Variables): Promise<void>;
  /**
   * Sets (or, with null, clears) the assignee of a Camunda user task, as a claim or an assignment
   * does; `assigning` listeners run first and may deny (INVALID_STATE naming the reason) or
   * correct it. Zeebe: POST /v2/user-tasks/{key}/assignment (or DELETE …/assignee).
   */
  assignUserTask(userTaskKey: Key, assignee: string | null): Promise<void>;
  /**
   * Changes a Camunda user task's candidates, dates or priority; `updating` listeners run first and
   * may deny or correct. Zeebe: PATCH /v2/user-tasks/{key}.
   */
  updateUserTask(userTaskKey: Key, changes: UserTaskCorrections): Promise<void>;

  listIncidents(filter?: { processInstanceKey?: Key; state?: 'ACTIVE' | 'RESOLVED' }): Promise<Incident[]>;
  /** ResolveIncident: the element retries (a job incident needs retries > 0 first, see updateJobRetries). */
  resolveIncident(incidentKey: Key): Promise<void>;

  getInstance(processInstanceKey: Key): Promise<InstanceDetails | undefined>;
  listInstances(filter?: InstanceFilter): Promise<(InstanceRef & { state: InstanceState; startedAt: string; endedAt?: string; parentProcessInstanceKey?: Key })[]>;
  /** Variables of one scope (the element instance's own, not inherited). */
  getVariables(scopeKey: Key): Promise<Variables>;

  /** Evaluates a deployed decision (EvaluateDecision). */
  evaluateDecision(request: { decisionId: string; variables: Variables }): Promise<{ output: unknown; decisionKey: Key }>;

  /** Subscribes to engine events; returns an unsubscribe function. */
  on(events: EngineEvents): () => void;

  /**
   * The engine's clock, when it can be moved (embedded always; Zeebe only with the clock
   * endpoint enabled). Process tests use it to run a 14-day cadence in milliseconds.
   */
  readonly clock?: EngineClock;
}

export interface EngineClock {
  now(): number;
  /** Moves time forward and fires what became due; resolves when the engine settled. */
  advance(ms: number): Promise<void>;
}

/** A failure the caller can act on: the code names the rule, the message the element or field. */
export class EngineError extends Error {
  constructor(
    readonly code:
      | 'NOT_FOUND'
      | 'INVALID_ARGUMENT'
      | 'INVALID_STATE'
      | 'ALREADY_EXISTS'
      | 'DEPLOY_REFUSED'
      | 'UNAVAILABLE',
    message: string,
    readonly details?: { elementId?: string; resource?: string; field?: string; expression?: string; problems?: DeployProblem[] },
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export interface DeployProblem {
  resource: string;
  elementId?: string;
  message: string;
  /** Absent or 'error': the resource is refused. 'warning': deployed anyway; see Deployment.validationWarnings. */
  severity?: 'error' | 'warning';
}
