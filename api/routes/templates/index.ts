/**
 * The template library: list templates and versions, preview MJML with data, draft a new
 * version, submit it, approve it. A version is used only once approved, and never by the person
 * who wrote it approving it (segregation of duties). Every decision, allowed or refused, goes
 * to the audit trail in the same transaction as the change it records.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { hasRole } from '../../../domain/identity/index.js';
import { checkSod } from '../../../domain/sod/index.js';
import {
  canUse,
  compileUncached,
  MissingPlaceholderError,
  renderMessage,
  TemplateCompileError,
  TemplateDataError,
  templateRef,
  type TemplateVersion,
} from '../../../domain/templates/index.js';
import { segmentPlain } from '../../../domain/templates/placeholders.js';
import { library } from '../../../domain/templates/library/index.js';
import type { Db } from '../../../storage/db.js';
import { createAuditRepository } from '../../../storage/repositories/audit.js';
import { templateRepository, type StoredTemplateVersion } from '../../../storage/templates.js';
import { customerRepository } from '../../../storage/customers.js';
import type { Engine } from '../../../engine/types.js';
import { buildMessageData, type Brand } from '../../../workers/message-data.js';
import { approvalProblems } from '../../services/template-contracts.js';
import { principal } from '../../plugins/app/auth.js';
import { HttpProblem, notFound } from '../../plugins/problem.js';
import { authProblems, Problem } from '../../schemas/common.js';
import {
  NewVersionBody,
  PreviewBody,
  VersionPreviewBody,
  Rendered,
  TemplateParams,
  TemplateSummary,
  TemplateVersionParams,
  TemplateVersionView,
  VersionDecision,
} from '../../schemas/templates.js';

/** MJML is verbose; a template with inline styles fits well under this. */
const TEMPLATE_BODY = 512 * 1024;
const SMALL_BODY = 16 * 1024;
const STAFF = ['analyst', 'engineer', 'approver', 'agent', 'compliance', 'admin'] as const;
const AUTHORS = ['analyst', 'engineer'] as const;
const APPROVERS = ['approver', 'compliance'] as const;

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const subjectId = (templateId: string, version: number) => `${templateId}@${version}`;

function view(v: StoredTemplateVersion): TemplateVersionView {
  return {
    templateId: v.templateId,
    version: v.version,
    locale: v.locale,
    kind: v.kind,
    subject: v.subject,
    mjml: v.mjml,
    text: v.text ?? null,
    status: v.status,
    author: v.author,
    approvedBy: v.approvedBy ?? null,
    approvedAt: iso(v.approvedAt),
    createdAt: v.createdAt.toISOString(),
    usable: canUse(v).ok,
    sampleData: v.sampleData,
    dataContract: v.dataContract,
  };
}

/** A template that does not compile or cannot take the data, as 422 naming the rule and the field. */
function templateProblem(err: unknown, field = 'body.mjml'): never {
  if (err instanceof TemplateCompileError) throw new HttpProblem(422, err.message, { code: err.rule, field });
  if (err instanceof MissingPlaceholderError) throw new HttpProblem(422, err.message, { code: 'MISSING_PLACEHOLDER', field: `body.data.${err.placeholder}` });
  if (err instanceof TemplateDataError) throw new HttpProblem(422, err.message, { code: 'TEMPLATE_DATA', field: `body.data.${err.placeholder.split('|')[0].trim()}` });
  throw err;
}

async function compileChecked(v: TemplateVersion) {
  const ref = templateRef(v);
  // the subject and text parts checked alone first, so a problem there is named as theirs
  for (const [field, source, context] of [['body.subject', v.subject, 'header'], ['body.text', v.text, 'plain']] as const) {
    if (source === undefined) continue;
    try {
      segmentPlain(source, context, ref);
    } catch (err) {
      templateProblem(err, field);
    }
  }
  try {
    // previews and drafts are edited many times: kept out of the shared per-version cache
    return await compileUncached(v);
  } catch (err) {
    return templateProblem(err);
  }
}

export async function templateRoutes(app: FastifyInstance, opts: { db: Db; engine?: Engine; messages?: { baseUrl?: string; company?: Brand } | undefined }): Promise<void> {
  const { db } = opts;
  const clock = () => new Date(opts.engine?.clock?.now() ?? Date.now());
  const templates = templateRepository(db);
  const descriptions = new Map(library.map((t) => [t.templateId, t.description]));

  app.get(
    '/api/templates',
    { config: { roles: [...STAFF] }, schema: { tags: ['templates'], summary: 'Templates by locale: newest version and the newest usable (approved) one', response: { 200: Type.Array(TemplateSummary), ...authProblems } } },
    async () => {
      const summaries = await templates.summaries();
      const usable = new Map<string, number>();
      for (const r of await db('template_versions').select('template_id', 'locale', 'version', 'author', 'approved_by', 'status').where({ status: 'approved' })) {
        if (!canUse({ templateId: r.template_id, version: r.version, status: r.status, author: r.author, approvedBy: r.approved_by ?? undefined }).ok) continue;
        const key = `${r.template_id}\u0000${r.locale}`;
        usable.set(key, Math.max(usable.get(key) ?? 0, Number(r.version)));
      }
      return summaries.map((s) => ({ ...s, usable: usable.get(`${s.templateId}\u0000${s.locale}`) ?? null, description: descriptions.get(s.templateId) ?? null }));
    },
  );

  app.get(
    '/api/templates/:id/versions',
    { config: { roles: [...STAFF] }, schema: { tags: ['templates'], summary: "A template's versions, newest first, every locale", params: TemplateParams, response: { 200: Type.Array(TemplateVersionView), 400: Problem, 404: Problem, ...authProblems } } },
    async (request) => {
      const versions = await templates.stored((request.params as { id: string }).id);
      if (!versions.length) throw notFound('template');
      return versions.map(view);
    },
  );

  app.post(
    '/api/templates/preview',
    {
      bodyLimit: TEMPLATE_BODY,
      config: { roles: [...STAFF] },
      schema: {
        tags: ['templates'],
        summary: 'Compile MJML and fill it with data, as a message would be; 422 names what is wrong (mj-include, raw HTML, unsafe links, a missing placeholder)',
        body: PreviewBody,
        response: { 200: Rendered, 400: Problem, 413: Problem, 422: Problem, ...authProblems },
      },
    },
    async (request) => {
      const b = request.body as PreviewBody;
      const compiled = await compileChecked({ templateId: b.templateId ?? 'preview', version: 0, locale: b.locale ?? 'en', kind: b.kind ?? 'transactional', subject: b.subject, mjml: b.mjml, ...(b.text !== undefined ? { text: b.text } : {}), status: 'draft', author: principal(request).id });
      try {
        return { ...renderMessage(compiled, b.data ?? {}), placeholders: compiled.paths };
      } catch (err) {
        return templateProblem(err);
      }
    },
  );

  app.post(
    '/api/templates/:id/versions/:version/preview',
    {
      bodyLimit: SMALL_BODY,
      config: { roles: [...STAFF] },
      schema: {
        tags: ['templates'],
        summary: 'Render a stored version for a real customer (and invoice), with the data builder production uses; 422 names a placeholder nothing supplies',
        params: TemplateVersionParams,
        body: VersionPreviewBody,
        response: { 200: Rendered, 400: Problem, 404: Problem, 422: Problem, ...authProblems },
      },
    },
    async (request) => {
      const { id, version } = request.params as { id: string; version: number };
      const b = request.body as VersionPreviewBody;
      const customer = await customerRepository(db).get(b.customerId);
      if (!customer) throw new HttpProblem(404, `no such customer ${b.customerId}`, { field: 'body.customerId' });
      const locale = b.locale ?? customer.locale;
      const rows = await templates.stored(id, version);
      if (!rows.length) throw notFound('template version');
      let built;
      try {
        built = await buildMessageData({ db, now: clock, baseUrl: opts.messages?.baseUrl, company: opts.messages?.company }, { customerId: customer.id, channel: b.channel ?? 'email', templateId: id, invoiceId: b.invoiceId, data: b.data }, locale);
      } catch (err) {
        throw new HttpProblem(422, (err as Error).message, { field: 'body' });
      }
      if (b.invoiceId && !built.invoice) throw new HttpProblem(404, `no invoice ${b.invoiceId} of customer ${customer.id}`, { field: 'body.invoiceId' });
      const row = rows.find((r) => r.locale === locale) ?? rows.find((r) => r.locale.split('-')[0] === locale.split('-')[0]);
      if (!row) throw new HttpProblem(422, `${id} v${version} has no ${locale} variant (it has ${rows.map((r) => r.locale).join(', ')}); the customer reads ${locale}`, { field: 'body.locale', code: 'MISSING_TRANSLATION' });
      const compiled = await compileChecked(row);
      try {
        return { ...renderMessage(compiled, built.data, { locale: row.locale }), placeholders: compiled.paths };
      } catch (err) {
        return templateProblem(err);
      }
    },
  );

  app.post(
    '/api/templates/:id/versions',
    {
      bodyLimit: TEMPLATE_BODY,
      config: { roles: [...AUTHORS] },
      schema: {
        tags: ['templates'],
        summary: 'Draft a new version (you are its author); it must compile and render its sample data',
        params: TemplateParams,
        body: NewVersionBody,
        response: { 201: TemplateVersionView, 400: Problem, 409: Problem, 413: Problem, 422: Problem, ...authProblems },
      },
    },
    async (request, reply) => {
      const who = principal(request);
      const templateId = (request.params as { id: string }).id;
      const b = request.body as NewVersionBody;
      const created = await db.transaction(async (tx) => {
        const repo = templateRepository(tx);
        // one version number at a time per template
        await tx.raw('select pg_advisory_xact_lock(hashtext(?))', [`template:${templateId}`]);
        const latest = (await repo.stored(templateId))[0];
        const version: TemplateVersion = {
          templateId,
          version: await repo.nextVersion(templateId),
          locale: b.locale ?? latest?.locale ?? 'en',
          kind: b.kind ?? latest?.kind ?? 'transactional',
          subject: b.subject,
          mjml: b.mjml,
          ...(b.text !== undefined ? { text: b.text } : {}),
          status: 'draft',
          author: who.id,
        };
        if (latest && latest.kind !== version.kind) throw new HttpProblem(409, `template ${templateId} is ${latest.kind}; a version cannot change it to ${version.kind}`, { field: 'body.kind' });
        const sampleData = b.sampleData ?? latest?.sampleData ?? {};
        const compiled = await compileChecked(version);
        if (b.sampleData) {
          try {
            renderMessage(compiled, sampleData);
          } catch (err) {
            templateProblem(err);
          }
        }
        await repo.insert(version, sampleData);
        await createAuditRepository(tx).append({ actor: who.id, action: 'template.version.drafted', subjectType: 'template-version', subjectId: subjectId(templateId, version.version), detail: { locale: version.locale, kind: version.kind, placeholders: compiled.paths } });
        return (await repo.stored(templateId, version.version)).find((v) => v.locale === version.locale)!;
      });
      reply.status(201);
      return view(created);
    },
  );

  app.post(
    '/api/templates/:id/versions/:version/submission',
    {
      bodyLimit: SMALL_BODY,
      config: { roles: [...AUTHORS] },
      schema: { tags: ['templates'], summary: 'Submit a draft version for approval', params: TemplateVersionParams, response: { 200: VersionDecision, 400: Problem, 404: Problem, 409: Problem, ...authProblems } } },
    async (request) => {
      const who = principal(request);
      const { id, version } = request.params as { id: string; version: number };
      return db.transaction(async (tx) => {
        const rows = await templateRepository(tx).stored(id, version);
        if (!rows.length) throw notFound('template version');
        const moved = await templateRepository(tx).transition(id, version, 'draft', 'submitted');
        if (!moved) throw new HttpProblem(409, `${id} v${version} is ${rows[0].status}; only a draft can be submitted`);
        const audit = await createAuditRepository(tx).append({ actor: who.id, action: 'template.version.submitted', subjectType: 'template-version', subjectId: subjectId(id, version), detail: { locales: rows.map((r) => r.locale), authors: [...new Set(rows.map((r) => r.author))] } });
        return { templateId: id, version, status: 'submitted' as const, locales: rows.map((r) => r.locale), by: who.id, auditId: audit.id };
      });
    },
  );

  app.post(
    '/api/templates/:id/versions/:version/approval',
    {
      bodyLimit: SMALL_BODY,
      config: { roles: [...STAFF] },
      schema: {
        tags: ['templates'],
        summary: 'Approve a submitted version (approvers and compliance; never its author); from then on it is used',
        params: TemplateVersionParams,
        response: { 200: VersionDecision, 400: Problem, 404: Problem, 409: Problem, ...authProblems },
      },
    },
    async (request) => {
      const who = principal(request);
      const { id, version } = request.params as { id: string; version: number };
      const subject = subjectId(id, version);
      const outcome = await db.transaction(async (tx) => {
        const repo = templateRepository(tx);
        const audit = createAuditRepository(tx);
        const rows = await repo.stored(id, version);
        if (!rows.length) throw notFound('template version');
        // the refusal is recorded, so it commits; the caller hears it after
        const refuse = async (rule: string, reason: string) => {
          await audit.append({ actor: who.id, action: 'template.version.approve', subjectType: 'template-version', subjectId: subject, outcome: 'refused', rule, detail: { reason } });
          return { refused: { rule, reason } } as const;
        };
        const history = [...new Set(rows.map((r) => r.author))].map((actor) => ({ actor, duty: 'author' as const }));
        const decision = checkSod({ actor: { id: who.id, groups: who.groups }, duty: 'approve', subject: { kind: 'template-version', id: `${id} v${version}` }, history });
        if (!decision.allowed) return refuse(decision.rule, decision.reason);
        if (!hasRole(who, ...APPROVERS)) return refuse('role', `${who.id} is not an approver or compliance officer; only they approve templates`);
        const status = rows[0].status;
        if (status !== 'submitted') throw new HttpProblem(409, status === 'approved' ? `${id} v${version} is already approved by ${rows[0].approvedBy}` : `${id} v${version} is a draft; its author submits it first`);
        // the data contract and the languages: refused here, never an incident when a message is due
        const contract = await approvalProblems(tx, id, rows);
        if (contract.length) return { invalid: contract } as const;
        const moved = await repo.transition(id, version, 'submitted', 'approved', who.id);
        if (!moved) throw new HttpProblem(409, `${id} v${version} was decided by someone else just now`);
        const row = await audit.append({ actor: who.id, action: 'template.version.approve', subjectType: 'template-version', subjectId: subject, outcome: 'allowed', detail: { locales: rows.map((r) => r.locale), authors: history.map((h) => h.actor) } });
        return { approved: { templateId: id, version, status: 'approved' as const, locales: rows.map((r) => r.locale), by: who.id, auditId: row.id } };
      });
      if ('refused' in outcome) throw new HttpProblem(403, outcome.refused.reason, { rule: outcome.refused.rule });
      if ('invalid' in outcome && outcome.invalid) {
        const invalid = outcome.invalid;
        const first = invalid[0];
        await createAuditRepository(db).append({ actor: who.id, action: 'template.version.approve', subjectType: 'template-version', subjectId: subject, outcome: 'refused', rule: first.rule, detail: { problems: invalid.slice(0, 20) } });
        throw new HttpProblem(422, `${first.message}${invalid.length > 1 ? ` (and ${invalid.length - 1} more)` : ''}`, { rule: first.rule, code: first.rule === 'template-locale' ? 'MISSING_TRANSLATION' : 'UNSUPPLIED_PLACEHOLDER', field: first.placeholder ? `placeholder.${first.placeholder}` : `locale.${first.locale}`, problems: invalid }).markAudited();
      }
      return outcome.approved;
    },
  );
}
