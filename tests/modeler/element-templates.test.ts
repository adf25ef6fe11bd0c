/**
 * Herald's element templates (modeler/element-templates/herald.json): valid Camunda element
 * templates for Zeebe by Camunda's own JSON schema, one per job type with the worker's inputs and
 * outputs, and in step with workers/ (regenerate with `npx tsx modeler/element-templates/generate.ts`).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { buildTemplates, readSource, render, serviceTaskWorkers, TEMPLATES_FILE } from '../../modeler/element-templates/generate.js';
import { workers } from '../../workers/index.js';

const require = createRequire(import.meta.url);
const schema = require('@camunda/zeebe-element-templates-json-schema/resources/schema.json') as object;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

interface Template {
  id: string;
  properties: { type: string; value?: string; group?: string; binding: { type: string; property?: string; name?: string; source?: string } }[];
}
const shipped = JSON.parse(fs.readFileSync(TEMPLATES_FILE, 'utf8')) as Template[];

describe('element templates', () => {
  it("are valid by Camunda's element template schema for Zeebe", () => {
    const ok = validate(shipped);
    expect(validate.errors?.slice(0, 5) ?? [], JSON.stringify(validate.errors?.slice(0, 5))).toEqual([]);
    expect(ok).toBe(true);
  });

  it('are refused by the schema when broken, so the check above can fail', () => {
    // given a template whose task type binding names no property
    const broken = structuredClone(shipped[0]) as Template;
    broken.properties[0].binding = { type: 'zeebe:taskDefinition' };
    expect(validate([broken])).toBe(false);
  });

  it('give one template per job type, with its type, every variable it reads and every variable it sets', () => {
    expect(shipped.map((t) => t.id).sort()).toEqual(serviceTaskWorkers().map((w) => `io.herald.worker.${w.type}`).sort());
    // every worker but the user task listener's
    expect(serviceTaskWorkers().length).toBeGreaterThanOrEqual(workers.length - 1);
    expect(serviceTaskWorkers().length).toBeGreaterThanOrEqual(26);
    const validateData = shipped.find((t) => t.id === 'io.herald.worker.validate-customer-data')!;
    expect(validateData.properties.find((p) => p.binding.type === 'zeebe:taskDefinition' && p.binding.property === 'type')?.value).toBe('validate-customer-data');
    expect(validateData.properties.filter((p) => p.binding.type === 'zeebe:input').map((p) => p.binding.name)).toEqual(['communicationId', 'customerId', 'templateId', 'channel', 'kind', 'amount', 'invoiceId', 'initiatedBy', 'data']);
    expect(validateData.properties.filter((p) => p.binding.type === 'zeebe:output').map((p) => p.binding.source)).toEqual(
      expect.arrayContaining(['=approvalLevels', '=customerName', '=locale', '=riskSegment', '=validationErrors']),
    );
    // no template pre-fills a mapping: applying one changes nothing about how variables flow
    for (const t of shipped) expect(t.properties.filter((p) => p.binding.type.startsWith('zeebe:in') || p.binding.type.startsWith('zeebe:out')).every((p) => p.value === ''), t.id).toBe(true);
  });

  it('read the outputs of a worker that completes with a named object', () => {
    expect(readSource('workers/lookup-payment-status.ts').outputs).toEqual(['openBalance', 'openInvoices', 'recentPayments']);
    expect(readSource('workers/validate-customer-data.ts').errors).toEqual(['INVALID_CUSTOMER_DATA']);
  });

  it('are in step with workers/ (regenerate when this fails)', () => {
    expect(buildTemplates()).toHaveLength(serviceTaskWorkers().length);
    expect(fs.readFileSync(TEMPLATES_FILE, 'utf8')).toBe(render());
  });
});
