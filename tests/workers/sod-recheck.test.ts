/**
 * Workers that book or send check segregation of duties again on what the instance carries,
 * whatever the tasklist let through: a violation books nothing and names the rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../engine/types.js';
import { silentLogger } from '../../config/log.js';
import { seedDemoData } from '../../storage/demo-data.js';
import applyCreditChange from '../../workers/apply-credit-change.js';
import type { WorkerDeps } from '../../workers/deps.js';
import { openTestDb, type TestDb } from '../support/db.js';

const run = (deps: WorkerDeps, variables: Record<string, unknown>) =>
  applyCreditChange.handler({ job: { key: '1', variables } as unknown as Job, variables: variables as never, log: silentLogger }, deps);

describe('apply-credit-change re-checks maker-checker before booking', () => {
  let t: TestDb;
  let deps: WorkerDeps;
  beforeAll(async () => {
    t = await openTestDb('pglite');
    await seedDemoData(t.db);
    deps = { db: t.db, now: () => new Date() } as unknown as WorkerDeps;
  });
  afterAll(async () => t?.close());

  const limit = async () => String((await t.db('customers').where({ id: 'C-ACME' }).first()).credit_limit);

  it('refuses a change its requester approved, naming the rule, and books nothing', async () => {
    const before = await limit();
    const result = await run(deps, { customerId: 'C-ACME', changeType: 'limit-change', newLimit: '90000.00', currency: 'USD', requestedBy: 'sam', approvals: [{ by: 'sam', level: 1 }] });
    expect(result).toMatchObject({ fail: expect.stringMatching(/\(maker-checker\): sam requested .* and also approved it/), retries: 0 });
    expect(await limit()).toBe(before);
  });

  it('books a change someone else approved', async () => {
    const result = await run(deps, { customerId: 'C-ACME', changeType: 'limit-change', newLimit: '75000.00', currency: 'USD', requestedBy: 'sam', approvals: [{ by: 'carl', level: 1 }] });
    expect(result).toMatchObject({ complete: { creditLimitApplied: '75000.00' } });
    expect(Number(await limit())).toBe(75000);
  });
});
