/**
 * What a draft changes against the deployed version, with bpmn-js-differ: both diagrams read by
 * bpmn-moddle (Zeebe extensions included), elements added, changed (with the attributes) and
 * moved are marked on the canvas; removed ones can only be listed. A change inside an element
 * (a timer's duration, an input mapping) is shown on the element that holds it. bpmn-js-differ
 * does not look into nested values without an id (a timer's duration is such a body), so every
 * element present in both is also compared by its content, and such a change is listed too.
 */
import { BpmnModdle } from 'bpmn-moddle';
import { diff } from 'bpmn-js-differ';
import zeebeModdle from 'zeebe-bpmn-moddle/resources/zeebe.json';

export type ChangeKind = 'added' | 'changed' | 'removed' | 'moved';
export interface Change {
  kind: ChangeKind;
  /** The element on the canvas that shows it (the change's own element, or the nearest that has a shape). */
  elementId: string;
  name?: string;
  type: string;
  attrs?: string[];
}

interface Model {
  id?: string;
  name?: string;
  $type: string;
  $parent?: Model;
}

export async function compareDiagrams(deployedXml: string, draftXml: string, onCanvas: (id: string) => boolean): Promise<Change[]> {
  const moddle = new BpmnModdle({ zeebe: zeebeModdle });
  const [{ rootElement: before }, { rootElement: after }] = await Promise.all([moddle.fromXML(deployedXml), moddle.fromXML(draftXml)]);
  const d = diff(before, after);
  const shown = (m: Model): Model => {
    for (let at: Model | undefined = m; at; at = at.$parent) if (at.id && onCanvas(at.id)) return at;
    return m;
  };
  const out = new Map<string, Change>();
  const add = (kind: ChangeKind, m: Model, attrs?: string[]) => {
    const target = kind === 'removed' ? m : shown(m);
    const id = target.id ?? m.id ?? '?';
    const key = `${kind}:${id}`;
    const prior = out.get(key);
    if (prior) prior.attrs = [...new Set([...(prior.attrs ?? []), ...(attrs ?? [])])];
    else out.set(key, { kind, elementId: id, name: target.name, type: target.$type.replace(/^bpmn:/, ''), attrs });
  };
  // what the differ misses: nested values without an id of their own
  const [was, now] = [byId(before as Model), byId(after as Model)];
  for (const [id, m] of now) {
    const old = was.get(id);
    if (!old || d._changed[id] || /^bpmndi:|^dc:|^di:/.test(m.$type)) continue;
    const a = canon(old, true) as Record<string, unknown>;
    const b = canon(m, true) as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
    if (keys.length) add('changed', m, keys);
  }
  for (const m of Object.values(d._added)) add('added', m);
  for (const c of Object.values(d._changed)) add('changed', c.model, Object.keys(c.attrs));
  for (const m of Object.values(d._removed)) add('removed', m);
  for (const m of Object.values(d._layoutChanged)) if (!d._changed[m.id ?? ''] && !d._added[m.id ?? '']) add('moved', m);
  return [...out.values()];
}

/** Every element with an id, outside the diagram interchange (shapes and edges). */
function byId(root: Model): Map<string, Model> {
  const out = new Map<string, Model>();
  const seen = new Set<unknown>();
  const walk = (v: unknown) => {
    if (!v || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) return v.forEach(walk);
    const m = v as Model & Record<string, unknown>;
    if (typeof m.$type === 'string' && /^bpmndi:/.test(m.$type)) return;
    if (m.id && typeof m.$type === 'string') out.set(m.id, m);
    for (const [k, child] of Object.entries(m)) if (!k.startsWith('$')) walk(child);
  };
  walk(root);
  return out;
}

/** An element's own content as plain data: other elements with ids become references (#id). */
function canon(v: unknown, top = false): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => canon(x));
  const m = v as Model & Record<string, unknown>;
  if (!top && m.id) return `#${m.id}`;
  const out: Record<string, unknown> = { $type: m.$type };
  for (const k of Object.keys(m).sort()) if (!k.startsWith('$') && k !== 'di') out[k] = canon(m[k]);
  if (m.$attrs && typeof m.$attrs === 'object') out.$attrs = m.$attrs;
  return out;
}
