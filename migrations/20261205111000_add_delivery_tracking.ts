/**
 * Delivery tracking: a monotonic tracking status per delivery (sent → delivered → opened →
 * clicked; bounces and complaints final), the Message-ID every attempt carries, when the result
 * went back to the process, one row per
 * send attempt written before the provider is called (so a restart knows an attempt may have
 * reached the server), and addresses suppressed after a hard bounce or a complaint.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('deliveries', (t) => {
    t.string('tracking_status', 16);
    t.string('message_id', 255);
    // when the delivery-result message went to the engine: until then a restart publishes it again
    t.timestamp('result_at', { useTz: true });
  });
  await knex.schema.createTable('delivery_attempts', (t) => {
    t.bigIncrements('id').primary();
    t.string('communication_id', 64).notNullable().references('deliveries.communication_id');
    t.integer('attempt').notNullable();
    t.string('message_id', 255);
    t.timestamp('started_at', { useTz: true }).notNullable();
    // null while the provider may or may not have the message: the one uncertain window
    t.string('outcome', 16); // sent | failed | retry
    t.text('error');
    t.timestamp('finished_at', { useTz: true });
    t.index(['communication_id']);
  });
  await knex.schema.createTable('address_suppressions', (t) => {
    t.string('channel', 16).notNullable();
    t.string('address', 320).notNullable(); // lower-cased
    t.string('reason', 16).notNullable(); // hard-bounce | complaint
    t.string('communication_id', 64);
    t.string('provider', 32);
    t.text('detail');
    t.timestamp('at', { useTz: true }).notNullable();
    t.primary(['channel', 'address']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('address_suppressions');
  await knex.schema.dropTableIfExists('delivery_attempts');
  await knex.schema.alterTable('deliveries', (t) => {
    t.dropColumn('result_at');
    t.dropColumn('message_id');
    t.dropColumn('tracking_status');
  });
}
