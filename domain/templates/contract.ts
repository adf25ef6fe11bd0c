/**
 * A template version's data contract: the data paths its placeholders read (formatter arguments
 * included), stored with the version, as a JSON Schema an integrator can read. Approving a
 * version, deploying a process that sends it, and rendering it all check the same contract, so a
 * placeholder nothing supplies is refused before anything is sent, naming template, placeholder
 * and (at deploy) the process element.
 */
import { findPlaceholders, lookup, parsePlaceholder } from './placeholders.js';
import type { CompiledTemplate, TemplateVersion } from './types.js';

export interface DataContract {
  /** Dotted paths every message of this version needs, sorted. */
  paths: string[];
  /** The same as a JSON Schema (draft 2020-12) of the data object. */
  schema: Record<string, unknown>;
}

type SchemaNode = { type: 'object'; required: string[]; properties: Record<string, SchemaNode> } | { description: string };

export function dataContract(compiled: Pick<CompiledTemplate, 'paths'>): DataContract {
  const root: SchemaNode = { type: 'object', required: [], properties: {} };
  for (const path of compiled.paths) {
    let node = root as Extract<SchemaNode, { type: 'object' }>;
    path.split('.').forEach((key, i, all) => {
      const leaf = i === all.length - 1;
      if (!node.properties[key]) {
        node.properties[key] = leaf ? { description: `{{${path}}}` } : { type: 'object', required: [], properties: {} };
        node.required.push(key);
      }
      if (!leaf) node = node.properties[key] as Extract<SchemaNode, { type: 'object' }>;
    });
  }
  return { paths: [...compiled.paths].sort(), schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', ...root } };
}

/**
 * The contract read straight from a version's sources (no MJML compile, so storing it is cheap):
 * the same placeholders compiling finds, formatter arguments included.
 */
export function contractOf(v: Pick<TemplateVersion, 'templateId' | 'version' | 'subject' | 'mjml' | 'text'>): DataContract {
  const ref = `${v.templateId} v${v.version}`;
  const paths = new Set<string>();
  for (const source of [v.subject, v.mjml, v.text ?? '']) {
    for (const m of findPlaceholders(source, ref)) {
      const p = parsePlaceholder(m.inner, ref);
      paths.add(p.path.join('.'));
      for (const a of p.formatter?.args ?? []) if ('path' in a) paths.add(a.path.join('.'));
    }
  }
  return dataContract({ paths: [...paths] });
}

/** The contract's paths that `data` has no value for (null counts as none). */
export function checkContract(contract: Pick<DataContract, 'paths'>, data: Record<string, unknown>): string[] {
  return contract.paths.filter((p) => {
    const v = lookup(data, p.split('.'));
    return v === undefined || v === null;
  });
}

/**
 * What the production data builder (workers/message-data.ts) supplies, by what the message is
 * about. Kept beside the contract so that approval and deploy checks and the builder agree; the
 * message facts suite renders every template through the builder to prove this list true.
 */
export const SUPPLIED = {
  always: ['company.name', 'company.email', 'company.phone', 'customer.name', 'customer.contactName', 'customer.number', 'links.portal'],
  invoice: [
    'invoice.number', 'invoice.amount', 'invoice.openAmount', 'invoice.currency', 'invoice.issueDate', 'invoice.dueDate', 'invoice.terms', 'invoice.daysOverdue', 'invoice.daysUntilDue',
    'reminder.number', 'reminder.previous', 'reminder.lastSentDate', 'reminder.payBy', 'collections.agentName', 'collections.phone', 'escalation.respondBy', 'links.invoice', 'links.pay',
  ],
  /** Present once the invoice is paid or the process passes a payment. */
  payment: ['payment.amount', 'payment.currency', 'payment.receivedDate', 'payment.reference'],
  request: ['request.reference', 'request.subject', 'request.type', 'request.receivedDate', 'links.request'],
  /** What the builder derives for a template from the customer's recorded account facts (credit booked, account manager). */
  byTemplate: {
    'credit-approval': ['credit.limit', 'credit.currency', 'credit.terms', 'credit.effectiveDate', 'credit.reviewDate'],
    'credit-limit-change': ['credit.previousLimit', 'credit.newLimit', 'credit.currency', 'credit.effectiveDate', 'credit.reason'],
    welcome: ['accountManager.name', 'accountManager.email', 'setup.deadline', 'links.setup'],
    'account-setup': ['accountManager.name', 'accountManager.email', 'setup.deadline', 'links.setup'],
  } as Record<string, readonly string[]>,
} as const;

export interface SupplyContext {
  invoice: boolean;
  payment?: boolean;
  request: boolean;
  /** Paths the calling process element passes in `data` (e.g. "question", "correction.reason"); "*" when not known statically. */
  data: string[];
}

/** The contract's paths nothing in this context supplies. */
export function unsupplied(contract: Pick<DataContract, 'paths'>, context: SupplyContext, templateId?: string): string[] {
  if (context.data.includes('*')) return [];
  const have = new Set<string>([...SUPPLIED.always, ...(context.invoice ? SUPPLIED.invoice : []), ...(context.invoice && context.payment ? SUPPLIED.payment : []), ...(context.request ? SUPPLIED.request : []), ...((templateId && SUPPLIED.byTemplate[templateId]) || [])]);
  // a request's resolution and team are supplied once the request has them: the process supplies the moment
  if (context.request) for (const p of ['request.resolution', 'request.team']) have.add(p);
  const covered = (p: string) => have.has(p) || context.data.some((d) => p === d || p.startsWith(`${d}.`));
  return contract.paths.filter((p) => !covered(p));
}
