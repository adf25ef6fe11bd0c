/**
 * The `schedule` duty (issue #18): a task's due date, follow-up date and priority are its
 * assignee's or a lead's to change (the rules table's `schedule` row), and a lead who made the
 * subject does not set the pace of its checks (maker-checker).
 */
import { describe, expect, it } from 'vitest';
import { checkSod, leadsTask, type SodCheck } from '../../domain/sod/index.js';

const sam = { id: 'sam', groups: ['agent', 'customer-service'] };
const alice = { id: 'alice', groups: ['approver', 'approver-l1', 'customer-service-lead'] };
const root = { id: 'root', groups: ['admin'] };
const task = { candidateGroups: ['customer-service'], assignee: null as string | null };

function check(partial: Partial<SodCheck>): SodCheck {
  return { actor: sam, duty: 'schedule', subject: { kind: 'request', id: 'REQ-sched-1' }, history: [], task, ...partial };
}

describe('rescheduling a task (schedule duty)', () => {
  it('allows the assignee, refuses a candidate who has not claimed it, naming the leads', () => {
    expect(checkSod(check({ task: { ...task, assignee: 'sam' } }))).toEqual({ allowed: true });
    const d = checkSod(check({}));
    expect(d).toMatchObject({ allowed: false, rule: 'assignee-or-lead' });
    if (!d.allowed) expect(d.reason).toBe("sam is neither the task's assignee (nobody) nor a lead of its groups (customer-service-lead, admin)");
  });

  it("allows a lead of one of the task's groups and an admin, not a lead of another group", () => {
    expect(checkSod(check({ actor: alice }))).toEqual({ allowed: true });
    expect(checkSod(check({ actor: root }))).toEqual({ allowed: true });
    expect(leadsTask(alice, { candidateGroups: ['finance'] })).toBe(false);
    expect(checkSod(check({ actor: alice, task: { candidateGroups: ['finance'], assignee: 'sam' } }))).toMatchObject({ allowed: false, rule: 'assignee-or-lead' });
  });

  it('refuses a lead, or the assignee, who initiated the subject (maker-checker)', () => {
    const d = checkSod(check({ actor: alice, history: [{ actor: 'alice', duty: 'initiate' }] }));
    expect(d).toMatchObject({ allowed: false, rule: 'maker-checker' });
    if (!d.allowed) expect(d.reason).toBe('alice initiated request REQ-sched-1 and cannot reschedule the tasks of it');
    expect(checkSod(check({ task: { ...task, assignee: 'sam' }, history: [{ actor: 'sam', duty: 'initiate' }] }))).toMatchObject({ allowed: false, rule: 'maker-checker' });
  });

  it('leaves the other duties to the candidate groups as before', () => {
    expect(checkSod(check({ actor: alice, duty: 'work' }))).toMatchObject({ allowed: false, rule: 'candidate-group' });
    expect(checkSod(check({ duty: 'work' }))).toEqual({ allowed: true });
  });
});
