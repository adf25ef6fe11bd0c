/**
 * A diagram pool thread (diagram-pool.ts): counts the flow elements first, then runs the lint or
 * dry run it is sent, and answers with the result or the error, serialized.
 */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { checkElementCount, DiagramTooLargeError, readDmnHere, type DiagramTask, type SerializedError } from './diagram-pool.js';
import { lintBpmn } from './lint.js';

function serialize(err: unknown): SerializedError {
  if (err instanceof DiagramTooLargeError) return { name: err.name, message: err.message, details: { resource: err.resource, elements: err.elements, limit: err.limit } };
  const e = err as Error & { code?: string; status?: number; details?: Record<string, unknown>; elementId?: string; decisionId?: string };
  if (e?.name === 'DmnError') return { name: e.name, message: e.message, details: { elementId: e.elementId, decisionId: e.decisionId } };
  return { name: e?.name ?? 'Error', message: e?.message ?? String(err), code: typeof e?.code === 'string' ? e.code : undefined, details: e?.details ? JSON.parse(JSON.stringify(e.details)) : undefined };
}

async function handle(task: DiagramTask): Promise<unknown> {
  if (task.kind === 'json') {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(task.bytes);
    // as Fastify's own parser: a "__proto__" key is refused, not dropped (the reviver only runs when one may be there)
    const reviver = text.includes('"__proto__"')
      ? (key: string, value: unknown) => {
          if (key === '__proto__') throw new SyntaxError('the body has a "__proto__" key');
          return value;
        }
      : undefined;
    return JSON.parse(text, reviver);
  }
  if (task.kind === 'dmn') return readDmnHere(task.xml, task.resourceName);
  if (task.kind === 'lint') {
    checkElementCount(task.content, task.resourceName, task.maxElements);
    return { ...(await lintBpmn(task.content, task.resourceName)), checksum: createHash('sha256').update(task.content).digest('hex') };
  }
  checkElementCount(task.input.xml, task.input.resourceName ?? `${task.input.bpmnProcessId}.bpmn`, task.maxElements);
  // the dry run loads the engine and its tests: only the threads that run one pay for it
  const { createDryRun } = await import('./dry-run.js');
  return createDryRun({ processesDir: task.processesDir }).run(task.input);
}

parentPort!.on('message', (m: { id: number; task: DiagramTask }) => {
  handle(m.task).then(
    (value) => parentPort!.postMessage({ id: m.id, ok: true, value }),
    (err: unknown) => parentPort!.postMessage({ id: m.id, ok: false, error: serialize(err) }),
  );
});
parentPort!.postMessage({ ready: true });
