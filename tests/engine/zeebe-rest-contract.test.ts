/**
 * Contract test of the Zeebe adapter's REST half (engine/zeebe/rest.ts and its callers), without
 * a cluster: the adapter talks to a recording Orchestration Cluster REST API
 * (zeebe-rest-server.ts) that validates every request and response against
 * tests/fixtures/camunda-8.8-openapi.json. Not an engine test: what Zeebe does with the calls
 * is the conformance suite's job on a real cluster (ZEEBE_ADDRESS).
 */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createZeebeEngine } from '../../engine/zeebe/index.js';
import { EventFeed } from '../../engine/zeebe/events.js';
import { ZeebeRest, ZeebeRestResponseError } from '../../engine/zeebe/rest.js';
import { EngineError, type Engine, type Incident, type UserTask } from '../../engine/types.js';
import { CamundaRestServer, page } from './zeebe-rest-server.js';

const silent = pino({ level: process.env.DEBUG_REST_CONTRACT ? 'debug' : 'silent' });
let next = 2251799813700000n;
const key = () => String(++next);

const base = { tenantId: '<default>', processDefinitionId: 'rest-contract', processDefinitionKey: '2251799813690000' };

function instance(processInstanceKey: string, state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED', endDate?: string) {
  return {
    ...base,
    processInstanceKey,
    processDefinitionName: 'REST contract',
    processDefinitionVersion: 1,
    startDate: '2026-12-08T00:00:00.000Z',
    ...(endDate && { endDate }),
    state,
    hasIncident: false,
  };
}

function incident(incidentKey: string, creationTime: string, processInstanceKey = '2251799813690001') {
  return {
    ...base,
    incidentKey,
    processInstanceKey,
    elementId: 'send',
    elementInstanceKey: '2251799813690002',
    jobKey: '2251799813690003',
    errorType: 'JOB_NO_RETRIES',
    errorMessage: 'smtp refused',
    state: 'ACTIVE',
    creationTime,
  };
}

function userTask(userTaskKey: string, extra: Record<string, unknown> = {}) {
  return {
    ...base,
    userTaskKey,
    name: 'Approve',
    state: 'CREATED',
    elementId: 'approve',
    elementInstanceKey: '2251799813690004',
    processInstanceKey: '2251799813690001',
    candidateGroups: ['finance'],
    candidateUsers: [],
    creationDate: '2026-12-08T00:00:00.000Z',
    priority: 50,
    customHeaders: {},
    ...extra,
  };
}

function variable(name: string, value: unknown, scopeKey: string, extra: Record<string, unknown> = {}) {
  return { name, value: JSON.stringify(value), tenantId: '<default>', variableKey: key(), scopeKey, processInstanceKey: scopeKey, isTruncated: false, ...extra };
}

describe('Zeebe adapter: the Orchestration Cluster REST API (8.8) on the typed client', () => {
  let server: CamundaRestServer;
  let engine: Engine;

  const env = () => ({
    ZEEBE_REST_ADDRESS: server.url,
    // The gRPC half is not used here; nothing listens on this port.
    ZEEBE_GRPC_ADDRESS: 'grpc://127.0.0.1:9',
    CAMUNDA_AUTH_STRATEGY: 'BASIC',
    CAMUNDA_BASIC_AUTH_USERNAME: 'herald',
    CAMUNDA_BASIC_AUTH_PASSWORD: 'contract',
    HERALD_ZEEBE_CLOCK: 'true',
    HERALD_ZEEBE_USER_TASK_POLL_MS: '50',
    CAMUNDA_SDK_HTTP_RETRY_MAX_ATTEMPTS: '1',
    ZEEBE_CLIENT_LOG_LEVEL: 'NONE',
  });

  beforeAll(async () => {
    server = new CamundaRestServer();
    await server.listen();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.calls.length = 0;
    server.violations.length = 0;
    engine = createZeebeEngine({ env: env(), logger: silent });
  });
  afterEach(async () => {
    await engine.stop();
  });

  it('every operation it calls is one of the document, with a request the document accepts, and authenticated as gRPC is', async () => {
    // Given a cluster with an instance, its elements, variables (one truncated), an incident and an open user task
    const pi = key();
    const taskKey = key();
    const longText = 'x'.repeat(9000);
    const vars = [variable('invoiceId', 'INV-7', pi), variable('letter', longText.slice(0, 100), pi, { isTruncated: true })];
    server
      .on('getProcessInstance', ({ params }) => (params.processInstanceKey === pi ? { status: 200, body: instance(pi, 'ACTIVE') } : { status: 404, body: { detail: `Process instance with key '${params.processInstanceKey}' not found` } }))
      .on('searchElementInstances', ({ body }) =>
        ({
          status: 200,
          body: page(
            [
              { ...base, processInstanceKey: pi, elementInstanceKey: pi, elementId: 'rest-contract', elementName: 'REST contract', type: 'PROCESS', state: 'ACTIVE', hasIncident: true, startDate: '2026-12-08T00:00:00.000Z' },
              { ...base, processInstanceKey: pi, elementInstanceKey: key(), elementId: 'send', elementName: 'Send', type: 'SERVICE_TASK', state: 'ACTIVE', hasIncident: true, startDate: '2026-12-08T00:00:01.000Z' },
            ],
            body,
          ),
        }))
      .on('getProcessInstanceSequenceFlows', () => ({ status: 200, body: { items: [{ ...base, sequenceFlowId: 'toSend', processInstanceKey: pi, elementId: 'toSend' }] } }))
      .on('searchIncidents', ({ body }) => ({ status: 200, body: page([incident(key(), '2026-12-08T00:00:02.000Z', pi)], body) }))
      .on('searchVariables', ({ body }) => ({ status: 200, body: page(vars, body) }))
      .on('getVariable', ({ params }) => ({ status: 200, body: { ...vars.find((v) => v.variableKey === params.variableKey)!, value: JSON.stringify(longText) } }))
      .on('searchProcessInstances', ({ body }) => ({ status: 200, body: page([instance(pi, 'ACTIVE')], body) }))
      .on('searchUserTasks', ({ body }) => ({ status: 200, body: page([userTask(taskKey, { formKey: '2251799813690005' })], body) }))
      .on('getUserTask', () => ({ status: 200, body: userTask(taskKey, { state: 'COMPLETED' }) }))
      .on('searchUserTaskVariables', ({ body }) => ({ status: 200, body: page([variable('amount', 1200, taskKey)], body) }))
      .on('getUserTaskForm', () => ({ status: 200, body: { formId: 'approve-form', version: 1, formKey: '2251799813690005', tenantId: '<default>', schema: { components: [] } } }));
    for (const op of ['completeUserTask', 'assignUserTask', 'unassignUserTask', 'updateUserTask', 'completeJob', 'resolveIncident', 'pinClock', 'resetClock']) server.on(op, () => ({ status: 204 }));

    // When every port operation with a REST half runs
    const details = await engine.getInstance(pi);
    const listed = await engine.listInstances({ bpmnProcessId: 'rest-contract', state: 'ACTIVE', hasIncident: true, limit: 5 });
    const incidents = await engine.listIncidents({ processInstanceKey: pi, state: 'ACTIVE' });
    await engine.resolveIncident(incidents[0]!.incidentKey);
    const tasks = await engine.listUserTasks({ processInstanceKey: pi });
    await engine.assignUserTask(taskKey, 'anna');
    await engine.assignUserTask(taskKey, null);
    await engine.updateUserTask(taskKey, { assignee: 'ben', dueDate: '2026-12-24T12:00:00.000Z', priority: 80 });
    await engine.completeUserTask(taskKey, { approved: true });
    await engine.completeJob(key(), { checked: true }, { denied: true, deniedReason: 'four eyes', corrections: { candidateGroups: ['controllers'] } });
    await engine.clock!.advance(60_000);
    await (engine.clock as unknown as { reset(): Promise<void> }).reset();

    // Then each request matched the document, and all of the document's operations were used
    expect(server.violations).toEqual([]);
    expect(new Set(server.calls.map((c) => c.operationId))).toEqual(new Set(server.operationIds));
    // Every request carried the SDK's own credentials (Basic here), as gRPC does
    expect(server.calls.every((c) => c.headers.authorization === `Basic ${Buffer.from('herald:contract').toString('base64')}`)).toBe(true);

    // And the answers reached the port's types
    expect(details).toMatchObject({ processInstanceKey: pi, bpmnProcessId: 'rest-contract', state: 'ACTIVE', takenFlows: ['toSend'], variables: { invoiceId: 'INV-7', letter: longText } });
    expect(details!.elements.map((e) => e.elementId)).toEqual(['send']);
    expect(listed).toMatchObject([{ processInstanceKey: pi, state: 'ACTIVE' }]);
    expect(incidents).toMatchObject([{ processInstanceKey: pi, errorType: 'JOB_NO_RETRIES', errorMessage: 'smtp refused', state: 'ACTIVE' }]);
    expect(tasks).toMatchObject([{ userTaskKey: taskKey, kind: 'camunda', candidateGroups: ['finance'], variables: { amount: 1200 }, form: '{"components":[]}' }]);

    // And the commands say exactly what the adapter meant
    const only = (op: string) => server.requests(op).map((c) => ({ params: c.params, query: c.query, body: c.body }));
    expect(only('assignUserTask')).toEqual([
      { params: { userTaskKey: taskKey }, query: {}, body: { assignee: 'anna', allowOverride: true, action: 'assign' } },
      { params: { userTaskKey: taskKey }, query: {}, body: { assignee: 'ben', allowOverride: true, action: 'assign' } },
    ]);
    expect(only('unassignUserTask')).toEqual([{ params: { userTaskKey: taskKey }, query: {}, body: undefined }]);
    expect(only('updateUserTask')).toEqual([{ params: { userTaskKey: taskKey }, query: {}, body: { changeset: { dueDate: '2026-12-24T12:00:00.000Z', priority: 80 }, action: 'update' } }]);
    expect(only('completeUserTask')).toEqual([{ params: { userTaskKey: taskKey }, query: {}, body: { variables: { approved: true } } }]);
    expect(only('completeJob')[0]!.body).toEqual({ variables: { checked: true }, result: { type: 'userTask', denied: true, deniedReason: 'four eyes', corrections: { candidateGroups: ['controllers'] } } });
    expect(only('resolveIncident')[0]!.params).toEqual({ incidentKey: incidents[0]!.incidentKey });
    expect(only('pinClock')[0]!.body).toEqual({ timestamp: expect.any(Number) });
    expect(only('searchUserTaskVariables')[0]!.query).toEqual({ truncateValues: 'false' });
    expect(only('searchIncidents').map((c) => c.body)).toContainEqual({ filter: { processInstanceKey: pi, state: 'ACTIVE' }, page: { limit: 1000 } });
    expect(only('searchProcessInstances')[0]!.body).toEqual({
      filter: { processDefinitionId: 'rest-contract', state: 'ACTIVE', hasIncident: true },
      sort: [{ field: 'startDate', order: 'DESC' }],
      page: { limit: 5 },
    });
  });

  it('the user-task feed announces every open task across pages, then the ones completed elsewhere', async () => {
    // Given 1,050 open tasks, more than one page of 1,000
    const open = Array.from({ length: 1050 }, () => userTask(key()));
    const done = new Set<string>();
    server
      .on('searchUserTasks', ({ body }) => ({ status: 200, body: page(open.filter((t) => !done.has(t.userTaskKey)), body) }))
      .on('searchUserTaskVariables', ({ body }) => ({ status: 200, body: page([], body) }))
      .on('getUserTask', ({ params }) => ({ status: 200, body: userTask(params.userTaskKey!, { state: done.has(params.userTaskKey!) ? 'COMPLETED' : 'CREATED' }) }));
    const created: UserTask[] = [];
    const completed: string[] = [];
    engine.onUserTask({ created: (t) => void created.push(t), completed: (t) => void completed.push(t.userTaskKey) });

    // When the feed runs
    await engine.start();

    // Then each task is announced once (about 1,050 REST round trips: a minute allowed on a loaded 2-core machine)
    await expect.poll(() => created.length, { timeout: 60_000 }).toBe(1050);
    expect(new Set(created.map((t) => t.userTaskKey)).size).toBe(1050);
    expect(server.requests('searchUserTasks').some((c) => typeof c.body?.page?.after === 'string')).toBe(true);

    // When one is completed in Camunda's own Tasklist
    done.add(open[1049]!.userTaskKey);

    // Then the feed reports it completed
    await expect.poll(() => completed).toEqual([open[1049]!.userTaskKey]);
    expect(server.violations).toEqual([]);
  }, 120_000);

  describe('the event feed', () => {
    let rest: ZeebeRest;
    beforeEach(() => {
      rest = new ZeebeRest({ restAddress: server.url, auth: { getHeaders: async () => ({}) }, validation: 'req:none,res:strict', env: { CAMUNDA_SDK_HTTP_RETRY_MAX_ATTEMPTS: '1' } });
    });

    it('pages past 1,000 new incidents, reports each once, and remembers no more keys than its bound', async () => {
      // Given a feed that remembers 1,000 keys and reaches back 100 ms, and 2,500 incidents created after it started, a millisecond apart
      const feed = new EventFeed(() => rest, () => silent, { memory: 1000, overlapMs: 100 });
      const reported: Incident[] = [];
      feed.subscribe({ incidentCreated: (i) => void reported.push(i) });
      const t0 = Date.now() + 1;
      const all = Array.from({ length: 2500 }, (_, i) => incident(key(), new Date(t0 + i).toISOString()));
      server.on('searchIncidents', ({ body }) => {
        const from = Date.parse(body.filter.creationTime.$gte);
        return { status: 200, body: page(all.filter((r) => Date.parse(r.creationTime) >= from), body) };
      });

      // When it polls twice
      await feed.poll();
      await feed.poll();

      // Then all 2,500 were reported once, read in pages of 1,000 with the API's cursor
      expect(reported).toHaveLength(2500);
      expect(new Set(reported.map((i) => i.incidentKey)).size).toBe(2500);
      const searches = server.requests('searchIncidents');
      expect(searches.slice(0, 3).map((c) => c.body.page)).toEqual([{ limit: 1000 }, { limit: 1000, after: expect.any(String) }, { limit: 1000, after: expect.any(String) }]);
      expect(searches[0]!.body).toMatchObject({ filter: { state: 'ACTIVE' }, sort: [{ field: 'creationTime', order: 'ASC' }] });
      // The second poll reached back only the overlap behind the newest incident seen
      expect(Date.parse(searches.at(-1)!.body.filter.creationTime.$gte)).toBe(t0 + 2499 - 100);
      // And what it keeps is bounded
      expect(feed.seenIncidents.size).toBe(1000);
      expect(server.violations).toEqual([]);
    });

    it('pages past 200 ended instances (completed and terminated), reports each once, and keeps bounded state', async () => {
      const feed = new EventFeed(() => rest, () => silent, { memory: 500, overlapMs: 50 });
      const ended: { processInstanceKey: string; state: string }[] = [];
      feed.subscribe({ instanceEnded: (i) => void ended.push(i) });
      const t0 = Date.now() + 1;
      const all = Array.from({ length: 2300 }, (_, i) => instance(key(), i % 3 === 0 ? 'TERMINATED' : 'COMPLETED', new Date(t0 + i).toISOString()));
      server.on('searchProcessInstances', ({ body }) => {
        const from = Date.parse(body.filter.endDate.$gte);
        const states: string[] = body.filter.state.$in;
        return { status: 200, body: page(all.filter((r) => states.includes(r.state) && Date.parse(r.endDate!) >= from), body) };
      });

      await feed.poll();
      await feed.poll();

      expect(ended).toHaveLength(2300);
      expect(new Set(ended.map((i) => i.processInstanceKey)).size).toBe(2300);
      expect(ended.filter((i) => i.state === 'TERMINATED')).toHaveLength(767);
      expect(server.requests('searchProcessInstances')[0]!.body).toMatchObject({ filter: { state: { $in: ['COMPLETED', 'TERMINATED'] } }, sort: [{ field: 'endDate', order: 'ASC' }] });
      expect(feed.seenEnded.size).toBe(500);
      expect(server.violations).toEqual([]);
    });
  });

  it('a response that does not match the API fails with the operation and the field named', async () => {
    // Given a server (or a proxy) that answers an incident search with a numeric key and no page
    server.on('searchIncidents', () => ({ status: 200, body: { items: [{ ...incident('1', '2026-12-08T00:00:00.000Z'), incidentKey: 42 }] } }));

    // When the adapter lists incidents
    const failure = await engine.listIncidents().catch((err: Error) => err);

    // Then it fails clearly instead of handing the port half a record
    expect(failure).toBeInstanceOf(ZeebeRestResponseError);
    expect((failure as Error).message).toMatch(/searchIncidents .* answered a response that does not match the Orchestration Cluster API 8\.8/);
    expect((failure as Error).message).toMatch(/incidentKey/);
    expect((failure as Error).message).toMatch(/page/);
    // And the recording server saw the same violation in the document
    expect(server.violations.map((v) => [v.side, v.operationId])).toEqual([['response', 'searchIncidents']]);
    server.violations.length = 0;
  });

  it('HTTP failures become EngineErrors the port documents; a malformed key never leaves the process', async () => {
    server
      .on('getProcessInstance', ({ params }) => ({ status: 404, body: { detail: `Process instance with key '${params.processInstanceKey}' not found` } }))
      .on('assignUserTask', () => ({ status: 409, body: { detail: "Assignment of the User Task was denied by Task Listener. Reason to deny: 'four eyes'" } }))
      .on('resolveIncident', () => ({ status: 503, body: { detail: 'partition leader unavailable' } }));

    expect(await engine.getInstance('2251799813699999')).toBeUndefined();
    const denied = await engine.assignUserTask('2251799813699998', 'anna').catch((e: EngineError) => e);
    expect(denied).toMatchObject({ code: 'INVALID_STATE', message: expect.stringMatching(/assignUserTask .* answered 409: .*Reason to deny: 'four eyes'/) });
    const busy = await engine.resolveIncident('2251799813699997').catch((e: EngineError) => e);
    expect(busy).toMatchObject({ code: 'UNAVAILABLE' });
    const sent = server.calls.length;
    const malformed = await engine.resolveIncident('INC-1').catch((e: EngineError) => e);
    expect(malformed).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'incidentKey' } });
    expect(server.calls.length).toBe(sent);
    expect(server.violations).toEqual([]);
  });
});
