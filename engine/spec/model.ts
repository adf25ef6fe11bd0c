/**
 * What the runner needs to know about the deployed diagrams, read from the BPMN itself (so it
 * works the same on either engine): element names for `element_name` lookups, the flow nodes
 * and sequence flows for coverage, business rule tasks' result variables, and which process
 * and decision ids a file defines and references (to find the resources a spec needs).
 */
import { createRequire } from 'node:module';
import { BpmnModdle } from 'bpmn-moddle';

const require = createRequire(import.meta.url);
const zeebeSchema = require('zeebe-bpmn-moddle/resources/zeebe.json');

export interface ElementInfo {
  id: string;
  name?: string;
  /** bpmn:ServiceTask, bpmn:SequenceFlow, ... */
  type: string;
  processId: string;
}

export interface ProcessInfo {
  id: string;
  name?: string;
  resourceName: string;
  /** The whole file's XML (the diagram may hold several processes). */
  xml: string;
  flowNodes: ElementInfo[];
  sequenceFlows: ElementInfo[];
  /** Business rule tasks' `zeebe:calledDecision`: decision id and result variable. */
  decisions: Map<string, { decisionId: string; resultVariable: string }>;
}

/**
 * The job types of an element's user task listeners (zeebe:taskListener) for one event, read
 * from the diagram's XML; the runner answers them while it completes the task.
 */
export function taskListenerTypes(xml: string, elementId: string, eventType = 'completing'): string[] {
  const escaped = elementId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const open = new RegExp(`<(?:bpmn:)?userTask\\b[^>]*\\bid="${escaped}"[^>]*>([\\s\\S]*?)</(?:bpmn:)?userTask>`).exec(xml);
  if (!open) return [];
  const types: string[] = [];
  for (const m of open[1].matchAll(/<zeebe:taskListener\b([^>]*)\/?>/g)) {
    const attrs = m[1];
    const event = /\beventType="([^"]*)"/.exec(attrs)?.[1];
    const type = /\btype="([^"]*)"/.exec(attrs)?.[1];
    if (event === eventType && type && !types.includes(type)) types.push(type);
  }
  return types;
}

export interface BpmnIndex {
  processes: Map<string, ProcessInfo>;
  /** Every element of every process, by id (ids are unique per file; processes rarely share one). */
  elements: Map<string, ElementInfo>;
}

interface ModdleEl {
  $type: string;
  id?: string;
  name?: string;
  flowElements?: ModdleEl[];
  extensionElements?: { values?: ModdleEl[] };
  $instanceOf(type: string): boolean;
  [key: string]: unknown;
}

export async function readBpmn(resourceName: string, xml: string): Promise<ProcessInfo[]> {
  const moddle = new BpmnModdle({ zeebe: zeebeSchema });
  const { rootElement } = (await moddle.fromXML(xml)) as unknown as { rootElement: { rootElements?: ModdleEl[] } };
  const processes: ProcessInfo[] = [];
  for (const root of rootElement.rootElements ?? []) {
    if (root.$type !== 'bpmn:Process' || !root.id) continue;
    const processId = root.id;
    const info: ProcessInfo = { id: root.id, name: root.name, resourceName, xml, flowNodes: [], sequenceFlows: [], decisions: new Map() };
    const walk = (container: ModdleEl) => {
      for (const el of container.flowElements ?? []) {
        if (!el.id) continue;
        const entry: ElementInfo = { id: el.id, name: el.name || undefined, type: el.$type, processId };
        if (el.$instanceOf('bpmn:SequenceFlow')) info.sequenceFlows.push(entry);
        else if (el.$instanceOf('bpmn:FlowNode')) info.flowNodes.push(entry);
        if (el.$type === 'bpmn:BusinessRuleTask') {
          const called = el.extensionElements?.values?.find((v) => v.$type === 'zeebe:CalledDecision') as { decisionId?: string; resultVariable?: string } | undefined;
          if (called?.decisionId && called.resultVariable) info.decisions.set(el.id, { decisionId: called.decisionId, resultVariable: called.resultVariable });
        }
        if (el.flowElements) walk(el);
      }
    };
    walk(root);
    processes.push(info);
  }
  return processes;
}

export async function indexBpmn(resources: { name: string; content: string }[]): Promise<BpmnIndex> {
  const index: BpmnIndex = { processes: new Map(), elements: new Map() };
  for (const r of resources) {
    if (!r.name.endsWith('.bpmn')) continue;
    for (const p of await readBpmn(r.name, r.content)) {
      index.processes.set(p.id, p);
      for (const el of [...p.flowNodes, ...p.sequenceFlows]) index.elements.set(`${p.id}#${el.id}`, el);
    }
  }
  return index;
}

/** Element ids with this name in a process (names are not unique: all of them). */
export function idsByName(index: BpmnIndex, processId: string | undefined, name: string): string[] {
  const procs = processId && index.processes.has(processId) ? [index.processes.get(processId)!] : [...index.processes.values()];
  const all = procs.flatMap((p) => [...p.flowNodes, ...p.sequenceFlows]);
  const exact = all.filter((e) => e.name === name);
  if (exact.length) return exact.map((e) => e.id);
  // Modeler names often hold line breaks ("Clarify\nrequest"): match them with spaces too.
  const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
  return all.filter((e) => e.name !== undefined && squash(e.name) === squash(name)).map((e) => e.id);
}

/**
 * Ids a file defines and references, found with plain patterns (cheap enough to scan a folder):
 * process and decision ids it defines; called processes and decisions it needs.
 */
export function scanReferences(name: string, xml: string): { defines: string[]; needs: string[] } {
  const defines: string[] = [];
  const needs: string[] = [];
  const attr = (tag: RegExp, attribute: string, into: string[]) => {
    for (const m of xml.matchAll(tag)) {
      const a = new RegExp(`\\b${attribute}="([^"]+)"`).exec(m[0]);
      if (a && !a[1].startsWith('=')) into.push(a[1]);
    }
  };
  if (name.endsWith('.bpmn')) {
    attr(/<(?:\w+:)?process\b[^>]*>/g, 'id', defines);
    attr(/<zeebe:calledElement\b[^>]*>/g, 'processId', needs);
    attr(/<zeebe:calledDecision\b[^>]*>/g, 'decisionId', needs);
    attr(/<zeebe:formDefinition\b[^>]*>/g, 'formId', needs);
  } else if (name.endsWith('.dmn')) {
    attr(/<(?:\w+:)?decision\b[^>]*>/g, 'id', defines);
  } else if (name.endsWith('.form')) {
    try {
      const id = (JSON.parse(xml) as { id?: string }).id;
      if (id) defines.push(id);
    } catch {
      // not a form we can read; the engine will say so on deploy
    }
  }
  return { defines, needs };
}
