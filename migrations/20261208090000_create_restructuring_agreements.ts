/**
 * Restructuring agreements as the ERP agreed them (`restructuring.agreed`): the restructured
 * balance, its instalment schedule, the date to accept by and the grace days. The restructuring
 * notice states these facts from here, never from process variables; the customer's acceptance
 * (portal) is recorded on the row and on the audit trail.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('restructuring_agreements', (t) => {
    t.string('id', 64).primary();
    t.string('customer_id', 64).notNullable().references('customers.id');
    t.string('reference', 64).notNullable();
    t.date('agreement_date').notNullable();
    t.decimal('total_amount', 19, 4).notNullable();
    t.string('currency', 3).notNullable();
    /** [{ number, dueDate, amount }], in due-date order. */
    t.jsonb('installments').notNullable();
    t.date('accept_by').notNullable();
    t.integer('grace_days').notNullable();
    /** The invoices whose open amounts it restructures. */
    t.jsonb('invoice_ids').notNullable();
    t.string('status', 16).notNullable().defaultTo('proposed');
    t.string('recorded_by', 128).notNullable();
    t.timestamp('recorded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('accepted_at', { useTz: true });
    t.string('accepted_by', 128);
    t.index(['customer_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('restructuring_agreements');
}
