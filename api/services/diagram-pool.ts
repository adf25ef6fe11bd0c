/**
 * Uploaded diagrams are parsed, linted, validated and dry-run on worker threads, never on the
 * main thread: one 3.9 MB diagram with 17,500 end events once held the event loop for 35 s, and
 * with it every request, the engine and the job workers. The pool is small (at most two threads on
 * a two-core machine), each task has a time budget (the thread is terminated when it runs over)
 * and each diagram an element-count limit, counted by a linear scan in the thread before any
 * parser sees the file. Both refusals are problems naming the limit and its setting.
 *
 * The API turns the pool on (`configureDiagramPool`, from buildApp); lint.ts and dry-run.ts send
 * their work here while it is on. The CLI and tests that call them directly run inline.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, Worker } from 'node:worker_threads';
import type { FastifyInstance } from 'fastify';
import { DmnError } from '../../engine/embedded/dmn/index.js';
import { EngineError } from '../../engine/types.js';
import { HttpProblem } from '../plugins/problem.js';
import type { DryRunReport } from './dry-run.js';
import type { LintResult } from './lint.js';

export interface DiagramLimits {
  /** Longest one lint (parse, bpmnlint, validation) may take on its thread, in ms; a dry run gets `DRY_RUN_FACTOR` times this. */
  timeBudgetMs: number;
  /** Most flow elements one diagram may have. */
  maxElements: number;
}

export const DEFAULT_DIAGRAM_LIMITS: DiagramLimits = { timeBudgetMs: 20_000, maxElements: 5_000 };
/**
 * A dry run migrates an in-memory database and runs every test case of the process: it gets more
 * time than a lint. customer-communication's nine cases took 10 s on an idle two-core machine and
 * 54 s on a busy one; 15 × 20 s leaves room for that and still ends a run that never would.
 */
export const DRY_RUN_FACTOR = 15;
/** An idle thread is ended after this long; the next upload starts a new one (about a second). */
const IDLE_MS = 30_000;

export type DiagramTask =
  /** A request body's bytes, moved (not copied) to the thread, which decodes and parses them. */
  | { kind: 'json'; bytes: Uint8Array }
  | { kind: 'dmn'; xml: string; resourceName: string }
  | { kind: 'lint'; content: string; resourceName: string; maxElements: number }
  | { kind: 'dry-run'; input: { bpmnProcessId: string; xml: string; resourceName?: string }; processesDir: string; maxElements: number };

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  status?: number;
  details?: Record<string, unknown>;
}

/** Over the element limit: thrown in the thread, answered 413 naming the count and the limit. */
export class DiagramTooLargeError extends Error {
  constructor(
    readonly resource: string,
    readonly elements: number,
    readonly limit: number,
  ) {
    super(`${resource} has ${elements} flow elements; the limit is ${limit} (HERALD_DIAGRAM_MAX_ELEMENTS). Split the diagram into called processes`);
    this.name = 'DiagramTooLargeError';
  }
}

/** Start tags of the BPMN elements that count as flow elements (any namespace prefix). */
const FLOW_ELEMENT = /<(?:[A-Za-z_][\w.-]*:)?(?:sequenceFlow|task|serviceTask|userTask|manualTask|scriptTask|businessRuleTask|sendTask|receiveTask|callActivity|subProcess|adHocSubProcess|transaction|startEvent|endEvent|intermediateCatchEvent|intermediateThrowEvent|boundaryEvent|exclusiveGateway|parallelGateway|inclusiveGateway|eventBasedGateway|complexGateway|dataObject|dataObjectReference|dataStoreReference)(?=[\s/>])/g;

/** Counts flow elements with one linear scan, stopping once past `limit`; comments and CDATA are not skipped, which can only overcount. */
export function countFlowElements(xml: string, limit = Number.POSITIVE_INFINITY): number {
  let n = 0;
  FLOW_ELEMENT.lastIndex = 0;
  while (FLOW_ELEMENT.exec(xml)) if (++n > limit) break;
  return n;
}

export function checkElementCount(xml: string, resource: string, limit: number): void {
  const n = countFlowElements(xml, limit);
  if (n > limit) throw new DiagramTooLargeError(resource, countFlowElements(xml), limit);
}

let limits: DiagramLimits = { ...DEFAULT_DIAGRAM_LIMITS };
let enabled = false;

/** Turns the pool on (the API does, at build) with these limits. */
export function configureDiagramPool(next: Partial<DiagramLimits> = {}): void {
  limits = { ...DEFAULT_DIAGRAM_LIMITS, ...next };
  enabled = true;
}

export function diagramLimits(): DiagramLimits {
  return limits;
}

/** True where work should go to the pool: it is on and this is the main thread (a pool thread runs it itself). */
export function usePool(): boolean {
  return enabled && isMainThread;
}

/**
 * The worker entry beside this file. Under tsx or vitest it is TypeScript, which a thread cannot
 * load as its entry on Node 20 even with `--import tsx` (the entry resolves before the hooks do):
 * a two-line bootstrap registers tsx's loader in the thread, then imports the entry.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./diagram-pool-worker.js', import.meta.url));
  const entry = new URL('./diagram-pool-worker.ts', import.meta.url).href;
  // tsx's ESM API (the `import` side of its `tsx/esm/api` export) registers its hooks in the thread
  const tsx = pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`, { eval: true });
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  busy: boolean;
  idle?: NodeJS.Timeout;
}

interface Pending {
  task: DiagramTask;
  budgetMs: number;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

function revive(e: SerializedError): Error {
  if (e.name === 'EngineError') return new EngineError((e.code ?? 'INVALID_ARGUMENT') as EngineError['code'], e.message, e.details);
  if (e.name === 'DmnError') return new DmnError(e.message, e.details?.elementId as string | undefined, e.details?.decisionId as string | undefined);
  if (e.name === 'DiagramTooLargeError') {
    const d = e.details as { resource: string; elements: number; limit: number };
    return new HttpProblem(413, e.message, { rule: 'diagram-elements', field: 'body', elements: d.elements, limit: d.limit, errors: [{ resource: d.resource, elementId: null, rule: 'diagram-elements', message: e.message }] });
  }
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

function createPool(size: number) {
  const slots: Slot[] = [];
  const queue: Pending[] = [];
  let nextId = 1;

  function spawn(): Slot {
    const worker = startWorker();
    // a pool thread never keeps the process alive
    worker.unref();
    const slot: Slot = {
      worker,
      busy: false,
      ready: new Promise((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        worker.once('error', onError);
        worker.once('message', (m: { ready?: boolean }) => {
          worker.off('error', onError);
          if (m.ready) resolve();
          else reject(new Error('the diagram worker did not start'));
        });
      }),
    };
    slot.ready.catch(() => undefined);
    worker.on('exit', () => {
      const i = slots.indexOf(slot);
      if (i >= 0) slots.splice(i, 1);
    });
    slots.push(slot);
    return slot;
  }

  function retire(slot: Slot) {
    const i = slots.indexOf(slot);
    if (i >= 0) slots.splice(i, 1);
    clearTimeout(slot.idle);
    void slot.worker.terminate();
  }

  function pump() {
    while (queue.length) {
      let slot = slots.find((s) => !s.busy);
      if (!slot && slots.length < size) slot = spawn();
      if (!slot) return;
      run(slot, queue.shift()!);
    }
  }

  function run(slot: Slot, job: Pending) {
    slot.busy = true;
    clearTimeout(slot.idle);
    const id = nextId++;
    let timer: NodeJS.Timeout | undefined;
    const finish = (settle: () => void, keep: boolean) => {
      clearTimeout(timer);
      slot.worker.off('message', onMessage);
      slot.worker.off('error', onError);
      slot.worker.off('exit', onExit);
      if (keep) {
        slot.busy = false;
        slot.idle = setTimeout(() => retire(slot), IDLE_MS);
        slot.idle.unref();
      } else retire(slot);
      settle();
      pump();
    };
    const onMessage = (m: Reply) => {
      if (m.id !== id) return;
      finish(() => (m.ok ? job.resolve(m.value) : job.reject(revive(m.error))), true);
    };
    const onError = (err: Error) => finish(() => job.reject(err), false);
    const onExit = (code: number) => finish(() => job.reject(new Error(`the diagram worker exited (code ${code})`)), false);
    slot.worker.on('message', onMessage);
    slot.worker.on('error', onError);
    slot.worker.on('exit', onExit);
    slot.ready.then(
      () => {
        // the budget counts the work, not the thread's start
        timer = setTimeout(() => {
          const seconds = job.budgetMs / 1000;
          const task = job.task;
          const what = task.kind === 'lint' || task.kind === 'dmn' ? `checking ${task.resourceName}` : task.kind === 'json' ? 'reading the request body' : `the dry run of ${task.input.bpmnProcessId}`;
          const setting = task.kind === 'dry-run' ? `${DRY_RUN_FACTOR} × HERALD_DIAGRAM_TIME_BUDGET_MS` : 'HERALD_DIAGRAM_TIME_BUDGET_MS';
          const resource = task.kind === 'lint' || task.kind === 'dmn' ? task.resourceName : task.kind === 'json' ? 'body' : (task.input.resourceName ?? `${task.input.bpmnProcessId}.bpmn`);
          const message = `${what} took longer than ${seconds} s (${setting}); the diagram is too large or too complex to check. Split it into called processes`;
          finish(() => job.reject(new HttpProblem(422, message, { rule: 'diagram-time-budget', limitMs: job.budgetMs, errors: [{ resource, elementId: null, rule: 'diagram-time-budget', message }] })), false);
        }, job.budgetMs);
        // a body's bytes are moved to the thread, not copied: the main thread neither decodes nor clones 4 MiB
        const moved = job.task.kind === 'json' ? [job.task.bytes.buffer as ArrayBuffer] : [];
        slot.worker.postMessage({ id, task: job.task }, moved);
      },
      (err: Error) => finish(() => job.reject(err), false),
    );
  }

  return {
    submit<T>(task: DiagramTask, budgetMs: number): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ task, budgetMs, resolve: resolve as (v: unknown) => void, reject });
        pump();
      });
    },
    async close() {
      queue.splice(0).forEach((job) => job.reject(new Error('the diagram pool is closed')));
      await Promise.all(slots.splice(0).map((s) => s.worker.terminate()));
    },
  };
}

let pool: ReturnType<typeof createPool> | undefined;
// two threads at most: on a two-core machine a third would only take turns with the main thread
const poolSize = () => Math.max(1, Math.min(2, os.availableParallelism()));

function thePool() {
  pool ??= createPool(poolSize());
  return pool;
}

/** Lints one BPMN resource on a pool thread (see lint.ts's lintBpmn). */
export function lintOnPool(content: string | Buffer, resourceName: string): Promise<LintResult> {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  return thePool().submit<LintResult>({ kind: 'lint', content: text, resourceName, maxElements: limits.maxElements }, limits.timeBudgetMs);
}

/**
 * Reads a DMN file on a pool thread as the engine will (guardXml, then parseDmn) and answers its
 * definitions id and decision ids; a DmnError or the guard's EngineError comes back as thrown.
 * Off the pool (the CLI, tests) it reads it here.
 */
export async function readDmn(xml: string, resourceName: string): Promise<{ id: string; decisionIds: string[] }> {
  if (usePool()) return thePool().submit<{ id: string; decisionIds: string[] }>({ kind: 'dmn', xml, resourceName }, limits.timeBudgetMs);
  return readDmnHere(xml, resourceName);
}

export async function readDmnHere(xml: string, resourceName: string): Promise<{ id: string; decisionIds: string[] }> {
  const [{ guardXml }, { parseDmn }] = await Promise.all([import('../../engine/bpmn/guard.js'), import('../../engine/embedded/dmn/index.js')]);
  const drg = parseDmn(guardXml(xml, resourceName), resourceName);
  return { id: drg.id, decisionIds: drg.decisions.map((d) => d.id) };
}

/** Runs a dry run on a pool thread (see dry-run.ts). */
export function dryRunOnPool(input: { bpmnProcessId: string; xml: string; resourceName?: string }, processesDir: string): Promise<DryRunReport> {
  return thePool().submit<DryRunReport>({ kind: 'dry-run', input, processesDir, maxElements: limits.maxElements }, limits.timeBudgetMs * DRY_RUN_FACTOR);
}

/** Bodies larger than this are parsed on a pool thread: JSON.parse of a 4 MiB diagram upload costs the loop tens of ms, more on a busy machine. */
export const LARGE_JSON_BYTES = 256 * 1024;

/**
 * Fastify's JSON parser for the routes of one plugin (those that take diagrams), except that a
 * large body is parsed on a pool thread. Small bodies keep Fastify's own parser (and its errors);
 * a large one refuses a "__proto__" key as Fastify does, and bad JSON as a 400 naming the body.
 */
export function registerLargeJsonParser(app: FastifyInstance): void {
  const small = app.getDefaultJsonParser('error', 'ignore');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    if (!usePool() || raw.length < LARGE_JSON_BYTES) return small(request, raw.toString('utf8'), done);
    // the thread gets the bytes themselves (a body that shares its memory with others is copied first)
    const bytes = raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength ? new Uint8Array(raw.buffer) : new Uint8Array(raw);
    thePool()
      .submit<unknown>({ kind: 'json', bytes }, limits.timeBudgetMs)
      .then(
        (value) => done(null, value),
        (err: Error) => done(err instanceof HttpProblem ? err : new HttpProblem(400, `the body is not valid JSON: ${err.message}`, { field: 'body' }), undefined),
      );
  });
}

/** Ends the pool's threads (tests; a new submit starts new ones). */
export async function closeDiagramPool(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.close();
}
