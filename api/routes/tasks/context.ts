/**
 * GET /api/tasks/:key/context: what the approver decides on. The customer and invoice from the
 * master data; the communication rendered as the customer will see it (the stored rendering
 * once there is one, else the approved template version filled the way render-communication
 * fills it); and the instance's history with the task's audit entries (refusals included).
 */
import type { FastifyInstance } from 'fastify';
import { compileTemplate, renderMessage } from '../../../domain/templates/index.js';
import type { Engine } from '../../../engine/types.js';
import { communicationRepository } from '../../../storage/communications.js';
import { customerRepository } from '../../../storage/customers.js';
import type { Db } from '../../../storage/db.js';
import { createAuditRepository } from '../../../storage/repositories/audit.js';
import { createTaskRepository, type Task } from '../../../storage/repositories/tasks.js';
import { templateRepository } from '../../../storage/templates.js';
import { principal } from '../../plugins/app/auth.js';
import { notFound } from '../../plugins/problem.js';
import { authProblems, KeyParams, Problem } from '../../schemas/common.js';
import { TaskContext } from '../../schemas/task-context.js';
import { canSee } from '../../services/tasklist.js';

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObject(v) && isObject(out[k]) ? merge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

export async function taskContextRoutes(app: FastifyInstance, opts: { db: Db; engine?: Engine }): Promise<void> {
  const { db, engine } = opts;
  const tasks = createTaskRepository(db);

  async function preview(task: Task, customer: Awaited<ReturnType<ReturnType<typeof customerRepository>['get']>>) {
    const v = task.variables;
    const communicationId = str(v.communicationId);
    const stored = communicationId ? await communicationRepository(db).get(communicationId) : undefined;
    if (stored?.subject && stored.html) return { preview: { templateId: stored.templateId, templateVersion: stored.templateVersion ?? null, subject: stored.subject, html: stored.html, text: stored.text ?? '' }, problem: null };
    const templateId = str(v.templateId) ?? stored?.templateId;
    if (!templateId) return { preview: null, problem: null };
    const locale = str(v.locale) ?? customer?.locale ?? 'en';
    const version = await templateRepository(db).usable(templateId, locale);
    if (!version) return { preview: null, problem: `no approved version of template ${templateId} for locale ${locale}` };
    const row = await db('template_versions').where({ template_id: version.templateId, version: version.version, locale: version.locale }).first();
    const sample = (typeof row?.sample_data === 'string' ? JSON.parse(row.sample_data) : row?.sample_data) ?? {};
    let data: Record<string, unknown> = merge(sample, { reminder: { payBy: new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10) } });
    if (customer) {
      const contact = (await customerRepository(db).contacts(customer.id)).find((c) => c.channel === str(v.channel));
      data = merge(data, { customer: { name: customer.legalName, contactName: contact?.displayName ?? customer.legalName, number: customer.id } });
    }
    const invoiceId = str(v.invoiceId);
    const invoice = invoiceId ? await customerRepository(db).invoice(invoiceId) : undefined;
    if (invoice) {
      const daysOverdue = Math.max(0, Math.floor((Date.now() - Date.parse(invoice.dueAt)) / 86_400_000));
      data = merge(data, { invoice: { number: invoice.number, amount: invoice.amount, openAmount: invoice.amount, currency: invoice.currency, issueDate: invoice.issuedAt, dueDate: invoice.dueAt, terms: 'net 30 days', daysOverdue } });
    }
    if (stored) data = merge(data, stored.data);
    if (isObject(v.data)) data = merge(data, v.data);
    try {
      const rendered = renderMessage(await compileTemplate(version), data, { locale });
      return { preview: { templateId, templateVersion: version.version, subject: rendered.subject, html: rendered.html, text: rendered.text }, problem: null };
    } catch (err) {
      return { preview: null, problem: `template ${templateId} v${version.version}: ${(err as Error).message}` };
    }
  }

  app.get(
    '/api/tasks/:key/context',
    { schema: { tags: ['tasks'], summary: "The task's context: customer, invoice, rendered communication, history", params: KeyParams, response: { 200: TaskContext, 400: Problem, 404: Problem, ...authProblems } } },
    async (request) => {
      const task = await tasks.get((request.params as { key: string }).key);
      if (!task || !canSee(task, principal(request))) throw notFound('task');
      const customerId = task.customerId ?? str(task.variables.customerId);
      const customer = customerId ? await customerRepository(db).get(customerId) : undefined;
      const invoiceId = str(task.variables.invoiceId);
      const invoice = invoiceId ? await customerRepository(db).invoice(invoiceId) : undefined;
      const { preview: rendered, problem } = await preview(task, customer);
      const instance = engine ? await engine.getInstance(task.processInstanceKey) : undefined;
      const elements = (instance?.elements ?? [])
        .filter((e) => e.elementType !== 'bpmn:Process' && e.elementType !== 'process')
        .map((e) => ({ at: e.endedAt ?? e.startedAt, what: `${e.elementName ?? e.elementId} ${e.state.toLowerCase()}`, actor: null, outcome: null, rule: null }));
      const audit = (await createAuditRepository(db).list({ subjectType: 'task', subjectId: task.key, limit: 200 })).map((r) => ({
        at: r.at,
        what: `${r.actor}: ${r.action.replace('task.', '')} ${r.outcome}${r.rule ? ` (${r.rule})` : ''}`,
        actor: r.actor,
        outcome: r.outcome,
        rule: r.rule ?? null,
      }));
      return {
        customer: customer ? { id: customer.id, name: customer.legalName, status: customer.status, kycStatus: customer.kycStatus, riskSegment: customer.riskSegment, locale: customer.locale } : null,
        invoice: invoice ? { id: invoice.id, number: invoice.number, amount: invoice.amount, currency: invoice.currency, issuedAt: invoice.issuedAt, dueAt: invoice.dueAt, status: invoice.status } : null,
        preview: rendered,
        previewProblem: problem,
        history: [...elements, ...audit].sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime()),
      };
    },
  );
}
