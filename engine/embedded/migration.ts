/**
 * Process instance migration on the embedded engine (Zeebe's MigrateProcessInstance): checks a
 * migration plan against the instance, with Zeebe's rejection texts, before anything changes.
 *
 * An instance moves to any process definition (another version, or another process), each active
 * element to the element its mapping instruction names (the same id or another: a renamed
 * element), of the same type, in the flow scope its own flow scope is mapped to, with boundary
 * events that map onto the target element's. The process itself maps to the target process, as
 * in Zeebe. The instance's saved state is then rewritten to the target's element ids
 * (`renameSnapshot`) and resumed on the target (engine.ts `migrateInstance`); element instance
 * keys, jobs, timers and subscriptions stay as they are, as Zeebe keeps them (a job's type is not
 * evaluated again), and their rows name the target's elements (`renameRows`).
 */
import type { Db } from '../../storage/db.js';
import { EngineError, type MigrateInstanceRequest } from '../types.js';
import type { ElementInfo, ProcessModel } from './model.js';
import type { InstanceRuntime, Snapshot } from './runtime.js';

/** Zeebe's BpmnElementType name of an element, as its rejection texts print it. */
function zeebeType(info: ElementInfo): string {
  if (info.attachedTo) return 'BOUNDARY_EVENT';
  if (info.type === 'bpmn:SubProcess' && info.triggeredByEvent) return 'EVENT_SUB_PROCESS';
  return info.type
    .replace(/^bpmn:/, '')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toUpperCase();
}

export interface MigrationPlan {
  /** Source element id -> target element id, for every mapping instruction and the process itself. */
  mapping: Map<string, string>;
  /** True when some id changes (the process or an element): the saved state must be rewritten. */
  renames: boolean;
}

/** Throws INVALID_ARGUMENT (naming the field and element) when the instance cannot move to `target` with this plan. */
export function checkMigration(rt: InstanceRuntime, target: ProcessModel, targetKey: string, request: MigrateInstanceRequest): MigrationPlan {
  void targetKey;
  const source = rt.model;
  const key = rt.data.instanceKey;
  const refuse = (message: string, field: string, elementId?: string): never => {
    throw new EngineError('INVALID_ARGUMENT', message, { field, ...(elementId && { elementId }) });
  };
  const instructions = request?.mappingInstructions;
  if (!Array.isArray(instructions)) refuse('mappingInstructions must be a list of { sourceElementId, targetElementId }', 'mappingInstructions');
  const counts = new Map<string, number>();
  for (const m of instructions) counts.set(String(m?.sourceElementId ?? ''), (counts.get(String(m?.sourceElementId ?? '')) ?? 0) + 1);
  const duplicates = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  if (duplicates.length) {
    refuse(`Expected to migrate process instance '${key}' but the mapping instructions contain duplicate source element ids '[${duplicates.join(', ')}]'.`, 'mappingInstructions', duplicates[0]);
  }
  // the process instance itself always moves to the target process (Zeebe maps it implicitly)
  const mapping = new Map<string, string>([[source.bpmnProcessId, target.bpmnProcessId]]);
  for (const [i, m] of instructions.entries()) {
    const sourceId = String(m?.sourceElementId ?? '');
    const targetId = String(m?.targetElementId ?? '');
    if (!source.elements.has(sourceId)) {
      refuse(`Expected to migrate process instance '${key}' but mapping instructions contain a non-existing source element id '${sourceId}'. Elements provided in mapping instructions must exist in the source process definition.`, `mappingInstructions[${i}].sourceElementId`, sourceId);
    }
    if (!target.elements.has(targetId)) {
      refuse(`Expected to migrate process instance '${key}' but mapping instructions contain a non-existing target element id '${targetId}'. Elements provided in mapping instructions must exist in the target process definition.`, `mappingInstructions[${i}].targetElementId`, targetId);
    }
    mapping.set(sourceId, targetId);
  }
  const boundariesOf = (model: ProcessModel, id: string) => [...model.elements.values()].filter((e) => e.attachedTo === id);
  const activeElements = [...new Set(Object.values(rt.data.active).map((a) => a.elementId))];
  for (const id of activeElements) {
    const from = source.elements.get(id)!;
    const targetId = mapping.get(id);
    if (targetId === undefined) {
      refuse(`Expected to migrate process instance '${key}' but no mapping instruction defined for active element with id '${id}'. Elements cannot be migrated without a mapping.`, 'mappingInstructions', id);
    }
    const to = target.elements.get(targetId!)!;
    if (zeebeType(from) !== zeebeType(to) || from.type !== to.type) {
      refuse(
        `Expected to migrate process instance '${key}' but active element with id '${id}' and type '${zeebeType(from)}' is mapped to an element with id '${targetId}' and different type '${zeebeType(to)}'. Elements must be mapped to elements of the same type.`,
        'mappingInstructions',
        id,
      );
    }
    if (from.incoming.some((f) => source.elements.get(source.flows.get(f)?.sourceId ?? '')?.type === 'bpmn:EventBasedGateway')) {
      refuse(
        `Expected to migrate process instance '${key}' but active element with id '${id}' is an intermediate catch event attached to an event-based gateway. Migrating active events attached to an event-based gateway is not possible yet.`,
        'mappingInstructions',
        id,
      );
    }
    // Zeebe compares the target's flow scope with the (already migrated) flow scope instance's element
    const expectedScope = mapping.get(from.parentId) ?? from.parentId;
    if (expectedScope !== to.parentId) {
      refuse(
        `Expected to migrate process instance '${key}' but the flow scope of active element with id '${id}' is changed. The flow scope of the active element is expected to be '${expectedScope}' but was '${to.parentId}'. The flow scope of an element cannot be changed during migration yet.`,
        'mappingInstructions',
        id,
      );
    }
    const targetBoundaries = boundariesOf(target, targetId!);
    for (const b of boundariesOf(source, id)) {
      const mapped = mapping.get(b.id);
      if (mapped !== undefined && !targetBoundaries.some((t) => t.id === mapped)) {
        refuse(
          `Expected to migrate process instance '${key}' but active element with id '${id}' is mapped to an element with id '${targetId}' and has a boundary event with id '${b.id}' that is mapped to an element with id '${mapped}'. These mappings detach the boundary event from the element in the target process. Boundary events must stay attached to the same element instance.`,
          'mappingInstructions',
          id,
        );
      }
    }
    // what the embedded engine cannot move: its boundary subscriptions stay with the element instance
    // as they are, so the target element must have the same ones (each mapped, or of the same id)
    const moved = boundariesOf(source, id)
      .map((b) => `${mapping.get(b.id) ?? b.id}:${b.eventKind ?? ''}`)
      .sort()
      .join(',');
    const wanted = targetBoundaries
      .map((b) => `${b.id}:${b.eventKind ?? ''}`)
      .sort()
      .join(',');
    if (moved !== wanted) {
      refuse(
        `Expected to migrate process instance '${key}' but active element with id '${id}' has other boundary events in the target element '${targetId}'; the embedded engine migrates an active element only when each of its boundary events maps onto one of the target's and the target has no others.`,
        'mappingInstructions',
        id,
      );
    }
    if (!!from.loop !== !!to.loop) {
      refuse(`Expected to migrate process instance '${key}' but active element with id '${id}' is multi-instance in one definition and not in the other.`, 'mappingInstructions', id);
    }
  }
  // bpmn-engine runs one execution of an element at a time: two active elements cannot become one
  const merged = new Map<string, string>();
  for (const id of activeElements) {
    const to = mapping.get(id)!;
    const other = merged.get(to);
    if (other !== undefined) {
      refuse(`Expected to migrate process instance '${key}' but active elements with ids '${other}' and '${id}' are both mapped to '${to}'; the embedded engine runs one instance of an element at a time.`, 'mappingInstructions', id);
    }
    merged.set(to, id);
  }
  const renames = [...mapping].some(([from, to]) => from !== to);
  return { mapping, renames };
}

/** Keys of bpmn-engine's saved state whose string values are element ids. */
const ID_KEYS = new Set(['id', 'targetId', 'sourceId', 'attachedTo']);

/**
 * Rewrites a saved instance to the target's element ids: bpmn-engine's state (elements, messages
 * in its queues, parents and paths) and Herald's own (active elements, waits, compensation and
 * event sub-process bookkeeping). Execution ids, hence element instance keys, stay.
 */
export function renameSnapshot(snapshot: Snapshot, mapping: Map<string, string>): void {
  const rename = (value: string) => mapping.get(value) ?? value;
  // an element that ran before under an id another element is renamed to: its (ended) state goes
  const taken = new Set([...mapping].filter(([from, to]) => from !== to && !mapping.has(to)).map(([, to]) => to));
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const obj = node as Record<string, unknown>;
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v === 'string') {
        if (ID_KEYS.has(k)) obj[k] = rename(v);
      } else {
        if (k === 'children' && Array.isArray(v) && taken.size) obj[k] = v.filter((child: { id?: string }) => !taken.has(child?.id ?? ''));
        walk(obj[k]);
      }
    }
  };
  walk(snapshot.engine);
  const data = snapshot.data;
  for (const a of Object.values(data.active)) a.elementId = rename(a.elementId);
  for (const w of Object.values(data.waits)) w.elementId = rename(w.elementId);
  for (const c of data.compensable ?? []) c.elementId = rename(c.elementId);
  for (const q of data.eventSubQueue ?? []) q.subProcessId = rename(q.subProcessId);
  if (data.closedEventSubs) {
    data.closedEventSubs = Object.fromEntries(Object.keys(data.closedEventSubs).map((k) => [k.replace(/\|(.*)$/, (_, id: string) => `|${rename(id)}`), true as const]));
  }
}

/**
 * The instance's rows follow it: its jobs, user tasks, timers, subscriptions and incidents name
 * the target elements, and the history of its active element instances too (Zeebe's
 * ELEMENT_MIGRATED); what ended keeps the ids it ran with.
 */
export async function renameRows(tx: Db, instanceKey: number, plan: MigrationPlan, target: ProcessModel, targetKey: number, activeKeys: string[]): Promise<void> {
  await tx('engine_instances').where({ key: instanceKey }).update({ bpmn_process_id: target.bpmnProcessId });
  const tasks = await tx('engine_user_tasks').where({ instance_key: instanceKey, state: 'CREATED' }).select('key', 'element_id', 'task');
  for (const t of tasks) {
    const elementId = plan.mapping.get(t.element_id) ?? t.element_id;
    const task = typeof t.task === 'string' ? JSON.parse(t.task) : t.task;
    Object.assign(task, { elementId, elementName: target.elements.get(elementId)?.name, bpmnProcessId: target.bpmnProcessId, processDefinitionKey: String(targetKey) });
    await tx('engine_user_tasks').where({ key: t.key }).update({ element_id: elementId, task: JSON.stringify(task) });
  }
  for (const [from, to] of plan.mapping) {
    if (from === to) continue;
    for (const table of ['engine_jobs', 'engine_timers', 'engine_message_subscriptions', 'engine_signal_subscriptions', 'engine_incidents']) {
      await tx(table).where({ instance_key: instanceKey, element_id: from }).update({ element_id: to });
    }
    if (activeKeys.length) {
      await tx('engine_element_events')
        .where({ instance_key: instanceKey, element_id: from })
        .whereIn('element_instance_key', activeKeys)
        .update({ element_id: to, element_name: target.elements.get(to)?.name ?? null });
    }
  }
}
