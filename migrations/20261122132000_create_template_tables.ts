/**
 * Template versions (MJML with placeholders; a version is used only once someone other than its
 * author approved it) and the customer portal inbox.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('template_versions', (t) => {
    t.string('template_id', 64).notNullable();
    t.integer('version').notNullable();
    t.string('locale', 16).notNullable();
    t.string('kind', 16).notNullable();
    t.string('subject', 998).notNullable();
    t.text('mjml').notNullable();
    t.text('text');
    t.string('status', 16).notNullable(); // draft | submitted | approved
    t.string('author', 64).notNullable();
    t.string('approved_by', 64);
    t.timestamp('approved_at', { useTz: true });
    t.jsonb('sample_data').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['template_id', 'version', 'locale']);
  });
  await knex.schema.createTable('portal_messages', (t) => {
    t.string('communication_id', 64).primary();
    t.string('customer_id', 64).notNullable();
    t.string('subject', 998).notNullable();
    t.text('html').notNullable();
    t.text('text').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('read_at', { useTz: true });
    t.index(['customer_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('portal_messages');
  await knex.schema.dropTableIfExists('template_versions');
}
