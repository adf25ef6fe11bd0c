/**
 * The approval policy as DESIGN.md and the README state it, written apart from domain/ so the
 * property tests check the policy's code against the policy's words.
 */
export function required(kind: string, amount: string | null, risk: string): number {
  const cents = amount == null ? 0 : Math.round(Number(amount) * 100);
  let n = kind === 'legal' ? 1 : 0;
  if (cents > 5_000_000) n = 2;
  else if (cents > 1_000_000) n = Math.max(n, 1);
  if (risk === 'high' && (kind === 'dunning' || kind === 'legal') && n === 0) n = 1;
  return n;
}

/**
 * Approvals an adjustment needs, as the README states the chains: corrections none up to 1,000, one
 * above it, two above 10,000; refunds and contract changes one above 0 and two above 25,000;
 * restructuring one (the credit committee); never fewer than the communication floor for the amount.
 */
export function adjustmentRequired(kind: string, amount: string): number {
  const cents = Math.round(Number(amount) * 100);
  const own = kind === 'correction' ? (cents > 1_000_000 ? 2 : cents > 100_000 ? 1 : 0) : kind === 'restructuring' ? 1 : cents > 2_500_000 ? 2 : cents > 0 ? 1 : 0;
  return Math.max(own, required('transactional', amount, 'low'));
}
