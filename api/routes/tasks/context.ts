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
import { buildMessageData } from '../../../workers/message-data.js';
import { principal } from '../../plugins/app/auth.js';
import { notFound } from '../../plugins/problem.js';
import { authProblems, KeyParams, Problem } from '../../schemas/common.js';
import { TaskContext } from '../../schemas/task-context.js';
import { canSee } from '../../services/tasklist.js';

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

export async function taskContextRoutes(app: FastifyInstance, opts: { db: Db; engine?: Engine | undefined; messages?: { baseUrl?: string; company?: { name: string; email: string; phone: string } } | undefined }): Promise<void> {
  const { db, engine } = opts;
  const tasks = createTaskRepository(db);

  async function preview(task: Task, customer: Awaited<ReturnType<ReturnType<typeof customerRepository>['get']>>) {
    const v = task.variables;
    const communicationId = str(v.communicationId);
    const stored = communicationId ? await communicationRepository(db).get(communicationId) : undefined;
    if (stored?.subject && stored.html) return { preview: { templateId: stored.templateId, templateVersion: stored.templateVersion ?? null, subject: stored.subject, html: stored.html, text: stored.text ?? '' }, problem: null };
    const templateId = str(v.templateId) ?? stored?.templateId;
    if (!templateId) return { preview: null, problem: null };
    if (!customer) return { preview: null, problem: null };
    const locale = str(v.locale) ?? customer.locale;
    // the same data builder render-communication uses: the approver reads what the customer will get
    const clock = () => new Date(engine?.clock?.now() ?? Date.now());
    let built;
    try {
      const data = { ...(stored?.data ?? {}), ...(isObject(v.data) ? v.data : {}) };
      built = await buildMessageData({ db, now: clock, baseUrl: opts.messages?.baseUrl, company: opts.messages?.company }, { customerId: customer.id, channel: str(v.channel) ?? stored?.channel ?? 'email', templateId, communicationId, invoiceId: str(v.invoiceId), data }, locale);
    } catch (err) {
      return { preview: null, problem: (err as Error).message };
    }
    const version = await templateRepository(db).usable(built.templateId, locale);
    if (!version) return { preview: null, problem: `no approved version of template ${built.templateId} for locale ${locale}` };
    try {
      const rendered = renderMessage(await compileTemplate(version), built.data, { locale: version.locale });
      return { preview: { templateId: built.templateId, templateVersion: version.version, subject: rendered.subject, html: rendered.html, text: rendered.text }, problem: null };
    } catch (err) {
      return { preview: null, problem: `template ${built.templateId} v${version.version}: ${(err as Error).message}` };
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
