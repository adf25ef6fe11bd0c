/**
 * Digests and frequency caps (issue #19). A payment demand held for the digest window carries the
 * instant its window closes (`hold_until`); once merged, its delivery names the digest that carried
 * it (`digest_id`). `counted_at` is when the frequency cap let a message through: the cap counts
 * these per customer and channel over its rolling window. A customer's cap per channel (or '*')
 * is in `customer_frequency_caps`, changed like the other preferences (audited).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('deliveries', (t) => {
    t.timestamp('hold_until', { useTz: true });
    t.string('digest_id', 64).references('communications.id');
    t.timestamp('counted_at', { useTz: true });
    t.index(['digest_id']);
  });
  await knex.schema.createTable('customer_frequency_caps', (t) => {
    t.string('customer_id', 64).notNullable().references('customers.id').onDelete('CASCADE');
    t.string('channel', 16).notNullable(); // a channel, or '*' for each channel
    t.integer('max_messages').notNullable();
    t.integer('window_seconds').notNullable();
    t.string('updated_by', 128).notNullable();
    t.string('via', 16).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['customer_id', 'channel']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('customer_frequency_caps');
  await knex.schema.alterTable('deliveries', (t) => {
    t.dropIndex(['digest_id']);
    t.dropForeign(['digest_id']);
    t.dropColumn('counted_at');
    t.dropColumn('digest_id');
    t.dropColumn('hold_until');
  });
}
