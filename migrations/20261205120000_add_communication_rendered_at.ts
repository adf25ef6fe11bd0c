/**
 * When a communication was rendered: the timeline shows it between its approvals and its
 * queueing, and the status column cannot say it (it moves on to sent, archived, ...).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('communications', (t) => {
    t.timestamp('rendered_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('communications', (t) => {
    t.dropColumn('rendered_at');
  });
}
