/**
 * Segregation of duties as data. Each entry names the rule a refusal quotes; the policy
 * (policy.ts) only interprets this table, so a new conflict is a new row, not a new `if`.
 * Amounts are decimal strings, compared exactly.
 */

/** What a person does to a subject. `initiate`, `propose` and `author` make; the rest check. */
export type Duty = 'initiate' | 'propose' | 'author' | 'work' | 'approve' | 'deploy' | 'release';

export type SubjectKind = 'communication' | 'request' | 'adjustment' | 'credit-change' | 'process-version' | 'template-version';

export type SodRule = 'candidate-group' | 'maker-checker' | 'distinct-approvers' | 'proposer-not-approver' | 'requester-not-resolver' | 'author-not-deployer' | 'author-not-approver' | 'four-eyes';

/** Whoever did `first` on a subject of these kinds may not do `second` on the same subject. */
export interface ConflictingDuties {
  rule: SodRule;
  subjects: SubjectKind[] | '*';
  first: Duty;
  second: Duty;
  /** Past tense of `first` and bare `second`, for the reason text. */
  did: string;
  must: string;
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
  /** The duty that sends or books; checked against the thresholds. */
  releaseDuty: Duty;
}

export const defaultSodPolicy: SodPolicy = {
  conflicts: [
    { rule: 'maker-checker', subjects: '*', first: 'initiate', second: 'approve', did: 'initiated', must: 'approve' },
    { rule: 'maker-checker', subjects: '*', first: 'initiate', second: 'release', did: 'initiated', must: 'release' },
    { rule: 'proposer-not-approver', subjects: ['adjustment'], first: 'propose', second: 'approve', did: 'proposed', must: 'approve' },
    { rule: 'requester-not-resolver', subjects: ['request'], first: 'initiate', second: 'work', did: 'raised', must: 'work on' },
    { rule: 'author-not-deployer', subjects: ['process-version', 'template-version'], first: 'author', second: 'deploy', did: 'authored', must: 'deploy' },
    { rule: 'author-not-approver', subjects: ['template-version'], first: 'author', second: 'approve', did: 'authored', must: 'approve' },
  ],
  // the communication approval policy: one approver above 10,000, four eyes above 50,000
  thresholds: [
    { above: '10000.00', approvers: 1 },
    { above: '50000.00', approvers: 2 },
  ],
  approvalDuty: 'approve',
  releaseDuty: 'release',
};
