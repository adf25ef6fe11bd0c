/** What a template version looks like to the rendering rules (storage lives elsewhere). */
export type TemplateKind = 'transactional' | 'dunning' | 'legal' | 'marketing';
export type TemplateStatus = 'draft' | 'submitted' | 'approved';

export interface TemplateVersion {
  templateId: string;
  version: number;
  locale: string;
  /** Plain text with placeholders, e.g. "Invoice {{invoice.number}} is due". */
  subject: string;
  mjml: string;
  /** Plain-text variant with placeholders; derived from the MJML when absent. */
  text?: string;
  kind: TemplateKind;
  status: TemplateStatus;
  author: string;
  approvedBy?: string;
}

/** Where a placeholder stands decides how its value is checked and escaped. */
export type SlotContext =
  /** HTML text or an RCDATA element such as <title>: HTML-escaped. */
  | 'html'
  /** A whole link (href/src value, or its start): must be an absolute http(s) URL, attribute-escaped. */
  | 'url'
  /** Inside a link after a literal https://host/ prefix: percent-encoded, then attribute-escaped. */
  | 'url-part'
  /** Plain text (text part): as is. */
  | 'plain'
  /** A link in the text part: checked like 'url', not HTML-escaped. */
  | 'text-url'
  /** Part of a link in the text part: percent-encoded, not HTML-escaped. */
  | 'text-url-part'
  /** A mail header (subject): refused when it holds control characters. */
  | 'header';

export interface Placeholder {
  /** The source as written, e.g. "invoice.amount | money invoice.currency". */
  source: string;
  path: string[];
  formatter?: { name: string; args: ({ path: string[] } | { literal: string })[] };
}

export interface Slot {
  placeholder: Placeholder;
  context: SlotContext;
}

/** Literal strings around slots: parts.length === slots.length + 1. */
export interface Segmented {
  parts: string[];
  slots: Slot[];
}

export interface CompiledTemplate {
  templateId: string;
  version: number;
  locale: string;
  kind: TemplateKind;
  /** sha256 of subject, mjml and text: what was compiled. */
  contentHash: string;
  subject: Segmented;
  html: Segmented;
  text: Segmented;
  /** Every data path the template reads (for previews and data validation). */
  paths: string[];
}

export interface RenderedMessage {
  subject: string;
  html: string;
  text: string;
}
