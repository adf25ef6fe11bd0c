/**
 * Stand-ins for the API routes the UI calls that are not on the server yet (process definitions,
 * drafts, templates, portal, system). Each is registered only when the real route is absent
 * (`hasRoute`), so the browser tests keep passing as the real routes land and then exercise them
 * instead. Who is calling comes from the real authentication (`principal(request)`: the session
 * cookie); the rules are the real ones (domain/sod, domain/templates) over the real repositories.
 * They are the contract the UI expects, not a second implementation to keep.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { principal, type Principal } from '../../../api/plugins/app/auth.js';
import { checkSod } from '../../../domain/sod/index.js';
import { compileTemplate, renderMessage, type TemplateVersion } from '../../../domain/templates/index.js';
import type { Engine } from '../../../engine/types.js';
import type { Db } from '../../../storage/db.js';
import { templateRepository } from '../../../storage/templates.js';
import { requestService } from '../../../storage/requests.js';

function problem(reply: FastifyReply, status: number, title: string, extra: Record<string, unknown> = {}) {
  return reply.status(status).type('application/problem+json').send({ type: 'about:blank', status, title, ...extra });
}

export function registerStandins(app: FastifyInstance, deps: { engine: Engine; db: Db }): string[] {
  const { engine, db } = deps;
  const added: string[] = [];
  const drafts: { id: string; bpmnProcessId: string; xml: string; author: string; baseVersion?: number; createdAt: string; deployedVersion?: number }[] = [];

  const route = (method: HTTPMethods, url: string, handler: (req: FastifyRequest, reply: FastifyReply) => unknown) => {
    if (app.hasRoute({ method, url })) return;
    app.route({ method, url, handler: handler as never });
    added.push(`${method} ${url}`);
  };
  // the real authentication already refused anyone without a session or token
  const need = (req: FastifyRequest, _reply: FastifyReply): Principal => principal(req);

  route('GET', '/api/system', async () => ({ engine: engine.kind, queues: { backend: 'memory' } }));

  const definitions = async (bpmnProcessId?: string) =>
    (await db('engine_resources').where({ kind: 'process', ...(bpmnProcessId ? { resource_id: bpmnProcessId } : {}) }).orderBy('version')).map((r) => ({
      processDefinitionKey: String(r.key),
      bpmnProcessId: r.resource_id as string,
      version: r.version as number,
      resourceName: r.resource_name as string,
      deployedAt: new Date(r.created_at).toISOString(),
    }));
  route('GET', '/api/process-definitions', async (req) => definitions((req.query as { bpmnProcessId?: string }).bpmnProcessId));
  route('GET', '/api/process-definitions/:key/xml', async (req, reply) => {
    const row = await db('engine_resources').where({ key: (req.params as { key: string }).key, kind: 'process' }).first();
    if (!row) return problem(reply, 404, 'no such process definition');
    return { xml: row.content };
  });

  route('GET', '/api/drafts', async (req) => drafts.filter((d) => d.bpmnProcessId === (req.query as { bpmnProcessId?: string }).bpmnProcessId).map(({ xml: _x, ...d }) => d));
  route('GET', '/api/drafts/:id', async (req, reply) => drafts.find((d) => d.id === (req.params as { id: string }).id) ?? problem(reply, 404, 'no such draft'));
  route('POST', '/api/drafts', async (req, reply) => {
    const u = need(req, reply);
    const body = req.body as { bpmnProcessId: string; xml: string; baseVersion?: number };
    const d = { id: `d${drafts.length + 1}`, bpmnProcessId: body.bpmnProcessId, xml: body.xml, baseVersion: body.baseVersion, author: u.id, createdAt: new Date().toISOString() };
    drafts.push(d);
    return reply.status(201).send(d);
  });
  route('POST', '/api/drafts/:id/deployment', async (req, reply) => {
    const u = need(req, reply);
    const d = drafts.find((x) => x.id === (req.params as { id: string }).id);
    if (!d) return problem(reply, 404, 'no such draft');
    if (!u.roles.includes('engineer') && !u.roles.includes('admin')) return problem(reply, 403, `${u.id} is not an engineer; only engineers deploy`, { rule: 'role' });
    const decision = checkSod({ actor: { id: u.id, groups: u.groups }, duty: 'deploy', subject: { kind: 'process-version', id: d.id }, history: [{ actor: d.author, duty: 'author' }] });
    if (!decision.allowed) return problem(reply, 403, decision.reason, { rule: decision.rule });
    const deployment = await engine.deploy([{ name: `${d.bpmnProcessId}.bpmn`, content: d.xml }]);
    d.deployedVersion = deployment.processes[0]?.version;
    return reply.status(201).send(deployment);
  });

  const templates = templateRepository(db);
  route('GET', '/api/templates', async () => db('template_versions').select('template_id as templateId', 'locale', 'kind').max('version as latest').groupBy('template_id', 'locale', 'kind').orderBy('template_id'));
  route('GET', '/api/templates/:id/versions', async (req) =>
    (await db('template_versions').where({ template_id: (req.params as { id: string }).id }).orderBy('version', 'desc')).map((r) => ({
      templateId: r.template_id, version: r.version, locale: r.locale, kind: r.kind, subject: r.subject, mjml: r.mjml, status: r.status, author: r.author, approvedBy: r.approved_by, sampleData: r.sample_data,
    })),
  );
  route('POST', '/api/templates/preview', async (req, reply) => {
    const b = req.body as { templateId?: string; subject: string; mjml: string; locale?: string; kind?: string; data?: Record<string, unknown> };
    try {
      const compiled = await compileTemplate({ templateId: b.templateId ?? 'preview', version: 0, locale: b.locale ?? 'en', kind: (b.kind ?? 'transactional') as TemplateVersion['kind'], subject: b.subject, mjml: b.mjml, status: 'draft', author: 'preview' });
      return renderMessage(compiled, b.data ?? {});
    } catch (err) {
      return problem(reply, 422, (err as Error).message);
    }
  });
  route('POST', '/api/templates/:id/versions', async (req, reply) => {
    const u = need(req, reply);
    const id = (req.params as { id: string }).id;
    const b = req.body as { subject: string; mjml: string; locale?: string; kind?: string; sampleData?: Record<string, unknown> };
    const latest = (await templates.versions(id))[0];
    const v: TemplateVersion = { templateId: id, version: (latest?.version ?? 0) + 1, locale: b.locale ?? latest?.locale ?? 'en', kind: (b.kind ?? latest?.kind ?? 'transactional') as TemplateVersion['kind'], subject: b.subject, mjml: b.mjml, status: 'draft', author: u.id };
    await templates.insert(v, b.sampleData ?? {});
    return reply.status(201).send(v);
  });
  for (const [action, status] of [['submission', 'submitted'], ['approval', 'approved']] as const) {
    route('POST', `/api/templates/:id/versions/:version/${action}`, async (req, reply) => {
      const u = need(req, reply);
      const { id, version } = req.params as { id: string; version: string };
      const row = await db('template_versions').where({ template_id: id, version: Number(version) }).first();
      if (!row) return problem(reply, 404, 'no such template version');
      if (action === 'approval') {
        if (row.status !== 'submitted') return problem(reply, 409, `${id} v${version} is ${row.status}; submit it for approval first`);
        const d = checkSod({ actor: { id: u.id, groups: u.groups }, duty: 'approve', subject: { kind: 'template-version', id: `${id} v${version}` }, history: [{ actor: row.author, duty: 'author' }] });
        if (!d.allowed) return problem(reply, 403, d.reason, { rule: d.rule });
      }
      await db('template_versions').where({ template_id: id, version: Number(version) }).update({ status, ...(action === 'approval' ? { approved_by: u.id, approved_at: db.fn.now() } : {}) });
      return reply.status(204).send();
    });
  }

  const requests = requestService({ db, engine, now: () => new Date() });
  route('GET', '/api/portal/messages', async (req, reply) => {
    const u = need(req, reply);
    return db('portal_messages').where({ customer_id: u.customerId ?? '' }).orderBy('created_at', 'desc');
  });
  route('GET', '/api/portal/requests', async (req, reply) => {
    const u = need(req, reply);
    return db('customer_requests').where({ customer_id: u.customerId ?? '' }).orderBy('created_at', 'desc').select('id', 'reference', 'subject', 'status', 'category', 'created_at as createdAt');
  });
  route('POST', '/api/portal/requests', async (req, reply) => {
    const u = need(req, reply);
    if (!u.customerId) return problem(reply, 403, 'only customers raise requests here', { rule: 'role' });
    const b = req.body as { subject: string; body?: string; invoiceId?: string; amount?: string };
    const r = await requests.submit({ customerId: u.customerId, subject: b.subject, body: b.body, invoiceId: b.invoiceId || undefined, amount: b.amount || undefined, requestedBy: u.id, intakeChannel: 'portal' } as never);
    return reply.status(201).send(r);
  });
  route('GET', '/api/portal/invoices', async (req, reply) => {
    const u = need(req, reply);
    return db('invoices').where({ customer_id: u.customerId ?? '' });
  });
  route('POST', '/api/portal/invoices/:id/promise-to-pay', async (req, reply) => {
    const u = need(req, reply);
    const id = (req.params as { id: string }).id;
    const b = req.body as { date: string; amount?: string };
    await engine.publishMessage({ name: 'promise-to-pay', correlationKey: id, timeToLive: 3_600_000, variables: { promisedDate: b.date, promisedAmount: b.amount } });
    return reply.status(202).send({ invoiceId: id, promisedDate: b.date });
  });
  return added;
}
