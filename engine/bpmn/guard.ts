/**
 * The first gate a BPMN (or DMN) resource passes at deploy: a single linear scan over the raw
 * text, before any XML parser sees it. It refuses what a parser should never be handed:
 * oversized files (checked on the byte length, before decoding), binary or non-UTF-8 content,
 * DOCTYPE and every other markup declaration (external entities read files, nested entities
 * expand without bound), undeclared entity references, and nesting deep enough to exhaust a
 * recursive tree builder. No tree is built and no regular expression backtracks here.
 */
import { isUtf8 } from 'node:buffer';
import { EngineError, type DeployProblem } from '../types.js';

export interface GuardLimits {
  /** Largest accepted resource in bytes; 4 MiB unless set. */
  maxBytes?: number;
  /** Deepest accepted element nesting; 256 unless set. */
  maxDepth?: number;
}

export const DEFAULT_LIMITS = { maxBytes: 4 * 1024 * 1024, maxDepth: 256 } as const;

const PREDEFINED_ENTITIES = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);

/** Throws the deploy refusal for a resource; the message starts with the resource name. */
export function refuseResource(resource: string, message: string, problems?: DeployProblem[]): never {
  throw new EngineError('DEPLOY_REFUSED', `${resource}: ${message}`, {
    resource,
    problems: problems ?? [{ resource, message }],
  });
}

function size(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${bytes} bytes`;
}

/** Characters XML 1.0 forbids: C0 controls other than tab, LF and CR, and U+FFFE / U+FFFF. */
function isForbiddenChar(code: number): boolean {
  return (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0xfffe || code === 0xffff;
}

function lineAndColumn(text: string, index: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line}, column ${index - lineStart + 1}`;
}

/**
 * Returns the resource as text when it is safe to hand to an XML parser, otherwise throws
 * `EngineError('DEPLOY_REFUSED')` whose message names the resource and the problem.
 */
export function guardXml(content: string | Buffer, resourceName: string, limits?: GuardLimits): string {
  const maxBytes = limits?.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  const maxDepth = limits?.maxDepth ?? DEFAULT_LIMITS.maxDepth;
  const refuse = (message: string): never => refuseResource(resourceName, message);
  const tooBig = (bytes: string) =>
    refuse(`the file is ${bytes}; the limit is ${size(maxBytes)}. Split the diagram into called processes or raise the deploy size limit`);

  // Size first, on the byte length, so an oversized upload is never decoded or scanned.
  let text: string;
  if (Buffer.isBuffer(content)) {
    if (content.length > maxBytes) tooBig(size(content.length));
    if (!isUtf8(content)) refuse('the file is not UTF-8 text (binary content or another encoding); save the diagram as UTF-8 XML');
    text = content.toString('utf8');
  } else if (typeof content === 'string') {
    // A string's UTF-8 length is at least its UTF-16 length: no need to measure a huge one.
    if (content.length > maxBytes) tooBig(`more than ${size(maxBytes)}`);
    const bytes = Buffer.byteLength(content, 'utf8');
    if (bytes > maxBytes) tooBig(size(bytes));
    const wellFormed = (content as string & { isWellFormed?: () => boolean }).isWellFormed;
    if (wellFormed && !wellFormed.call(content)) refuse('the text contains unpaired UTF-16 surrogates and cannot be encoded as UTF-8');
    text = content;
  } else {
    return refuse('the resource content must be text or a Buffer');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const n = text.length;
  let start = 0;
  while (start < n && /\s/.test(text[start])) start++;
  if (start === n) refuse('the file is empty; deploy the diagram XML exported from the modeler');
  if (text[start] !== '<') refuse('the file is not XML (it does not start with "<"); deploy the .bpmn file exported from the modeler');

  // Entity references in text and attribute values: only the five predefined ones and
  // character references exist without a DTD; anything else would need a declaration.
  const checkEntities = (from: number, to: number) => {
    for (let amp = text.indexOf('&', from); amp >= 0 && amp < to; amp = text.indexOf('&', amp + 1)) {
      const semi = text.indexOf(';', amp);
      const name = semi > amp && semi - amp <= 64 ? text.slice(amp + 1, semi) : '';
      if (PREDEFINED_ENTITIES.has(name) || /^#(?:[0-9]+|x[0-9a-fA-F]+)$/.test(name)) continue;
      if (/^[A-Za-z_:][\w.:-]*$/.test(name)) {
        refuse(`the entity reference &${name}; at ${lineAndColumn(text, amp)} is refused: only &amp; &lt; &gt; &quot; &apos; and character references are allowed (entities need a DTD, which is refused)`);
      }
      // A bare '&' is malformed XML; the parser reports it with its position.
    }
  };
  const checkChars = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      if (isForbiddenChar(text.charCodeAt(i))) {
        refuse(`the file contains a control character (U+${text.charCodeAt(i).toString(16).padStart(4, '0').toUpperCase()}) at ${lineAndColumn(text, i)}; it is binary or corrupted, not a diagram`);
      }
    }
  };

  let depth = 0;
  let i = start;
  while (i < n) {
    const lt = text.indexOf('<', i);
    const textEnd = lt < 0 ? n : lt;
    checkChars(i, textEnd);
    checkEntities(i, textEnd);
    if (lt < 0) break;
    const next = text.charCodeAt(lt + 1);
    if (next === 0x21 /* ! */) {
      if (text.startsWith('<!--', lt)) {
        const end = text.indexOf('-->', lt + 4);
        if (end < 0) refuse(`the XML comment opened at ${lineAndColumn(text, lt)} is never closed`);
        checkChars(lt, end);
        i = end + 3;
        continue;
      }
      if (text.startsWith('<![CDATA[', lt)) {
        const end = text.indexOf(']]>', lt + 9);
        if (end < 0) refuse(`the CDATA section opened at ${lineAndColumn(text, lt)} is never closed`);
        checkChars(lt, end);
        i = end + 3;
        continue;
      }
      const keyword = /^<![A-Za-z[]*/.exec(text.slice(lt, lt + 12))?.[0] ?? '<!';
      refuse(`the markup declaration ${keyword} at ${lineAndColumn(text, lt)} is refused: DOCTYPE and ENTITY declarations can read server files (external entities) or expand without bound (billion laughs). Remove the DOCTYPE; BPMN needs none`);
    }
    if (next === 0x3f /* ? */) {
      const end = text.indexOf('?>', lt + 2);
      if (end < 0) refuse(`the processing instruction at ${lineAndColumn(text, lt)} is never closed`);
      checkChars(lt, end);
      i = end + 2;
      continue;
    }
    // A start or end tag: find its '>' outside attribute quotes ('>' is legal inside them).
    let quote = 0;
    let j = lt + 1;
    for (; j < n; j++) {
      const c = text.charCodeAt(j);
      if (quote) {
        if (c === quote) quote = 0;
        else if (c === 0x3c /* < */) break; // '<' is never legal in an attribute value
      } else if (c === 0x22 || c === 0x27) quote = c;
      else if (c === 0x3e /* > */ || c === 0x3c) break;
      if (isForbiddenChar(c)) checkChars(j, j + 1);
    }
    if (j >= n || text.charCodeAt(j) !== 0x3e) {
      // Malformed; leave the exact diagnosis (with its position) to the parser.
      i = j;
      continue;
    }
    checkEntities(lt, j);
    if (next === 0x2f /* / */) {
      if (depth > 0) depth--;
    } else if (text.charCodeAt(j - 1) !== 0x2f) {
      depth++;
      if (depth > maxDepth) {
        refuse(`elements are nested more than ${maxDepth} levels deep (at ${lineAndColumn(text, lt)}); a BPMN diagram never needs that many, so the file is refused`);
      }
    }
    i = j + 1;
  }
  return text;
}
