/**
 * A small conformance driver over the Engine port only (no embedded internals), so the same
 * cases can run against Zeebe. One `Driver` wraps one engine; `Run` is one process instance.
 *
 * Paths are asserted exactly: `expectPath` lists every COMPLETED element (events and gateways
 * included) in activation order, `expectCompleted` the same as a multiset (for parallel
 * branches, whose interleaving the port does not fix), `expectTerminated` / `expectActive`
 * the exact set in those states.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Engine, Incident, IncidentErrorType, InstanceDetails, InstanceRef, InstanceState, Job, UserTask, Variables } from '../../../engine/types.js';
import { corpusDir, fixturesDir, type EngineUnderTest } from './setup.js';

/** `fixtures/x.bpmn` reads this suite's fixtures; anything else the shared corpus. */
export function resource(name: string): { name: string; content: string } {
  const file = name.startsWith('fixtures/') ? path.join(fixturesDir, name.slice('fixtures/'.length)) : path.join(corpusDir, name);
  return { name: path.basename(file), content: fs.readFileSync(file, 'utf8') };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Driver {
  readonly runs: Run[] = [];
  constructor(readonly under: EngineUnderTest) {}

  get engine(): Engine {
    return this.under.engine;
  }

  settle(): Promise<void> {
    return this.under.settle();
  }

  /** Polls `probe` until it returns a value (after settling), or gives up after the backend's poll time. */
  async until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
    const deadline = Date.now() + this.under.pollMs;
    for (;;) {
      await this.settle();
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  /** Deploys files together (a process and the decisions or children it needs). */
  async deploy(...names: string[]) {
    return this.engine.deploy(names.map(resource));
  }

  async start(bpmnProcessId: string, variables: Variables = {}): Promise<Run> {
    const ref = await this.engine.createInstance({ bpmnProcessId, variables });
    await this.settle();
    return this.track(ref);
  }

  track(ref: InstanceRef): Run {
    const run = new Run(this, ref);
    this.runs.push(run);
    return run;
  }

  /** Instances of a process that this driver has not seen yet (started by a message, signal or timer). */
  async newInstances(bpmnProcessId: string): Promise<Run[]> {
    await this.settle();
    const seen = new Set(this.runs.map((r) => r.key));
    const found = (await this.engine.listInstances({ bpmnProcessId, limit: 1000 })).filter((i) => !seen.has(i.processInstanceKey));
    found.sort((a, b) => Number(a.processInstanceKey) - Number(b.processInstanceKey));
    return found.map((i) => this.track(i));
  }

  async publish(name: string, correlationKey: string, variables?: Variables, options: { timeToLive?: number; messageId?: string } = {}) {
    const res = await this.engine.publishMessage({ name, correlationKey, variables, ...options });
    await this.settle();
    return res;
  }

  async signal(signalName: string, variables?: Variables) {
    const res = await this.engine.broadcastSignal({ signalName, variables });
    await this.settle();
    return res;
  }

  async advance(ms: number) {
    if (!this.engine.clock) throw new Error('this backend has no controllable clock');
    await this.engine.clock.advance(ms);
    await this.settle();
  }

  /** Cancels every instance this driver started or found that is still active. */
  async cleanup() {
    for (const run of this.runs.splice(0)) {
      const d = await this.engine.getInstance(run.key);
      if (d?.state === 'ACTIVE') await this.engine.cancelInstance(run.key).catch(() => undefined);
    }
    await this.settle();
  }
}

export interface ExpectedIncident {
  errorType: IncidentErrorType;
  /** Exact text, or a pattern. */
  errorMessage?: string | RegExp;
  elementId?: string;
}

export class Run {
  constructor(
    readonly driver: Driver,
    readonly ref: InstanceRef,
  ) {}

  get key() {
    return this.ref.processInstanceKey;
  }

  private get engine() {
    return this.driver.engine;
  }

  async details(): Promise<InstanceDetails> {
    await this.driver.settle();
    const d = await this.engine.getInstance(this.key);
    if (!d) throw new Error(`instance ${this.key} not found`);
    return d;
  }

  /** Activates one job of the type that belongs to this instance; jobs of other instances are handed back. */
  async job(type: string): Promise<Job> {
    return this.driver.until(async () => {
      const jobs = await this.engine.activateJobs({ type, worker: 'conformance', maxJobsToActivate: 32, timeout: 600_000 });
      const mine = jobs.find((j) => j.processInstanceKey === this.key);
      for (const other of jobs) if (other !== mine) await this.engine.failJob(other.key, { retries: other.retries, errorMessage: 'handed back by the conformance harness' });
      return mine;
    }, `a job of type '${type}' in instance ${this.key}`);
  }

  /** Activates and completes one job of the type with variables. */
  async completeJob(type: string, variables?: Variables): Promise<Job> {
    const job = await this.job(type);
    await this.engine.completeJob(job.key, variables);
    await this.driver.settle();
    return job;
  }

  /** Completes jobs of the type one at a time, each with `variables(job)`, until none is left. */
  async completeAll(type: string, variables: (job: Job) => Variables | undefined = () => undefined): Promise<Job[]> {
    const done: Job[] = [];
    for (;;) {
      await this.driver.settle();
      const jobs = (await this.engine.activateJobs({ type, worker: 'conformance', maxJobsToActivate: 32, timeout: 600_000 }));
      const mine = jobs.filter((j) => j.processInstanceKey === this.key);
      for (const other of jobs) if (!mine.includes(other)) await this.engine.failJob(other.key, { retries: other.retries, errorMessage: 'handed back' });
      if (!mine.length) return done;
      for (const job of mine) {
        await this.engine.completeJob(job.key, variables(job));
        done.push(job);
      }
    }
  }

  async throwError(type: string, errorCode: string, options: { errorMessage?: string; variables?: Variables } = {}): Promise<Job> {
    const job = await this.job(type);
    await this.engine.throwError(job.key, { errorCode, ...options });
    await this.driver.settle();
    return job;
  }

  async failJob(type: string, retries: number, options: { errorMessage?: string; retryBackOff?: number } = {}): Promise<Job> {
    const job = await this.job(type);
    await this.engine.failJob(job.key, { retries, errorMessage: options.errorMessage ?? 'failed by the conformance harness', retryBackOff: options.retryBackOff });
    await this.driver.settle();
    return job;
  }

  async userTask(elementId: string): Promise<UserTask> {
    return this.driver.until(async () => (await this.engine.listUserTasks({ processInstanceKey: this.key })).find((t) => t.elementId === elementId), `user task '${elementId}' in instance ${this.key}`);
  }

  async completeUserTask(elementId: string, variables?: Variables): Promise<UserTask> {
    const task = await this.userTask(elementId);
    await this.engine.completeUserTask(task.userTaskKey, variables);
    await this.driver.settle();
    return task;
  }

  async incidents(state: 'ACTIVE' | 'RESOLVED' = 'ACTIVE'): Promise<Incident[]> {
    await this.driver.settle();
    return this.engine.listIncidents({ processInstanceKey: this.key, state });
  }

  // ----------------------------------------------------------------------------- assertions

  private async ids(state: 'COMPLETED' | 'TERMINATED' | 'ACTIVATED'): Promise<string[]> {
    return (await this.details()).elements.filter((e) => e.state === state).map((e) => e.elementId);
  }

  /** Every completed element, in activation order, exactly. */
  async expectPath(elementIds: string[]) {
    expect(await this.ids('COMPLETED'), `completed elements of instance ${this.key}`).toEqual(elementIds);
  }

  /** Every completed element as a multiset (order-free), exactly. */
  async expectCompleted(elementIds: string[]) {
    expect((await this.ids('COMPLETED')).sort(), `completed elements of instance ${this.key}`).toEqual([...elementIds].sort());
  }

  async expectTerminated(elementIds: string[]) {
    expect((await this.ids('TERMINATED')).sort(), `terminated elements of instance ${this.key}`).toEqual([...elementIds].sort());
  }

  async expectActive(elementIds: string[]) {
    expect((await this.ids('ACTIVATED')).sort(), `active elements of instance ${this.key}`).toEqual([...elementIds].sort());
  }

  async expectState(state: InstanceState) {
    expect((await this.details()).state, `state of instance ${this.key}`).toBe(state);
  }

  /** The root-scope variables contain these (toMatchObject). */
  async expectVariables(variables: Variables) {
    expect((await this.details()).variables).toMatchObject(variables);
  }

  async expectNoVariables(...names: string[]) {
    const vars = (await this.details()).variables;
    for (const name of names) expect(vars, `root variable '${name}'`).not.toHaveProperty(name);
  }

  /** The ACTIVE incidents, exactly these (in any order). */
  async expectIncidents(expected: ExpectedIncident[]) {
    const actual = await this.incidents();
    expect(actual.map((i) => ({ errorType: i.errorType, errorMessage: i.errorMessage, elementId: i.elementId })).sort(byType)).toEqual(
      expected
        .map((e) => ({
          errorType: e.errorType,
          errorMessage: e.errorMessage === undefined ? expect.any(String) : typeof e.errorMessage === 'string' ? e.errorMessage : expect.stringMatching(e.errorMessage),
          elementId: e.elementId ?? expect.any(String),
        }))
        .sort(byType),
    );
    return actual;
  }
}

const byType = (a: { errorType: string; elementId: unknown }, b: { errorType: string; elementId: unknown }) =>
  a.errorType.localeCompare(b.errorType) || String(a.elementId).localeCompare(String(b.elementId));
