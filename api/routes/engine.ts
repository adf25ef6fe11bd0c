/**
 * Engine resources over HTTP: instances, messages, signals, jobs' user tasks and incidents, for
 * engineers (analysts and compliance may read). Every status is declared. Deployments go
 * through routes/deployments (lint, audit, drafts) and nowhere else.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../engine/types.js';
import { principal } from '../plugins/app/auth.js';
import { authProblems, Problem, Variables } from '../schemas/common.js';
import type { Tasklist } from '../services/tasklist.js';

// engineers operate the engine; analysts and compliance may look
const operate = { roles: ['engineer' as const, 'admin' as const] };
const inspect = { roles: ['engineer' as const, 'admin' as const, 'analyst' as const, 'compliance' as const] };
const InstanceRef = Type.Object({
  processInstanceKey: Type.String(),
  processDefinitionKey: Type.String(),
  bpmnProcessId: Type.String(),
  version: Type.Integer(),
});

export async function engineRoutes(app: FastifyInstance, opts: { engine: Engine; tasklist: Tasklist }): Promise<void> {
  const { engine } = opts;

  app.post(
    '/api/instances',
    {
      config: operate,
      schema: {
        tags: ['engine'],
        summary: 'Start a process instance',
        body: Type.Object({ bpmnProcessId: Type.String({ minLength: 1 }), version: Type.Optional(Type.Integer({ minimum: 1 })), variables: Type.Optional(Variables) }, { additionalProperties: false }),
        response: { ...authProblems, 201: InstanceRef, 400: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      reply.status(201);
      return engine.createInstance(request.body as never);
    },
  );

  app.get(
    '/api/instances',
    {
      config: inspect,
      schema: {
        tags: ['engine'],
        querystring: Type.Object({
          bpmnProcessId: Type.Optional(Type.String()),
          state: Type.Optional(Type.Union([Type.Literal('ACTIVE'), Type.Literal('COMPLETED'), Type.Literal('TERMINATED')])),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        }),
        response: { ...authProblems, 200: Type.Array(Type.Unknown()), 400: Problem },
      },
    },
    async (request) => engine.listInstances(request.query as never),
  );

  app.get(
    '/api/instances/:key',
    { config: inspect, schema: { tags: ['engine'], params: Type.Object({ key: Type.String({ pattern: '^[0-9]+$' }) }), response: { ...authProblems, 200: Type.Unknown(), 404: Problem } } },
    async (request, reply) => {
      const details = await engine.getInstance((request.params as { key: string }).key);
      if (!details) return reply.status(404).type('application/problem+json').send({ type: 'about:blank', status: 404, title: 'no such process instance' });
      return details;
    },
  );

  app.delete(
    '/api/instances/:key',
    { config: operate, schema: { tags: ['engine'], params: Type.Object({ key: Type.String({ pattern: '^[0-9]+$' }) }), response: { ...authProblems, 204: Type.Null(), 404: Problem, 409: Problem } } },
    async (request, reply) => {
      await engine.cancelInstance((request.params as { key: string }).key);
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/messages',
    {
      config: operate,
      schema: {
        tags: ['engine'],
        body: Type.Object(
          {
            name: Type.String({ minLength: 1 }),
            correlationKey: Type.String(),
            variables: Type.Optional(Variables),
            timeToLive: Type.Optional(Type.Integer({ minimum: 0 })),
            messageId: Type.Optional(Type.String({ minLength: 1 })),
          },
          { additionalProperties: false },
        ),
        response: { ...authProblems, 201: Type.Object({ messageKey: Type.String() }), 400: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      reply.status(201);
      return engine.publishMessage(request.body as never);
    },
  );

  app.post(
    '/api/signals',
    {
      config: operate,
      schema: {
        tags: ['engine'],
        body: Type.Object({ signalName: Type.String({ minLength: 1 }), variables: Type.Optional(Variables) }, { additionalProperties: false }),
        response: { ...authProblems, 201: Type.Object({ signalKey: Type.String() }), 400: Problem },
      },
    },
    async (request, reply) => {
      reply.status(201);
      return engine.broadcastSignal(request.body as never);
    },
  );

  app.get('/api/incidents', { config: inspect, schema: { tags: ['engine'], response: { ...authProblems, 200: Type.Array(Type.Unknown()) } } }, async () => engine.listIncidents({ state: 'ACTIVE' }));

  app.post(
    '/api/incidents/:key/resolution',
    {
      config: operate,
      bodyLimit: 1024,
      schema: {
        tags: ['engine'],
        summary: "Retry an incident's element; a job incident gets `retries` back first (1 unless given)",
        params: Type.Object({ key: Type.String({ pattern: '^[0-9]+$' }) }),
        body: Type.Union([Type.Object({ retries: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }, { additionalProperties: false }), Type.Null()]),
        response: { ...authProblems, 204: Type.Null(), 400: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      const key = (request.params as { key: string }).key;
      // a job out of retries would fail again at once: give it retries, then resolve
      const incident = (await engine.listIncidents({ state: 'ACTIVE' })).find((i) => i.incidentKey === key);
      if (incident?.jobKey) await engine.updateJobRetries(incident.jobKey, (request.body as { retries?: number } | null)?.retries ?? 1);
      await engine.resolveIncident(key);
      return reply.status(204).send();
    },
  );

  app.get('/api/user-tasks', { config: operate, schema: { tags: ['engine'], response: { ...authProblems, 200: Type.Array(Type.Unknown()) } } }, async () => engine.listUserTasks());

  app.post(
    '/api/user-tasks/:key/completion',
    {
      config: operate,
      schema: {
        tags: ['engine'],
        params: Type.Object({ key: Type.String({ pattern: '^[0-9]+$' }) }),
        body: Type.Object({ variables: Type.Optional(Variables) }, { additionalProperties: false }),
        response: { ...authProblems, 204: Type.Null(), 400: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      // the same door as the tasklist: form, claim and segregation of duties apply
      await opts.tasklist.complete((request.params as { key: string }).key, principal(request), (request.body as { variables?: Record<string, unknown> }).variables ?? {});
      return reply.status(204).send();
    },
  );
}
