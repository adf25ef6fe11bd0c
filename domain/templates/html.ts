/**
 * A small HTML tokenizer for MJML's output, enough to know where each placeholder stands
 * (text, a link, some other attribute, a comment, a <style>) and to derive the plain-text part.
 * It runs once per template version, never per message.
 */

export interface Attr {
  name: string;
  /** Raw (still entity-encoded) value; '' when the attribute has none. */
  value: string;
  valueStart: number;
  valueEnd: number;
  quoted: boolean;
}

export type Token =
  | { type: 'text'; start: number; end: number }
  | { type: 'comment' | 'decl'; start: number; end: number }
  | { type: 'open'; name: string; start: number; end: number; attrs: Attr[] }
  | { type: 'close'; name: string; start: number; end: number }
  | { type: 'rawtext'; name: string; start: number; end: number };

const RAWTEXT = new Set(['script', 'style', 'title', 'textarea', 'xmp']);

export function tokenize(html: string): Token[] {
  const tokens: Token[] = [];
  const n = html.length;
  let i = 0;
  let textStart = 0;
  const flushText = (end: number) => {
    if (end > textStart) tokens.push({ type: 'text', start: textStart, end });
  };
  while (i < n) {
    if (html[i] !== '<') {
      i++;
      continue;
    }
    if (html.startsWith('<!--', i)) {
      flushText(i);
      const close = html.indexOf('-->', i + 4);
      const end = close === -1 ? n : close + 3;
      tokens.push({ type: 'comment', start: i, end });
      i = textStart = end;
      continue;
    }
    if (html[i + 1] === '!' || html[i + 1] === '?') {
      flushText(i);
      const close = html.indexOf('>', i);
      const end = close === -1 ? n : close + 1;
      tokens.push({ type: 'decl', start: i, end });
      i = textStart = end;
      continue;
    }
    const closing = html[i + 1] === '/';
    const nameStart = closing ? i + 2 : i + 1;
    if (!/[A-Za-z]/.test(html[nameStart] ?? '')) {
      i++;
      continue;
    }
    flushText(i);
    let j = nameStart;
    while (j < n && /[^\s/>]/.test(html[j])) j++;
    const name = html.slice(nameStart, j).toLowerCase();
    const attrs: Attr[] = [];
    while (j < n && html[j] !== '>') {
      if (/[\s/]/.test(html[j])) {
        j++;
        continue;
      }
      const aStart = j;
      while (j < n && /[^\s=>/]/.test(html[j])) j++;
      const aName = html.slice(aStart, j).toLowerCase();
      while (j < n && /\s/.test(html[j])) j++;
      if (html[j] !== '=') {
        attrs.push({ name: aName, value: '', valueStart: j, valueEnd: j, quoted: false });
        continue;
      }
      j++;
      while (j < n && /\s/.test(html[j])) j++;
      const q = html[j];
      if (q === '"' || q === "'") {
        const vEnd = html.indexOf(q, j + 1);
        const end = vEnd === -1 ? n : vEnd;
        attrs.push({ name: aName, value: html.slice(j + 1, end), valueStart: j + 1, valueEnd: end, quoted: true });
        j = end + 1;
      } else {
        const vStart = j;
        while (j < n && /[^\s>]/.test(html[j])) j++;
        attrs.push({ name: aName, value: html.slice(vStart, j), valueStart: vStart, valueEnd: j, quoted: false });
      }
    }
    const end = Math.min(j + 1, n);
    tokens.push(closing ? { type: 'close', name, start: i, end } : { type: 'open', name, start: i, end, attrs });
    i = textStart = end;
    if (!closing && RAWTEXT.has(name)) {
      const re = new RegExp(`</${name}[\\s>]`, 'ig');
      re.lastIndex = i;
      const m = re.exec(html);
      const stop = m ? m.index : n;
      if (stop > i) tokens.push({ type: 'rawtext', name, start: i, end: stop });
      i = textStart = stop;
    }
  }
  flushText(n);
  return tokens;
}

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', shy: '', ndash: '\u2013', mdash: '\u2014',
  euro: '\u20ac', pound: '\u00a3', yen: '\u00a5', copy: '\u00a9', reg: '\u00ae', trade: '\u2122', hellip: '\u2026',
  laquo: '\u00ab', raquo: '\u00bb', lsquo: '\u2018', rsquo: '\u2019', ldquo: '\u201c', rdquo: '\u201d', bdquo: '\u201e',
  middot: '\u00b7', bull: '\u2022', zwnj: '', zwj: '', auml: 'ä', ouml: 'ö', uuml: 'ü', Auml: 'Ä', Ouml: 'Ö', Uuml: 'Ü', szlig: 'ß',
};

export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+\d*);/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '\ufffd';
    }
    return NAMED[body] ?? whole;
  });
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const NEEDS_ESCAPE = /[&<>"']/;

/** Escapes for HTML text and quoted attribute values alike. */
export function escapeHtml(s: string): string {
  return NEEDS_ESCAPE.test(s) ? s.replace(/[&<>"']/g, (c) => ESCAPES[c]) : s;
}

/** The scheme of a link as a browser would read it (entities decoded, controls and blanks dropped). */
export function linkScheme(rawValue: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const v = decodeEntities(rawValue).replace(/[\u0000-\u0020\u007f-\u009f]/g, '').toLowerCase();
  const m = /^([a-z][a-z0-9+.-]*):/.exec(v);
  return m ? m[1] : undefined;
}
