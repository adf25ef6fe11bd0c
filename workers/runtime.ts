/**
 * The worker runtime: a worker is defined once (job type, the variables it reads as a TypeBox
 * schema, a handler) and runs on either engine. A handler has exactly three outcomes
 * (complete, BPMN error, failure); a job whose variables do not match the schema fails with a
 * message naming each missing or wrong variable, and is not retried (it needs new data).
 */
import { type Static, type TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Engine, Job, JobOutcome, JobWorker, UserTaskListenerResult, Variables } from '../engine/types.js';
import type { Logger } from '../config/log.js';
import { noteSlowdown, slowWork } from './test-slowdown.js';

export interface WorkerContext<V> {
  job: Job;
  variables: V;
  log: Logger;
}

export type HandlerResult =
  | { complete: Variables | void; /** A task listener's verdict on the transition (deny or correct). */ result?: UserTaskListenerResult }
  | { error: string; message?: string; variables?: Variables }
  | { fail: string; retryBackOff?: number; retries?: number };

export interface WorkerDefinition<S extends TObject = TObject, D = unknown> {
  /** The job type: the BPMN `zeebe:taskDefinition type` and this worker's file name. */
  type: string;
  /** The variables the worker reads. */
  variables: S;
  /** Per-type concurrency in one process. */
  maxJobsToActivate?: number;
  /** Ms a job stays locked to this worker before another may take it. */
  timeout?: number;
  /** Backoff before a failed job is retried (ms). */
  retryBackOff?: number;
  handler(ctx: WorkerContext<Static<S>>, deps: D): Promise<HandlerResult>;
}

export const complete = (variables?: Variables): HandlerResult => ({ complete: variables });
export const bpmnError = (code: string, message?: string, variables?: Variables): HandlerResult => ({ error: code, message, variables });
export const fail = (message: string, retryBackOff?: number): HandlerResult => ({ fail: message, retryBackOff });
/** A task listener denies the user task's transition; the task stays as it was. */
export const deny = (reason: string): HandlerResult => ({ complete: undefined, result: { denied: true, deniedReason: reason } });

export function defineWorker<S extends TObject, D = unknown>(definition: WorkerDefinition<S, D>): WorkerDefinition<S, D> {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$|^io\.camunda/.test(definition.type)) {
    throw new Error(`worker type "${definition.type}" must be kebab-case, like its file name`);
  }
  return definition;
}

/** Names each variable that is missing or has the wrong type. */
export function checkVariables(schema: TObject, variables: Variables): string | undefined {
  if (Value.Check(schema, variables)) return undefined;
  const problems = new Set<string>();
  for (const error of Value.Errors(schema, variables)) {
    const path = error.path.replace(/^\//, '').replace(/\//g, '.') || '(root)';
    problems.add(error.value === undefined ? `missing variable '${path}'` : `variable '${path}': ${error.message}`);
  }
  return [...problems].join('; ');
}

export function toOutcome(result: HandlerResult, job: Job, retryBackOff?: number): JobOutcome {
  if ('complete' in result) return { outcome: 'complete', variables: result.complete ?? undefined, ...(result.result ? { result: result.result } : {}) };
  if ('error' in result) return { outcome: 'error', errorCode: result.error, errorMessage: result.message, variables: result.variables };
  return { outcome: 'fail', errorMessage: result.fail, retries: result.retries ?? job.retries - 1, retryBackOff: result.retryBackOff ?? retryBackOff };
}

/** Opens a job worker on the engine for one definition. */
export function runWorker<S extends TObject, D>(engine: Engine, definition: WorkerDefinition<S, D>, deps: D, log: Logger): JobWorker {
  const workerLog = log.child({ worker: definition.type });
  noteSlowdown(log);
  return engine.createWorker({
    type: definition.type,
    maxJobsToActivate: definition.maxJobsToActivate,
    timeout: definition.timeout,
    // slowWork: a test-only slower clock (workers/test-slowdown.ts); without it the handler runs as it is
    handler: (job) => slowWork(async () => {
      const problem = checkVariables(definition.variables, job.variables);
      if (problem) {
        workerLog.warn({ job: job.key, problem }, 'job variables do not match the worker schema');
        return { outcome: 'fail', errorMessage: `${definition.type}: ${problem}`, retries: 0 };
      }
      const result = await definition.handler({ job, variables: job.variables as Static<S>, log: workerLog.child({ job: job.key }) }, deps);
      return toOutcome(result, job, definition.retryBackOff);
    }),
  });
}
