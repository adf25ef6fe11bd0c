/**
 * Invoices and customers come from the ERP: an invoice keeps its payment terms as printed
 * ("net 30 days") and the channel it is sent on, so no message has to assume them; every consent
 * change on a contact is kept as history (who changed it, when, from where), since a consent
 * decision is only defensible with its trail; and each template version stores its data
 * contract (the data paths it reads), so approval, deploy and rendering check the same list.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invoices', (t) => {
    t.string('payment_terms', 120);
    t.string('channel', 16);
  });
  await knex.schema.createTable('customer_consent_events', (t) => {
    t.bigIncrements('id').primary();
    t.string('customer_id', 64).notNullable().references('customers.id').onDelete('CASCADE');
    t.string('channel', 16).notNullable();
    t.boolean('consent').notNullable();
    t.boolean('marketing_consent').notNullable();
    t.string('source', 64).notNullable(); // erp | data steward's user id
    t.string('reason', 500);
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['customer_id']);
  });
  await knex.schema.alterTable('template_versions', (t) => {
    t.jsonb('data_contract');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('template_versions', (t) => {
    t.dropColumn('data_contract');
  });
  await knex.schema.dropTableIfExists('customer_consent_events');
  await knex.schema.alterTable('invoices', (t) => {
    t.dropColumn('channel');
    t.dropColumn('payment_terms');
  });
}
