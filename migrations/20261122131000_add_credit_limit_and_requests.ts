/**
 * Credit limits on the customer master, and customer requests (disputes, clarifications,
 * refunds, adjustments, restructuring) with a human-readable reference.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('customers', (t) => {
    t.decimal('credit_limit', 18, 2);
    t.string('credit_currency', 3);
  });
  await knex.schema.createTable('customer_requests', (t) => {
    t.string('id', 64).primary();
    t.string('reference', 32).notNullable().unique();
    t.string('customer_id', 64).notNullable().references('customers.id');
    t.string('invoice_id', 64);
    t.string('category', 32).notNullable().defaultTo('unclassified');
    t.string('priority', 16);
    t.string('status', 16).notNullable().defaultTo('open'); // open | in_progress | waiting_customer | resolved | closed
    t.string('intake_channel', 16).notNullable(); // api | portal | email | process
    t.string('subject', 255).notNullable();
    t.text('body');
    t.decimal('amount', 18, 2);
    t.string('requested_by', 64);
    t.string('process_instance_key', 32);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['customer_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('customer_requests');
  await knex.schema.alterTable('customers', (t) => {
    t.dropColumn('credit_limit');
    t.dropColumn('credit_currency');
  });
}
