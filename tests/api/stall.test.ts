/**
 * Finding 8 of issue 14: one 3.9 MB valid diagram with 17,500 end events froze the API for 35 s.
 * Uploaded diagrams are now checked on a worker-thread pool (api/services/diagram-pool.ts), with an
 * element-count limit counted before any parser runs and a time budget. This test uploads ten
 * diagrams of about 4 MiB at once over HTTP and, meanwhile, asks /health every 20 ms and runs an
 * interval timer on the main thread. The clients (uploads and /health probes) run in a child process,
 * as real clients would, so the server's thread is measured alone. A timed assertion on a shared two-core machine would flake, so
 * it asserts what a stall would break (the timer keeps firing, /health answers while the uploads
 * are in flight) and prints the /health p99 and the largest timer gap, which the README reports.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureDiagramPool, countFlowElements, DEFAULT_DIAGRAM_LIMITS } from '../../api/services/diagram-pool.js';
import { dbKinds } from '../support/db.js';
import { startApi, type Api } from './harness.js';

const MiB = 1024 * 1024;
const head = (id: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="defs-${id}" targetNamespace="http://bpmn.io/schema/bpmn" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.8.0">
  <bpmn:process id="${id}" isExecutable="true">
`;
const tail = `  </bpmn:process>
</bpmn:definitions>
`;
/** A valid chain of service tasks, its documentation padded until the file is just under `bytes`. */
function paddedChain(id: string, tasks: number, bytes: number): string {
  const parts = [`    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>\n`];
  for (let i = 0; i < tasks; i++) {
    parts.push(`    <bpmn:serviceTask id="t${i}" name="step ${i}"><bpmn:extensionElements><zeebe:taskDefinition type="step" /></bpmn:extensionElements><bpmn:incoming>f${i}</bpmn:incoming><bpmn:outgoing>f${i + 1}</bpmn:outgoing></bpmn:serviceTask>\n`);
    parts.push(`    <bpmn:sequenceFlow id="f${i}" sourceRef="${i === 0 ? 'start' : `t${i - 1}`}" targetRef="t${i}" />\n`);
  }
  parts.push(`    <bpmn:sequenceFlow id="f${tasks}" sourceRef="t${tasks - 1}" targetRef="end" />\n    <bpmn:endEvent id="end"><bpmn:incoming>f${tasks}</bpmn:incoming></bpmn:endEvent>\n`);
  const body = parts.join('');
  const fixed = head(id).length + body.length + tail.length + '    <bpmn:documentation></bpmn:documentation>\n'.length;
  const pad = 'lorem ipsum dolor sit amet '.repeat(Math.ceil((bytes - fixed) / 27)).slice(0, bytes - fixed - 64);
  return `${head(id)}    <bpmn:documentation>${pad}</bpmn:documentation>\n${body}${tail}`;
}
/** The diagram of finding 8: one start event forking to `n` end events. */
function fanOut(id: string, n: number, bytes = 0): string {
  const parts = [`    <bpmn:startEvent id="start" />\n    <bpmn:parallelGateway id="fork" />\n    <bpmn:sequenceFlow id="f-start" sourceRef="start" targetRef="fork" />\n`];
  for (let i = 0; i < n; i++) parts.push(`    <bpmn:sequenceFlow id="f${i}" sourceRef="fork" targetRef="e${i}" />\n    <bpmn:endEvent id="e${i}" name="end number ${i} of the fan-out, one of many" />\n`);
  const body = parts.join('');
  const pad = Math.max(0, bytes - head(id).length - body.length - tail.length - 128);
  return `${head(id)}    <bpmn:documentation>${'padding '.repeat(Math.ceil(pad / 8)).slice(0, pad)}</bpmn:documentation>\n${body}${tail}`;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

describe('finding 8: one large diagram does not stall the API', () => {
  let api: Api;
  let base: string;
  beforeAll(async () => {
    // on Postgres where there is one (CI always has it): PGlite runs its queries on this thread, and storing
    // ten 4 MiB drafts there would be measured too
    api = await startApi((await dbKinds()).includes('postgres') ? 'postgres' : 'pglite');
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    configureDiagramPool();
    await api?.close();
  });

  const draftBody = (bpmnProcessId: string, xml: string) => Buffer.from(JSON.stringify({ bpmnProcessId, xml }));
  const post = (body: Buffer) => fetch(`${base}/api/drafts`, { method: 'POST', headers: { 'content-type': 'application/json', ...api.as('ada') }, body });
  const saveDraft = (bpmnProcessId: string, xml: string) => post(draftBody(bpmnProcessId, xml));

  /** The largest gap between the ticks of a 10 ms interval while `work` runs: what a blocked loop would show. */
  async function timerGaps<T>(work: () => Promise<T>): Promise<{ result: T; maxGap: number }> {
    let last = performance.now();
    let maxGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 10);
    try {
      return { result: await work(), maxGap };
    } finally {
      clearInterval(ticker);
    }
  }

  /** Runs the clients in a process of their own, as real ones are: this thread is the server's alone. */
  async function clients(bodies: Buffer[]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-stall-'));
    const files = bodies.map((b, i) => {
      const f = path.join(dir, `${i}.json`);
      fs.writeFileSync(f, b);
      return f;
    });
    const client = spawn(process.execPath, [path.join(import.meta.dirname, 'fixtures', 'stall-client.mjs'), base, api.tokens.ada, ...files], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    client.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const { maxGap } = await timerGaps(() => new Promise<void>((resolve, reject) => client.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the stall client exited with ${code}`))))));
    fs.rmSync(dir, { recursive: true, force: true });
    return { ...(JSON.parse(out) as { results: { status: number; body: Record<string, unknown> }[]; latencies: number[]; answeredInFlight: number; uploadMs: number }), maxGap };
  }

  it('given ten concurrent 4 MiB uploads, /health keeps answering and the main thread keeps its timers', { timeout: 600_000 }, async () => {
    // five valid 4 MiB chains (linted in full on the pool) and five fan-outs like the finding's (17,500 end events, refused by count)
    const valid = Array.from({ length: 5 }, (_, i) => paddedChain(`stall-valid-${i}`, 300, 4 * MiB - 4096));
    const fans = Array.from({ length: 5 }, (_, i) => fanOut(`stall-fan-${i}`, 17_500, 4 * MiB - 4096));
    for (const xml of [...valid, ...fans]) expect(Buffer.byteLength(xml)).toBeGreaterThan(3.9 * MiB);
    const bodies10 = [...valid.map((xml, i) => draftBody(`stall-valid-${i}`, xml)), ...fans.map((xml, i) => draftBody(`stall-fan-${i}`, xml))];
    // what this machine's timers do with nothing to do, for comparison
    const idle = await timerGaps(() => new Promise((r) => setTimeout(r, 2_000)));

    const { latencies, answeredInFlight, uploadMs, results, maxGap } = await clients(bodies10);
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(
      `finding 8: ten ~4 MiB uploads took ${Math.round(uploadMs)} ms; /health answered ${latencies.length} times, p50 ${quantile(sorted, 0.5).toFixed(1)} ms, p99 ${quantile(sorted, 0.99).toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms; largest main-thread timer gap ${Math.round(maxGap)} ms (idle: ${Math.round(idle.maxGap)} ms)`,
    );
    // and the issue's own measure: /health while one 4 MiB diagram is being processed (its thread already running)
    const one = await clients([draftBody('stall-one', valid[0].replaceAll('stall-valid-0', 'stall-one'))]);
    const oneSorted = [...one.latencies].sort((a, b) => a - b);
    console.log(`finding 8: one ~4 MiB upload took ${Math.round(one.uploadMs)} ms; /health answered ${one.latencies.length} times, p50 ${quantile(oneSorted, 0.5).toFixed(1)} ms, p99 ${quantile(oneSorted, 0.99).toFixed(1)} ms; largest main-thread timer gap ${Math.round(one.maxGap)} ms`);
    expect(one.results[0].status).toBe(201);

    // then every valid draft was saved after a full lint, and every fan-out refused naming its count and the limit
    const bodies = results.map((r) => r.body);
    expect(results.slice(0, 5).map((r) => r.status)).toEqual(Array(5).fill(201));
    for (const [i, r] of results.slice(5).entries()) {
      expect(r.status).toBe(413);
      expect(bodies[5 + i]).toMatchObject({ rule: 'diagram-elements', limit: DEFAULT_DIAGRAM_LIMITS.maxElements, elements: countFlowElements(fans[i]) });
      expect(String(bodies[5 + i].title)).toContain('has 35003 flow elements; the limit is 5000 (HERALD_DIAGRAM_MAX_ELEMENTS)');
    }
    // a stalled loop answers nothing until the uploads are done, and its timer skips for as long as a lint takes:
    // 35 s for one of the fan-outs (the finding's diagram), 6 s for one of the chains on the busy build machine.
    // What is left on the loop (collecting a 4 MiB body and storing it) is tens of ms, up to
    // 2 s when thirty processes share the two cores: the bound is loose on purpose, and the p99 is printed instead
    expect(answeredInFlight).toBeGreaterThanOrEqual(10);
    expect(maxGap).toBeLessThan(5_000);
  });

  it('refuses a diagram that runs over the time budget with 422 naming the budget, and the pool goes on', { timeout: 300_000 }, async () => {
    configureDiagramPool({ timeBudgetMs: 100 });
    try {
      const res = await saveDraft('stall-slow', paddedChain('stall-slow', 1_000, 2 * MiB));
      expect(res.status).toBe(422);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ rule: 'diagram-time-budget', limitMs: 100 });
      expect(String(body.title)).toMatch(/took longer than 0.1 s \(HERALD_DIAGRAM_TIME_BUDGET_MS\)/);
    } finally {
      configureDiagramPool();
    }
    // the thread that ran over was ended; the next upload gets a fresh one
    const next = await saveDraft('stall-after', paddedChain('stall-after', 3, 10_000));
    expect(next.status).toBe(201);
  });

  it('counts flow elements in one linear scan, whatever the namespace prefix', () => {
    // a start event, a gateway and its flow, then a flow and an end event per branch
    expect(countFlowElements(fanOut('count', 3))).toBe(3 + 3 * 2);
    expect(countFlowElements('<definitions><process><startEvent id="a"/><task id="b"></task><sequenceFlow id="c"/><taskDefinition/></process></definitions>')).toBe(3);
    expect(countFlowElements(fanOut('count', 100), 10)).toBe(11);
  });
});
