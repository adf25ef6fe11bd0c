/**
 * Process instance migration on the embedded engine (Zeebe's MigrateProcessInstance): checks a
 * migration plan against the instance, with Zeebe's rejection texts, before anything changes.
 *
 * What the embedded engine migrates: an instance to another version of its own process, each
 * active element mapped to the element with the same id, of the same type, in the same flow
 * scope, with the same boundary events. The instance's saved state is then resumed on the target
 * version (engine.ts `migrateInstance`); jobs, timers and subscriptions stay as they are, as
 * Zeebe keeps them (a job's type is not evaluated again).
 */
import { EngineError, type MigrateInstanceRequest } from '../types.js';
import type { ProcessModel } from './model.js';
import type { InstanceRuntime } from './runtime.js';

const short = (type: string) => type.replace(/^bpmn:/, '').replace(/^./, (c) => c.toUpperCase());

/** Throws INVALID_ARGUMENT (naming the field and element) when the instance cannot move to `target` with this plan. */
export function checkMigration(rt: InstanceRuntime, target: ProcessModel, targetKey: string, request: MigrateInstanceRequest): void {
  const source = rt.model;
  const key = rt.data.instanceKey;
  const refuse = (message: string, field: string, elementId?: string): never => {
    throw new EngineError('INVALID_ARGUMENT', message, { field, ...(elementId && { elementId }) });
  };
  const instructions = request?.mappingInstructions;
  if (!Array.isArray(instructions)) refuse('mappingInstructions must be a list of { sourceElementId, targetElementId }', 'mappingInstructions');
  if (target.bpmnProcessId !== source.bpmnProcessId) {
    refuse(
      `Expected to migrate process instance '${key}' to process definition '${targetKey}', but it is a version of '${target.bpmnProcessId}', not of '${source.bpmnProcessId}'; the embedded engine migrates an instance to another version of its own process`,
      'targetProcessDefinitionKey',
    );
  }
  const mapping = new Map<string, string>();
  for (const [i, m] of instructions.entries()) {
    const sourceId = String(m?.sourceElementId ?? '');
    const targetId = String(m?.targetElementId ?? '');
    if (!source.elements.has(sourceId)) {
      refuse(`Expected to migrate process instance '${key}' but mapping instructions contain a non-existing source element id '${sourceId}'. Elements provided in mapping instructions must exist in the source process definition.`, `mappingInstructions[${i}].sourceElementId`, sourceId);
    }
    if (!target.elements.has(targetId)) {
      refuse(`Expected to migrate process instance '${key}' but mapping instructions contain a non-existing target element id '${targetId}'. Elements provided in mapping instructions must exist in the target process definition.`, `mappingInstructions[${i}].targetElementId`, targetId);
    }
    if (mapping.has(sourceId)) {
      refuse(`Expected to migrate process instance '${key}' but mapping instructions contain duplicate source element ids '${sourceId}'.`, `mappingInstructions[${i}].sourceElementId`, sourceId);
    }
    mapping.set(sourceId, targetId);
  }
  const boundaries = (model: ProcessModel, id: string) =>
    [...model.elements.values()]
      .filter((e) => e.attachedTo === id)
      .map((e) => `${e.id}:${e.eventKind ?? ''}`)
      .sort()
      .join(',');
  for (const active of Object.values(rt.data.active)) {
    const id = active.elementId;
    const from = source.elements.get(id)!;
    const targetId = mapping.get(id);
    if (targetId === undefined) {
      refuse(`Expected to migrate process instance '${key}' but no mapping instruction defined for active element with id '${id}'. Elements cannot be migrated without a mapping.`, 'mappingInstructions', id);
    }
    const to = target.elements.get(targetId!)!;
    if (from.type !== to.type) {
      refuse(
        `Expected to migrate process instance '${key}' but active element with id '${id}' and type '${short(from.type)}' is mapped to an element with id '${targetId}' and different type '${short(to.type)}'. Elements must be mapped to elements of the same type.`,
        'mappingInstructions',
        id,
      );
    }
    if (targetId !== id) {
      refuse(`Expected to migrate process instance '${key}' but active element with id '${id}' is mapped to '${targetId}'; the embedded engine migrates an active element only to the element with the same id.`, 'mappingInstructions', id);
    }
    if (from.parentId !== to.parentId) {
      refuse(
        `Expected to migrate process instance '${key}' but the flow scope of active element with id '${id}' is changed. The flow scope of the active element is expected to be '${from.parentId}' but was '${to.parentId}'. The flow scope of an element cannot be changed during migration yet.`,
        'mappingInstructions',
        id,
      );
    }
    if (boundaries(source, id) !== boundaries(target, id)) {
      refuse(`Expected to migrate process instance '${key}' but active element with id '${id}' has other boundary events in the target; the embedded engine migrates an active element only when its boundary events are the same.`, 'mappingInstructions', id);
    }
    if (!!from.loop !== !!to.loop) {
      refuse(`Expected to migrate process instance '${key}' but active element with id '${id}' is multi-instance in one version and not in the other.`, 'mappingInstructions', id);
    }
  }
}
