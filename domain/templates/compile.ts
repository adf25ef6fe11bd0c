/**
 * Compile once, fill many times: MJML runs once per template version and locale, leaving the
 * placeholders in the HTML; what comes out is cut into literal parts and typed slots, so that
 * rendering a message is string filling with escaping and nothing else.
 */
import { createHash } from 'node:crypto';
import { TemplateCompileError } from './errors.js';
import { decodeEntities, linkScheme, tokenize, type Token } from './html.js';
import { findPlaceholders, parsePlaceholder, segmentPlain, type PlaceholderMatch } from './placeholders.js';
import type { CompiledTemplate, Segmented, Slot, SlotContext, TemplateVersion } from './types.js';

export type MjmlRender = (mjml: string, options: Record<string, unknown>) => Promise<{ html: string; errors?: { formattedMessage?: string; message?: string }[] }>;

export const MJML_OPTIONS = Object.freeze({
  validationLevel: 'strict',
  keepComments: false,
  ignoreIncludes: true,
  beautify: false,
  minify: false,
  fonts: {},
});

const LINK_ATTRS = new Set(['href', 'src']);
const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'background', 'poster', 'xlink:href', 'cite', 'longdesc', 'data', 'codebase']);
const SAFE_SCHEMES = new Set(['http', 'https', 'mailto', 'tel']);
const FORBIDDEN_TAGS = new Set(['script', 'iframe', 'object', 'embed', 'form', 'base', 'frame', 'frameset', 'applet']);
const SENTINEL = /\uE000(\d+)\uE001/g;
const CELL = '\uE002';

export function templateRef(v: Pick<TemplateVersion, 'templateId' | 'version' | 'locale'>): string {
  return `${v.templateId} v${v.version} (${v.locale})`;
}

export function contentHash(v: Pick<TemplateVersion, 'subject' | 'mjml' | 'text'>): string {
  return createHash('sha256').update(JSON.stringify([v.subject, v.mjml, v.text ?? null])).digest('hex');
}

/** Checks on the MJML source before MJML sees it: no file access, no raw HTML. */
function checkSource(v: TemplateVersion, ref: string): void {
  if (/<mj-include\b/i.test(v.mjml)) throw new TemplateCompileError(ref, 'MJ_INCLUDE', 'mj-include is not allowed: a template is self-contained and reads no files');
  if (/<mj-raw\b/i.test(v.mjml)) throw new TemplateCompileError(ref, 'MJ_RAW', 'mj-raw is not allowed: raw HTML bypasses MJML and the escaping rules');
  if (/[\uE000-\uE002]/.test(v.mjml + v.subject + (v.text ?? ''))) throw new TemplateCompileError(ref, 'UNSAFE_MARKUP', 'private-use characters U+E000 to U+E002 are reserved');
  // validate every placeholder once against the source too, so errors quote what the author wrote
  for (const m of findPlaceholders(v.mjml, ref)) parsePlaceholder(m.inner, ref);
}

interface Classified {
  match: PlaceholderMatch;
  slot: Slot;
}

/** Assigns each placeholder in the HTML its context, refusing those that stand where no escaping makes them safe. */
function classify(html: string, tokens: Token[], ref: string): { classified: Classified[]; linkOf: Map<Token, Classified[]> } {
  const matches = findPlaceholders(html, ref);
  const classified: Classified[] = [];
  const linkOf = new Map<Token, Classified[]>();
  let k = 0;
  for (const t of tokens) {
    if (t.type === 'open') {
      if (FORBIDDEN_TAGS.has(t.name)) throw new TemplateCompileError(ref, 'UNSAFE_MARKUP', `<${t.name}> is not allowed in an email template`);
      for (const a of t.attrs) {
        if (a.name.startsWith('on')) throw new TemplateCompileError(ref, 'UNSAFE_MARKUP', `event handler attribute ${a.name} on <${t.name}> is not allowed`);
        if (URL_ATTRS.has(a.name) && !a.value.includes('{{')) {
          const scheme = linkScheme(a.value);
          if (scheme && !SAFE_SCHEMES.has(scheme)) throw new TemplateCompileError(ref, 'UNSAFE_LINK', `${a.name}="${a.value}" on <${t.name}>: ${scheme}: links are not allowed (only http, https, mailto, tel)`);
        }
      }
    }
    if (t.type === 'comment' && /\b(?:href|src)\s*=\s*["']?\s*(?:javascript|data|vbscript):/i.test(html.slice(t.start, t.end))) {
      throw new TemplateCompileError(ref, 'UNSAFE_LINK', 'a conditional comment holds a javascript:, data: or vbscript: link');
    }
    while (k < matches.length && matches[k].start < t.end) {
      const m = matches[k++];
      if (m.end > t.end) throw new TemplateCompileError(ref, 'PLACEHOLDER_SYNTAX', `{{${m.inner}}} spans markup`);
      const placeholder = parsePlaceholder(m.inner, ref);
      const where = `{{${placeholder.source}}}`;
      let context: SlotContext;
      if (t.type === 'text' || (t.type === 'rawtext' && (t.name === 'title' || t.name === 'textarea'))) context = 'html';
      else if (t.type === 'rawtext') throw new TemplateCompileError(ref, 'ATTRIBUTE_PLACEHOLDER', `${where} stands inside <${t.name}>; placeholders may only stand in text and http(s) links`);
      else if (t.type === 'comment' || t.type === 'decl') throw new TemplateCompileError(ref, 'ATTRIBUTE_PLACEHOLDER', `${where} stands inside an HTML comment or declaration`);
      else if (t.type === 'close') throw new TemplateCompileError(ref, 'PLACEHOLDER_SYNTAX', `${where} stands inside a closing tag`);
      else if (t.type === 'open') {
        const attr = t.attrs.find((a) => m.start >= a.valueStart && m.end <= a.valueEnd);
        if (!attr) throw new TemplateCompileError(ref, 'ATTRIBUTE_PLACEHOLDER', `${where} stands in the markup of <${t.name}>, not in a value`);
        if (!LINK_ATTRS.has(attr.name)) throw new TemplateCompileError(ref, 'ATTRIBUTE_PLACEHOLDER', `${where} stands in the ${attr.name} attribute of <${t.name}>; placeholders in attributes are allowed only as http(s) links (href, src)`);
        if (!attr.quoted) throw new TemplateCompileError(ref, 'ATTRIBUTE_PLACEHOLDER', `${where} stands in an unquoted ${attr.name} attribute`);
        const before = html.slice(attr.valueStart, m.start);
        const firstInAttr = !before.includes('{{');
        if (firstInAttr && before.trim() === '') context = 'url';
        else {
          const prefix = decodeEntities(before.slice(0, before.includes('{{') ? before.indexOf('{{') : undefined));
          if (!/^\s*https?:\/\/[^\s/?#{}]+[/?#]/i.test(prefix) && !/^\s*$/.test(prefix)) {
            throw new TemplateCompileError(ref, 'UNSAFE_LINK', `${where} in ${attr.name}="${attr.value}": a link must be a placeholder holding an http(s) URL, or start with a literal https://host/ before any placeholder`);
          }
          context = 'url-part';
        }
        const c = { match: m, slot: { placeholder, context } };
        classified.push(c);
        linkOf.set(t, [...(linkOf.get(t) ?? []), c]);
        continue;
      } else throw new TemplateCompileError(ref, 'ATTRIBUTE_PLACEHOLDER', `${where} stands inside an HTML comment or declaration`);
      classified.push({ match: m, slot: { placeholder, context } });
    }
  }
  return { classified, linkOf };
}

function segmentHtml(html: string, classified: Classified[]): Segmented {
  const parts: string[] = [];
  let last = 0;
  for (const c of classified) {
    parts.push(html.slice(last, c.match.start));
    last = c.match.end;
  }
  parts.push(html.slice(last));
  return { parts, slots: classified.map((c) => c.slot) };
}

const BLOCK = new Set(['div', 'tr', 'li', 'ul', 'ol', 'table', 'section', 'article', 'header', 'footer', 'blockquote', 'center', 'dd', 'dt']);
const PARAGRAPH = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

/** The plain-text part, read off the compiled HTML: visible body text, links as "label (url)". */
function deriveText(html: string, tokens: Token[], classified: Classified[], linkOf: Map<Token, Classified[]>): Segmented {
  const slots: Slot[] = [];
  const byStart = new Map(classified.map((c) => [c.match.start, c]));
  const withSentinels = (start: number, end: number, context: SlotContext): string => {
    let s = '';
    let last = start;
    for (const m of findPlaceholders(html.slice(start, end), 'text')) {
      const c = byStart.get(start + m.start);
      s += decodeEntities(html.slice(last, start + m.start));
      if (c) {
        slots.push({ placeholder: c.slot.placeholder, context });
        s += `\uE000${slots.length - 1}\uE001`;
      }
      last = start + m.end;
    }
    return s + decodeEntities(html.slice(last, end));
  };
  let out = '';
  let inBody = !tokens.some((t) => t.type === 'open' && t.name === 'body');
  let hidden: { name: string; depth: number } | undefined;
  const links: { href: string; labelStart: number }[] = [];
  for (const t of tokens) {
    if (!inBody) {
      if (t.type === 'open' && t.name === 'body') inBody = true;
      continue;
    }
    if (hidden) {
      if (t.type === 'open' && t.name === hidden.name) hidden.depth++;
      if (t.type === 'close' && t.name === hidden.name && --hidden.depth === 0) hidden = undefined;
      continue;
    }
    if (t.type === 'text') out += withSentinels(t.start, t.end, 'plain').replace(/[\s\u00a0]+/g, ' ');
    else if (t.type === 'open') {
      const style = t.attrs.find((a) => a.name === 'style')?.value ?? '';
      if (!VOID.has(t.name) && /display\s*:\s*none/i.test(decodeEntities(style))) {
        hidden = { name: t.name, depth: 1 };
        continue;
      }
      if (t.name === 'br') out += '\n';
      else if (t.name === 'hr') out += '\n\n----------\n\n';
      else if (PARAGRAPH.has(t.name)) out += '\n\n';
      else if (BLOCK.has(t.name)) out += '\n';
      if (t.name === 'a') {
        const attr = t.attrs.find((a) => a.name === 'href');
        let href = '';
        if (attr) {
          const inLink = linkOf.get(t) ?? [];
          let last = attr.valueStart;
          for (const c of inLink) {
            href += decodeEntities(html.slice(last, c.match.start));
            slots.push({ placeholder: c.slot.placeholder, context: c.slot.context === 'url' ? 'text-url' : 'text-url-part' });
            href += `\uE000${slots.length - 1}\uE001`;
            last = c.match.end;
          }
          href += decodeEntities(html.slice(last, attr.valueEnd));
        }
        links.push({ href: href.trim(), labelStart: out.length });
      }
    } else if (t.type === 'close') {
      if (t.name === 'a') {
        const link = links.pop();
        if (link && /^(?:https?:|mailto:|\uE000)/i.test(link.href)) {
          const label = out.slice(link.labelStart).trim();
          const shown = link.href.replace(/^mailto:/i, '');
          if (label !== shown) out += ` (${shown})`;
        }
      } else if (t.name === 'td' || t.name === 'th') out += CELL;
      else if (PARAGRAPH.has(t.name)) out += '\n\n';
      else if (BLOCK.has(t.name)) out += '\n';
    }
  }
  const text = out
    .split('\n')
    // cells of one row read "label: value"; layout cells around whole blocks leave no trace
    .map((l) => l.replace(/^[\s\uE002]+|[\s\uE002]+$/g, '').replace(/\s*\uE002[\s\uE002]*/g, ': ').replace(/ {2,}/g, ' '))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  // cut at the sentinels, keeping only the slots that survived (hidden ones were never added)
  const parts: string[] = [];
  const used: Slot[] = [];
  let last = 0;
  for (const m of text.matchAll(SENTINEL)) {
    parts.push(text.slice(last, m.index));
    used.push(slots[Number(m[1])]);
    last = m.index + m[0].length;
  }
  parts.push(text.slice(last) + '\n');
  return { parts, slots: used };
}

function pathsOf(...segmented: Segmented[]): string[] {
  const paths = new Set<string>();
  for (const s of segmented) {
    for (const slot of s.slots) {
      paths.add(slot.placeholder.path.join('.'));
      for (const a of slot.placeholder.formatter?.args ?? []) if ('path' in a) paths.add(a.path.join('.'));
    }
  }
  return [...paths].sort();
}

/** MJML and what it pulls in (juice, cheerio, js-beautify: about 60 MB) load with the first compile, not at start. */
let mjml: Promise<MjmlRender> | undefined;
const loadMjml = () => (mjml ??= import('mjml').then((m) => m.default as unknown as MjmlRender));

/** Compiles without caching; `render` is MJML (injectable to count or stub it). */
export async function compileUncached(v: TemplateVersion, render?: MjmlRender): Promise<CompiledTemplate> {
  const ref = templateRef(v);
  checkSource(v, ref);
  let html: string;
  try {
    const result = await (render ?? (await loadMjml()))(v.mjml, { ...MJML_OPTIONS });
    if (result.errors?.length) throw new Error(result.errors.map((e) => e.formattedMessage ?? e.message).join('; '));
    html = result.html;
  } catch (e) {
    throw new TemplateCompileError(ref, 'MJML_INVALID', `MJML does not compile: ${(e as Error).message}`);
  }
  const tokens = tokenize(html);
  const { classified, linkOf } = classify(html, tokens, ref);
  const subject = segmentPlain(v.subject, 'header', ref);
  const htmlSeg = segmentHtml(html, classified);
  const text = v.text !== undefined ? segmentPlain(v.text.endsWith('\n') ? v.text : `${v.text}\n`, 'plain', ref) : deriveText(html, tokens, classified, linkOf);
  return {
    templateId: v.templateId,
    version: v.version,
    locale: v.locale,
    kind: v.kind,
    contentHash: contentHash(v),
    subject,
    html: htmlSeg,
    text,
    paths: pathsOf(subject, htmlSeg, text),
  };
}

export interface TemplateCompiler {
  /** Compiled once per (templateId, version, locale); a draft edited in place compiles again. */
  compile(v: TemplateVersion): Promise<CompiledTemplate>;
  /** Cache misses: how many times a version went through MJML. */
  readonly compiles: number;
  clear(): void;
}

export function createTemplateCompiler(options: { render?: MjmlRender; maxEntries?: number } = {}): TemplateCompiler {
  const cache = new Map<string, { hash: string; compiled: Promise<CompiledTemplate> }>();
  const max = options.maxEntries ?? 1000;
  let compiles = 0;
  return {
    get compiles() {
      return compiles;
    },
    clear: () => cache.clear(),
    compile(v) {
      const key = `${v.templateId}\u0000${v.version}\u0000${v.locale}`;
      const hash = contentHash(v);
      const hit = cache.get(key);
      if (hit && hit.hash === hash) {
        // refresh recency for the LRU order
        cache.delete(key);
        cache.set(key, hit);
        return hit.compiled;
      }
      compiles++;
      const compiled = compileUncached(v, options.render);
      cache.set(key, { hash, compiled });
      compiled.catch(() => {
        if (cache.get(key)?.compiled === compiled) cache.delete(key);
      });
      while (cache.size > max) cache.delete(cache.keys().next().value as string);
      return compiled;
    },
  };
}

const shared = createTemplateCompiler();

/** Compiles a template version through the process-wide cache. */
export function compileTemplate(v: TemplateVersion): Promise<CompiledTemplate> {
  return shared.compile(v);
}
