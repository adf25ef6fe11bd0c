/**
 * A small, strict XML reader for DMN files: elements, attributes, text, CDATA, comments and
 * processing instructions, with namespace resolution. DOCTYPE declarations (and with them
 * entity definitions) are refused, so no entity can expand or reach outside the document.
 */

export interface XmlElement {
  /** Local name, without prefix. */
  name: string;
  /** Namespace URI ('' when none). */
  ns: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
  /** 1-based line of the start tag, for messages. */
  line: number;
}

export class XmlError extends Error {}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(raw: string, line: number): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&\s]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) throw new XmlError(`line ${line}: '&' must start an entity reference such as &amp;`);
    if (ref.startsWith('#x') || ref.startsWith('#X')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const v = PREDEFINED[ref];
    if (v === undefined) throw new XmlError(`line ${line}: entity '&${ref};' is not allowed (only the five predefined XML entities are)`);
    return v;
  });
}

const NAME = /[A-Za-z_][\w.:-]*/y;

export function parseXml(xml: string, maxDepth = 64): XmlElement {
  if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) throw new XmlError('DOCTYPE and entity declarations are not allowed');
  let pos = 0;
  let line = 1;
  const advance = (to: number) => {
    for (let i = pos; i < to; i++) if (xml.charCodeAt(i) === 10) line++;
    pos = to;
  };
  const stack: { el: XmlElement; prefixes: Record<string, string>; rawName: string; rawAttrs: Record<string, string> }[] = [];
  let root: XmlElement | undefined;
  const resolve = (prefixes: Record<string, string>, prefix: string) => {
    const uri = prefixes[prefix];
    if (uri === undefined && prefix) throw new XmlError(`line ${line}: namespace prefix '${prefix}' is not declared`);
    return uri ?? '';
  };
  while (pos < xml.length) {
    const lt = xml.indexOf('<', pos);
    if (lt < 0) {
      if (xml.slice(pos).trim()) {
        if (!stack.length) throw new XmlError(`line ${line}: text outside the root element`);
      }
      advance(xml.length);
      break;
    }
    if (lt > pos) {
      const text = xml.slice(pos, lt);
      if (stack.length) stack[stack.length - 1].el.text += decode(text, line);
      else if (text.trim()) throw new XmlError(`line ${line}: text outside the root element`);
      advance(lt);
    }
    if (xml.startsWith('<!--', pos)) {
      const end = xml.indexOf('-->', pos + 4);
      if (end < 0) throw new XmlError(`line ${line}: unterminated comment`);
      advance(end + 3);
      continue;
    }
    if (xml.startsWith('<![CDATA[', pos)) {
      const end = xml.indexOf(']]>', pos + 9);
      if (end < 0) throw new XmlError(`line ${line}: unterminated CDATA section`);
      if (!stack.length) throw new XmlError(`line ${line}: CDATA outside the root element`);
      stack[stack.length - 1].el.text += xml.slice(pos + 9, end);
      advance(end + 3);
      continue;
    }
    if (xml.startsWith('<?', pos)) {
      const end = xml.indexOf('?>', pos + 2);
      if (end < 0) throw new XmlError(`line ${line}: unterminated processing instruction`);
      advance(end + 2);
      continue;
    }
    if (xml.startsWith('<!', pos)) throw new XmlError(`line ${line}: markup declarations are not allowed`);
    if (xml.startsWith('</', pos)) {
      NAME.lastIndex = pos + 2;
      const m = NAME.exec(xml);
      const end = xml.indexOf('>', pos);
      if (!m || end < 0) throw new XmlError(`line ${line}: malformed end tag`);
      const top = stack.pop();
      if (!top || top.rawName !== m[0]) throw new XmlError(`line ${line}: end tag </${m[0]}> does not match <${top?.rawName ?? ''}>`);
      advance(end + 1);
      continue;
    }
    // start tag
    NAME.lastIndex = pos + 1;
    const m = NAME.exec(xml);
    if (!m) throw new XmlError(`line ${line}: malformed tag`);
    const rawName = m[0];
    const startLine = line;
    let p = pos + 1 + rawName.length;
    const rawAttrs: Record<string, string> = {};
    let selfClosing = false;
    for (;;) {
      while (p < xml.length && /\s/.test(xml[p])) p++;
      if (xml[p] === '>') {
        p++;
        break;
      }
      if (xml.startsWith('/>', p)) {
        selfClosing = true;
        p += 2;
        break;
      }
      NAME.lastIndex = p;
      const a = NAME.exec(xml);
      if (!a) throw new XmlError(`line ${startLine}: malformed attribute in <${rawName}>`);
      p += a[0].length;
      while (/\s/.test(xml[p] ?? '')) p++;
      if (xml[p] !== '=') throw new XmlError(`line ${startLine}: attribute '${a[0]}' of <${rawName}> has no value`);
      p++;
      while (/\s/.test(xml[p] ?? '')) p++;
      const quote = xml[p];
      if (quote !== '"' && quote !== "'") throw new XmlError(`line ${startLine}: attribute '${a[0]}' of <${rawName}> is not quoted`);
      const close = xml.indexOf(quote, p + 1);
      if (close < 0) throw new XmlError(`line ${startLine}: unterminated attribute '${a[0]}'`);
      const value = xml.slice(p + 1, close);
      if (value.includes('<')) throw new XmlError(`line ${startLine}: '<' in attribute '${a[0]}'`);
      if (Object.prototype.hasOwnProperty.call(rawAttrs, a[0])) throw new XmlError(`line ${startLine}: duplicate attribute '${a[0]}'`);
      rawAttrs[a[0]] = decode(value, startLine);
      p = close + 1;
    }
    advance(p);
    const parentPrefixes = stack.length ? stack[stack.length - 1].prefixes : {};
    let prefixes = parentPrefixes;
    for (const [k, v] of Object.entries(rawAttrs)) {
      if (k === 'xmlns' || k.startsWith('xmlns:')) {
        if (prefixes === parentPrefixes) prefixes = { ...parentPrefixes };
        prefixes[k === 'xmlns' ? '' : k.slice(6)] = v;
      }
    }
    const [prefix, local] = rawName.includes(':') ? rawName.split(':', 2) : ['', rawName];
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(rawAttrs)) {
      if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
      if (k.includes(':')) {
        const [ap, al] = k.split(':', 2);
        attrs[`${resolve(prefixes, ap)}#${al}`] = v;
      } else attrs[k] = v;
    }
    const el: XmlElement = { name: local, ns: resolve(prefixes, prefix), attrs, children: [], text: '', line: startLine };
    if (stack.length) stack[stack.length - 1].el.children.push(el);
    else if (root) throw new XmlError(`line ${startLine}: more than one root element`);
    else root = el;
    if (!selfClosing) {
      stack.push({ el, prefixes, rawName, rawAttrs });
      if (stack.length > maxDepth) throw new XmlError(`line ${startLine}: elements nested deeper than ${maxDepth}`);
    }
  }
  if (stack.length) throw new XmlError(`element <${stack[stack.length - 1].rawName}> is not closed`);
  if (!root) throw new XmlError('no root element');
  return root;
}
