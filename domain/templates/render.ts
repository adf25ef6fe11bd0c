/**
 * Per-message rendering: logic-less filling of a compiled template. Text is HTML-escaped, links
 * must be absolute http(s) URLs, a missing value is an error that names the placeholder.
 */
import { TemplateDataError } from './errors.js';
import { escapeHtml } from './html.js';
import { valueOf, type FillOptions } from './placeholders.js';
import type { CompiledTemplate, RenderedMessage, Segmented, Slot } from './types.js';

export interface RenderOptions {
  /** Formatting locale; the template's own locale by default. */
  locale?: string;
  /** Time zone for date-times; UTC by default. */
  timeZone?: string;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/;
// eslint-disable-next-line no-control-regex
const URL_UNSAFE = /[\u0000-\u0020\u007f-\u009f"'<>\\`]/;

function checkedUrl(value: string, slot: Slot, ref: string): string {
  const v = value.trim();
  let url: URL;
  try {
    if (URL_UNSAFE.test(v)) throw new Error();
    url = new URL(v);
  } catch {
    throw new TemplateDataError(ref, slot.placeholder.source, `is not a valid absolute URL: "${value.slice(0, 80)}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TemplateDataError(ref, slot.placeholder.source, `holds a ${url.protocol} link; only http(s) links are allowed`);
  }
  return v;
}

function fill(seg: Segmented, data: unknown, opts: FillOptions, ref: string, memo: Map<string, string>): string {
  const { parts, slots } = seg;
  let out = parts[0];
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i];
    // the same placeholder recurs in subject, HTML and text: format it (Intl is the costly part) once
    let value = memo.get(slot.placeholder.source);
    if (value === undefined) {
      value = valueOf(slot.placeholder, data, opts, ref);
      memo.set(slot.placeholder.source, value);
    }
    switch (slot.context) {
      case 'html':
        out += escapeHtml(value);
        break;
      case 'url':
        out += escapeHtml(checkedUrl(value, slot, ref));
        break;
      case 'url-part':
        out += escapeHtml(encodeURIComponent(value));
        break;
      case 'text-url':
        out += checkedUrl(value, slot, ref);
        break;
      case 'text-url-part':
        out += encodeURIComponent(value);
        break;
      case 'header':
        if (CONTROL.test(value)) throw new TemplateDataError(ref, slot.placeholder.source, 'holds a line break or control character, which cannot stand in a subject');
        out += value;
        break;
      default:
        out += value;
    }
    out += parts[i + 1];
  }
  return out;
}

/** Fills the compiled subject, HTML and text parts with one message's data. */
export function renderMessage(compiled: CompiledTemplate, data: Record<string, unknown>, options: RenderOptions = {}): RenderedMessage {
  const ref = `${compiled.templateId} v${compiled.version} (${compiled.locale})`;
  const opts: FillOptions = { locale: options.locale ?? compiled.locale, timeZone: options.timeZone ?? 'UTC' };
  const memo = new Map<string, string>();
  return {
    subject: fill(compiled.subject, data, opts, ref, memo),
    html: fill(compiled.html, data, opts, ref, memo),
    text: fill(compiled.text, data, opts, ref, memo),
  };
}
