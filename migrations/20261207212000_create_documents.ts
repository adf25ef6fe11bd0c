/**
 * Claim-check documents: attachments, rendered PDFs and other large payloads are stored once (by
 * their SHA-256) and process variables carry a reference to them, never the bytes.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('documents', (t) => {
    t.string('id', 64).primary();
    t.string('sha256', 64).notNullable().unique();
    t.string('content_type', 255).notNullable();
    t.string('file_name', 255);
    t.bigInteger('size').notNullable();
    t.binary('content').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('documents');
}
