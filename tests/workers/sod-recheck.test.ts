/**
 * Workers that book or send decide the release again from the database, whatever the tasklist
 * let through and whatever the instance's variables say: the approvals the policy requires for
 * the subject's facts, against the approvals on the audit trail. A violation books or sends
 * nothing, names the rule, and is on the audit trail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../engine/types.js';
import { silentLogger } from '../../config/log.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { APPROVAL_RECORDED } from '../../services/controls.js';
import applyCreditChange from '../../workers/apply-credit-change.js';
import deliverCommunication from '../../workers/deliver-communication.js';
import type { WorkerDeps } from '../../workers/deps.js';
import { openTestDb, type TestDb } from '../support/db.js';

let t: TestDb;
const queued: string[] = [];
let deps: WorkerDeps;
beforeAll(async () => {
  t = await openTestDb('pglite');
  await seedDemoData(t.db);
  deps = { db: t.db, now: () => new Date(), delivery: { enqueue: async (id: string) => (queued.push(id), true) } } as unknown as WorkerDeps;
});
afterAll(async () => t?.close());

const approve = (actor: string, kind: string, id: string, level = 1, approved = true) =>
  createAuditRepository(t.db).append({ actor, action: APPROVAL_RECORDED, subjectType: kind, subjectId: id, detail: { level, approved } });

describe('apply-credit-change decides the release from the audit trail before booking', () => {
  const run = (key: string, variables: Record<string, unknown>) =>
    applyCreditChange.handler({ job: { key: '1', processInstanceKey: key, variables } as unknown as Job, variables: variables as never, log: silentLogger }, deps);
  const limit = async () => String((await t.db('customers').where({ id: 'C-ACME' }).first()).credit_limit);

  it('refuses a change its requester approved, naming the rule, and books nothing', async () => {
    const before = await limit();
    await approve('sam', 'credit-change', 'cc-1');
    const result = await run('cc-1', { customerId: 'C-ACME', changeType: 'limit-change', newLimit: '90000.00', currency: 'USD', requestedBy: 'sam' });
    expect(result).toMatchObject({ error: 'SOD_VIOLATION', message: expect.stringMatching(/^maker-checker: sam initiated credit-change cc-1/) });
    expect(await limit()).toBe(before);
  });

  it('refuses an increase whose approval is only claimed in the variables', async () => {
    const before = await limit();
    const result = await run('cc-2', { customerId: 'C-ACME', changeType: 'limit-change', newLimit: '95000.00', currency: 'USD', requestedBy: 'sam', approvals: [{ by: 'carl', level: 1 }] });
    expect(result).toMatchObject({ error: 'SOD_VIOLATION', message: expect.stringMatching(/^four-eyes/) });
    expect(await limit()).toBe(before);
  });

  it('books a change someone else approved', async () => {
    await approve('carl', 'credit-change', 'cc-3');
    const result = await run('cc-3', { customerId: 'C-ACME', changeType: 'limit-change', newLimit: '75000.00', currency: 'USD', requestedBy: 'sam' });
    expect(result).toMatchObject({ complete: { creditLimitApplied: '75000.00' } });
    expect(Number(await limit())).toBe(75000);
    const rows = await createAuditRepository(t.db).list({ subjectType: 'credit-change', subjectId: 'cc-3', action: 'credit-change.book' });
    expect(rows.map((r) => r.outcome)).toEqual(['allowed']);
  });
});

describe('finding 1: deliver-communication requires the approvals the policy asks for the amount, kind and risk', () => {
  const run = (communicationId: string, variables: Record<string, unknown> = {}) =>
    deliverCommunication.handler({ job: { key: '1', processInstanceKey: 'p', variables } as unknown as Job, variables: { communicationId, channel: 'email', ...variables } as never, log: silentLogger }, deps);
  const communication = async (id: string, amount: string, kind = 'transactional', customer = 'C-ACME') =>
    t.db('communications').insert({ id, customer_id: customer, template_id: 'invoice-notice', channel: 'email', kind, status: 'rendered', amount, initiated_by: 'erp', data: '{}', subject: 'Invoice' });

  it('refuses a $60,000 communication with one approval, whatever the variables claim, and sends nothing', async () => {
    await communication('c-60k', '60000.00');
    await approve('alice', 'communication', 'c-60k', 1);
    const result = await run('c-60k', { approved: true, approvalLevels: 1, approvals: [{ by: 'alice', level: 1 }, { by: 'bob', level: 2 }] });
    expect(result).toMatchObject({ error: 'SOD_VIOLATION', message: expect.stringContaining('needs 2 distinct approvers, has 1') });
    expect(queued).not.toContain('c-60k');
    const refusals = await createAuditRepository(t.db).list({ subjectType: 'communication', subjectId: 'c-60k', action: 'communication.release', outcome: 'refused' });
    expect(refusals[0]).toMatchObject({ rule: 'four-eyes', actor: 'herald:release' });
  });

  it('sends it once two different people approved it', async () => {
    await approve('bob', 'communication', 'c-60k', 2);
    expect(await run('c-60k')).toMatchObject({ complete: { deliveryQueued: true } });
    expect(queued).toContain('c-60k');
  });

  it("a high-risk customer's dunning notice needs one approval at any amount; the initiator's own does not count", async () => {
    await communication('c-nw', '100.00', 'dunning', 'C-NORTHWIND');
    await approve('erp', 'communication', 'c-nw', 1);
    expect(await run('c-nw')).toMatchObject({ error: 'SOD_VIOLATION', message: expect.stringMatching(/^maker-checker/) });
    expect(queued).not.toContain('c-nw');
  });
});
