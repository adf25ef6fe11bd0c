/**
 * Snapshots and variables are stored as text (migration 20261205140000): a saved instance keeps
 * its state through that migration's down and up, and ad-hoc queries still read it as JSON.
 */
import { describe, expect, it } from 'vitest';
import { migrationSource } from '../../migrations/index.js';
import { dbKinds, openTestDb } from '../support/db.js';

const MIGRATION = '20261205140000_store_instance_snapshots_as_text';

describe.each(await dbKinds())('instance snapshots as text on %s', (kind) => {
  it('keeps a saved snapshot and its variables through the migration down and up', { timeout: 120_000 }, async () => {
    const t = await openTestDb(kind);
    try {
      const snapshot = JSON.stringify({ engine: { state: 'running' }, data: { waits: { w1: { kind: 'message' } } } });
      await t.db('engine_instances').insert({ key: 424242, definition_key: 1, bpmn_process_id: 'p', version: 1, state: 'ACTIVE', snapshot, variables: JSON.stringify({ customerId: 'C-ACME' }), started_at: new Date() });
      const type = async () => (await t.db.raw(`select data_type from information_schema.columns where table_name = 'engine_instances' and column_name = 'snapshot' and table_schema = current_schema()`)).rows[0].data_type;
      expect(await type()).toBe('text');
      await t.db.migrate.down({ migrationSource, schemaName: t.schema, name: MIGRATION } as never);
      expect(await type()).toBe('jsonb');
      const asJson = await t.db('engine_instances').where({ key: 424242 }).first('snapshot', 'variables');
      expect(asJson.snapshot).toEqual(JSON.parse(snapshot));
      await t.db.migrate.up({ migrationSource, schemaName: t.schema, name: MIGRATION } as never);
      expect(await type()).toBe('text');
      const row = await t.db('engine_instances').where({ key: 424242 }).first('snapshot');
      expect(JSON.parse(row.snapshot)).toEqual(JSON.parse(snapshot));
      const found = await t.db('engine_instances').whereRaw(`variables::jsonb ->> 'customerId' = ?`, ['C-ACME']).first('key');
      expect(Number(found.key)).toBe(424242);
    } finally {
      await t.close();
    }
  });
});
