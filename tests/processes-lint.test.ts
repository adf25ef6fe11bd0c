/**
 * processes/ as Camunda 8.8 sees it: every diagram passes Camunda's own lint (the rule set the
 * 8.8 modeler uses) without one warning, every user task links a form that ships beside it, and
 * every user-task completion in the process specs sets only what that form offers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { lintBpmn } from '../api/services/lint.js';
import { formFields, isReserved, validateAgainstForm } from '../api/services/form-validation.js';

const dir = path.resolve(import.meta.dirname, '../processes');
const files = (ext: string) => fs.readdirSync(dir).filter((f) => f.endsWith(ext)).sort();
const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');

/** Each user task of a diagram with the form it links (undefined when none). */
function userTasks(xml: string): { id: string; formId?: string }[] {
  return [...xml.matchAll(/<bpmn:userTask id="([^"]+)"[^>]*>([\s\S]*?)<\/bpmn:userTask>/g)].map((m) => ({ id: m[1], formId: /<zeebe:formDefinition\b[^>]*\bformId="([^"]+)"/.exec(m[2])?.[1] }));
}

const tasksByFile = new Map(files('.bpmn').map((f) => [f, userTasks(read(f))]));
const forms = new Map(files('.form').map((f) => [f.replace(/\.form$/, ''), read(f)]));

describe('processes/ under the Camunda 8.8 lint', () => {
  it.each(files('.bpmn'))('%s has no lint error and no warning', async (file) => {
    const result = await lintBpmn(read(file), file);
    expect(result.errors.map((e) => `${e.elementId}: ${e.message} (${e.rule})`)).toEqual([]);
    expect(result.warnings.map((w) => `${w.elementId}: ${w.message} (${w.rule})`)).toEqual([]);
  });

  it('counts the lint warning a user task without a form gets, so the check above can fail', async () => {
    // given customer-onboarding with its review task's form link taken out
    const xml = read('customer-onboarding.bpmn').replace(/<zeebe:formDefinition formId="kyc-review" \/>/, '');
    // then Camunda's lint names the task
    const result = await lintBpmn(xml, 'customer-onboarding.bpmn');
    expect(result.warnings.map((w) => [w.elementId, w.rule])).toEqual([['review-kyc', 'camunda-compat/user-task-definition']]);
  });
});

describe('forms of processes/', () => {
  it('links a form to every user task, and every form file is a form-js form named after its id', () => {
    const all = [...tasksByFile].flatMap(([file, tasks]) => tasks.map((t) => ({ file, ...t })));
    expect(all.length).toBeGreaterThanOrEqual(17);
    expect(all.filter((t) => !t.formId).map((t) => `${t.file} ${t.id}`)).toEqual([]);
    expect(all.filter((t) => !forms.has(t.formId!)).map((t) => `${t.file} ${t.id} → ${t.formId}`)).toEqual([]);
    for (const [id, content] of forms) {
      const form = JSON.parse(content);
      expect(form, id).toMatchObject({ id, type: 'default', schemaVersion: expect.any(Number) });
      expect(Array.isArray(form.components), id).toBe(true);
    }
    // no orphan forms: each is used by some task
    const used = new Set(all.map((t) => t.formId));
    expect([...forms.keys()].filter((id) => !used.has(id))).toEqual([]);
  });

  it('offers no process control variable as a field, and no field twice', () => {
    for (const [id, content] of forms) {
      const keys = formFields(JSON.parse(content).components).map((c) => c.key!);
      expect(keys.filter(isReserved), id).toEqual([]);
      expect(new Set(keys).size, id).toBe(keys.length);
    }
  });

  it('lets every user-task completion in the process specs set only what its form offers', () => {
    let checked = 0;
    const problems: string[] = [];
    for (const specFile of files('.spec.yaml')) {
      const own = `${specFile.replace(/\.spec\.yaml$/, '')}.bpmn`;
      const spec = parse(read(specFile)) as { testCases: { name: string; instructions: { action?: string; args?: Record<string, unknown> }[] }[] };
      for (const tc of spec.testCases) {
        for (const ins of tc.instructions.filter((i) => i.action === 'complete-user-task')) {
          const elementId = String(ins.args?.element_id);
          const task = (tasksByFile.get(own) ?? []).find((t) => t.id === elementId) ?? [...tasksByFile.values()].flat().find((t) => t.id === elementId);
          const variables = JSON.parse(String(ins.args?.variables ?? '{}'));
          const violation = validateAgainstForm((task?.formId && forms.get(task.formId)) || null, variables);
          checked++;
          if (violation) problems.push(`${specFile} › ${tc.name} › ${elementId}: ${violation.field} ${violation.message}`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });
});
