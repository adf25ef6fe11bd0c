/**
 * The engine refuses process variables over a size limit (HERALD_MAX_VARIABLE_BYTES, 256 KiB by
 * default): every variable is stored with each save of its instance and sent with each job, so a
 * document in a variable costs at every step (Zeebe itself stops at 4 MB per command). The refusal
 * names the variable and its size and points to claim-check documents (docs/delivery.md): store
 * the bytes once, pass the reference. Wraps the port, so both engines refuse alike: instance
 * creation, messages, signals, setVariables and job completions.
 */
import { EngineError, type Engine, type JobWorkerOptions, type Variables } from './types.js';

export const DEFAULT_MAX_VARIABLE_BYTES = 256 * 1024;

const kib = (n: number) => `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KiB`;

/** Throws an INVALID_ARGUMENT EngineError naming the first variable over `maxBytes` (as JSON, UTF-8). */
export function checkVariableSizes(variables: Variables | undefined, maxBytes: number, where: string): void {
  if (!variables) return;
  for (const [name, value] of Object.entries(variables)) {
    const size = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
    if (size > maxBytes) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        `${where}: variable '${name}' is ${kib(size)}; variables over ${kib(maxBytes)} are refused (HERALD_MAX_VARIABLE_BYTES). Store the content once as a document and pass its reference instead (claim-check documents, docs/delivery.md)`,
        { field: name },
      );
    }
  }
}

export function limitVariables<E extends Engine>(engine: E, maxBytes = DEFAULT_MAX_VARIABLE_BYTES): E {
  const wrapped: Partial<Engine> = {
    createInstance: async (request) => (checkVariableSizes(request.variables, maxBytes, 'createInstance'), engine.createInstance(request)),
    publishMessage: async (request) => (checkVariableSizes(request.variables, maxBytes, `publishMessage '${request.name}'`), engine.publishMessage(request)),
    broadcastSignal: async (request) => (checkVariableSizes(request.variables, maxBytes, `broadcastSignal '${request.signalName}'`), engine.broadcastSignal(request)),
    setVariables: async (key, variables, local) => (checkVariableSizes(variables, maxBytes, 'setVariables'), engine.setVariables(key, variables, local)),
    createWorker: (opts: JobWorkerOptions) =>
      engine.createWorker({
        ...opts,
        handler: async (job) => {
          const outcome = await opts.handler(job);
          if (outcome.outcome === 'complete' || outcome.outcome === 'error') {
            try {
              checkVariableSizes(outcome.variables, maxBytes, `job ${job.type} (${job.elementId})`);
            } catch (err) {
              // the job fails without retries: running it again would produce the same payload
              return { outcome: 'fail', errorMessage: (err as Error).message, retries: 0 };
            }
          }
          return outcome;
        },
      }),
  };
  return new Proxy(engine, {
    get(target, prop) {
      if (Object.hasOwn(wrapped, prop)) return wrapped[prop as keyof Engine];
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
