/**
 * The Engine port on a Camunda 8 cluster: commands over the Zeebe gRPC gateway
 * (@camunda8/sdk's ZeebeGrpcClient, which retries UNAVAILABLE / RESOURCE_EXHAUSTED and
 * reconnects when the gateway comes back), queries and the few REST-only commands over the
 * Orchestration Cluster REST API (/v2). Clients are created on first use or in start(); nothing
 * connects at import time.
 */
import { IncidentKey, JobKey, ProcessInstanceKey, ScopeKey, UserTaskKey, VariableKey } from '@camunda8/orchestration-cluster-api';
import { Zeebe } from '@camunda8/sdk';
import { CamundaEnvironmentConfigurator, constructOAuthProvider } from '@camunda8/sdk/dist/lib/index.js';
import { silentLogger, type Logger } from '../../config/log.js';
import {
  EngineError,
  type ActivateJobsRequest,
  type BroadcastSignalRequest,
  type CreateInstanceRequest,
  type DeployedDecision,
  type DeployedForm,
  type DeployedProcess,
  type Deployment,
  type Engine,
  type EngineClock,
  type EngineEvents,
  type FailJobRequest,
  type Incident,
  type InstanceDetails,
  type InstanceFilter,
  type InstanceRef,
  type InstanceState,
  type Job,
  type JobWorker,
  type JobWorkerOptions,
  type Key,
  type MigrateInstanceRequest,
  type ModifyInstanceRequest,
  type PublishMessageRequest,
  type PublishMessageResponse,
  type Resource,
  type ThrowErrorRequest,
  type UserTask,
  type UserTaskCorrections,
  type UserTaskHooks,
  type UserTaskListenerResult,
  type Variables,
} from '../types.js';
import { heraldSettings, sdkConfigFrom, type HeraldZeebeSettings, type SdkConfig } from './config.js';
import { createSdkWorker, grpcCode, GrpcStatus, toJob } from './jobs.js';
import { EventFeed } from './events.js';
import { parseValue, toElement, toIncident, toInstanceRef, type ProcessInstanceRecord } from './records.js';
import { asKey, NOW, restValidation, ZeebeRest, type HeadersProvider } from './rest.js';
import { UserTaskFeed } from './user-tasks.js';

export interface ZeebeEngineOptions {
  logger?: Logger;
  /** Where ZEEBE_* / CAMUNDA_* / HERALD_ZEEBE_* come from; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** The gateway's gRPC address (host:port or grpc[s]://host:port); overrides the environment. */
  address?: string;
}

interface Clients {
  grpc: Zeebe.ZeebeGrpcClient;
  rest: ZeebeRest;
}

export class ZeebeEngine implements Engine {
  readonly kind = 'zeebe' as const;
  readonly clock?: EngineClock;

  private readonly env: NodeJS.ProcessEnv;
  private readonly log: Logger;
  private readonly settings: HeraldZeebeSettings;
  private readonly sdkConfig: SdkConfig;
  private connected?: Clients;
  private readonly workers = new Set<JobWorker>();
  private readonly userTasks: UserTaskFeed;
  private readonly events: EventFeed;
  private started = false;

  constructor(options: ZeebeEngineOptions = {}) {
    this.env = options.env ?? process.env;
    this.log = (options.logger ?? silentLogger).child({ component: 'engine', engine: 'zeebe' });
    this.settings = heraldSettings(this.env);
    this.sdkConfig = sdkConfigFrom(this.env, options.address);
    this.userTasks = new UserTaskFeed(() => this.clients().rest, this.settings.userTaskPollMs, this.log);
    this.events = new EventFeed(() => this.clients().rest, () => this.log, { pollMs: this.settings.eventPollMs, overlapMs: this.settings.eventOverlapMs, memory: this.settings.eventMemory });
    if (this.settings.clock) this.clock = new ZeebeClock(() => this.clients().rest);
  }

  private clients(): Clients {
    if (this.connected) return this.connected;
    const merged = CamundaEnvironmentConfigurator.mergeConfigWithEnvironment(this.sdkConfig as never);
    const auth = constructOAuthProvider(merged);
    const grpc = new Zeebe.ZeebeGrpcClient({ config: this.sdkConfig as never, oAuthProvider: auth });
    const restAddress = (merged as { ZEEBE_REST_ADDRESS?: string }).ZEEBE_REST_ADDRESS ?? 'http://localhost:8080';
    const rest = new ZeebeRest({ restAddress, auth: auth as unknown as HeadersProvider, validation: restValidation(this.env), env: this.env, logger: this.log });
    this.connected = { grpc, rest };
    return this.connected;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { grpc } = this.clients();
    this.userTasks.start();
    this.events.start();
    // Not awaited: the SDK keeps retrying an absent gateway; start() must not hang on it.
    grpc.topology().then(
      (t) => this.log.info({ brokers: t?.brokers?.length, gatewayVersion: t?.gatewayVersion }, 'connected to Zeebe gateway'),
      (err: Error) => this.log.warn({ err: err.message }, 'Zeebe gateway not reachable yet; the client keeps retrying'),
    );
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.workers].map((w) => w.close().catch(() => undefined)));
    this.workers.clear();
    await this.userTasks.stop();
    await this.events.stop();
    const clients = this.connected;
    this.connected = undefined;
    if (clients) await clients.grpc.close().catch(() => undefined);
  }

  /** Runs one gRPC command and turns its status into an EngineError the caller can act on. */
  private async grpc<T>(what: string, run: (grpc: Zeebe.ZeebeGrpcClient) => Promise<T>): Promise<T> {
    try {
      return await run(this.clients().grpc);
    } catch (err) {
      throw toEngineError(what, err);
    }
  }

  async deploy(resources: Resource[]): Promise<Deployment> {
    const sdkResources = resources.map((r) => {
      const content = Buffer.isBuffer(r.content) ? r.content : Buffer.from(r.content, 'utf8');
      if (r.name.endsWith('.bpmn')) return { name: r.name, process: content };
      if (r.name.endsWith('.dmn')) return { name: r.name, decision: content };
      if (r.name.endsWith('.form')) return { name: r.name, form: content };
      throw new EngineError('INVALID_ARGUMENT', `cannot deploy '${r.name}': the name must end in .bpmn, .dmn or .form`, { resource: r.name });
    });
    let res: Awaited<ReturnType<Zeebe.ZeebeGrpcClient['deployResources']>>;
    try {
      res = await this.clients().grpc.deployResources(sdkResources);
    } catch (err) {
      if (grpcCode(err) === GrpcStatus.INVALID_ARGUMENT) {
        const message = (err as { details?: string }).details ?? (err as Error).message;
        throw new EngineError('DEPLOY_REFUSED', `Zeebe refused the deployment: ${message}`, {
          resource: resources.map((r) => r.name).join(', '),
          problems: [{ resource: resources.map((r) => r.name).join(', '), message }],
        });
      }
      throw toEngineError('deploy', err);
    }
    const deploymentKey = String(res.key);
    // Zeebe answers a duplicate with the existing definition, whose key predates this deployment.
    const duplicate = (key: string) => BigInt(key) < BigInt(deploymentKey);
    const processes: DeployedProcess[] = [];
    const decisions: DeployedDecision[] = [];
    const forms: DeployedForm[] = [];
    for (const d of res.deployments as unknown as DeploymentEntry[]) {
      if (d.process) {
        const key = String(d.process.processDefinitionKey);
        processes.push({ bpmnProcessId: d.process.bpmnProcessId, version: Number(d.process.version), processDefinitionKey: key, resourceName: d.process.resourceName, duplicate: duplicate(key) });
      } else if (d.decision) {
        const key = String(d.decision.decisionKey);
        decisions.push({
          decisionId: d.decision.dmnDecisionId,
          decisionName: d.decision.dmnDecisionName || undefined,
          version: Number(d.decision.version),
          decisionKey: key,
          decisionRequirementsId: d.decision.dmnDecisionRequirementsId,
          resourceName: resourceOfDecision(d.decision, res.deployments as unknown as DeploymentEntry[]),
          duplicate: duplicate(key),
        });
      } else if (d.form) {
        const key = String(d.form.formKey);
        forms.push({ formId: d.form.formId, version: Number(d.form.version), formKey: key, resourceName: d.form.resourceName, duplicate: duplicate(key) });
      }
    }
    return { deploymentKey, processes, decisions, forms };
  }

  async createInstance(request: CreateInstanceRequest): Promise<InstanceRef> {
    const res = await this.grpc(`create an instance of '${request.bpmnProcessId}'`, (g) =>
      g.createProcessInstance({
        bpmnProcessId: request.bpmnProcessId,
        version: request.version,
        variables: doc(request.variables),
        startInstructions: request.startInstructions,
      }),
    );
    return { processInstanceKey: String(res.processInstanceKey), processDefinitionKey: String(res.processDefinitionKey), bpmnProcessId: res.bpmnProcessId, version: Number(res.version) };
  }

  async publishMessage(request: PublishMessageRequest): Promise<PublishMessageResponse> {
    const res = await this.grpc(`publish message '${request.name}'`, (g) =>
      g.publishMessage({
        name: request.name,
        correlationKey: request.correlationKey,
        variables: doc(request.variables),
        timeToLive: Math.max(0, request.timeToLive ?? 0),
        messageId: request.messageId,
      }),
    );
    return { messageKey: String(res.key) };
  }

  async broadcastSignal(request: BroadcastSignalRequest): Promise<{ signalKey: Key }> {
    const res = await this.grpc(`broadcast signal '${request.signalName}'`, (g) => g.broadcastSignal({ signalName: request.signalName, variables: doc(request.variables) }));
    return { signalKey: String(res.key) };
  }

  async cancelInstance(processInstanceKey: Key): Promise<void> {
    await this.grpc(`cancel instance ${processInstanceKey}`, (g) => g.cancelProcessInstance(processInstanceKey));
  }

  /** ModifyProcessInstance over gRPC (@camunda8/sdk); `-1` asks Zeebe for the flow scope's existing instance, as its API documents. */
  async modifyInstance(processInstanceKey: Key, request: ModifyInstanceRequest): Promise<void> {
    await this.grpc(`modify instance ${processInstanceKey}`, (g) =>
      g.modifyProcessInstance({
        processInstanceKey,
        activateInstructions: (request.activateInstructions ?? []).map((a) => ({
          elementId: a.elementId,
          ancestorElementInstanceKey: a.ancestorElementInstanceKey ?? '-1',
          variableInstructions: (a.variableInstructions ?? []).map((v) => ({ variables: doc(v.variables), scopeId: v.scopeId ?? '' })),
        })),
        terminateInstructions: (request.terminateInstructions ?? []).map((t) => ({ elementInstanceKey: t.elementInstanceKey })),
      }),
    );
  }

  async migrateInstance(processInstanceKey: Key, request: MigrateInstanceRequest): Promise<void> {
    await this.grpc(`migrate instance ${processInstanceKey}`, (g) =>
      g.migrateProcessInstance({ processInstanceKey, migrationPlan: { targetProcessDefinitionKey: request.targetProcessDefinitionKey, mappingInstructions: request.mappingInstructions } }),
    );
  }

  async setVariables(elementInstanceKey: Key, variables: Variables, local = false): Promise<void> {
    await this.grpc(`set variables on ${elementInstanceKey}`, (g) => g.setVariables({ elementInstanceKey, variables: doc(variables), local }));
  }

  createWorker(options: JobWorkerOptions): JobWorker {
    const inner = createSdkWorker(this.clients().grpc, options, {
      timeout: this.settings.jobTimeoutMs,
      logger: this.log,
      completeWithResult: (jobKey, variables, result) => this.completeJobWithResult(jobKey, variables, result),
    });
    const worker: JobWorker = {
      type: inner.type,
      close: async () => {
        this.workers.delete(worker);
        await inner.close();
      },
    };
    this.workers.add(worker);
    return worker;
  }

  async activateJobs(request: ActivateJobsRequest): Promise<Job[]> {
    const jobs = await this.grpc(`activate jobs of type '${request.type}'`, (g) =>
      g.activateJobs({
        type: request.type,
        worker: request.worker,
        maxJobsToActivate: request.maxJobsToActivate,
        timeout: request.timeout,
        fetchVariable: request.fetchVariable ?? [],
        // Answer at once with what is there (this is the primitive, not the long-polling worker).
        requestTimeout: -1,
      } as never),
    );
    return (jobs as unknown as Parameters<typeof toJob>[0][]).map(toJob);
  }

  async completeJob(jobKey: Key, variables: Variables = {}, result?: UserTaskListenerResult): Promise<void> {
    if (result) return this.completeJobWithResult(jobKey, variables, result);
    await this.grpc(`complete job ${jobKey}`, (g) => g.completeJob({ jobKey, variables: doc(variables) }));
  }

  /**
   * A task listener's job completion with its result (Zeebe 8.8 JobResultUserTask). @camunda8/sdk
   * 8.8 sends no result on either transport (its gRPC proto has no field for it and its REST
   * client drops it), so this goes through the typed Orchestration Cluster client:
   * POST /v2/jobs/{key}/completion.
   */
  private async completeJobWithResult(jobKey: Key, variables: Variables, result: UserTaskListenerResult): Promise<void> {
    await this.clients().rest.call('completeJob', `complete job ${jobKey} with a task listener result`, (api) =>
      api.completeJob({
        jobKey: asKey(JobKey, jobKey, 'jobKey'),
        variables,
        result: {
          type: 'userTask',
          denied: result.denied ?? false,
          ...(result.deniedReason !== undefined && { deniedReason: result.deniedReason }),
          ...(result.corrections && { corrections: result.corrections }),
        },
      }),
    );
  }

  async failJob(jobKey: Key, request: FailJobRequest): Promise<void> {
    await this.grpc(`fail job ${jobKey}`, (g) =>
      g.failJob({ jobKey, retries: request.retries, errorMessage: request.errorMessage ?? '', retryBackOff: request.retryBackOff ?? 0, variables: doc(request.variables) }),
    );
  }

  async throwError(jobKey: Key, request: ThrowErrorRequest): Promise<void> {
    await this.grpc(`throw error '${request.errorCode}' on job ${jobKey}`, (g) =>
      g.throwError({ jobKey, errorCode: request.errorCode, errorMessage: request.errorMessage ?? '', variables: doc(request.variables) }),
    );
  }

  async updateJobRetries(jobKey: Key, retries: number): Promise<void> {
    await this.grpc(`update retries of job ${jobKey}`, (g) => g.updateJobRetries({ jobKey, retries }));
  }

  onUserTask(hooks: UserTaskHooks): () => void {
    return this.userTasks.subscribe(hooks);
  }

  listUserTasks(filter?: { processInstanceKey?: Key }): Promise<UserTask[]> {
    return this.userTasks.list(filter);
  }

  /**
   * Completes a Camunda user task (zeebe:userTask) through POST /v2/user-tasks/{key}/completion.
   * Job-based user tasks (no zeebe:userTask) are jobs of type io.camunda.zeebe:userTask: Herald
   * does not surface them on Zeebe (see docs/zeebe.md); their key is a job key, not a user-task key.
   */
  completeUserTask(userTaskKey: Key, variables?: Variables): Promise<void> {
    return this.userTasks.complete(userTaskKey, variables ?? {});
  }

  /** POST /v2/user-tasks/{key}/assignment, or DELETE …/assignee to unassign; a denying `assigning` listener answers 409. */
  async assignUserTask(userTaskKey: Key, assignee: string | null): Promise<void> {
    const key = asKey(UserTaskKey, userTaskKey, 'userTaskKey');
    const { rest } = this.clients();
    if (assignee === null) await rest.call('unassignUserTask', `unassign user task ${userTaskKey}`, (api) => api.unassignUserTask({ userTaskKey: key }));
    else await rest.call('assignUserTask', `assign user task ${userTaskKey} to '${assignee}'`, (api) => api.assignUserTask({ userTaskKey: key, assignee, allowOverride: true, action: 'assign' }));
  }

  /**
   * PATCH /v2/user-tasks/{key} with the changeset; a denying `updating` listener answers 409.
   * 8.8's changeset has no assignee: a new assignee goes through the assignment first.
   */
  async updateUserTask(userTaskKey: Key, changes: UserTaskCorrections): Promise<void> {
    const { assignee, ...changeset } = changes;
    if (assignee !== undefined) await this.assignUserTask(userTaskKey, assignee);
    if (Object.keys(changeset).length === 0) return;
    const key = asKey(UserTaskKey, userTaskKey, 'userTaskKey');
    await this.clients().rest.call('updateUserTask', `update user task ${userTaskKey}`, (api) => api.updateUserTask({ userTaskKey: key, changeset, action: 'update' }));
  }

  async listIncidents(filter: { processInstanceKey?: Key; state?: 'ACTIVE' | 'RESOLVED' } = {}): Promise<Incident[]> {
    const processInstanceKey = filter.processInstanceKey === undefined ? undefined : asKey(ProcessInstanceKey, filter.processInstanceKey, 'processInstanceKey');
    const records = await this.clients().rest.all('searchIncidents', `incidents${processInstanceKey ? ` of instance ${processInstanceKey}` : ''}`, (api, page) =>
      api.searchIncidents({ filter: { ...(processInstanceKey && { processInstanceKey }), ...(filter.state && { state: filter.state }) }, page }, NOW),
    );
    return records.map(toIncident);
  }

  async resolveIncident(incidentKey: Key): Promise<void> {
    const key = asKey(IncidentKey, incidentKey, 'incidentKey');
    await this.clients().rest.call('resolveIncident', `resolve incident ${incidentKey}`, (api) => api.resolveIncident({ incidentKey: key }));
  }

  async getInstance(processInstanceKey: Key): Promise<InstanceDetails | undefined> {
    const { rest } = this.clients();
    const key = asKey(ProcessInstanceKey, processInstanceKey, 'processInstanceKey');
    let record: ProcessInstanceRecord | undefined;
    try {
      record = await rest.call('getProcessInstance', `read instance ${processInstanceKey}`, (api) => api.getProcessInstance({ processInstanceKey: key }, NOW));
    } catch (err) {
      if (err instanceof EngineError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
    if (!record) return undefined;
    const [elements, flows, incidents, variables] = await Promise.all([
      rest.all('searchElementInstances', `element instances of instance ${processInstanceKey}`, (api, page) =>
        api.searchElementInstances({ filter: { processInstanceKey: key }, sort: [{ field: 'elementInstanceKey', order: 'ASC' }], page }, NOW),
      ),
      rest
        .call('getProcessInstanceSequenceFlows', `sequence flows of instance ${processInstanceKey}`, (api) => api.getProcessInstanceSequenceFlows({ processInstanceKey: key }, NOW))
        .then((r) => (r?.items ?? []).map((f) => f.sequenceFlowId ?? f.elementId ?? '').filter(Boolean))
        .catch((err: Error) => {
          this.log.debug({ err: err.message, processInstanceKey }, 'sequence flows not readable');
          return [] as string[];
        }),
      this.listIncidents({ processInstanceKey }),
      this.getVariables(processInstanceKey),
    ]);
    const ref = toInstanceRef(record);
    return {
      ...ref,
      variables,
      elements: elements.filter((e) => e.type !== 'PROCESS').map(toElement),
      takenFlows: flows,
      incidents,
      parentProcessInstanceKey: record.parentProcessInstanceKey ? String(record.parentProcessInstanceKey) : undefined,
    };
  }

  async listInstances(filter: InstanceFilter = {}): Promise<(InstanceRef & { state: InstanceState; startedAt: string; endedAt?: string; parentProcessInstanceKey?: Key })[]> {
    const parent = filter.parentProcessInstanceKey === undefined ? undefined : asKey(ProcessInstanceKey, filter.parentProcessInstanceKey, 'parentProcessInstanceKey');
    const records = await this.clients().rest.all(
      'searchProcessInstances',
      'instances',
      (api, page) =>
        api.searchProcessInstances(
          {
            filter: {
              ...(filter.bpmnProcessId !== undefined && { processDefinitionId: filter.bpmnProcessId }),
              ...(filter.version !== undefined && { processDefinitionVersion: filter.version }),
              ...(filter.state !== undefined && { state: filter.state }),
              ...(filter.hasIncident !== undefined && { hasIncident: filter.hasIncident }),
              ...(parent !== undefined && { parentProcessInstanceKey: parent }),
            },
            sort: [{ field: 'startDate', order: 'DESC' }],
            page,
          },
          NOW,
        ),
      filter.limit ?? 100,
    );
    return records.map((r) => ({ ...toInstanceRef(r), parentProcessInstanceKey: r.parentProcessInstanceKey ? String(r.parentProcessInstanceKey) : undefined }));
  }

  async getVariables(scopeKey: Key): Promise<Variables> {
    const { rest } = this.clients();
    const scope = asKey(ScopeKey, scopeKey, 'scopeKey');
    const records = await rest.all('searchVariables', `variables of scope ${scopeKey}`, (api, page) => api.searchVariables({ filter: { scopeKey: scope }, page }, NOW));
    const variables: Variables = {};
    for (const v of records) {
      if (String(v.scopeKey) !== String(scopeKey)) continue;
      if (v.isTruncated) {
        const full = await rest.call('getVariable', `read variable '${v.name}' of scope ${scopeKey}`, (api) => api.getVariable({ variableKey: asKey(VariableKey, v.variableKey, 'variableKey') }, NOW));
        variables[v.name] = parseValue(full?.value ?? v.value);
      } else variables[v.name] = parseValue(v.value);
    }
    return variables;
  }

  async evaluateDecision(request: { decisionId: string; variables: Variables }): Promise<{ output: unknown; decisionKey: Key }> {
    const res = await this.grpc(`evaluate decision '${request.decisionId}'`, (g) => g.evaluateDecision({ decisionId: request.decisionId, variables: request.variables } as never));
    if (res.failureMessage) throw new EngineError('INVALID_STATE', `decision '${request.decisionId}' failed at '${res.failedDecisionId}': ${res.failureMessage}`);
    return { output: res.decisionOutput ? parseValue(res.decisionOutput) : null, decisionKey: String(res.decisionKey) };
  }

  on(events: EngineEvents): () => void {
    return this.events.subscribe(events);
  }
}

/** Herald's variables are JSON documents; the SDK types them as its own JSONDoc. */
export const doc = (v: Variables | undefined) => (v ?? {}) as Record<string, never>;

interface DeploymentEntry {
  process?: { bpmnProcessId: string; version: number; processDefinitionKey: string; resourceName: string };
  decision?: { dmnDecisionId: string; dmnDecisionName: string; version: number; decisionKey: string; dmnDecisionRequirementsId: string; decisionRequirementsKey: string };
  decisionRequirements?: { dmnDecisionRequirementsId: string; decisionRequirementsKey: string; resourceName: string };
  form?: { formId: string; version: number; formKey: string; resourceName: string };
}

function resourceOfDecision(decision: NonNullable<DeploymentEntry['decision']>, all: DeploymentEntry[]): string {
  const drg = all.find((d) => d.decisionRequirements && String(d.decisionRequirements.decisionRequirementsKey) === String(decision.decisionRequirementsKey));
  return drg?.decisionRequirements?.resourceName ?? '';
}

export function toEngineError(what: string, err: unknown): Error {
  if (err instanceof EngineError) return err;
  const code = grpcCode(err);
  const detail = (err as { details?: string }).details || (err as Error)?.message || String(err);
  const message = `could not ${what}: ${detail}`;
  switch (code) {
    case GrpcStatus.NOT_FOUND:
      return new EngineError('NOT_FOUND', message);
    case GrpcStatus.INVALID_ARGUMENT:
      return new EngineError('INVALID_ARGUMENT', message);
    case GrpcStatus.ALREADY_EXISTS:
      return new EngineError('ALREADY_EXISTS', message);
    case GrpcStatus.FAILED_PRECONDITION:
      return new EngineError('INVALID_STATE', message);
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.RESOURCE_EXHAUSTED:
    case 4 /* DEADLINE_EXCEEDED */:
      return new EngineError('UNAVAILABLE', message);
    default:
      return err instanceof Error ? err : new Error(message);
  }
}

/** Zeebe's controlled clock (PUT /v2/clock), available when the cluster runs with ZEEBE_CLOCK_CONTROLLED=true. */
class ZeebeClock implements EngineClock {
  private pinned?: number;
  constructor(private readonly rest: () => ZeebeRest) {}
  now(): number {
    return this.pinned ?? Date.now();
  }
  async advance(ms: number): Promise<void> {
    const next = this.now() + ms;
    await this.rest().call('pinClock', `pin the clock at ${new Date(next).toISOString()}`, (api) => api.pinClock({ timestamp: next }));
    this.pinned = next;
  }
  /** POST /v2/clock/reset: the cluster's clock follows the system clock again. */
  async reset(): Promise<void> {
    await this.rest().call('resetClock', 'reset the clock', (api) => api.resetClock());
    this.pinned = undefined;
  }
}
