/**
 * Provider failover: each delivery attempt names the provider it was handed to, and says whether
 * its outcome was ambiguous (the provider may have accepted it although the call failed), so the
 * next attempt asks that provider before it may fail over; a delivery names the provider that took it.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('delivery_attempts', (t) => {
    t.string('provider', 32);
    t.boolean('ambiguous').notNullable().defaultTo(false);
  });
  await knex.schema.alterTable('deliveries', (t) => {
    t.string('provider', 32);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('deliveries', (t) => {
    t.dropColumn('provider');
  });
  await knex.schema.alterTable('delivery_attempts', (t) => {
    t.dropColumn('ambiguous');
    t.dropColumn('provider');
  });
}
