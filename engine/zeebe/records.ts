/**
 * Mapping Orchestration Cluster REST API records (/v2 search results) onto the port's types.
 * 8.8 declares most incident and user-task fields optional; an absent key maps to ''.
 */
import type { ElementInstanceResult, IncidentResult, ProcessInstanceResult, UserTaskResult, VariableSearchResult } from '@camunda8/orchestration-cluster-api';
import type { ElementInstance, ElementState, Incident, IncidentErrorType, InstanceRef, InstanceState, UserTask, Variables } from '../types.js';

/** The typed client's own result types (generated from the 8.8 OpenAPI document; keys are branded strings). */
export type ProcessInstanceRecord = ProcessInstanceResult;
export type ElementInstanceRecord = ElementInstanceResult;
export type IncidentRecord = IncidentResult;
export type VariableRecord = VariableSearchResult;
export type UserTaskRecord = UserTaskResult;

const incidentTypes = new Set<IncidentErrorType>([
  'JOB_NO_RETRIES',
  'EXTRACT_VALUE_ERROR',
  'CONDITION_ERROR',
  'IO_MAPPING_ERROR',
  'CALLED_ELEMENT_ERROR',
  'CALLED_DECISION_ERROR',
  'DECISION_EVALUATION_ERROR',
  'UNHANDLED_ERROR_EVENT',
  'FORM_NOT_FOUND',
  'TASK_LISTENER_NO_RETRIES',
  'EXECUTION_LISTENER_NO_RETRIES',
]);

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

export function instanceState(state: string): InstanceState {
  if (state === 'COMPLETED') return 'COMPLETED';
  if (state === 'TERMINATED' || state === 'CANCELED') return 'TERMINATED';
  return 'ACTIVE';
}

export function toInstanceRef(r: ProcessInstanceRecord): InstanceRef & { state: InstanceState; startedAt: string; endedAt?: string } {
  return {
    processInstanceKey: String(r.processInstanceKey),
    processDefinitionKey: String(r.processDefinitionKey),
    bpmnProcessId: r.processDefinitionId,
    version: Number(r.processDefinitionVersion),
    state: instanceState(r.state),
    startedAt: r.startDate,
    endedAt: opt(r.endDate),
  };
}

export function toElement(r: ElementInstanceRecord): ElementInstance {
  const state: ElementState = r.state === 'COMPLETED' ? 'COMPLETED' : r.state === 'TERMINATED' ? 'TERMINATED' : 'ACTIVATED';
  return {
    elementInstanceKey: String(r.elementInstanceKey),
    elementId: r.elementId,
    elementName: opt(r.elementName) || undefined,
    elementType: r.type,
    state,
    // 8.8's element-instance result carries no flow scope key.
    flowScopeKey: undefined,
    startedAt: r.startDate,
    endedAt: opt(r.endDate),
    incidentKey: r.incidentKey ? String(r.incidentKey) : undefined,
  };
}

export function toIncident(r: IncidentRecord): Incident {
  return {
    incidentKey: str(r.incidentKey),
    processInstanceKey: str(r.processInstanceKey),
    processDefinitionKey: str(r.processDefinitionKey),
    bpmnProcessId: str(r.processDefinitionId),
    elementId: str(r.elementId),
    elementInstanceKey: str(r.elementInstanceKey),
    jobKey: r.jobKey ? String(r.jobKey) : undefined,
    errorType: incidentTypes.has(r.errorType as IncidentErrorType) ? (r.errorType as IncidentErrorType) : 'UNKNOWN',
    errorMessage: r.errorMessage ?? '',
    state: r.state === 'RESOLVED' ? 'RESOLVED' : 'ACTIVE',
    createdAt: r.creationTime ?? '',
  };
}

/** Variable values arrive as JSON text. */
export function parseValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export function toUserTask(r: UserTaskRecord, variables: Variables, form?: string): UserTask {
  return {
    userTaskKey: str(r.userTaskKey),
    kind: 'camunda',
    processInstanceKey: str(r.processInstanceKey),
    processDefinitionKey: str(r.processDefinitionKey),
    bpmnProcessId: str(r.processDefinitionId),
    elementId: str(r.elementId),
    elementName: opt(r.name) || undefined,
    elementInstanceKey: str(r.elementInstanceKey),
    assignee: opt(r.assignee) || undefined,
    candidateGroups: r.candidateGroups ?? [],
    candidateUsers: r.candidateUsers ?? [],
    dueDate: opt(r.dueDate),
    followUpDate: opt(r.followUpDate),
    formKey: r.formKey ? String(r.formKey) : undefined,
    form,
    priority: opt(r.priority),
    variables,
    customHeaders: r.customHeaders ?? {},
    createdAt: r.creationDate ?? '',
  };
}
