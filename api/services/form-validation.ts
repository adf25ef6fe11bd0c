/**
 * Completion variables against the task's form (form-js JSON): required fields present, each
 * value of its field's type, values of selects and radios among their options, and nothing the
 * form does not ask for. Fields Herald sets itself can never come from a client.
 */
import type { Variables } from '../../engine/types.js';

/** Set by Herald from the authenticated person and the task, never by a client. */
export const RESERVED_VARIABLES = ['approvals', 'initiatedBy', 'requestedBy', 'proposedBy', 'workedBy', 'approvedBy', 'completedBy', 'assignee', 'status'];

export interface FormViolation {
  field: string;
  message: string;
}

interface Component {
  key?: string;
  type?: string;
  label?: string;
  validate?: { required?: boolean; min?: number; max?: number; minLength?: number; maxLength?: number; pattern?: string };
  values?: { value: unknown }[];
  components?: Component[];
}

function fields(components: Component[] | undefined, out: Component[] = []): Component[] {
  for (const c of components ?? []) {
    if (c.key && !['button', 'text', 'html', 'image', 'spacer', 'separator'].includes(c.type ?? '')) out.push(c);
    if (c.components) fields(c.components, out);
  }
  return out;
}

function typeError(c: Component, v: unknown): string | undefined {
  switch (c.type) {
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a number';
      if (c.validate?.min !== undefined && v < c.validate.min) return `must be at least ${c.validate.min}`;
      if (c.validate?.max !== undefined && v > c.validate.max) return `must be at most ${c.validate.max}`;
      return undefined;
    case 'checkbox':
      return typeof v === 'boolean' ? undefined : 'must be true or false';
    case 'checklist':
    case 'taglist':
      if (!Array.isArray(v)) return 'must be a list';
      if (c.values && v.some((x) => !c.values!.some((o) => o.value === x))) return `must only hold ${c.values.map((o) => JSON.stringify(o.value)).join(', ')}`;
      return undefined;
    case 'select':
    case 'radio':
      if (c.values && !c.values.some((o) => o.value === v)) return `must be one of ${c.values.map((o) => JSON.stringify(o.value)).join(', ')}`;
      return undefined;
    default: {
      // textfield, textarea, datetime and anything newer: a string
      if (typeof v !== 'string') return 'must be a string';
      if (c.validate?.minLength !== undefined && v.length < c.validate.minLength) return `must be at least ${c.validate.minLength} characters`;
      if (c.validate?.maxLength !== undefined && v.length > c.validate.maxLength) return `must be at most ${c.validate.maxLength} characters`;
      if (c.validate?.pattern && !new RegExp(`^(?:${c.validate.pattern})$`).test(v)) return `must match ${c.validate.pattern}`;
      return undefined;
    }
  }
}

/** The first problem with `variables` for a task with this form (or none), or undefined. */
export function validateAgainstForm(form: string | null, variables: Variables): FormViolation | undefined {
  for (const name of Object.keys(variables)) {
    if (RESERVED_VARIABLES.includes(name)) return { field: `variables.${name}`, message: 'is set by Herald and cannot be set by a client' };
  }
  if (!form) return undefined;
  let schema: { components?: Component[] };
  try {
    schema = JSON.parse(form) as { components?: Component[] };
  } catch {
    return { field: 'form', message: "the task's form is not valid JSON" };
  }
  const known = fields(schema.components);
  for (const name of Object.keys(variables)) {
    if (!known.some((c) => c.key === name)) return { field: `variables.${name}`, message: `is not a field of the task's form (fields: ${known.map((c) => c.key).join(', ')})` };
  }
  for (const c of known) {
    const v = variables[c.key!];
    if (v === undefined || v === null || v === '') {
      if (c.validate?.required) return { field: `variables.${c.key}`, message: `is required${c.label ? ` (${c.label})` : ''}` };
      continue;
    }
    const err = typeError(c, v);
    if (err) return { field: `variables.${c.key}`, message: err };
  }
  return undefined;
}
