/**
 * A communication keeps the data it was rendered from (what the message-data builder derived:
 * customer, invoice, amounts, links), written with the rendered content: the evidence pack's data
 * snapshot is what the template was filled with, not the few variables the process passed.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('communications', (t) => {
    t.jsonb('rendered_data');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('communications', (t) => {
    t.dropColumn('rendered_data');
  });
}
