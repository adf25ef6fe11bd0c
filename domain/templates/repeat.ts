/**
 * Repeated rows for list templates (the payment digest), without adding sections to the
 * placeholder language. The author writes the row of the first item, `{{invoices.0.number}}`,
 * on a table row marked `<tr data-repeat="invoices">`; what the approver reads (and what a
 * preview shows) is that one row, filled from the first item. For a message with N items the
 * row is copied N times before MJML sees the source, copy i reading `invoices.<i>.`, so every
 * value still goes through the same placeholders, escaping and contract as any other.
 */
import { TemplateCompileError } from './errors.js';
import type { TemplateVersion } from './types.js';

const ROW = /<tr\b([^>]*?)\sdata-repeat="([A-Za-z_][A-Za-z0-9_]*)"([^>]*)>([\s\S]*?)<\/tr>/g;

/** The lists a version repeats rows over (what `data-repeat` names). */
export function repeatedLists(mjml: string): string[] {
  return [...mjml.matchAll(ROW)].map((m) => m[2]);
}

/**
 * The version with each `data-repeat` row copied once per item of its list (`counts[list]`, at
 * least 1). A row that reads nothing of its list's first item is refused: it would repeat the same text.
 */
export function expandRepeatedRows(v: TemplateVersion, counts: Record<string, number>): TemplateVersion {
  const ref = `${v.templateId} v${v.version} (${v.locale})`;
  const mjml = v.mjml.replace(ROW, (_row, before: string, list: string, after: string, cells: string) => {
    const first = `{{${list}.0.`;
    if (!cells.includes(first) && !cells.includes(`${list}.0.`)) throw new TemplateCompileError(ref, 'PLACEHOLDER_SYNTAX', `the row marked data-repeat="${list}" reads no ${list}.0.… value`);
    const n = counts[list];
    if (!Number.isInteger(n) || n < 1) throw new TemplateCompileError(ref, 'PLACEHOLDER_SYNTAX', `data-repeat="${list}" needs at least one item; got ${String(n)}`);
    const item = new RegExp(`\\b${list}\\.0\\.`, 'g');
    return Array.from({ length: n }, (_, i) => `<tr${before}${after}>${cells.replace(item, `${list}.${i}.`)}</tr>`).join('');
  });
  return { ...v, mjml };
}
