/**
 * GET /metrics: Prometheus text with the engine, delivery, HTTP and Node series, counted from
 * real work (a worker that fails once, then completes; one that fails for good and raises an
 * incident; delivery attempts in the database), and the Grafana dashboard in docs/grafana only
 * queries series that this output has.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import { createObservability } from '../../api/observability/metrics.js';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import type { Engine } from '../../engine/types.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { createMemoryQueue } from '../../workers/delivery/queue.js';
import { oneServiceTask } from '../support/bpmn.js';
import { openTestDb, type TestDb } from '../support/db.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dashboardFile = path.join(here, '../../docs/grafana/herald.json');

/** The value of one series in Prometheus text, e.g. value(text, 'herald_engine_jobs_completed_total{type="x"}'). */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const v = await probe();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('GET /metrics (PGlite)', () => {
  let t: TestDb;
  let raw: EmbeddedEngine;
  let engine: Engine;
  let app: Awaited<ReturnType<typeof buildApp>>;
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  );

  beforeAll(async () => {
    t = await openTestDb('pglite');
    raw = new EmbeddedEngine({ db: t.db, virtualClock: true, pollInterval: 10 });
    await raw.start();
    const observability = createObservability({ db: t.db, logger });
    observability.observeQueue(createMemoryQueue());
    engine = observability.instrument(raw);
    await engine.deploy([
      { name: 'metrics-flaky.bpmn', content: oneServiceTask('metrics-flaky', 'metrics-flaky') },
      { name: 'metrics-broken.bpmn', content: oneServiceTask('metrics-broken', 'metrics-broken') },
      { name: 'metrics-refused.bpmn', content: oneServiceTask('metrics-refused', 'metrics-refused') },
    ]);
    app = await buildApp({ engine, db: t.db, logger, observability, redisUrl: undefined, followTasks: false });
    await app.ready();
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await raw?.stop();
    await t?.close();
  });

  it('counts engine commands, jobs by type and outcome, incidents and instances, and logs failures at warn with their context', async () => {
    let tries = 0;
    const flaky = engine.createWorker({
      type: 'metrics-flaky',
      handler: async () => (++tries === 1 ? { outcome: 'fail', errorMessage: 'provider timeout', retries: 2, retryBackOff: 0 } : { outcome: 'complete' }),
    });
    const broken = engine.createWorker({ type: 'metrics-broken', handler: async () => ({ outcome: 'fail', errorMessage: 'no such customer', retries: 0 }) });
    const refused = engine.createWorker({ type: 'metrics-refused', handler: async () => ({ outcome: 'error', errorCode: 'INVALID_CUSTOMER_DATA' }) });
    const ok = await engine.createInstance({ bpmnProcessId: 'metrics-flaky' });
    const bad = await engine.createInstance({ bpmnProcessId: 'metrics-broken' });
    const business = await engine.createInstance({ bpmnProcessId: 'metrics-refused' });
    await until('the flaky instance to complete', async () => (await engine.getInstance(ok.processInstanceKey))?.state === 'COMPLETED');
    await until('the incident', async () => (await engine.listIncidents({ processInstanceKey: bad.processInstanceKey })).length > 0);
    // nothing catches the BPMN error in this diagram: an UNHANDLED_ERROR_EVENT incident
    await until('the unhandled error', async () => (await engine.listIncidents({ processInstanceKey: business.processInstanceKey })).length > 0);
    await flaky.close();
    await broken.close();
    await refused.close();

    const res = await request(app.server).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.text;
    expect(value(text, 'herald_engine_commands_total{command="createInstance",result="ok"}')).toBe(3);
    expect(value(text, 'herald_engine_command_duration_seconds_count{command="createInstance"}')).toBe(3);
    expect(value(text, 'herald_engine_jobs_bpmn_errors_total{type="metrics-refused",code="INVALID_CUSTOMER_DATA"}')).toBe(1);
    expect(value(text, 'herald_engine_incidents_total{error_type="UNHANDLED_ERROR_EVENT"}')).toBe(1);
    expect(value(text, 'herald_engine_jobs_activated_total{type="metrics-flaky"}')).toBe(2);
    expect(value(text, 'herald_engine_jobs_failed_total{type="metrics-flaky"}')).toBe(1);
    expect(value(text, 'herald_engine_jobs_completed_total{type="metrics-flaky"}')).toBe(1);
    expect(value(text, 'herald_engine_jobs_failed_total{type="metrics-broken"}')).toBe(1);
    expect(value(text, 'herald_engine_incidents_total{error_type="JOB_NO_RETRIES"}')).toBe(1);
    expect(value(text, 'herald_engine_incidents_open{error_type="JOB_NO_RETRIES"}')).toBe(1);
    expect(value(text, 'herald_engine_instances{state="COMPLETED"}')).toBe(1);
    expect(value(text, 'herald_engine_instances{state="ACTIVE"}')).toBe(2);
    expect(value(text, 'herald_engine_instances_ended_total{state="COMPLETED"}')).toBe(1);
    expect(value(text, 'herald_engine_timer_lag_seconds')).toBe(0);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(value(text, 'herald_delivery_queue_depth{channel="email",state="waiting"}')).toBe(0);

    const retry = lines.find((l) => l.msg === 'job failed; it will be retried');
    expect(retry).toMatchObject({ level: 40, process: 'metrics-flaky', element: 'work', instance: ok.processInstanceKey, type: 'metrics-flaky', retries: 2, error: 'provider timeout' });
    expect(retry?.job).toEqual(expect.any(String));
    expect(lines.find((l) => l.msg === 'job failed with no retries left; an incident follows')).toMatchObject({ level: 40, process: 'metrics-broken', instance: bad.processInstanceKey });
    expect(lines.find((l) => l.msg === 'incident raised')).toMatchObject({ level: 40, process: 'metrics-broken', element: 'work', instance: bad.processInstanceKey, errorType: 'JOB_NO_RETRIES', error: 'no such customer' });
  });

  it('reports how late the oldest due timer is', async () => {
    const now = raw.clock.now();
    const [def] = await t.db('engine_instances').select('definition_key').limit(1);
    const [row] = await t.db('engine_timers').insert({ definition_key: def.definition_key, element_id: 'late', due_at: now - 42_000, state: 'CREATED' }).returning('key');
    try {
      const text = (await request(app.server).get('/metrics')).text;
      expect(value(text, 'herald_engine_timer_lag_seconds')).toBeGreaterThanOrEqual(42);
    } finally {
      await t.db('engine_timers').where({ key: typeof row === 'object' ? row.key : row }).delete();
    }
  });

  it('counts delivery attempts by channel and outcome with their provider latency, each once', async () => {
    await seedDemoData(t.db);
    const started = new Date(Date.now() - 1500);
    for (const [id, channel] of [['COM-M-1', 'email'], ['COM-M-2', 'sms']] as const) {
      await t.db('communications').insert({ id, customer_id: 'C-ACME', template_id: 'invoice-notice', channel, kind: 'transactional', status: 'sent', subject: 'x', created_at: started });
      await t.db('deliveries').insert({ communication_id: id, channel, state: 'sent' });
    }
    await t.db('delivery_attempts').insert([
      { communication_id: 'COM-M-1', attempt: 1, started_at: started, outcome: 'retry', finished_at: new Date(started.getTime() + 250) },
      { communication_id: 'COM-M-1', attempt: 2, started_at: started, outcome: 'sent', finished_at: new Date(started.getTime() + 1000) },
      { communication_id: 'COM-M-2', attempt: 1, started_at: started }, // still at the provider
    ]);
    const first = (await request(app.server).get('/metrics')).text;
    expect(value(first, 'herald_delivery_sends_total{channel="email",outcome="retry"}')).toBe(1);
    expect(value(first, 'herald_delivery_sends_total{channel="email",outcome="sent"}')).toBe(1);
    expect(value(first, 'herald_delivery_sends_total{channel="sms",outcome="sent"}')).toBe(0);
    expect(value(first, 'herald_delivery_provider_duration_seconds_count{channel="email"}')).toBe(2);
    expect(value(first, 'herald_delivery_provider_duration_seconds_sum{channel="email"}')).toBeCloseTo(1.25, 2);
    await t.db('delivery_attempts').where({ communication_id: 'COM-M-2' }).update({ outcome: 'sent', finished_at: new Date() });
    const second = (await request(app.server).get('/metrics')).text;
    expect(value(second, 'herald_delivery_sends_total{channel="sms",outcome="sent"}')).toBe(1);
    expect(value(second, 'herald_delivery_sends_total{channel="email",outcome="sent"}')).toBe(1);
  });

  it('times HTTP requests by route, honours a sane x-request-id and echoes it', async () => {
    const res = await request(app.server).get('/health/live').set('x-request-id', 'lb-7f3a.42');
    expect(res.headers['x-request-id']).toBe('lb-7f3a.42');
    const forged = await request(app.server).get('/health/live').set('x-request-id', 'x {"level":60} <b>');
    expect(forged.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const fresh = await request(app.server).get('/health/live');
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const text = (await request(app.server).get('/metrics')).text;
    expect(value(text, 'herald_http_request_duration_seconds_count{method="GET",route="/health/live",status_code="200"}')).toBe(3);
    // request logs are debug lines; the logger here runs at info, so none were written
    expect(lines.filter((l) => l.msg === 'request')).toEqual([]);
  });

  it('the Grafana dashboard queries only series that /metrics has', async () => {
    const text = (await request(app.server).get('/metrics')).text;
    const names = new Set(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)![0]));
    const dashboard = JSON.parse(fs.readFileSync(dashboardFile, 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const panels = dashboard.panels.filter((p) => p.targets?.length);
    expect(panels.length).toBeGreaterThanOrEqual(12);
    const PROMQL_WORDS = new Set(['sum', 'rate', 'irate', 'increase', 'by', 'without', 'histogram_quantile', 'le', 'max', 'min', 'avg', 'topk', 'clamp_min', 'on', 'ignoring', 'offset', 'bool', 'and', 'or', 'unless', 'count', 'delta', 'deriv', 'abs', 'vector', 'scalar', 'time', 'label_replace', 'group_left', 'group_right', 'e']);
    for (const panel of panels) {
      for (const target of panel.targets!) {
        // the identifiers outside {label matchers}, "strings" and [ranges] are functions, keywords or series
        const bare = target.expr.replace(/\{[^}]*\}/g, '').replace(/"[^"]*"/g, '').replace(/\[[^\]]*\]/g, '').replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
        const series = [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]).filter((w) => !PROMQL_WORDS.has(w));
        expect(series.length, `${panel.title}: ${target.expr}`).toBeGreaterThan(0);
        for (const name of series) expect(names.has(name), `${panel.title}: ${name} is not in /metrics`).toBe(true);
      }
    }
  });
});
