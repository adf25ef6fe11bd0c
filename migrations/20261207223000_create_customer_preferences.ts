/**
 * Preferences and consent per customer, channel and topic (invoices, reminders, account-updates,
 * marketing), and the sending window per customer and channel (time zone, local start and end,
 * optionally business days of a country). Who changed what, and how (portal, api, erp), is on the
 * audit trail; the rows hold the current state and its last change.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('customer_preferences', (t) => {
    t.string('customer_id', 64).notNullable().references('customers.id').onDelete('CASCADE');
    t.string('channel', 16).notNullable();
    t.string('topic', 32).notNullable();
    t.boolean('opted_in').notNullable();
    t.string('updated_by', 128).notNullable();
    t.string('via', 16).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['customer_id', 'channel', 'topic']);
  });
  await knex.schema.createTable('customer_send_windows', (t) => {
    t.string('customer_id', 64).notNullable().references('customers.id').onDelete('CASCADE');
    t.string('channel', 16).notNullable(); // a channel, or '*' for all of them
    t.string('time_zone', 64).notNullable();
    t.string('window_start', 5).notNullable();
    t.string('window_end', 5).notNullable();
    t.string('business_days_of', 2);
    t.string('updated_by', 128).notNullable();
    t.string('via', 16).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['customer_id', 'channel']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('customer_send_windows');
  await knex.schema.dropTableIfExists('customer_preferences');
}
