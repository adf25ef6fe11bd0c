/**
 * Wire-level contract test of the Zeebe adapter: NOT a broker and not an engine test.
 *
 * A real gRPC server, built in this test from the gateway proto that ships inside
 * @camunda8/sdk (gateway_protocol.Gateway), listens on 127.0.0.1; it records every request
 * the adapter sends and answers with scripted responses. The assertions pin down the exact
 * requests on the wire (fields, int64s, variables as JSON strings) and how the adapter's job
 * workers react to UNAVAILABLE, RESOURCE_EXHAUSTED and NOT_FOUND on CompleteJob.
 * Engine semantics (correlation, incidents, paths) are the conformance suite's job, on a real
 * cluster (ZEEBE_ADDRESS).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createZeebeEngine } from '../../../engine/zeebe/index.js';
import type { Engine, Job, JobOutcome, JobWorker } from '../../../engine/types.js';

const require = createRequire(import.meta.url);
const protoPath = path.join(path.dirname(require.resolve('@camunda8/sdk/package.json')), 'dist/proto/zeebe.proto');
const fixture = fs.readFileSync(path.join(import.meta.dirname, 'fixtures/wire-contract.bpmn'));

type Req = Record<string, any>;
type Call = { at: number; request: Req };

/** The fake gateway: records requests, answers from a script. */
class RecordingGateway {
  readonly calls: Record<string, Call[]> = {};
  /** Jobs waiting to be handed out, per job type. */
  readonly queued = new Map<string, Req[]>();
  /** Per job key, the status codes the next CompleteJob attempts fail with, in order. */
  readonly completeFailures = new Map<string, grpc.status[]>();
  private readonly deployed = new Map<string, string>();
  private nextKey = 2251799813685248n;
  server = new grpc.Server();
  port = 0;

  key(): string {
    return String(++this.nextKey);
  }

  record(method: string, request: Req) {
    (this.calls[method] ??= []).push({ at: Date.now(), request });
  }

  requests(method: string): Req[] {
    return (this.calls[method] ?? []).map((c) => c.request);
  }

  enqueue(type: string, job: { key: string; variables: Record<string, unknown>; retries?: number; customHeaders?: Record<string, string> }) {
    const list = this.queued.get(type) ?? [];
    list.push({
      key: job.key,
      type,
      processInstanceKey: '2251799813690001',
      bpmnProcessId: 'wire-contract',
      processDefinitionVersion: 1,
      processDefinitionKey: '2251799813690000',
      elementId: 'send',
      elementInstanceKey: '2251799813690002',
      customHeaders: JSON.stringify(job.customHeaders ?? {}),
      worker: 'herald',
      retries: job.retries ?? 3,
      deadline: String(Date.now() + 30_000),
      variables: JSON.stringify(job.variables),
      tenantId: '<default>',
    });
    this.queued.set(type, list);
  }

  async listen(): Promise<number> {
    const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    const proto = grpc.loadPackageDefinition(definition) as any;
    const unary = (method: string, answer: (req: Req) => Req | grpc.ServiceError) => (call: grpc.ServerUnaryCall<Req, Req>, callback: grpc.sendUnaryData<Req>) => {
      this.record(method, call.request);
      const res = answer(call.request);
      if (res instanceof Error) callback(res);
      else callback(null, res);
    };
    this.server.addService(proto.gateway_protocol.Gateway.service, {
      Topology: unary('Topology', () => ({ brokers: [], clusterSize: 1, partitionsCount: 1, replicationFactor: 1, gatewayVersion: '8.8.0-wire-contract' })),
      DeployResource: unary('DeployResource', (req) => {
        const deploymentKey = this.key();
        return {
          key: deploymentKey,
          tenantId: '<default>',
          deployments: req.resources.map((r: { name: string; content: Buffer }) => {
            const digest = r.content.toString('base64');
            // Like Zeebe: identical content answers with the existing definition.
            const definitionKey = this.deployed.get(digest) ?? this.key();
            this.deployed.set(digest, definitionKey);
            return { process: { bpmnProcessId: 'wire-contract', version: 1, processDefinitionKey: definitionKey, resourceName: r.name, tenantId: '<default>' } };
          }),
        };
      }),
      CreateProcessInstance: unary('CreateProcessInstance', (req) => ({
        processDefinitionKey: '2251799813690000',
        bpmnProcessId: req.bpmnProcessId,
        version: req.version === -1 ? 1 : req.version,
        processInstanceKey: this.key(),
        tenantId: '<default>',
      })),
      ActivateJobs: (call: grpc.ServerWritableStream<Req, Req>) => {
        this.record('ActivateJobs', call.request);
        const list = this.queued.get(call.request.type) ?? [];
        const jobs = list.splice(0, call.request.maxJobsToActivate);
        if (jobs.length > 0) call.write({ jobs });
        call.end();
      },
      CompleteJob: unary('CompleteJob', (req) => {
        const failures = this.completeFailures.get(req.jobKey);
        const code = failures?.shift();
        if (code === undefined) return {};
        const details =
          code === grpc.status.NOT_FOUND
            ? `Command 'COMPLETE' rejected with code 'NOT_FOUND': Expected to complete job with key '${req.jobKey}', but no such job was found`
            : code === grpc.status.RESOURCE_EXHAUSTED
              ? 'Expected to handle gRPC request, but request could not be processed due to backpressure'
              : 'Gateway is shutting down';
        return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() }) as grpc.ServiceError;
      }),
      FailJob: unary('FailJob', () => ({})),
      ThrowError: unary('ThrowError', () => ({})),
      PublishMessage: unary('PublishMessage', () => ({ key: this.key(), tenantId: '<default>' })),
    });
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    return this.port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

/** Waits until `probe` returns something (the worker loop is asynchronous). */
async function until<T>(probe: () => T | undefined, what: string, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Zeebe adapter: wire-level contract against a recording gRPC gateway (not a broker)', () => {
  const gateway = new RecordingGateway();
  const logLines: { level: number; msg: string; jobKey?: string }[] = [];
  let engine: Engine;
  const workers: JobWorker[] = [];
  const handled: Job[] = [];

  const worker = (type: string, outcome: (job: Job) => JobOutcome | Promise<JobOutcome>, extra: { maxJobsToActivate?: number; timeout?: number; fetchVariable?: string[] } = {}) => {
    workers.push(
      engine.createWorker({
        type,
        ...extra,
        handler: async (job) => {
          handled.push(job);
          return outcome(job);
        },
      }),
    );
  };

  beforeAll(async () => {
    const port = await gateway.listen();
    const logger = pino({ level: 'debug' }, new Writable({ write: (chunk, _enc, done) => (logLines.push(JSON.parse(String(chunk))), done()) }));
    engine = createZeebeEngine({
      logger,
      env: {
        ZEEBE_GRPC_ADDRESS: `grpc://127.0.0.1:${port}`,
        CAMUNDA_AUTH_STRATEGY: 'NONE',
        ZEEBE_CLIENT_LOG_LEVEL: 'NONE',
        // Workers poll the fake gateway quickly; it answers at once instead of long polling.
        ZEEBE_GRPC_WORKER_POLL_INTERVAL_MS: '50',
        // The SDK's retry backoff grows to this cap (s); 1 s keeps the retry cases short.
        ZEEBE_GRPC_CLIENT_MAX_RETRY_TIMEOUT_SECONDS: '1',
      },
    });
    await engine.start();
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await engine?.stop();
    await gateway.close();
  });

  it('deploys a resource with its file name and exact bytes, and reports a re-deploy of the same bytes as a duplicate', async () => {
    // when
    const first = await engine.deploy([{ name: 'wire-contract.bpmn', content: fixture.toString('utf8') }]);
    const second = await engine.deploy([{ name: 'wire-contract.bpmn', content: fixture }]);

    // then
    const [req] = gateway.requests('DeployResource');
    expect(req.resources).toHaveLength(1);
    expect(req.resources[0].name).toBe('wire-contract.bpmn');
    expect(Buffer.isBuffer(req.resources[0].content)).toBe(true);
    expect(Buffer.compare(req.resources[0].content, fixture)).toBe(0);
    expect(first.processes).toEqual([{ bpmnProcessId: 'wire-contract', version: 1, processDefinitionKey: expect.stringMatching(/^\d+$/), resourceName: 'wire-contract.bpmn', duplicate: false }]);
    expect(second.processes[0]).toMatchObject({ processDefinitionKey: first.processes[0].processDefinitionKey, duplicate: true });
  });

  it('creates an instance of the latest version (version -1) or a given one, variables as a JSON string', async () => {
    // when
    const latest = await engine.createInstance({ bpmnProcessId: 'wire-contract', variables: { communicationId: 'c-1', amount: '12.30', nested: { channel: 'email' } } });
    await engine.createInstance({ bpmnProcessId: 'wire-contract', version: 3 });

    // then
    const [a, b] = gateway.requests('CreateProcessInstance');
    expect(a.bpmnProcessId).toBe('wire-contract');
    expect(a.version).toBe(-1);
    expect(typeof a.variables).toBe('string');
    expect(JSON.parse(a.variables)).toEqual({ communicationId: 'c-1', amount: '12.30', nested: { channel: 'email' } });
    expect(b.version).toBe(3);
    expect(JSON.parse(b.variables)).toEqual({});
    expect(latest).toEqual({ processInstanceKey: expect.stringMatching(/^\d+$/), processDefinitionKey: '2251799813690000', bpmnProcessId: 'wire-contract', version: 1 });
  });

  it('a worker activates a job (type, worker, timeout, capacity, fetched variables) and completes it with its variables as JSON', async () => {
    // given
    gateway.enqueue('wire-complete', { key: '2251799813700001', variables: { communicationId: 'c-1' }, customHeaders: { template: 'invoice-notice' } });

    // when
    worker('wire-complete', () => ({ outcome: 'complete', variables: { sent: true, messageId: '<m-1@herald>' } }), { maxJobsToActivate: 5, timeout: 45_000, fetchVariable: ['communicationId'] });
    const done = await until(() => gateway.requests('CompleteJob').find((r) => r.jobKey === '2251799813700001'), 'CompleteJob');

    // then
    const activation = gateway.requests('ActivateJobs').find((r) => r.type === 'wire-complete')!;
    expect(activation).toMatchObject({ type: 'wire-complete', worker: 'herald', maxJobsToActivate: 5, fetchVariable: ['communicationId'] });
    expect(Number(activation.timeout)).toBe(45_000);
    expect(JSON.parse(done.variables)).toEqual({ sent: true, messageId: '<m-1@herald>' });
    const job = handled.find((j) => j.key === '2251799813700001')!;
    expect(job).toMatchObject({ type: 'wire-complete', bpmnProcessId: 'wire-contract', elementId: 'send', retries: 3, variables: { communicationId: 'c-1' }, customHeaders: { template: 'invoice-notice' } });
  });

  it('a failing job is failed with its retries, message and backoff in ms; an unhandled throw costs one retry', async () => {
    // given
    gateway.enqueue('wire-fail', { key: '2251799813700002', variables: {}, retries: 3 });
    gateway.enqueue('wire-fail', { key: '2251799813700003', variables: { boom: true }, retries: 3 });

    // when
    worker('wire-fail', (job) => {
      if (job.variables.boom) throw new Error('template store unreachable');
      return { outcome: 'fail', errorMessage: 'SMTP 451 try later', retries: 2, retryBackOff: 5000 };
    });
    const failed = await until(() => {
      const all = gateway.requests('FailJob');
      return all.length >= 2 ? all : undefined;
    }, 'two FailJob requests');

    // then
    const explicit = failed.find((r) => r.jobKey === '2251799813700002')!;
    expect(explicit).toMatchObject({ retries: 2, errorMessage: 'SMTP 451 try later' });
    expect(Number(explicit.retryBackOff)).toBe(5000);
    const thrown = failed.find((r) => r.jobKey === '2251799813700003')!;
    expect(thrown).toMatchObject({ retries: 2, errorMessage: 'template store unreachable' });
    expect(Number(thrown.retryBackOff)).toBe(0);
  });

  it('a business outcome throws a BPMN error with its code, message and variables as JSON', async () => {
    // given
    gateway.enqueue('wire-error', { key: '2251799813700004', variables: {} });

    // when
    worker('wire-error', () => ({ outcome: 'error', errorCode: 'INVALID_CUSTOMER_DATA', errorMessage: 'KYC expired', variables: { reason: 'kyc-expired' } }));
    const thrown = await until(() => gateway.requests('ThrowError').find((r) => r.jobKey === '2251799813700004'), 'ThrowError');

    // then
    expect(thrown).toMatchObject({ errorCode: 'INVALID_CUSTOMER_DATA', errorMessage: 'KYC expired' });
    expect(JSON.parse(thrown.variables)).toEqual({ reason: 'kyc-expired' });
  });

  it('publishes a message with name, correlation key, TTL in ms, message id and variables as JSON', async () => {
    // when
    const res = await engine.publishMessage({ name: 'delivery-result', correlationKey: 'comm-42', timeToLive: 60_000, messageId: 'delivery-42', variables: { status: 'DELIVERED' } });

    // then
    const [req] = gateway.requests('PublishMessage');
    expect(req).toMatchObject({ name: 'delivery-result', correlationKey: 'comm-42', messageId: 'delivery-42' });
    expect(Number(req.timeToLive)).toBe(60_000);
    expect(JSON.parse(req.variables)).toEqual({ status: 'DELIVERED' });
    expect(res.messageKey).toMatch(/^\d+$/);
  });

  it('retries CompleteJob on UNAVAILABLE and RESOURCE_EXHAUSTED until it is accepted', async () => {
    // given: the gateway refuses the first two completions
    gateway.completeFailures.set('2251799813700005', [grpc.status.UNAVAILABLE, grpc.status.RESOURCE_EXHAUSTED]);
    gateway.enqueue('wire-retry', { key: '2251799813700005', variables: {} });

    // when
    worker('wire-retry', () => ({ outcome: 'complete', variables: { attempt: 'any' } }));
    await until(() => (gateway.completeFailures.get('2251799813700005')?.length === 0 && (gateway.calls.CompleteJob ?? []).filter((c) => c.request.jobKey === '2251799813700005').length === 3 ? true : undefined), 'third CompleteJob attempt');

    // then: three identical attempts, spaced by the SDK's backoff; no failure sent instead
    const attempts = (gateway.calls.CompleteJob ?? []).filter((c) => c.request.jobKey === '2251799813700005');
    expect(attempts).toHaveLength(3);
    expect(attempts.map((c) => JSON.parse(c.request.variables))).toEqual([{ attempt: 'any' }, { attempt: 'any' }, { attempt: 'any' }]);
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(500);
    expect(gateway.requests('FailJob').some((r) => r.jobKey === '2251799813700005')).toBe(false);
  });

  it('does not retry CompleteJob on NOT_FOUND: logs that the job is gone and keeps working', async () => {
    // given: the job was cancelled or timed out before the worker finished
    gateway.completeFailures.set('2251799813700006', [grpc.status.NOT_FOUND]);
    gateway.enqueue('wire-gone', { key: '2251799813700006', variables: {} });

    // when
    worker('wire-gone', () => ({ outcome: 'complete' }));
    await until(() => logLines.find((l) => l.jobKey === '2251799813700006'), 'a log line about the vanished job');
    gateway.enqueue('wire-gone', { key: '2251799813700007', variables: {} });
    await until(() => gateway.requests('CompleteJob').find((r) => r.jobKey === '2251799813700007'), 'the next job to complete');

    // then
    expect(gateway.requests('CompleteJob').filter((r) => r.jobKey === '2251799813700006')).toHaveLength(1);
    expect(gateway.requests('FailJob').some((r) => r.jobKey === '2251799813700006')).toBe(false);
    const line = logLines.find((l) => l.jobKey === '2251799813700006')!;
    expect(line.level).toBe(40);
    expect(line.msg).toMatch(/no longer exists/);
  });
});
