/**
 * Task listener jobs (Camunda 8.8 zeebe:taskListeners) are rows of engine_jobs that carry their
 * listener record: the transition they run on (assigning, updating, completing, canceling), the
 * command's payload, the corrections so far and, once completed, the outcome (done or denied).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('engine_jobs', (t) => {
    t.text('listener');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex('engine_jobs').whereNotNull('listener').del();
  await knex.schema.alterTable('engine_jobs', (t) => {
    t.dropColumn('listener');
  });
}
