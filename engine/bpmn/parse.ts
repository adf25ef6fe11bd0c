/**
 * Parses a guarded BPMN resource with bpmn-moddle and the Zeebe extension schema. Malformed XML
 * is refused with its line and column; what moddle only warns about (unknown elements,
 * unresolved references) comes back as problems naming the element, for the caller to refuse.
 */
import { createRequire } from 'node:module';
import { BpmnModdle } from 'bpmn-moddle';
import type { DeployProblem } from '../types.js';
import { guardXml, refuseResource, type GuardLimits } from './guard.js';

const require = createRequire(import.meta.url);
const zeebeSchema = require('zeebe-bpmn-moddle/resources/zeebe.json') as object;

export interface ParsedBpmn {
  /** The moddle `bpmn:Definitions` root. */
  definitions: any;
  warnings: DeployProblem[];
}

interface ModdleWarning {
  message: string;
  element?: { id?: string; $type?: string };
  property?: string;
  value?: unknown;
}

/** moddle reports zero-based `line` / `column`; users count from one. */
function position(message: string): { line: number; column: number } | undefined {
  const m = /\tline: (\d+)\s+\tcolumn: (\d+)/.exec(message);
  return m ? { line: Number(m[1]) + 1, column: Number(m[2]) + 1 } : undefined;
}

function offsetOf(xml: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = xml.indexOf('\n', offset);
    if (nl < 0) return -1;
    offset = nl + 1;
  }
  return offset + column - 1;
}

/** The id attribute of the tag that starts at `offset`, if there is one. */
function idAt(xml: string, offset: number): string | undefined {
  if (offset < 0) return undefined;
  const end = xml.indexOf('>', offset);
  const tag = xml.slice(offset, end < 0 ? offset + 500 : Math.min(end, offset + 2000));
  return /\sid\s*=\s*["']([^"']*)["']/.exec(tag)?.[1];
}

function describeWarning(w: ModdleWarning, xml: string, resource: string): DeployProblem {
  const unparsable = /^unparsable content (<[^>]*>) detected/.exec(w.message);
  if (unparsable) {
    const pos = position(w.message);
    const nested = /nested error: (.*)$/m.exec(w.message)?.[1];
    const elementId = pos ? idAt(xml, offsetOf(xml, pos.line, pos.column)) : undefined;
    const where = pos ? ` at line ${pos.line}, column ${pos.column}` : '';
    return {
      resource,
      elementId,
      message: `${elementId ? `${elementId}: ` : ''}the element ${unparsable[1]}${where} is not understood (${nested ?? 'unknown element'}); remove it or use the Zeebe (Camunda 8) form of it`,
    };
  }
  const unresolved = /^unresolved reference <(.*)>$/.exec(w.message);
  if (unresolved) {
    const elementId = w.element?.id;
    const prop = w.property?.replace(/^bpmn:/, '');
    return {
      resource,
      elementId,
      message: `${elementId ?? w.element?.$type ?? 'an element'}: ${prop ?? 'a reference'} points to '${unresolved[1]}', which does not exist in the file`,
    };
  }
  const elementId = w.element?.id;
  return { resource, elementId, message: `${elementId ? `${elementId}: ` : ''}${w.message.replace(/\s+/g, ' ')}` };
}

/**
 * Guards, then parses a BPMN resource. Throws `EngineError('DEPLOY_REFUSED')` for unsafe or
 * malformed XML; returns the moddle definitions and the warnings as deploy problems.
 */
export async function parseBpmn(xml: string, resourceName: string, limits?: GuardLimits): Promise<ParsedBpmn> {
  const text = guardXml(xml, resourceName, limits);
  const moddle = new BpmnModdle({ zeebe: zeebeSchema });
  let result: { rootElement: any; warnings: ModdleWarning[] };
  try {
    result = (await moddle.fromXML(text, 'bpmn:Definitions')) as unknown as typeof result;
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    const pos = position(message);
    const nested = /nested error: (.*)$/m.exec(message)?.[1];
    if (pos) {
      return refuseResource(resourceName, `the XML is malformed at line ${pos.line}, column ${pos.column}: ${nested ?? message.split('\n')[0]}`);
    }
    if (/failed to parse document as <bpmn:Definitions>/.test(message)) {
      return refuseResource(resourceName, 'the file is not a BPMN diagram: its root element must be <bpmn:definitions> in the namespace http://www.omg.org/spec/BPMN/20100524/MODEL');
    }
    return refuseResource(resourceName, `the XML could not be read: ${message.replace(/\s+/g, ' ')}`);
  }
  return {
    definitions: result.rootElement,
    warnings: result.warnings.map((w) => describeWarning(w, text, resourceName)),
  };
}
