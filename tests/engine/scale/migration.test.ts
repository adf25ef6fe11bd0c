/**
 * Migration 20261207220000 (scale-out on one Postgres) goes up and down: engine_nodes, the job and
 * timer claim columns, engine_message_correlations, the one-call index and the conflict function.
 */
import { describe, expect, it } from 'vitest';
import { migrationSource } from '../../../migrations/index.js';
import { dbKinds, openTestDb } from '../../support/db.js';

const MIGRATION = '20261207220000_add_engine_scale_out';

describe.each(await dbKinds())('scale-out migration on %s', (kind) => {
  it('adds the claims, the node registry and the conflict function, and takes them away again', { timeout: 120_000 }, async () => {
    const t = await openTestDb(kind);
    try {
      const columns = async (table: string) =>
        (await t.db.raw(`select column_name from information_schema.columns where table_name = ? and table_schema = current_schema()`, [table])).rows.map((r: { column_name: string }) => r.column_name);
      const has = async () => ({
        nodes: await t.db.schema.hasTable('engine_nodes'),
        correlations: await t.db.schema.hasTable('engine_message_correlations'),
        jobOwner: (await columns('engine_jobs')).includes('owner'),
        timerClaim: (await columns('engine_timers')).includes('claimed_until'),
      });
      expect(await has()).toEqual({ nodes: true, correlations: true, jobOwner: true, timerClaim: true });
      // the one-statement group commit fails as a whole through this function, with its own SQLSTATE
      await expect(t.db.raw(`select herald_revision_conflict('instance 1')`)).rejects.toMatchObject({ code: 'HR409' });
      await t.db.migrate.down({ migrationSource, schemaName: t.schema, name: MIGRATION } as never);
      expect(await has()).toEqual({ nodes: false, correlations: false, jobOwner: false, timerClaim: false });
      await expect(t.db.raw(`select herald_revision_conflict('instance 1')`)).rejects.toMatchObject({ code: '42883' }); // undefined function
      await t.db.migrate.up({ migrationSource, schemaName: t.schema, name: MIGRATION } as never);
      expect(await has()).toEqual({ nodes: true, correlations: true, jobOwner: true, timerClaim: true });
    } finally {
      await t.close();
    }
  });
});
