/**
 * Which templates a process sends, from its diagram: every call of customer-communication with
 * its `templateId` input (a literal, or a FEEL expression whose string literals name templates),
 * and what the element passes (an invoice, a request reference, `data` keys). Deploy checks each
 * template's data contract against this, naming the element, before a message can fail at send.
 */
import { SUPPLIED, unsupplied, type DataContract, type SupplyContext } from './contract.js';

export interface TemplateSend {
  elementId: string;
  templateIds: string[];
  context: SupplyContext;
}

const TEMPLATE_ID = /^[a-z0-9][a-z0-9-]*$/;

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\b${name}="([^"]*)"`).exec(tag);
  return m ? m[1].replace(/&quot;|&#34;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&') : undefined;
}

/** The top-level keys of a FEEL context literal `{a: x, b: {c: y}}` as paths ("a", "b"); "*" when it is not a literal. */
function contextKeys(source: string): string[] {
  const s = source.replace(/^=\s*/, '').trim();
  const literal = /^\{([\s\S]*)\}$/.exec(s);
  if (!literal) return ['*'];
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of literal[1]) {
    if ('{[('.includes(ch)) depth++;
    if ('}])'.includes(ch)) depth--;
    if (depth === 0 && ch === ',') {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  const keys = parts.map((p) => p.split(':')[0].trim().replace(/^"|"$/g, '')).filter(Boolean);
  return keys.length ? keys : ['*'];
}

/**
 * The customer-communication calls in a BPMN document. `dynamicTemplates` names the templates an
 * expression such as `=cadence.reminderTemplates[...]` can yield (they come from data, not text).
 */
export function templateSends(xml: string, dynamicTemplates: string[] = []): TemplateSend[] {
  const sends: TemplateSend[] = [];
  const processUsesInvoice = /correlationKey="=invoiceId"|source="=invoiceId|\binvoiceId\b/.test(xml);
  for (const m of xml.matchAll(/<(?:bpmn:)?callActivity\b([^>]*)>([\s\S]*?)<\/(?:bpmn:)?callActivity>/g)) {
    const body = m[2];
    const called = /<zeebe:calledElement\b[^>]*>/.exec(body);
    if (!called || attr(called[0], 'processId') !== 'customer-communication') continue;
    const elementId = attr(m[1], 'id') ?? '(unnamed call activity)';
    const inputs = new Map<string, string>();
    for (const i of body.matchAll(/<zeebe:input\b[^>]*\/?>/g)) {
      const target = attr(i[0], 'target');
      const source = attr(i[0], 'source');
      if (target && source !== undefined) inputs.set(target, source);
    }
    const t = inputs.get('templateId');
    let templateIds: string[] = [];
    if (t !== undefined && !t.startsWith('=')) templateIds = [t];
    else if (t !== undefined) {
      const literals = [...t.matchAll(/"([^"]*)"/g)].map((x) => x[1]).filter((x) => TEMPLATE_ID.test(x));
      templateIds = /\[[^\]]*\]|reminderTemplates/.test(t) ? [...literals, ...dynamicTemplates] : literals;
    }
    const data = inputs.has('data') ? contextKeys(inputs.get('data')!) : [];
    sends.push({
      elementId,
      templateIds: [...new Set(templateIds)],
      context: { invoice: inputs.has('invoiceId') || processUsesInvoice, payment: data.includes('payment'), request: data.includes('reference') || data.includes('*'), data },
    });
  }
  return sends;
}

export interface ContractProblem {
  elementId: string;
  templateId: string;
  placeholder: string;
  message: string;
}

/** Every placeholder of a sent template that nothing supplies at the element that sends it. */
export function sendProblems(sends: TemplateSend[], contracts: (templateId: string) => { locale: string; version: number; contract: Pick<DataContract, 'paths'> }[]): ContractProblem[] {
  const problems: ContractProblem[] = [];
  for (const send of sends) {
    for (const templateId of send.templateIds) {
      for (const v of contracts(templateId)) {
        for (const placeholder of unsupplied(v.contract, send.context, templateId)) {
          problems.push({ elementId: send.elementId, templateId, placeholder, message: `${send.elementId} sends template ${templateId} v${v.version} (${v.locale}), whose placeholder {{${placeholder}}} nothing supplies there: pass it in the element's data input or change the template` });
        }
      }
    }
  }
  return problems;
}

export { SUPPLIED };
