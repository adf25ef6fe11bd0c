/**
 * A start timer keeps what its cycle repeats between firings: an ISO 8601 duration, or now also a
 * Spring cron expression (Zeebe accepts both as a timeCycle), which can be longer than 64 characters.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('engine_timers', (t) => {
    t.text('interval').alter();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('engine_timers', (t) => {
    t.string('interval', 64).alter();
  });
}
