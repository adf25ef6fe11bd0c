/**
 * Jobs on Zeebe: mapping the SDK's activated jobs onto Herald's `Job`, and Herald's job
 * workers onto the SDK's polling worker.
 *
 * Why polling (long polling, ActivateJobs) and not StreamActivatedJobs: Herald's
 * `maxJobsToActivate` is a per-process concurrency bound ("how many jobs of this type may run
 * at once in this process"). The SDK's polling worker enforces exactly that (it asks only for
 * the free capacity). Its stream worker has no client-side capacity bound: the gateway pushes
 * every job it has, so a slow worker would hold (and time out) jobs it cannot start. Long
 * polling keeps the latency low (the request waits at the gateway until a job exists).
 */
import type { Zeebe } from '@camunda8/sdk';
import type { Logger } from '../../config/log.js';
import type { Job, JobOutcome, JobWorker, JobWorkerOptions, Key, UserTaskListenerResult, Variables } from '../types.js';

/** Completes a job with a result over REST (the SDK's gRPC and REST job completion carry no result in 8.8). */
export type CompleteWithResult = (jobKey: Key, variables: Variables, result: UserTaskListenerResult) => Promise<void>;

type SdkJob = {
  key: string;
  type: string;
  processInstanceKey: string;
  processDefinitionKey?: string;
  bpmnProcessId: string;
  processDefinitionVersion: number;
  elementId: string;
  elementInstanceKey: string;
  customHeaders: unknown;
  worker: string;
  retries: number;
  deadline: string | number;
  variables: unknown;
};

/** gRPC status codes the adapter reacts to (see @grpc/grpc-js `status`). */
export const GrpcStatus = { NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, UNAVAILABLE: 14, INVALID_ARGUMENT: 3, ALREADY_EXISTS: 6 } as const;

export function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

export function toJob(job: SdkJob): Job {
  return {
    key: String(job.key),
    type: job.type,
    processInstanceKey: String(job.processInstanceKey),
    processDefinitionKey: String(job.processDefinitionKey ?? ''),
    bpmnProcessId: job.bpmnProcessId,
    processDefinitionVersion: Number(job.processDefinitionVersion),
    elementId: job.elementId,
    elementInstanceKey: String(job.elementInstanceKey),
    customHeaders: plain(job.customHeaders) as Record<string, string>,
    worker: job.worker,
    retries: Number(job.retries),
    deadline: Number(job.deadline),
    variables: plain(job.variables) as Variables,
  };
}

/** The SDK hands variables and headers over as LosslessDto instances; Herald wants plain JSON. */
function plain(value: unknown): Record<string, unknown> {
  if (value == null) return {};
  if (typeof value === 'string') return value ? (JSON.parse(value) as Record<string, unknown>) : {};
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

/**
 * Runs a Herald handler on each job the SDK activates and sends its one outcome.
 *
 * Sending the outcome follows Camunda's guidance for job completion: UNAVAILABLE and
 * RESOURCE_EXHAUSTED (gateway gone, back-pressure) are retried by the SDK's gRPC client with
 * backoff (ZEEBE_GRPC_CLIENT_RETRY, _MAX_RETRIES, _MAX_RETRY_TIMEOUT_SECONDS); NOT_FOUND means
 * the job no longer exists (its instance was cancelled, an interrupting event terminated the
 * task, or its timeout passed and another worker holds it), so it is logged and dropped; no
 * failure is sent for it. Any other error is logged; the job times out and is activated again
 * (at-least-once). In every case the worker loop goes on.
 */
export function createSdkWorker(grpc: Zeebe.ZeebeGrpcClient, options: JobWorkerOptions, defaults: { timeout: number; logger: Logger; completeWithResult?: CompleteWithResult }): JobWorker {
  const log = defaults.logger.child({ jobType: options.type });
  const sdkWorker = grpc.createWorker({
    taskType: options.type,
    id: options.worker ?? 'herald',
    maxJobsToActivate: options.maxJobsToActivate ?? 32,
    timeout: options.timeout ?? defaults.timeout,
    fetchVariable: options.fetchVariable,
    // The SDK logs to stdout by default; Herald logs through pino.
    stdout: sdkLogger(log),
    taskHandler: async (sdkJob) => {
      const job = toJob(sdkJob as unknown as SdkJob);
      let outcome: JobOutcome;
      try {
        outcome = await options.handler(job);
      } catch (err) {
        // An unhandled throw is a technical failure with one retry fewer (as the SDK does).
        outcome = { outcome: 'fail', errorMessage: (err as Error)?.message ?? String(err), retries: job.retries - 1 };
      }
      try {
        switch (outcome.outcome) {
          case 'complete':
            if (outcome.result && defaults.completeWithResult) {
              // a task listener's verdict (deny or correct) travels as the job result, over REST
              await defaults.completeWithResult(job.key, outcome.variables ?? {}, outcome.result);
              return sdkJob.forward();
            }
            return await sdkJob.complete((outcome.variables ?? {}) as Record<string, never>);
          case 'error':
            return await sdkJob.error({ errorCode: outcome.errorCode, errorMessage: outcome.errorMessage ?? '', variables: (outcome.variables ?? {}) as Record<string, never> });
          case 'fail':
            return await sdkJob.fail({
              errorMessage: outcome.errorMessage,
              retries: outcome.retries ?? job.retries - 1,
              retryBackOff: outcome.retryBackOff ?? 0,
            });
        }
      } catch (err) {
        if (grpcCode(err) === GrpcStatus.NOT_FOUND) {
          log.warn({ jobKey: job.key, outcome: outcome.outcome, err: (err as Error).message }, 'job no longer exists (instance cancelled, task terminated or job timed out); outcome dropped');
        } else {
          log.error({ jobKey: job.key, outcome: outcome.outcome, err: (err as Error).message }, 'could not send the job outcome; the job will be activated again after its timeout');
        }
        return 'JOB_ACTION_ACKNOWLEDGEMENT' as const;
      }
    },
  });
  return {
    type: options.type,
    async close() {
      await sdkWorker.close();
    },
  };
}

/** Routes the SDK's worker log lines into pino (the SDK's `stdout` interface). */
function sdkLogger(log: Logger) {
  const line = (level: 'info' | 'error' | 'debug') => (...data: unknown[]) => {
    const text = data.map((d) => (typeof d === 'string' ? d : JSON.stringify(d))).join(' ');
    log[level]({ sdk: true }, text);
  };
  return { info: line('info'), error: line('error'), debug: line('debug') };
}
