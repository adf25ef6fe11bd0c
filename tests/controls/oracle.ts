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
