/**
 * 10,000 random sequences of (actor, roles, amount, action) against the policy: whatever it
 * accepts is checked against an independent oracle written from the rules' wording.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSod, type Duty, type DutyRecord, type SubjectKind } from '../../domain/sod/index.js';

const PEOPLE = ['ada', 'eric', 'alice', 'bob', 'sam'];
const GROUPS = ['approver-l1', 'approver-l2', 'agent', 'engineer', 'analyst'];
const KINDS: SubjectKind[] = ['communication', 'adjustment', 'process-version', 'template-version', 'request'];
const DUTIES: Duty[] = ['initiate', 'propose', 'author', 'work', 'approve', 'deploy', 'release'];
const AMOUNTS = ['0.00', '9999.99', '10000.00', '10000.01', '19600.00', '50000.00', '50000.01', '250000.00', '12', '0.5'];

/** Cents as bigint: an oracle that shares no code with the policy's decimal arithmetic. */
function cents(amount: string): bigint {
  const [whole, frac = ''] = amount.split('.');
  return BigInt(whole) * 100n + BigInt((frac + '00').slice(0, 2));
}
function oracleRequired(amount: string): number {
  if (cents(amount) > 5_000_000n) return 2;
  if (cents(amount) > 1_000_000n) return 1;
  return 0;
}

const step = fc.record({
  actor: fc.constantFrom(...PEOPLE),
  roles: fc.subarray(GROUPS),
  duty: fc.constantFrom(...DUTIES),
  level: fc.constantFrom(1, 2),
  taskGroups: fc.subarray(GROUPS, { maxLength: 2 }),
});

const sequence = fc.record({
  kind: fc.constantFrom(...KINDS),
  amount: fc.constantFrom(...AMOUNTS),
  steps: fc.array(step, { minLength: 1, maxLength: 14 }),
});

describe('SoD property', () => {
  it('never accepts a violation in 10,000 random sequences', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(sequence, ({ kind, amount, steps }) => {
        const history: DutyRecord[] = [];
        for (const s of steps) {
          const task = s.duty === 'approve' || s.duty === 'work' ? { candidateGroups: s.taskGroups } : undefined;
          const decision = checkSod({ actor: { id: s.actor, groups: s.roles }, duty: s.duty, subject: { kind, id: 'x', amount }, history, task, level: s.level });
          if (!decision.allowed) {
            refused++;
            expect(decision.rule).toBeTruthy();
            // a release refusal names the subject (four eyes) or the person who held two conflicting duties
            if (s.duty !== 'release') expect(decision.reason).toContain(decision.rule === 'four-eyes' ? 'x' : s.actor);
            else expect(decision.reason).toMatch(decision.rule === 'four-eyes' ? /x/ : new RegExp(`${s.actor} initiated|nothing is released`));
            continue;
          }
          accepted++;
          const did = (duty: Duty) => history.some((h) => h.actor === s.actor && h.duty === duty);
          // the oracle: each clause is one sentence of DESIGN.md's segregation of duties
          if (task && task.candidateGroups.length) expect(task.candidateGroups.some((g) => s.roles.includes(g))).toBe(true);
          if (s.duty === 'approve') {
            expect(did('initiate')).toBe(false);
            expect(did('approve')).toBe(false);
            if (kind === 'adjustment') expect(did('propose')).toBe(false);
            if (kind === 'template-version') expect(did('author')).toBe(false);
          }
          if (s.duty === 'deploy' && (kind === 'process-version' || kind === 'template-version')) expect(did('author')).toBe(false);
          if (s.duty === 'release') {
            expect(did('initiate')).toBe(false);
            const makers = new Set(history.filter((h) => h.duty === 'initiate' || (kind === 'adjustment' && h.duty === 'propose') || (kind === 'template-version' && h.duty === 'author')).map((h) => h.actor));
            const approvers = new Set(history.filter((h) => h.duty === 'approve' && !makers.has(h.actor)).map((h) => h.actor));
            expect(approvers.size).toBeGreaterThanOrEqual(oracleRequired(amount));
            // nobody approved what they made
            for (const a of history.filter((h) => h.duty === 'approve')) expect(makers.has(a.actor)).toBe(false);
          }
          history.push({ actor: s.actor, duty: s.duty, level: s.duty === 'approve' ? s.level : undefined });
        }
      }),
      { numRuns: 10_000, seed: Number(process.env.SOD_SEED ?? 20261124) },
    );
    // both answers were exercised
    expect(accepted).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(1000);
  });
});
