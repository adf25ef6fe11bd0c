import { describe, expect, it } from 'vitest';
import { checkSod, requiredApprovers, type SodCheck } from '../../domain/sod/index.js';

const alice = { id: 'alice', groups: ['approver', 'approver-l1'] };
const bob = { id: 'bob', groups: ['approver', 'approver-l2'] };
const ada = { id: 'ada', groups: ['analyst', 'approver-l1'] };

function check(partial: Partial<SodCheck>): SodCheck {
  return { actor: alice, duty: 'approve', subject: { kind: 'communication', id: 'c-1', amount: '100.00' }, history: [], ...partial };
}

describe('segregation of duties', () => {
  it('allows an approver in the candidate group who did nothing else', () => {
    expect(checkSod(check({ task: { candidateGroups: ['approver-l1'] }, level: 1 }))).toEqual({ allowed: true });
  });

  it('refuses someone outside the candidate groups (wrong group)', () => {
    const d = checkSod(check({ actor: bob, task: { candidateGroups: ['approver-l1'] }, level: 1 }));
    expect(d).toMatchObject({ allowed: false, rule: 'candidate-group' });
  });

  it('lets a candidate user in without the group', () => {
    expect(checkSod(check({ actor: bob, task: { candidateGroups: ['approver-l1'], candidateUsers: ['bob'] } }))).toEqual({ allowed: true });
  });

  it('refuses self-approval (maker-checker)', () => {
    const d = checkSod(check({ actor: ada, history: [{ actor: 'ada', duty: 'initiate' }], task: { candidateGroups: ['approver-l1'] } }));
    expect(d).toMatchObject({ allowed: false, rule: 'maker-checker' });
    if (!d.allowed) expect(d.reason).toContain('ada initiated communication c-1');
  });

  it('refuses the person who raised a request as the one who works it; a colleague may', () => {
    const sam = { id: 'sam', groups: ['agent', 'finance'] };
    const kim = { id: 'kim', groups: ['agent', 'finance'] };
    const request = { kind: 'request' as const, id: 'REQ-7' };
    const history = [{ actor: 'sam', duty: 'initiate' as const }];
    const refused = checkSod({ actor: sam, duty: 'work', subject: request, history, task: { candidateGroups: ['finance'] } });
    expect(refused).toMatchObject({ allowed: false, rule: 'requester-not-resolver' });
    if (!refused.allowed) expect(refused.reason).toContain('sam raised request REQ-7');
    expect(checkSod({ actor: kim, duty: 'work', subject: request, history, task: { candidateGroups: ['finance'] } })).toEqual({ allowed: true });
    // working a communication someone initiated is not a conflict
    expect(checkSod({ actor: sam, duty: 'work', subject: { kind: 'communication', id: 'c-9' }, history, task: { candidateGroups: ['finance'] } })).toEqual({ allowed: true });
  });

  it('refuses the same person at two levels', () => {
    const d = checkSod(check({ actor: { id: 'alice', groups: ['approver-l1', 'approver-l2'] }, level: 2, history: [{ actor: 'alice', duty: 'approve', level: 1 }] }));
    expect(d).toMatchObject({ allowed: false, rule: 'distinct-approvers' });
    if (!d.allowed) expect(d.reason).toContain('level 1');
  });

  it('refuses the proposer of an adjustment as its approver, not of a communication', () => {
    const history = [{ actor: 'sam', duty: 'propose' as const }];
    const sam = { id: 'sam', groups: ['agent'] };
    expect(checkSod(check({ actor: sam, subject: { kind: 'adjustment', id: 'adj-1' }, history }))).toMatchObject({ allowed: false, rule: 'proposer-not-approver' });
    expect(checkSod(check({ actor: sam, subject: { kind: 'communication', id: 'c-1' }, history }))).toEqual({ allowed: true });
  });

  it('refuses the author of a process or template version as its deployer', () => {
    const history = [{ actor: 'eric', duty: 'author' as const }];
    const eric = { id: 'eric', groups: ['engineer'] };
    expect(checkSod(check({ actor: eric, duty: 'deploy', subject: { kind: 'process-version', id: 'p@3' }, history }))).toMatchObject({ allowed: false, rule: 'author-not-deployer' });
    expect(checkSod(check({ actor: eric, duty: 'deploy', subject: { kind: 'template-version', id: 't@2' }, history }))).toMatchObject({ allowed: false, rule: 'author-not-deployer' });
    expect(checkSod(check({ actor: { id: 'root', groups: ['admin'] }, duty: 'deploy', subject: { kind: 'process-version', id: 'p@3' }, history }))).toEqual({ allowed: true });
  });

  it('needs approvers by amount before release (four eyes above 50,000)', () => {
    expect(requiredApprovers('10000.00')).toBe(0);
    expect(requiredApprovers('10000.01')).toBe(1);
    expect(requiredApprovers('50000.00')).toBe(1);
    expect(requiredApprovers('50000.001')).toBe(2);
    const release = (amount: string, history: SodCheck['history']) => checkSod(check({ actor: { id: 'worker', groups: [] }, duty: 'release', subject: { kind: 'communication', id: 'c-9', amount }, history }));
    expect(release('9999.99', [])).toEqual({ allowed: true });
    expect(release('19600.00', [])).toMatchObject({ allowed: false, rule: 'four-eyes' });
    expect(release('19600.00', [{ actor: 'alice', duty: 'approve', level: 1 }])).toEqual({ allowed: true });
    expect(release('60000.00', [{ actor: 'alice', duty: 'approve', level: 1 }])).toMatchObject({ allowed: false, rule: 'four-eyes' });
    expect(release('60000.00', [{ actor: 'alice', duty: 'approve', level: 1 }, { actor: 'alice', duty: 'approve', level: 2 }])).toMatchObject({ allowed: false, rule: 'four-eyes' });
    expect(release('60000.00', [{ actor: 'alice', duty: 'approve', level: 1 }, { actor: 'bob', duty: 'approve', level: 2 }])).toEqual({ allowed: true });
  });

  it('refuses to release what its maker approved, and refuses the maker releasing', () => {
    const history = [{ actor: 'ada', duty: 'initiate' as const }, { actor: 'ada', duty: 'approve' as const, level: 1 }];
    expect(checkSod(check({ actor: { id: 'w', groups: [] }, duty: 'release', subject: { kind: 'communication', id: 'c', amount: '20000.00' }, history }))).toMatchObject({ allowed: false, rule: 'maker-checker', reason: expect.stringContaining('nothing is released') });
    // an approval by someone else is still needed when the maker's is set aside
    expect(checkSod(check({ actor: { id: 'w', groups: [] }, duty: 'release', subject: { kind: 'communication', id: 'c', amount: '20000.00' }, history: [{ actor: 'ada', duty: 'initiate' }] }))).toMatchObject({ allowed: false, rule: 'four-eyes' });
    // the subject's own policy (from the database's facts) can ask for more than the amount thresholds
    expect(checkSod(check({ actor: { id: 'w', groups: [] }, duty: 'release', subject: { kind: 'communication', id: 'c', amount: '1.00', required: 1 }, history: [] }))).toMatchObject({ allowed: false, rule: 'four-eyes' });
    expect(checkSod(check({ actor: ada, duty: 'release', subject: { kind: 'communication', id: 'c', amount: '1.00' }, history }))).toMatchObject({ allowed: false, rule: 'maker-checker' });
  });

  it('refuses an amount that is not a decimal string', () => {
    expect(checkSod(check({ duty: 'release', subject: { kind: 'communication', id: 'c', amount: '1e9' } }))).toMatchObject({ allowed: false, rule: 'four-eyes' });
  });
});
