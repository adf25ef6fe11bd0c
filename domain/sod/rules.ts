/**
 * Segregation of duties as data: the one table of rules for communications, requests,
 * adjustments, credit changes, process and template versions. Each entry names the rule a
 * refusal quotes; the policy (policy.ts) only interprets this table, so a new conflict is a
 * new row, not a new `if`. Amounts are decimal strings, compared exactly.
 */

/**
 * What a person does to a subject. `initiate`, `propose`, `author` and `manage` (the account
 * manager of the customer the subject is about) make or own; the rest check. `schedule` changes
 * a task's due date, follow-up date or priority.
 */
export type Duty = 'initiate' | 'propose' | 'author' | 'manage' | 'work' | 'approve' | 'deploy' | 'release' | 'schedule';

export type SubjectKind = 'communication' | 'request' | 'adjustment' | 'credit-change' | 'process-version' | 'template-version';

export type SodRule =
  | 'candidate-group'
  | 'maker-checker'
  | 'distinct-approvers'
  | 'proposer-not-approver'
  | 'requester-not-resolver'
  | 'author-not-deployer'
  | 'author-not-approver'
  | 'account-manager-not-refund-approver'
  | 'four-eyes'
  | 'assignee-or-lead';

/** Whoever did `first` on a subject of these kinds may not do `second` on the same subject. */
export interface ConflictingDuties {
  rule: SodRule;
  subjects: SubjectKind[] | '*';
  /** Only subjects of these types (an adjustment's kind: refund, contract, correction). */
  types?: string[];
  first: Duty;
  second: Duty;
  /** Past tense of `first` and bare `second`, for the reason text. */
  did: string;
  must: string;
}

/**
 * Who may reschedule a task (the `schedule` duty): its assignee, a lead of one of its candidate
 * groups (the group's name plus `leadSuffix`: `customer-service-lead` for `customer-service`), or
 * a holder of one of `leadGroups` for every task.
 */
export interface ScheduleRule {
  rule: SodRule;
  leadSuffix: string;
  leadGroups: string[];
}

/** Above `above` (exclusive), a subject needs at least `approvers` distinct approvers before release. */
export interface ApprovalThreshold {
  above: string;
  approvers: number;
}

export interface SodPolicy {
  conflicts: ConflictingDuties[];
  thresholds: ApprovalThreshold[];
  /** Duties that take part in an approval chain (one person, one level). */
  approvalDuty: Duty;
  /** The duty that sends or books; checked against the thresholds and the subject's own requirement. */
  releaseDuty: Duty;
  /** The duty that reschedules a task, and who may do it. */
  scheduleDuty: Duty;
  schedule: ScheduleRule;
}

export const defaultSodPolicy: SodPolicy = {
  conflicts: [
    { rule: 'maker-checker', subjects: '*', first: 'initiate', second: 'approve', did: 'initiated', must: 'approve' },
    { rule: 'maker-checker', subjects: '*', first: 'initiate', second: 'release', did: 'initiated', must: 'release' },
    { rule: 'proposer-not-approver', subjects: ['adjustment'], first: 'propose', second: 'approve', did: 'proposed', must: 'approve' },
    { rule: 'requester-not-resolver', subjects: ['request', 'adjustment'], first: 'initiate', second: 'work', did: 'raised', must: 'work on' },
    { rule: 'requester-not-resolver', subjects: ['adjustment'], first: 'initiate', second: 'propose', did: 'raised', must: 'propose an adjustment to' },
    // consideration payable to one's own customer: the account manager does not approve it
    { rule: 'account-manager-not-refund-approver', subjects: ['adjustment'], types: ['refund', 'contract'], first: 'manage', second: 'approve', did: 'manages the customer of', must: 'approve' },
    { rule: 'author-not-deployer', subjects: ['process-version', 'template-version'], first: 'author', second: 'deploy', did: 'authored', must: 'deploy' },
    { rule: 'author-not-approver', subjects: ['template-version'], first: 'author', second: 'approve', did: 'authored', must: 'approve' },
    // a lead who made the subject does not set the pace of its own checks
    { rule: 'maker-checker', subjects: '*', first: 'initiate', second: 'schedule', did: 'initiated', must: 'reschedule the tasks of' },
  ],
  // the communication approval policy's floor for any amount: one approver above 10,000, four eyes above 50,000
  thresholds: [
    { above: '10000.00', approvers: 1 },
    { above: '50000.00', approvers: 2 },
  ],
  approvalDuty: 'approve',
  releaseDuty: 'release',
  scheduleDuty: 'schedule',
  schedule: { rule: 'assignee-or-lead', leadSuffix: '-lead', leadGroups: ['admin'] },
};

/**
 * Control variables that say who did what or how many approvals a subject needs. Nobody sets them
 * from outside a process: not a task completion, and not an engineer starting an instance,
 * publishing a message or broadcasting a signal (Herald records the starter as `initiatedBy`).
 * The rest of CONTROL_VARIABLES (amount, customerId, kind...) name what an instance is about and
 * may be given at its start; workers check them against the database.
 */
export const PEOPLE_VARIABLES: readonly string[] = ['approvals', 'approvalLevels', 'approvalGroups', 'approvers', 'approvedBy', 'initiatedBy', 'requestedBy', 'proposedBy', 'workedBy', 'completedBy', 'assignee'];

/**
 * Variables a process uses for control: who made or approved a subject, how many approvals it
 * needs, what it is about. No task completion may set them, whatever its form says; workers and
 * the start of an instance set them. (`approvedBy1`, `approvedBy2`... match `approvedBy`.)
 */
export const CONTROL_VARIABLES: readonly string[] = [...PEOPLE_VARIABLES, 'status', 'amount', 'riskSegment', 'communicationId', 'requestId', 'adjustmentId', 'customerId', 'kind'];

/** The people-and-approvals variable `name` is (see PEOPLE_VARIABLES), or undefined. */
export function peopleVariable(name: string): string | undefined {
  const control = controlVariable(name);
  return control && PEOPLE_VARIABLES.includes(control) ? control : undefined;
}

/** The control variable `name` is, or undefined. */
export function controlVariable(name: string): string | undefined {
  if (CONTROL_VARIABLES.includes(name)) return name;
  if (/^approvedBy\d*$/.test(name)) return 'approvedBy';
  return undefined;
}
