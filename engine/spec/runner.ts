/**
 * Runs one test case against the Engine port, so the same spec runs on the embedded engine and
 * on Zeebe. The case's instructions run in order:
 *
 * - `complete-task`, `throw-error` and `fail-task` open a job handler for their job type, as
 *   zeebe-spec opens a job worker: it handles every job of that type from then on (or `times`
 *   jobs), and a later instruction for the same type replaces it. The runner drives the
 *   handlers itself (activate, handle, settle, repeat) so an embedded run is deterministic.
 * - Awaits and verifications check after the engine settled; on an engine that runs on its own
 *   (Zeebe) they poll until they hold or the timeout passes.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Engine, Incident, InstanceDetails, Job, Key, UserTask, Variables } from '../types.js';
import { describeInstruction, type Instruction, type TestCase } from './format.js';
import { durationToMs } from './duration.js';
import { taskListenerTypes, idsByName, type BpmnIndex } from './model.js';

/** An engine prepared for one test case. */
export interface CaseEngine {
  engine: Engine;
  /** Brings the engine to rest after a command (embedded: settle; Zeebe: nothing). */
  settle(): Promise<void>;
  /** How long awaits and verifications poll, ms; 0 checks once after settling. */
  awaitTimeout: number;
  pollInterval: number;
  /** True when every instance the engine lists belongs to this case (a fresh database). */
  isolated: boolean;
  /** When the clock cannot be moved, why (the case is skipped if it uses increase-time). */
  clockUnavailable?: string;
}

export type AuthorizationResult = { allowed: true } | { allowed: false; reason: string };

export interface UserTaskCompletion {
  userTaskKey: Key;
  processInstanceKey: Key;
  elementId: string;
  elementName?: string;
  user?: string;
  variables: Variables;
  /** Refused by the authorize hook (and expected to be). */
  refused?: string;
}

/**
 * Decides whether `user` may complete `task` (segregation of duties plugs in here). `history`
 * holds the case's earlier completions, with their acting users.
 */
export type AuthorizeUserTask = (task: UserTask, user: string | undefined, context: { history: readonly UserTaskCompletion[] }) => AuthorizationResult | Promise<AuthorizationResult>;

export interface RunCaseOptions {
  authorize?: AuthorizeUserTask;
  /** Most jobs the handlers may take while settling one instruction (guards worker loops). */
  maxJobsPerStep?: number;
}

export interface CaseFailure {
  instruction?: Instruction;
  /** `instruction 5 (verification element-instance-state)`, or the setup step that failed. */
  where: string;
  message: string;
  expected?: string;
  actual?: string;
  /** The selected instance when it failed. */
  instance?: { processInstanceKey: Key; bpmnProcessId: string; state: string; elementPath: string[]; variables: Variables; incidents: Incident[] };
}

/** What coverage needs from one instance. */
export interface InstanceTrace {
  processInstanceKey: Key;
  bpmnProcessId: string;
  elementIds: string[];
  takenFlows: string[];
}

export interface CaseResult {
  file: string;
  name: string;
  description: string;
  status: 'passed' | 'failed' | 'skipped';
  durationMs: number;
  failure?: CaseFailure;
  skipReason?: string;
  traces: InstanceTrace[];
  userTasks: UserTaskCompletion[];
}

interface JobHandler {
  kind: 'complete' | 'error' | 'fail';
  variables?: Variables;
  errorCode?: string;
  errorMessage?: string;
  retries?: number;
  retryBackOff?: string;
  /** Jobs left to handle; undefined = every job from now on. */
  remaining?: number;
}

/** A failed instruction; carries expected and actual for the report. */
class InstructionFailure extends Error {
  constructor(
    message: string,
    readonly expected?: string,
    readonly actual?: string,
  ) {
    super(message);
  }
}

interface Check {
  ok: boolean;
  message?: string;
  expected?: string;
  actual?: string;
}

const WORKER = 'herald-spec';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));
const normalize = (v: unknown) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
const STATE_OF_INSTANCE: Record<string, string> = { ACTIVE: 'activated', COMPLETED: 'completed', TERMINATED: 'terminated' };

export function usesClock(testCase: TestCase): boolean {
  return testCase.instructions.some((i) => i.type === 'action' && i.name === 'increase-time');
}

export async function runTestCase(file: string, testCase: TestCase, ce: CaseEngine, index: BpmnIndex, options: RunCaseOptions = {}): Promise<CaseResult> {
  const started = Date.now();
  const base = { file, name: testCase.name, description: testCase.description, traces: [], userTasks: [] };
  if (testCase.skip) return { ...base, status: 'skipped', skipReason: testCase.skip, durationMs: 0 };
  if (ce.clockUnavailable && usesClock(testCase)) return { ...base, status: 'skipped', skipReason: `uses increase-time: ${ce.clockUnavailable}`, durationMs: 0 };
  const run = new CaseRun(ce, index, options);
  let failure: CaseFailure | undefined;
  try {
    failure = await run.all(testCase.instructions);
  } finally {
    run.close();
  }
  const traces = await run.traces().catch(() => []);
  return { ...base, status: failure ? 'failed' : 'passed', failure, durationMs: Date.now() - started, traces, userTasks: run.history };
}

async function runInstructions(run: CaseRun, instructions: Instruction[]): Promise<CaseFailure | undefined> {
  let failure: CaseFailure | undefined;
  for (const ins of instructions) {
    try {
      await run.execute(ins);
    } catch (err) {
      const f = err instanceof InstructionFailure ? err : undefined;
      failure = {
        instruction: ins,
        where: describeInstruction(ins),
        message: f ? f.message : `the engine refused: ${(err as Error).message}`,
        expected: f?.expected,
        actual: f?.actual,
        instance: await run.snapshot(ins).catch(() => undefined),
      };
      break;
    }
  }
  return failure;
}

class CaseRun {
  private readonly engine: Engine;
  private readonly aliases = new Map<string, Key>();
  /** Root instances in the order they appeared (created or started by a message or signal). */
  private readonly roots: Key[] = [];
  /** Every instance of this case, child -> parent (undefined for roots). */
  private readonly owned = new Map<Key, Key | undefined>();
  private readonly handlers = new Map<string, JobHandler>();
  private readonly startedAt = Date.now();
  readonly history: UserTaskCompletion[] = [];
  /**
   * The last variables of element instances whose scope has ended, as the engine reports them:
   * zeebe-spec reads variable records, which outlive their scope, so an element-scoped assertion
   * finds a variable set in a sub-process or task that has since completed or been terminated.
   */
  private readonly endedScopes = new Map<Key, Variables>();
  private readonly off: () => void;

  constructor(
    private readonly ce: CaseEngine,
    private readonly index: BpmnIndex,
    private readonly options: RunCaseOptions,
  ) {
    this.engine = ce.engine;
    this.off = this.engine.on({ scopeEnded: (scope) => void this.endedScopes.set(scope.elementInstanceKey, scope.variables) });
  }

  all(instructions: Instruction[]): Promise<CaseFailure | undefined> {
    return runInstructions(this, instructions);
  }

  close(): void {
    this.off();
  }

  async execute(ins: Instruction): Promise<void> {
    const a = ins.args;
    if (ins.type === 'verification') return this.verify(ins);
    switch (ins.name) {
      case 'create-instance': {
        const ref = await this.engine.createInstance({
          bpmnProcessId: a.bpmn_process_id as string,
          variables: this.variablesArg(a.variables),
          version: a.version as number | undefined,
          startInstructions: (a.start_at as string[] | undefined)?.map((elementId) => ({ elementId })),
        });
        this.addRoot(ref.processInstanceKey);
        if (a.process_instance_alias) this.aliases.set(a.process_instance_alias as string, ref.processInstanceKey);
        return this.step();
      }
      case 'complete-task':
        this.handlers.set(a.job_type as string, { kind: 'complete', variables: this.variablesArg(a.variables), remaining: a.times as number | undefined });
        return this.step();
      case 'throw-error':
        this.handlers.set(a.job_type as string, {
          kind: 'error',
          errorCode: a.error_code as string,
          errorMessage: (a.error_message as string | undefined) ?? '',
          variables: a.variables === undefined ? undefined : this.variablesArg(a.variables),
          remaining: a.times as number | undefined,
        });
        return this.step();
      case 'fail-task':
        this.handlers.set(a.job_type as string, {
          kind: 'fail',
          retries: a.retries as number | undefined,
          errorMessage: (a.error_message as string | undefined) ?? 'failed by the process test',
          retryBackOff: a.retry_back_off as string | undefined,
          remaining: a.times as number | undefined,
        });
        return this.step();
      case 'publish-message': {
        const ttl = a.time_to_live ? durationToMs(a.time_to_live as string, this.now()) : 10_000;
        await this.engine.publishMessage({
          name: a.message_name as string,
          correlationKey: a.correlation_key as string,
          variables: this.variablesArg(a.variables),
          timeToLive: ttl,
          messageId: a.message_id as string | undefined,
        });
        return this.step();
      }
      case 'cancel-instance':
        await this.engine.cancelInstance(await this.instanceKey(a.process_instance as string | undefined));
        return this.step();
      case 'await-element-instance-state': {
        const result = await this.poll(() => this.checkElementState(a));
        if (!result.ok) throw new InstructionFailure(`timed out waiting: ${result.message}`, result.expected, result.actual);
        return;
      }
      case 'increase-time': {
        if (!this.engine.clock) throw new InstructionFailure(`the engine's clock cannot be moved${this.ce.clockUnavailable ? `: ${this.ce.clockUnavailable}` : ''}`);
        await this.step();
        await this.engine.clock.advance(durationToMs(a.duration as string, this.now()));
        return this.step();
      }
      case 'broadcast-signal':
        await this.engine.broadcastSignal({ signalName: a.signal_name as string, variables: this.variablesArg(a.variables) });
        return this.step();
      case 'complete-user-task':
        return this.completeUserTask(a);
      case 'resolve-incident':
        return this.resolveIncident(a);
    }
    throw new InstructionFailure(`no implementation for action '${ins.name}'`);
  }

  // ------------------------------------------------------------------ driving the engine

  private now(): number {
    return this.engine.clock?.now() ?? Date.now();
  }

  private variablesArg(v: unknown): Variables {
    if (v === undefined) return {};
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InstructionFailure(`variables must be a JSON object, not ${JSON.stringify(v)}`);
    return v as Variables;
  }

  private addRoot(key: Key) {
    if (!this.owned.has(key)) this.owned.set(key, undefined);
    if (!this.roots.includes(key)) this.roots.push(key);
  }

  /** Settles, runs the job handlers until no job is left for them, and finds new instances. */
  private async step(): Promise<void> {
    await this.ce.settle();
    const limit = this.options.maxJobsPerStep ?? 500;
    let handled = 0;
    for (;;) {
      let round = 0;
      for (const [type, handler] of [...this.handlers]) {
        const max = Math.min(32, handler.remaining ?? 32);
        if (max <= 0) continue;
        const jobs = await this.engine.activateJobs({ type, worker: WORKER, maxJobsToActivate: max, timeout: 30_000 });
        for (const job of jobs) {
          if (!(await this.owns(job))) continue;
          await this.handle(job, handler);
          round++;
          if (handler.remaining !== undefined && --handler.remaining <= 0 && this.handlers.get(type) === handler) this.handlers.delete(type);
        }
      }
      await this.ce.settle();
      handled += round;
      if (!round) break;
      if (handled > limit) throw new InstructionFailure(`the job handlers took more than ${limit} jobs in one step: a loop that never ends? Use 'times' to limit a handler.`);
    }
    await this.discover();
  }

  private async handle(job: Job, h: JobHandler): Promise<void> {
    if (h.kind === 'complete') return this.engine.completeJob(job.key, h.variables ?? {});
    if (h.kind === 'error') return this.engine.throwError(job.key, { errorCode: h.errorCode!, errorMessage: h.errorMessage, variables: h.variables });
    return this.engine.failJob(job.key, {
      retries: h.retries ?? Math.max(0, job.retries - 1),
      errorMessage: h.errorMessage,
      retryBackOff: h.retryBackOff ? durationToMs(h.retryBackOff, this.now()) : undefined,
    });
  }

  /** On a shared engine (Zeebe), only jobs of this case's instances are touched. */
  private async owns(job: Job): Promise<boolean> {
    if (this.ce.isolated) {
      if (!this.owned.has(job.processInstanceKey)) this.owned.set(job.processInstanceKey, undefined);
      return true;
    }
    let key: Key | undefined = job.processInstanceKey;
    for (let depth = 0; key && depth < 20; depth++) {
      if (this.owned.has(key)) {
        if (key !== job.processInstanceKey) this.owned.set(job.processInstanceKey, key);
        return true;
      }
      key = (await this.engine.getInstance(key))?.parentProcessInstanceKey;
    }
    return false;
  }

  /** Finds instances started by messages, signals, timers and call activities. */
  private async discover(): Promise<void> {
    const list = await this.engine.listInstances({ limit: 1000 });
    const fresh = list.filter((i) => !this.owned.has(i.processInstanceKey)).sort((x, y) => Number(x.processInstanceKey) - Number(y.processInstanceKey));
    for (const ref of fresh) {
      if (!this.ce.isolated && (!this.index.processes.has(ref.bpmnProcessId) || Date.parse(ref.startedAt) < this.startedAt - 1000)) continue;
      const details = await this.engine.getInstance(ref.processInstanceKey);
      if (details?.parentProcessInstanceKey) {
        if (this.ce.isolated || this.owned.has(details.parentProcessInstanceKey)) this.owned.set(ref.processInstanceKey, details.parentProcessInstanceKey);
      } else this.addRoot(ref.processInstanceKey);
    }
  }

  private async poll(check: () => Promise<Check>): Promise<Check> {
    const deadline = Date.now() + this.ce.awaitTimeout;
    for (;;) {
      await this.step();
      const result = await check();
      if (result.ok || Date.now() >= deadline) return result;
      await sleep(this.ce.pollInterval);
    }
  }

  private async instanceKey(alias: string | undefined): Promise<Key> {
    if (alias) {
      const key = this.aliases.get(alias);
      if (!key) throw new InstructionFailure(`no process instance with the alias '${alias}'${this.aliases.size ? `; known: ${[...this.aliases.keys()].join(', ')}` : ''}`);
      return key;
    }
    if (!this.roots.length) await this.discover();
    if (!this.roots.length) throw new InstructionFailure('no process instance yet: create one with create-instance (or start one with a message or signal)');
    return this.roots[0];
  }

  private async instance(alias: string | undefined): Promise<InstanceDetails> {
    const key = await this.instanceKey(alias);
    const details = await this.engine.getInstance(key);
    if (!details) throw new InstructionFailure(`process instance ${key} not found`);
    return details;
  }

  /** Element ids an instruction selects, by id or by name (names looked up in the diagram). */
  private selectIds(a: Record<string, unknown>, processId: string | undefined): { ids: string[]; label: string } {
    if (a.element_id) return { ids: [a.element_id as string], label: `with id '${a.element_id}'` };
    const name = a.element_name as string;
    const ids = idsByName(this.index, processId, name);
    if (!ids.length) throw new InstructionFailure(`no element named '${name}' in ${processId ? `process '${processId}'` : 'the deployed diagrams'}`);
    return { ids, label: `with name '${name}'` };
  }

  private alias(a: Record<string, unknown>) {
    return a.process_instance ? ` of the process instance '${a.process_instance}'` : '';
  }

  // ------------------------------------------------------------------ user tasks and incidents

  private async completeUserTask(a: Record<string, unknown>): Promise<void> {
    const inst = await this.instance(a.process_instance as string | undefined);
    const { ids, label } = this.selectIds(a, inst.bpmnProcessId);
    const family = new Set([inst.processInstanceKey, ...[...this.owned].filter(([, parent]) => parent !== undefined).map(([k]) => k)]);
    let task: UserTask | undefined;
    const found = await this.poll(async () => {
      const tasks = await this.engine.listUserTasks();
      task = tasks.find((t) => ids.includes(t.elementId) && family.has(t.processInstanceKey));
      const open = tasks.filter((t) => family.has(t.processInstanceKey)).map((t) => t.elementName ?? t.elementId);
      return { ok: !!task, message: `no open user task ${label}`, expected: `an open user task ${label}`, actual: open.length ? `open user tasks: ${open.join(', ')}` : 'no open user task' };
    });
    if (!found.ok || !task) throw new InstructionFailure(found.message!, found.expected, found.actual);
    const user = a.user as string | undefined;
    const variables = this.variablesArg(a.variables);
    const expect = (a.expect as string | undefined) ?? 'completed';
    const verdict: AuthorizationResult = this.options.authorize ? await this.options.authorize(task, user, { history: this.history }) : { allowed: true };
    const record: UserTaskCompletion = { userTaskKey: task.userTaskKey, processInstanceKey: task.processInstanceKey, elementId: task.elementId, elementName: task.elementName, user, variables };
    if (!verdict.allowed) {
      if (expect === 'refused') {
        this.history.push({ ...record, refused: verdict.reason });
        return;
      }
      throw new InstructionFailure(`user '${user ?? '(none)'}' may not complete the user task ${label}: ${verdict.reason}`, 'the task completed', `refused: ${verdict.reason}`);
    }
    if (expect === 'refused') throw new InstructionFailure(`expected user '${user ?? '(none)'}' to be refused the user task ${label}, but it was allowed`, 'refused', 'allowed');
    await this.completeWithListeners(task, variables);
    this.history.push(record);
    await this.step();
  }

  /**
   * Completes the task; its `completing` listeners' jobs (zeebe:taskListener) are answered while
   * the engine waits for them: by the spec's handler for that job type when it has one, else
   * allowed (the spec's `authorize` already decided who may complete the task).
   */
  private async completeWithListeners(task: UserTask, variables: Variables): Promise<void> {
    const xml = this.index.processes.get(task.bpmnProcessId)?.xml;
    const types = xml ? taskListenerTypes(xml, task.elementId) : [];
    if (!types.length) return this.engine.completeUserTask(task.userTaskKey, variables);
    let settled = false;
    const completion = this.engine.completeUserTask(task.userTaskKey, variables);
    const watched = completion.then(
      () => void (settled = true),
      () => void (settled = true),
    );
    while (!settled) {
      for (const type of types) {
        for (const job of await this.engine.activateJobs({ type, worker: WORKER, maxJobsToActivate: 8, timeout: 30_000 })) {
          if (!(await this.owns(job))) continue;
          const handler = this.handlers.get(type);
          if (handler) await this.handle(job, handler);
          else await this.engine.completeJob(job.key, {});
        }
      }
      if (!settled) await Promise.race([watched, new Promise((r) => setTimeout(r, 5))]);
    }
    await completion;
  }

  private async resolveIncident(a: Record<string, unknown>): Promise<void> {
    const inst = await this.instance(a.process_instance as string | undefined);
    const ids = a.element_id || a.element_name ? this.selectIds(a, inst.bpmnProcessId).ids : undefined;
    const incidents = (await this.engine.listIncidents({ processInstanceKey: inst.processInstanceKey, state: 'ACTIVE' })).filter((i) => !ids || ids.includes(i.elementId));
    if (!incidents.length) {
      const where = a.element_id || a.element_name ? ` on ${this.selectIds(a, inst.bpmnProcessId).label}` : '';
      throw new InstructionFailure(`no active incident${where} to resolve`, 'an active incident', 'none');
    }
    for (const inc of incidents) {
      if (inc.jobKey) await this.engine.updateJobRetries(inc.jobKey, (a.retries as number | undefined) ?? 1);
      await this.engine.resolveIncident(inc.incidentKey);
    }
    await this.step();
  }

  // ------------------------------------------------------------------ verifications

  private async verify(ins: Instruction): Promise<void> {
    const a = ins.args;
    const checks: Record<string, () => Promise<Check>> = {
      'process-instance-state': async () => {
        const inst = await this.instance(a.process_instance as string | undefined);
        const actual = STATE_OF_INSTANCE[inst.state] ?? inst.state.toLowerCase();
        return { ok: actual === a.state, message: `Expected the process instance${this.alias(a)} to be in state '${a.state}' but was '${actual}'.`, expected: a.state as string, actual };
      },
      'element-instance-state': () => this.checkElementState(a),
      'process-instance-variable': () => this.checkVariable(a, true),
      'no-process-instance-variable': () => this.checkVariable(a, false),
      'incident-state': () => this.checkIncident(a),
      'decision-output': () => this.checkDecision(a),
    };
    const result = await this.poll(checks[ins.name]);
    if (!result.ok) throw new InstructionFailure(result.message!, result.expected, result.actual);
  }

  private async checkElementState(a: Record<string, unknown>): Promise<Check> {
    const inst = await this.instance(a.process_instance as string | undefined);
    const { ids, label } = this.selectIds(a, inst.bpmnProcessId);
    const want = a.state as string;
    if (want === 'taken') {
      const taken = inst.takenFlows.filter((f) => ids.includes(f));
      const el = inst.elements.filter((e) => ids.includes(e.elementId));
      return {
        ok: taken.length > 0,
        message: `Expected the sequence flow ${label}${this.alias(a)} to be taken but it was not.`,
        expected: 'taken',
        actual: el.length ? `an element (${el.map((e) => e.state.toLowerCase()).join(', ')}), not a taken flow` : 'not taken',
      };
    }
    const states = inst.elements.filter((e) => ids.includes(e.elementId)).map((e) => e.state.toLowerCase());
    if (!states.length) return { ok: false, message: `Expected the element ${label}${this.alias(a)} to be in state '${want}' but no element instance found.`, expected: want, actual: 'no element instance' };
    return { ok: states.includes(want), message: `Expected the element ${label}${this.alias(a)} to be in state '${want}' but was '${states.join("', '")}'.`, expected: want, actual: states.join(', ') };
  }

  /** Variables of the selected element's instances (their own scope), or the root scope. */
  private async scopes(a: Record<string, unknown>, inst: InstanceDetails): Promise<{ label: string; scopes: Variables[] }> {
    if (!a.element_id && !a.element_name) return { label: '', scopes: [inst.variables] };
    const { ids, label } = this.selectIds(a, inst.bpmnProcessId);
    const scopes: Variables[] = [];
    for (const el of inst.elements.filter((e) => ids.includes(e.elementId))) {
      // a scope that ended is gone from the engine; its last variables were reported when it ended
      const live = await this.engine.getVariables(el.elementInstanceKey).catch(() => undefined);
      scopes.push(live ?? this.endedScopes.get(el.elementInstanceKey) ?? {});
    }
    return { label: ` in the scope of the element ${label}`, scopes };
  }

  private async checkVariable(a: Record<string, unknown>, present: boolean): Promise<Check> {
    const inst = await this.instance(a.process_instance as string | undefined);
    const { label, scopes } = await this.scopes(a, inst);
    const name = a.name as string;
    const values = scopes.filter((s) => Object.prototype.hasOwnProperty.call(s, name)).map((s) => s[name]);
    if (!present) {
      return { ok: values.length === 0, message: `Expected no variable '${name}'${label}${this.alias(a)} but found '${values.map(show).join("', '")}'.`, expected: 'no variable', actual: values.map(show).join(', ') };
    }
    const want = normalize(a.value);
    if (label && !scopes.length) return { ok: false, message: `Expected the variable '${name}'${label} but the element has no instance.`, expected: show(want), actual: 'no element instance' };
    return {
      ok: values.some((v) => isDeepStrictEqual(normalize(v), want)),
      message: values.length
        ? `Expected the variable '${name}'${label}${this.alias(a)} to be '${show(want)}' but was '${values.map(show).join("', '")}'.`
        : `Expected the variable '${name}'${label}${this.alias(a)} to be '${show(want)}' but no such variable found.`,
      expected: show(want),
      actual: values.length ? values.map(show).join(', ') : 'no such variable',
    };
  }

  private async checkIncident(a: Record<string, unknown>): Promise<Check> {
    const inst = await this.instance(a.process_instance as string | undefined);
    const sel = a.element_id || a.element_name ? this.selectIds(a, inst.bpmnProcessId) : undefined;
    const incidents = (await this.engine.listIncidents({ processInstanceKey: inst.processInstanceKey })).filter((i) => !sel || sel.ids.includes(i.elementId));
    const want = { state: a.state === 'created' ? 'ACTIVE' : 'RESOLVED', errorType: a.error_type as string, errorMessage: a.error_message as string | undefined };
    const ok = incidents.some((i) => i.state === want.state && i.errorType === want.errorType && (want.errorMessage === undefined || i.errorMessage === want.errorMessage));
    const describe = (i: { state: string; errorType: string; errorMessage?: string }) => `${i.state === 'ACTIVE' ? 'created' : 'resolved'} ${i.errorType}${i.errorMessage !== undefined ? ` "${i.errorMessage}"` : ''}`;
    return {
      ok,
      message: `Expected an incident${sel ? ` on the element ${sel.label}` : ''}${this.alias(a)}: ${describe(want)}, but ${incidents.length ? `found ${incidents.map(describe).join('; ')}` : 'there is none'}.`,
      expected: describe(want),
      actual: incidents.length ? incidents.map(describe).join('; ') : 'no incident',
    };
  }

  private async checkDecision(a: Record<string, unknown>): Promise<Check> {
    const want = normalize(a.output);
    if (a.decision_id && !a.element_id && !a.element_name) {
      const { output } = await this.engine.evaluateDecision({ decisionId: a.decision_id as string, variables: this.variablesArg(a.variables) });
      return { ok: isDeepStrictEqual(normalize(output), want), message: `Expected the decision '${a.decision_id}' to decide '${show(want)}' but it decided '${show(output)}'.`, expected: show(want), actual: show(output) };
    }
    const inst = await this.instance(a.process_instance as string | undefined);
    const { ids, label } = this.selectIds(a, inst.bpmnProcessId);
    const proc = this.index.processes.get(inst.bpmnProcessId);
    const called = ids.map((id) => proc?.decisions.get(id)).find(Boolean);
    if (!called) throw new InstructionFailure(`the element ${label} is not a business rule task calling a decision with a result variable`);
    // The result is merged from the task's scope outwards: read the nearest scope that holds it.
    const byKey = new Map(inst.elements.map((e) => [e.elementInstanceKey, e]));
    const found: unknown[] = [];
    for (const el of inst.elements.filter((e) => ids.includes(e.elementId) && e.state === 'COMPLETED')) {
      let scope: string | undefined = el.elementInstanceKey;
      let value: { v: unknown } | undefined;
      while (scope && !value) {
        const vars: Variables = await this.engine.getVariables(scope).catch(() => ({}));
        if (Object.prototype.hasOwnProperty.call(vars, called.resultVariable)) value = { v: vars[called.resultVariable] };
        scope = byKey.get(scope)?.flowScopeKey;
      }
      if (!value && Object.prototype.hasOwnProperty.call(inst.variables, called.resultVariable)) value = { v: inst.variables[called.resultVariable] };
      if (value) found.push(value.v);
    }
    return {
      ok: found.some((v) => isDeepStrictEqual(normalize(v), want)),
      message: found.length
        ? `Expected the decision of the element ${label} ('${called.decisionId}' into '${called.resultVariable}') to be '${show(want)}' but was '${found.map(show).join("', '")}'.`
        : `Expected the decision of the element ${label} to be '${show(want)}' but the task has not completed or its result '${called.resultVariable}' is gone.`,
      expected: show(want),
      actual: found.length ? found.map(show).join(', ') : 'no result',
    };
  }

  // ------------------------------------------------------------------ reporting

  /** The instance the failing instruction was about, for the report. */
  async snapshot(ins: Instruction): Promise<CaseFailure['instance']> {
    const alias = ins.args.process_instance as string | undefined;
    const key = alias ? this.aliases.get(alias) : this.roots[0];
    if (!key) return undefined;
    const inst = await this.engine.getInstance(key);
    if (!inst) return undefined;
    return {
      processInstanceKey: inst.processInstanceKey,
      bpmnProcessId: inst.bpmnProcessId,
      state: STATE_OF_INSTANCE[inst.state] ?? inst.state,
      elementPath: inst.elements.map((e) => `${e.elementName ? `${e.elementName} (${e.elementId})` : e.elementId} ${e.state.toLowerCase()}${e.incidentKey ? ' [incident]' : ''}`),
      variables: inst.variables,
      incidents: inst.incidents.filter((i) => i.state === 'ACTIVE'),
    };
  }

  async traces(): Promise<InstanceTrace[]> {
    await this.discover().catch(() => undefined);
    const out: InstanceTrace[] = [];
    for (const key of this.owned.keys()) {
      const inst = await this.engine.getInstance(key);
      if (!inst) continue;
      out.push({ processInstanceKey: key, bpmnProcessId: inst.bpmnProcessId, elementIds: inst.elements.map((e) => e.elementId), takenFlows: inst.takenFlows });
    }
    return out;
  }
}
