/**
 * Engine resources over HTTP: instances, messages, signals, jobs' user tasks and incidents, for
 * engineers (analysts and compliance may read). Every status is declared. Deployments go
 * through routes/deployments (lint, audit, drafts) and nowhere else.
 *
 * Every state-changing route writes one audit row per request: `allowed` once the engine did it,
 * `refused` for a 4xx (a missing role, a bad body, an unknown key), `failed` for a 5xx. The engine
 * keeps its own state, so the row cannot share its transaction: it is written right after the
 * engine answers, and a row that cannot be written turns the answer into a logged 500.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { peopleVariable } from '../../domain/sod/index.js';
import { EngineError, type Engine } from '../../engine/types.js';
import type { Db } from '../../storage/db.js';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { principal } from '../plugins/app/auth.js';
import { HttpProblem } from '../plugins/problem.js';
import { authProblems, Problem, Variables } from '../schemas/common.js';
import type { Tasklist } from '../services/tasklist.js';

interface EngineAudit {
  action: string;
  subjectType: string;
  /** The subject from the request; read defensively, since a refused request may be malformed. */
  subject(request: FastifyRequest): string;
  /** What the request asked for, without variable values: the audit log is append-only and values may be personal data. */
  detail?(request: FastifyRequest): Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    engineAudit?: EngineAudit;
  }
}

type Loose = Record<string, unknown> | null | undefined;
const bodyOf = (r: FastifyRequest) => (r.body && typeof r.body === 'object' ? (r.body as Record<string, unknown>) : {});
const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v).slice(0, 128) : '?');
const variableNames = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v).sort() : undefined);
const keyParam = (r: FastifyRequest) => text((r.params as Loose)?.key);

/**
 * Who did what, and how many approvals a subject needs, come from Herald, never from an engineer's
 * variables (domain/sod PEOPLE_VARIABLES): 400 naming the variable, audited like any refusal.
 */
function refusePeopleVariables(variables: unknown): void {
  if (!variables || typeof variables !== 'object') return;
  for (const name of Object.keys(variables)) {
    const control = peopleVariable(name);
    if (control) throw new HttpProblem(400, `body.variables.${name} is a control variable (${control}): who did what and how many approvals are needed are recorded by Herald, not set from outside`, { field: `body.variables.${name}`, rule: 'control-variable' });
  }
}

// engineers operate the engine; analysts and compliance may look
const operate = { roles: ['engineer' as const, 'admin' as const] };
const inspect = { roles: ['engineer' as const, 'admin' as const, 'analyst' as const, 'compliance' as const] };
const InstanceRef = Type.Object({
  processInstanceKey: Type.String(),
  processDefinitionKey: Type.String(),
  bpmnProcessId: Type.String(),
  version: Type.Integer(),
});

export async function engineRoutes(app: FastifyInstance, opts: { engine: Engine; tasklist: Tasklist; db: Db }): Promise<void> {
  const { engine } = opts;
  const audit = createAuditRepository(opts.db);
  // requests whose row is already written (or left to the door they went through)
  const recorded = new WeakSet<FastifyRequest>();

  /** Writes the request's row unless it has one; true when it wrote it. */
  async function record(request: FastifyRequest, outcome: 'allowed' | 'refused' | 'failed', extra: { rule?: string | null; detail?: Record<string, unknown> } = {}): Promise<boolean> {
    const spec = request.routeOptions.config.engineAudit;
    // an unauthenticated request has no actor to record (and would let anyone fill the log)
    if (!spec || !request.principal || recorded.has(request)) return false;
    recorded.add(request);
    await audit.append({
      actor: request.principal.id,
      action: spec.action,
      subjectType: spec.subjectType,
      subjectId: spec.subject(request),
      outcome,
      rule: extra.rule ?? null,
      detail: { ...spec.detail?.(request), ...extra.detail },
    });
    return true;
  }

  /** Runs an engine operation and records it as allowed; errors are recorded by the onError hook below. */
  async function audited<T>(request: FastifyRequest, effect: () => Promise<T>, detail?: (result: T) => Record<string, unknown>): Promise<T> {
    const result = await effect();
    try {
      await record(request, 'allowed', { detail: detail?.(result) });
    } catch (err) {
      request.log.error({ err, action: request.routeOptions.config.engineAudit?.action, url: request.url }, 'engine operation done but its audit row could not be written');
      throw err;
    }
    return result;
  }

  // refusals by the auth hook (role), by validation and by the engine all pass here
  app.addHook('onError', async (request, reply, error: FastifyError | EngineError | HttpProblem) => {
    const code = error instanceof EngineError ? error.code : undefined;
    const status = error instanceof HttpProblem ? error.status : code ? undefined : (error as FastifyError).validation ? 400 : ((error as FastifyError).statusCode ?? 500);
    const refused = code ? code !== 'UNAVAILABLE' : status! < 500;
    const rule = error instanceof HttpProblem ? ((error.extra.rule as string | undefined) ?? null) : null;
    try {
      const wrote = await record(request, refused ? 'refused' : 'failed', { rule, detail: { reason: error.message.slice(0, 500), ...(code ? { code } : { status }) } });
      // tell the problem handler this refusal is on the trail, so it does not write a second row
      if (wrote) (error as { audited?: boolean }).audited = true;
    } catch (err) {
      request.log.error({ err, url: request.url }, 'engine operation: the audit row of its refusal could not be written');
    }
  });

  app.post(
    '/api/instances',
    {
      config: {
        ...operate,
        engineAudit: {
          action: 'instance.create',
          subjectType: 'process',
          subject: (r) => text(bodyOf(r).bpmnProcessId),
          detail: (r) => ({ version: bodyOf(r).version, variableNames: variableNames(bodyOf(r).variables) }),
        },
      },
      schema: {
        tags: ['engine'],
        summary: 'Start a process instance',
        body: Type.Object({ bpmnProcessId: Type.String({ minLength: 1 }), version: Type.Optional(Type.Integer({ minimum: 1 })), variables: Type.Optional(Variables) }, { additionalProperties: false }),
        response: { ...authProblems, 201: InstanceRef, 400: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      const body = request.body as { bpmnProcessId: string; version?: number; variables?: Record<string, unknown> };
      refusePeopleVariables(body.variables);
      // the engineer who starts it is its initiator (the four-eyes rules never let him approve it)
      const start = { ...body, variables: { ...body.variables, initiatedBy: principal(request).id } };
      const created = await audited(request, () => engine.createInstance(start as never), (i) => ({ processInstanceKey: i.processInstanceKey, version: i.version }));
      reply.status(201);
      return created;
    },
  );

  app.get(
    '/api/instances',
    {
      config: inspect,
      schema: {
        tags: ['engine'],
        summary: 'List process instances, newest first (filter by process, state)',
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
    { config: inspect, schema: { tags: ['engine'], summary: 'One process instance: state, variables, elements, taken flows, incidents', params: Type.Object({ key: Type.String({ pattern: '^[0-9]+$' }) }), response: { ...authProblems, 200: Type.Unknown(), 404: Problem } } },
    async (request, reply) => {
      const details = await engine.getInstance((request.params as { key: string }).key);
      if (!details) return reply.status(404).type('application/problem+json').send({ type: 'about:blank', status: 404, title: 'no such process instance' });
      return details;
    },
  );

  app.delete(
    '/api/instances/:key',
    {
      config: { ...operate, engineAudit: { action: 'instance.cancel', subjectType: 'instance', subject: keyParam } },
      schema: { tags: ['engine'], summary: 'Cancel a process instance (and its called children)', params: Type.Object({ key: Type.String({ pattern: '^[0-9]+$' }) }), response: { ...authProblems, 204: Type.Null(), 404: Problem, 409: Problem } },
    },
    async (request, reply) => {
      await audited(request, () => engine.cancelInstance((request.params as { key: string }).key));
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/messages',
    {
      config: {
        ...operate,
        engineAudit: {
          action: 'message.publish',
          subjectType: 'message',
          subject: (r) => text(bodyOf(r).name),
          detail: (r) => {
            const b = bodyOf(r);
            return { correlationKey: b.correlationKey, messageId: b.messageId, timeToLive: b.timeToLive, variableNames: variableNames(b.variables) };
          },
        },
      },
      schema: {
        tags: ['engine'],
        summary: 'Publish a message: correlates by name and correlation key, buffered for its TTL',
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
      refusePeopleVariables((request.body as { variables?: unknown }).variables);
      const published = await audited(request, () => engine.publishMessage(request.body as never), (m) => ({ messageKey: m.messageKey }));
      reply.status(201);
      return published;
    },
  );

  app.post(
    '/api/signals',
    {
      config: { ...operate, engineAudit: { action: 'signal.broadcast', subjectType: 'signal', subject: (r) => text(bodyOf(r).signalName), detail: (r) => ({ variableNames: variableNames(bodyOf(r).variables) }) } },
      schema: {
        tags: ['engine'],
        summary: 'Broadcast a signal to every subscription, signal start events included',
        body: Type.Object({ signalName: Type.String({ minLength: 1 }), variables: Type.Optional(Variables) }, { additionalProperties: false }),
        response: { ...authProblems, 201: Type.Object({ signalKey: Type.String() }), 400: Problem },
      },
    },
    async (request, reply) => {
      refusePeopleVariables((request.body as { variables?: unknown }).variables);
      const broadcast = await audited(request, () => engine.broadcastSignal(request.body as never), (sig) => ({ signalKey: sig.signalKey }));
      reply.status(201);
      return broadcast;
    },
  );

  app.get('/api/incidents', { config: inspect, schema: { tags: ['engine'], summary: 'Open incidents', response: { ...authProblems, 200: Type.Array(Type.Unknown()) } } }, async () => engine.listIncidents({ state: 'ACTIVE' }));

  const ModifyBody = Type.Object(
    {
      activateInstructions: Type.Optional(
        Type.Array(
          Type.Object(
            {
              elementId: Type.String({ minLength: 1, maxLength: 255 }),
              ancestorElementInstanceKey: Type.Optional(Type.String({ maxLength: 128 })),
              variableInstructions: Type.Optional(Type.Array(Type.Object({ variables: Variables, scopeId: Type.Optional(Type.String({ maxLength: 255 })) }, { additionalProperties: false }), { maxItems: 50 })),
            },
            { additionalProperties: false },
          ),
          { maxItems: 100 },
        ),
      ),
      terminateInstructions: Type.Optional(Type.Array(Type.Object({ elementInstanceKey: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false }), { maxItems: 100 })),
    },
    { additionalProperties: false },
  );
  type ModifyBodyT = { activateInstructions?: { elementId: string; ancestorElementInstanceKey?: string; variableInstructions?: { variables: Record<string, unknown>; scopeId?: string }[] }[]; terminateInstructions?: { elementInstanceKey: string }[] };

  app.post(
    '/api/instances/:key/modification',
    {
      config: {
        ...operate,
        engineAudit: {
          action: 'instance.modify',
          subjectType: 'instance',
          subject: keyParam,
          // element ids, keys and variable names only (values may be personal data)
          detail: (r) => {
            const b = bodyOf(r) as ModifyBodyT;
            return {
              activate: Array.isArray(b.activateInstructions) ? b.activateInstructions.map((a) => ({ elementId: text(a?.elementId), variableNames: (a?.variableInstructions ?? []).flatMap((v) => variableNames(v?.variables) ?? []) })) : undefined,
              terminate: Array.isArray(b.terminateInstructions) ? b.terminateInstructions.map((t) => text(t?.elementInstanceKey)) : undefined,
            };
          },
        },
      },
      bodyLimit: 256 * 1024,
      schema: {
        tags: ['engine'],
        summary: "Modify a process instance (Zeebe's ModifyProcessInstance): activate elements with variables, terminate element instances; all instructions are checked first, unknown elements are named",
        params: Type.Object({ key: Type.String({ pattern: '^[0-9]+$' }) }),
        body: ModifyBody,
        response: { ...authProblems, 204: Type.Null(), 400: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      const body = request.body as ModifyBodyT;
      for (const [i, a] of (body.activateInstructions ?? []).entries()) {
        for (const [j, v] of (a.variableInstructions ?? []).entries()) {
          try {
            refusePeopleVariables(v.variables);
          } catch (err) {
            if (err instanceof HttpProblem && typeof err.extra.field === 'string') {
              throw new HttpProblem(400, err.message, { ...err.extra, field: err.extra.field.replace(/^body\./, `body.activateInstructions[${i}].variableInstructions[${j}].`) });
            }
            throw err;
          }
        }
      }
      await audited(request, async () => {
        try {
          await engine.modifyInstance((request.params as { key: string }).key, body);
        } catch (err) {
          // the engine names the instruction; over HTTP it is a field of the body
          if (err instanceof EngineError && err.details?.field && !err.details.field.startsWith('body.')) throw new EngineError(err.code, err.message, { ...err.details, field: `body.${err.details.field}` });
          throw err;
        }
      });
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/instances/:key/migration',
    {
      config: {
        ...operate,
        engineAudit: {
          action: 'instance.migrate',
          subjectType: 'instance',
          subject: keyParam,
          detail: (r) => {
            const b = bodyOf(r);
            return { targetProcessDefinitionKey: text(b.targetProcessDefinitionKey), mappingInstructions: Array.isArray(b.mappingInstructions) ? b.mappingInstructions.slice(0, 100) : undefined };
          },
        },
      },
      bodyLimit: 64 * 1024,
      schema: {
        tags: ['engine'],
        summary: "Migrate a process instance to another process definition (Zeebe's MigrateProcessInstance), each active element by a mapping instruction; refused with the reason when not migratable",
        params: Type.Object({ key: Type.String({ pattern: '^[0-9]+$' }) }),
        body: Type.Object(
          {
            targetProcessDefinitionKey: Type.String({ pattern: '^[0-9]+$', maxLength: 32 }),
            mappingInstructions: Type.Array(Type.Object({ sourceElementId: Type.String({ minLength: 1, maxLength: 255 }), targetElementId: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false }), { maxItems: 500 }),
          },
          { additionalProperties: false },
        ),
        response: { ...authProblems, 204: Type.Null(), 400: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      const body = request.body as { targetProcessDefinitionKey: string; mappingInstructions: { sourceElementId: string; targetElementId: string }[] };
      await audited(request, async () => {
        try {
          await engine.migrateInstance((request.params as { key: string }).key, body);
        } catch (err) {
          if (err instanceof EngineError && err.details?.field && !err.details.field.startsWith('body.')) throw new EngineError(err.code, err.message, { ...err.details, field: `body.${err.details.field}` });
          throw err;
        }
      });
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/incidents/:key/resolution',
    {
      config: { ...operate, engineAudit: { action: 'incident.resolve', subjectType: 'incident', subject: keyParam, detail: (r) => ({ retries: (r.body as Loose)?.retries }) } },
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
      await audited(
        request,
        async () => {
          // a job out of retries would fail again at once: give it retries, then resolve
          const found = (await engine.listIncidents({ state: 'ACTIVE' })).find((i) => i.incidentKey === key);
          if (found?.jobKey) await engine.updateJobRetries(found.jobKey, (request.body as { retries?: number } | null)?.retries ?? 1);
          await engine.resolveIncident(key);
          return found;
        },
        (found) => ({ processInstanceKey: found?.processInstanceKey, jobKey: found?.jobKey, elementId: found?.elementId }),
      );
      return reply.status(204).send();
    },
  );

  app.get('/api/user-tasks', { config: operate, schema: { tags: ['engine'], summary: "Open user tasks as the engine reports them (the tasklist's source)", response: { ...authProblems, 200: Type.Array(Type.Unknown()) } } }, async () => engine.listUserTasks());

  app.post(
    '/api/user-tasks/:key/completion',
    {
      // refusals before the tasklist door (role, body) are recorded here; the door records its own decisions
      config: { ...operate, engineAudit: { action: 'task.complete', subjectType: 'task', subject: keyParam } },
      schema: {
        tags: ['engine'],
        summary: 'Complete a user task directly in the engine, bypassing the tasklist (engineers)',
        params: Type.Object({ key: Type.String({ pattern: '^[0-9]+$' }) }),
        body: Type.Object({ variables: Type.Optional(Variables) }, { additionalProperties: false }),
        response: { ...authProblems, 204: Type.Null(), 400: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      // the same door as the tasklist: form, claim and segregation of duties apply, and it audits them
      recorded.add(request);
      await opts.tasklist.complete((request.params as { key: string }).key, principal(request), (request.body as { variables?: Record<string, unknown> }).variables ?? {});
      return reply.status(204).send();
    },
  );
}
