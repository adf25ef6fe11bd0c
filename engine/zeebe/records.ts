/**
 * Mapping Orchestration Cluster REST API records (/v2 search results) onto the port's types.
 * Only the fields Herald reads are declared; the API sends more.
 */
import type { ElementInstance, ElementState, Incident, IncidentErrorType, InstanceRef, InstanceState, UserTask, Variables } from '../types.js';

export interface ProcessInstanceRecord {
  processInstanceKey: string;
  processDefinitionKey: string;
  processDefinitionId: string;
  processDefinitionVersion: number;
  state: string;
  startDate: string;
  endDate?: string | null;
  parentProcessInstanceKey?: string | null;
  hasIncident?: boolean;
}

export interface ElementInstanceRecord {
  elementInstanceKey: string;
  elementId: string;
  elementName?: string | null;
  type: string;
  state: string;
  startDate: string;
  endDate?: string | null;
  incidentKey?: string | null;
  flowScopeKey?: string | null;
}

export interface IncidentRecord {
  incidentKey: string;
  processInstanceKey: string;
  processDefinitionKey: string;
  processDefinitionId: string;
  elementId: string;
  elementInstanceKey: string;
  jobKey?: string | null;
  errorType: string;
  errorMessage?: string | null;
  state: string;
  creationTime: string;
}

export interface VariableRecord {
  variableKey: string;
  name: string;
  value: string;
  isTruncated?: boolean;
  scopeKey: string;
}

export interface UserTaskRecord {
  userTaskKey: string;
  name?: string | null;
  state: string;
  assignee?: string | null;
  elementId: string;
  elementInstanceKey: string;
  candidateGroups?: string[] | null;
  candidateUsers?: string[] | null;
  processDefinitionId: string;
  processDefinitionKey: string;
  processInstanceKey: string;
  formKey?: string | null;
  creationDate: string;
  dueDate?: string | null;
  followUpDate?: string | null;
  customHeaders?: Record<string, string> | null;
  priority?: number | null;
}

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
]);

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

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
    flowScopeKey: r.flowScopeKey ? String(r.flowScopeKey) : undefined,
    startedAt: r.startDate,
    endedAt: opt(r.endDate),
    incidentKey: r.incidentKey ? String(r.incidentKey) : undefined,
  };
}

export function toIncident(r: IncidentRecord): Incident {
  return {
    incidentKey: String(r.incidentKey),
    processInstanceKey: String(r.processInstanceKey),
    processDefinitionKey: String(r.processDefinitionKey),
    bpmnProcessId: r.processDefinitionId,
    elementId: r.elementId,
    elementInstanceKey: String(r.elementInstanceKey),
    jobKey: r.jobKey ? String(r.jobKey) : undefined,
    errorType: incidentTypes.has(r.errorType as IncidentErrorType) ? (r.errorType as IncidentErrorType) : 'UNKNOWN',
    errorMessage: r.errorMessage ?? '',
    state: r.state === 'RESOLVED' ? 'RESOLVED' : 'ACTIVE',
    createdAt: r.creationTime,
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
    userTaskKey: String(r.userTaskKey),
    kind: 'camunda',
    processInstanceKey: String(r.processInstanceKey),
    processDefinitionKey: String(r.processDefinitionKey),
    bpmnProcessId: r.processDefinitionId,
    elementId: r.elementId,
    elementName: opt(r.name) || undefined,
    elementInstanceKey: String(r.elementInstanceKey),
    assignee: opt(r.assignee) || undefined,
    candidateGroups: r.candidateGroups ?? [],
    candidateUsers: r.candidateUsers ?? [],
    dueDate: opt(r.dueDate),
    followUpDate: opt(r.followUpDate),
    formKey: opt(r.formKey) ?? undefined,
    form,
    priority: opt(r.priority),
    variables,
    customHeaders: r.customHeaders ?? {},
    createdAt: r.creationDate,
  };
}
