/**
 * The exact bytes a delivery sent, kept with it: the archive and the evidence pack read them
 * instead of rebuilding the message, which would differ once the base URL (tracking links), the
 * sender or the customer's address changed between sending and archiving.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('deliveries', (t) => {
    t.binary('sent_raw');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('deliveries', (t) => {
    t.dropColumn('sent_raw');
  });
}
