/**
 * Completion variables against the task's form (form-js JSON): the form is the allow-list of
 * what a task may set. Required fields present, each value of its field's type, values of selects
 * and radios among their options, nothing the form does not ask for, and nothing the form hides
 * or only shows (disabled, read-only, expression fields, fields hidden by their condition).
 * A task without a form may set only the variables its `herald:outputs` task header declares, or
 * an approval task its decision (docs/forms.md); otherwise it may set none. Fields Herald sets
 * itself never come from a client, whatever a form says.
 */
import { evaluate } from 'feelin';
import type { Variables } from '../../engine/types.js';
import { CONTROL_VARIABLES, controlVariable } from '../../domain/sod/index.js';

/** Set by Herald, never by a client: the one list of process control variables (domain/sod). */
export const RESERVED_VARIABLES = CONTROL_VARIABLES;

/** The task header that declares what a task without a form may set: `a,b` (docs/forms.md). */
export const OUTPUTS_HEADER = 'herald:outputs';

export interface FormViolation {
  field: string;
  message: string;
}

interface Component {
  key?: string;
  path?: string;
  type?: string;
  label?: string;
  disabled?: boolean;
  readonly?: boolean | string;
  conditional?: { hide?: string };
  validate?: { required?: boolean; min?: number; max?: number; minLength?: number; maxLength?: number; pattern?: string };
  values?: { value: unknown }[];
  components?: Component[];
}

/** Components that show something and submit nothing. */
const DISPLAY_ONLY = new Set(['button', 'text', 'html', 'image', 'spacer', 'separator', 'iframe', 'table', 'documentPreview']);

/**
 * What an approval task without a form may set: the decision and its reason, as Herald's
 * tasklist asks for them when no form is linked (approve, reject with a reason, request changes).
 */
export const APPROVAL_DECISION_OUTPUTS = ['approved', 'rejectionReason', 'reason', 'changesRequested'];

/**
 * The declared outputs of a task from its headers: the `herald:outputs` list, else the decision
 * of an approval task (an `approvalLevel` header), else undefined (it declares none).
 */
export function declaredOutputs(headers: Record<string, string> | undefined): string[] | undefined {
  const raw = headers?.[OUTPUTS_HEADER];
  if (raw === undefined) return headers?.approvalLevel !== undefined ? [...APPROVAL_DECISION_OUTPUTS] : undefined;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export const isReserved = (name: string) => controlVariable(name) !== undefined;

/** The input fields of a form, through groups and columns (not into path-scoped containers). */
export function formFields(components: Component[] | undefined, out: Component[] = []): Component[] {
  for (const c of components ?? []) {
    if (DISPLAY_ONLY.has(c.type ?? '')) continue;
    if (c.key) out.push(c);
    // a group or dynamic list with a path nests its fields under that name: the path is the variable
    else if (c.path) out.push({ ...c, key: c.path });
    else if (c.components) formFields(c.components, out);
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
    case 'group':
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : 'must be an object';
    case 'dynamiclist':
      return Array.isArray(v) ? undefined : 'must be a list';
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

/**
 * Whether the field's `conditional.hide` holds for these variables. form-js evaluates it with
 * feelin in the browser; the same library here gives the same answer. Forms of processes/ write
 * their conditions over their own fields only, so the submitted variables are the whole context.
 */
function hidden(c: Component, variables: Variables): boolean {
  const expr = c.conditional?.hide;
  if (!expr) return false;
  try {
    return evaluate(expr.replace(/^=/, ''), variables).value === true;
  } catch {
    return false;
  }
}

const isEmpty = (v: unknown) => v === undefined || v === null || v === '';

/**
 * The first problem with `variables` for a task with this form, or undefined. A task without a
 * form may set only `outputs` (its declared outputs, see declaredOutputs), or nothing at all.
 */
export function validateAgainstForm(form: string | null, variables: Variables, outputs?: readonly string[]): FormViolation | undefined {
  for (const name of Object.keys(variables)) {
    if (isReserved(name)) return { field: `variables.${name}`, message: 'is set by Herald and cannot be set by a client' };
  }
  if (!form) {
    const allowed = outputs ?? [];
    for (const name of Object.keys(variables)) {
      if (!allowed.includes(name)) {
        const what = allowed.length ? `is not an output the task declares (${OUTPUTS_HEADER}: ${allowed.join(', ')})` : `cannot be set: the task has no form and declares no outputs (${OUTPUTS_HEADER})`;
        return { field: `variables.${name}`, message: what };
      }
    }
    return undefined;
  }
  let schema: { components?: Component[] };
  try {
    schema = JSON.parse(form) as { components?: Component[] };
  } catch {
    return { field: 'form', message: "the task's form is not valid JSON" };
  }
  const known = formFields(schema.components);
  const settable = known.filter((c) => !c.disabled && !c.readonly && c.type !== 'expression');
  for (const name of Object.keys(variables)) {
    const field = known.find((c) => c.key === name);
    if (!field) return { field: `variables.${name}`, message: `is not a field of the task's form (fields: ${settable.map((c) => c.key).join(', ') || 'none'})` };
    if (!settable.includes(field)) return { field: `variables.${name}`, message: "is shown by the task's form but cannot be set (disabled, read-only or computed)" };
  }
  for (const c of settable) {
    const v = variables[c.key!];
    if (hidden(c, variables)) {
      if (!isEmpty(v)) return { field: `variables.${c.key}`, message: `is hidden by the form here (${c.conditional!.hide!.replace(/^=/, '')}) and cannot be set` };
      continue;
    }
    if (isEmpty(v)) {
      if (c.validate?.required) return { field: `variables.${c.key}`, message: `is required${c.label ? ` (${c.label})` : ''}` };
      continue;
    }
    const err = typeError(c, v);
    if (err) return { field: `variables.${c.key}`, message: err };
  }
  return undefined;
}
