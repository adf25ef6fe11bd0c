/**
 * Migration 20261207150000 widens engine_timers.interval to text: a start timer keeps its cron
 * expression there between firings, and Spring cron expressions can be longer than 64 characters.
 */
import { describe, expect, it } from 'vitest';
import { migrationSource } from '../../migrations/index.js';
import { dbKinds, openTestDb } from '../support/db.js';

const MIGRATION = '20261207150000_widen_engine_timer_interval';

describe.each(await dbKinds())('engine_timers.interval as text on %s', (kind) => {
  it('holds a long cron expression after up, and goes back to varchar(64) after down', { timeout: 120_000 }, async () => {
    const t = await openTestDb(kind);
    try {
      const type = async () => (await t.db.raw(`select data_type from information_schema.columns where table_name = 'engine_timers' and column_name = 'interval' and table_schema = current_schema()`)).rows[0].data_type;
      expect(await type()).toBe('text');
      const cron = '0 0,5,10,15,20,25,30,35,40,45,50,55 8-18 1-7,15-21 JAN,FEB,MAR,APR,MAY,JUN MON-FRI';
      await t.db('engine_timers').insert({ definition_key: 1, element_id: 'tick', due_at: 1, repetitions: -1, interval: cron, state: 'CREATED' });
      expect((await t.db('engine_timers').first('interval')).interval).toBe(cron);
      await t.db('engine_timers').del();
      await t.db.migrate.down({ migrationSource, schemaName: t.schema, name: MIGRATION } as never);
      expect(await type()).toBe('character varying');
      await t.db.migrate.up({ migrationSource, schemaName: t.schema, name: MIGRATION } as never);
      expect(await type()).toBe('text');
    } finally {
      await t.close();
    }
  });
});
