/**
 * Template data contracts checked where a mistake is still cheap: approving a template version
 * (every placeholder must be supplied by the data builder or by the process element that sends
 * it, and every customer language must have a variant once a process sends it) and deploying a
 * process (every template it sends must be satisfiable at that element). Problems name the
 * template, the placeholder or locale, and the element.
 */
import { REMINDER_TEMPLATES } from '../../domain/customers/risk.js';
import { unsupplied, type SupplyContext } from '../../domain/templates/contract.js';
import { language, NOT_YET_DUE_REMINDER, OVERDUE_REMINDERS } from '../../domain/templates/facts.js';
import { sendProblems, templateSends, type TemplateSend } from '../../domain/templates/process-sends.js';
import { customerRepository } from '../../storage/customers.js';
import type { Db } from '../../storage/db.js';
import { createDraftRepository } from '../../storage/repositories/drafts.js';
import { templateRepository, type StoredTemplateVersion } from '../../storage/templates.js';

/** Templates an expression such as `=cadence.reminderTemplates[...]` can name, and what replaces a reminder before the due date. */
const DYNAMIC = [...REMINDER_TEMPLATES, NOT_YET_DUE_REMINDER];

/** A send of an overdue reminder may render the not-yet-due reminder instead: it is checked too. */
function expand(sends: TemplateSend[]): TemplateSend[] {
  return sends.map((s) => ({ ...s, templateIds: [...new Set(s.templateIds.flatMap((t) => (OVERDUE_REMINDERS.has(t) ? [t, NOT_YET_DUE_REMINDER] : [t])))] }));
}

export function sendsIn(xml: string): TemplateSend[] {
  return expand(templateSends(xml, DYNAMIC));
}

/** The sends of the newest deployed version of every process (as recorded by the deployer). */
async function deployedSends(db: Db): Promise<{ bpmnProcessId: string; send: TemplateSend }[]> {
  const drafts = createDraftRepository(db);
  const newest = new Map<string, { key: string; version: number }>();
  for (const d of await drafts.deployments()) if ((newest.get(d.bpmnProcessId)?.version ?? 0) < d.version) newest.set(d.bpmnProcessId, { key: d.processDefinitionKey, version: d.version });
  const out: { bpmnProcessId: string; send: TemplateSend }[] = [];
  for (const [bpmnProcessId, { key }] of newest) {
    const xml = (await drafts.deployedXml(key))?.xml;
    if (xml) for (const send of sendsIn(xml)) out.push({ bpmnProcessId, send });
  }
  return out;
}

export interface ApprovalProblem {
  rule: 'template-contract' | 'template-locale';
  locale: string;
  placeholder?: string;
  message: string;
}

/** Why a template version may not be approved: a placeholder nothing supplies, a customer language it lacks. */
export async function approvalProblems(db: Db, templateId: string, rows: StoredTemplateVersion[]): Promise<ApprovalProblem[]> {
  const problems: ApprovalProblem[] = [];
  const senders = (await deployedSends(db)).filter((s) => s.send.templateIds.includes(templateId));
  // nothing sends it yet: the builder's fullest context is what it can count on
  const contexts: { where: string; context: SupplyContext }[] = senders.length
    ? senders.map((s) => ({ where: `${s.bpmnProcessId} › ${s.send.elementId}`, context: s.send.context }))
    : [{ where: 'the message data builder', context: { invoice: true, payment: true, request: true, data: [] } }];
  for (const row of rows) {
    for (const { where, context } of contexts) {
      for (const placeholder of unsupplied(row.dataContract, context, templateId)) {
        problems.push({ rule: 'template-contract', locale: row.locale, placeholder, message: `${templateId} v${row.version} (${row.locale}): nothing supplies {{${placeholder}}} at ${where}` });
      }
    }
  }
  if (senders.length) {
    const have = new Set([...rows.map((r) => language(r.locale)), ...(await templateRepository(db).usableAll(templateId)).map((v) => language(v.locale))]);
    for (const locale of await customerRepository(db).locales()) {
      if (!have.has(language(locale))) problems.push({ rule: 'template-locale', locale, message: `${templateId} v${rows[0]?.version}: customers read ${locale}, and this template, which ${senders[0].bpmnProcessId} sends, has no ${locale} variant; add the translation (a message is never sent in another language)` });
    }
  }
  return problems;
}

export interface DeployContractIssue {
  resource: string;
  elementId: string;
  rule: 'template-contract';
  message: string;
}

/** Placeholders a deployed process's sends would leave empty, for every usable version of each template. */
export async function deploymentProblems(db: Db, resources: { name: string; content: string }[]): Promise<DeployContractIssue[]> {
  const templates = templateRepository(db);
  const issues: DeployContractIssue[] = [];
  for (const r of resources.filter((x) => /\.(bpmn|xml)$/i.test(x.name))) {
    const sends = sendsIn(r.content);
    const versions = new Map<string, StoredTemplateVersion[]>();
    for (const id of new Set(sends.flatMap((s) => s.templateIds))) versions.set(id, await templates.usableAll(id));
    for (const p of sendProblems(sends, (id) => (versions.get(id) ?? []).map((v) => ({ locale: v.locale, version: v.version, contract: v.dataContract })))) {
      issues.push({ resource: r.name, elementId: p.elementId, rule: 'template-contract', message: p.message });
    }
  }
  return issues;
}
