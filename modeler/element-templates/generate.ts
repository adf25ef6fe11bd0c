/**
 * Builds herald.json, the Camunda element templates for Herald's job types: one template per
 * worker in workers/index.ts (but the user task listener's, which no service task runs), with the job type, the variables the worker reads (its TypeBox
 * schema) and the variables it sets (read from the `complete({...})` calls in its source), and
 * the BPMN errors it throws. `npx tsx modeler/element-templates/generate.ts` rewrites the file;
 * tests/modeler/element-templates.test.ts fails when the file and the workers disagree.
 *
 * Inputs and outputs are optional mappings left empty: a worker reads and sets process variables
 * of these names, so a diagram that has them needs no mapping. Filling one in maps another
 * variable or expression (an input) or renames a result (an output). Pre-filled mappings would
 * not be harmless: an input mapping makes a local variable that then catches the worker's result
 * of the same name, and one output mapping stops every unmapped result from reaching the process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { TObject, TSchema } from '@sinclair/typebox';
import { workers } from '../../workers/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TEMPLATES_FILE = path.join(root, 'modeler/element-templates/herald.json');
const SCHEMA_URL = 'https://unpkg.com/@camunda/zeebe-element-templates-json-schema/resources/schema.json';

const title = (type: string) => type.charAt(0).toUpperCase() + type.slice(1).replace(/-/g, ' ');

function typeName(s: TSchema): string {
  if (s.anyOf) return [...new Set((s.anyOf as TSchema[]).map(typeName))].join(' or ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.type === 'array') return 'list';
  if (s.type === 'object') return 'context';
  return String(s.type ?? 'any');
}

/**
 * The worker's doc comment, the keys of its `complete({...})` results, its BPMN error codes, and
 * whether it serves a user task listener (it checks `TASK_LISTENER`) rather than a service task.
 */
export function readSource(file: string): { description: string; outputs: string[]; errors: string[]; listener: boolean } {
  const text = fs.readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const outputs = new Set<string>();
  const errors = new Set<string>();
  const objects = new Map<string, ts.ObjectLiteralExpression>();
  const keysOf = (o: ts.ObjectLiteralExpression) => {
    for (const p of o.properties) if ((ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) outputs.add(p.name.text);
  };
  const pending: ts.Identifier[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && ts.isObjectLiteralExpression(node.initializer)) objects.set(node.name.text, node.initializer);
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
      const [first] = node.arguments;
      if (node.expression.text === 'complete' && first) {
        if (ts.isObjectLiteralExpression(first)) keysOf(first);
        else if (ts.isIdentifier(first)) pending.push(first);
      }
      if (node.expression.text === 'bpmnError' && first && ts.isStringLiteral(first)) errors.add(first.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  // complete(result) with `const result = {...}` in the same file
  for (const id of pending) {
    const o = objects.get(id.text);
    if (o) keysOf(o);
  }
  const doc = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*export default defineWorker/.exec(text)?.[1] ?? '';
  const description = doc
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s?/, '').trim())
    .filter(Boolean)
    .join(' ');
  return { description, outputs: [...outputs].sort(), errors: [...errors].sort(), listener: text.includes("'TASK_LISTENER'") };
}

/** The job types a service task may run: every worker but those that serve user task listeners. */
export const serviceTaskWorkers = () => workers.filter((w) => !readSource(path.join(root, 'workers', `${w.type}.ts`)).listener);

export function buildTemplates(): object[] {
  return serviceTaskWorkers()
    .sort((a, b) => a.type.localeCompare(b.type))
    .map((w) => {
      const schema = w.variables as TObject;
      const required = new Set(schema.required ?? []);
      const { description, outputs, errors } = readSource(path.join(root, 'workers', `${w.type}.ts`));
      const inputs = Object.entries(schema.properties).map(([name, s]) => ({
        id: `input.${name}`,
        label: name,
        description: `${typeName(s)}, ${required.has(name) ? 'required' : 'optional'}. Leave empty when the process has a variable ${name}; else a FEEL expression for it.`,
        group: 'inputs',
        type: 'String',
        // optional FEEL: an empty field stays unmapped (with required FEEL an empty field would be "=")
        feel: 'optional',
        optional: true,
        value: '',
        binding: { type: 'zeebe:input', name },
      }));
      const results = outputs.map((name) => ({
        id: `output.${name}`,
        label: `${name} as`,
        description: `Leave empty to set ${name} in the process. A name here maps the result to it, and then only mapped results reach the process.`,
        group: 'outputs',
        type: 'String',
        optional: true,
        value: '',
        binding: { type: 'zeebe:output', source: `=${name}` },
      }));
      return {
        $schema: SCHEMA_URL,
        name: `Herald: ${title(w.type)}`,
        id: `io.herald.worker.${w.type}`,
        version: 1,
        description: [description, errors.length ? `Throws BPMN errors ${errors.join(', ')}.` : ''].filter(Boolean).join(' '),
        category: { id: 'herald', name: 'Herald' },
        appliesTo: ['bpmn:Task'],
        elementType: { value: 'bpmn:ServiceTask' },
        engines: { camunda: '^8.8' },
        groups: [
          { id: 'job', label: 'Job' },
          { id: 'inputs', label: 'Inputs (variables the worker reads)' },
          ...(results.length ? [{ id: 'outputs', label: 'Outputs (variables the worker sets)' }] : []),
        ],
        properties: [
          { type: 'Hidden', value: w.type, binding: { type: 'zeebe:taskDefinition', property: 'type' } },
          {
            id: 'retries',
            label: 'Retries',
            description: 'Attempts before an incident is raised.',
            group: 'job',
            type: 'String',
            value: '3',
            binding: { type: 'zeebe:taskDefinition', property: 'retries' },
            constraints: { notEmpty: true, pattern: { value: '^[0-9]+$', message: 'Must be a whole number.' } },
          },
          ...inputs,
          ...results,
        ],
      };
    });
}

export const render = () => `${JSON.stringify(buildTemplates(), null, 2)}\n`;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  fs.writeFileSync(TEMPLATES_FILE, render());
  console.log(`wrote ${path.relative(root, TEMPLATES_FILE)} (${buildTemplates().length} templates)`);
}
