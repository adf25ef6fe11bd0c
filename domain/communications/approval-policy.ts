/**
 * How many approval levels a communication needs before it leaves the building: by kind,
 * amount and the customer's risk. Amounts are decimal strings compared exactly.
 */
import type { MessageKind } from '../customers/validation.js';
import type { RiskSegment } from '../customers/risk.js';

export interface ApprovalPolicy {
  /** Above this amount one approval is needed. */
  singleApprovalAbove: string;
  /** Above this amount two approvals by different people (four eyes). */
  fourEyesAbove: string;
  /** Kinds that always need one approval (legal notices). */
  alwaysApprove: MessageKind[];
}

export const defaultPolicy: ApprovalPolicy = { singleApprovalAbove: '10000.00', fourEyesAbove: '50000.00', alwaysApprove: ['legal'] };

/** Compares two non-negative decimal strings exactly. */
export function compareAmounts(a: string, b: string): number {
  const [ai, af = ''] = a.trim().split('.');
  const [bi, bf = ''] = b.trim().split('.');
  const len = Math.max(af.length, bf.length);
  const an = BigInt(ai + af.padEnd(len, '0'));
  const bn = BigInt(bi + bf.padEnd(len, '0'));
  return an === bn ? 0 : an > bn ? 1 : -1;
}

export function approvalLevels(input: { kind: MessageKind; amount?: string; risk: RiskSegment }, policy = defaultPolicy): 0 | 1 | 2 {
  let levels: 0 | 1 | 2 = policy.alwaysApprove.includes(input.kind) ? 1 : 0;
  if (input.amount !== undefined) {
    if (compareAmounts(input.amount, policy.fourEyesAbove) > 0) levels = 2;
    else if (compareAmounts(input.amount, policy.singleApprovalAbove) > 0) levels = Math.max(levels, 1) as 1;
  }
  // a high-risk customer's dunning and legal notices get a second look
  if (input.risk === 'high' && (input.kind === 'dunning' || input.kind === 'legal') && levels === 0) levels = 1;
  return levels;
}
