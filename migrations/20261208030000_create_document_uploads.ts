/**
 * Uploaded files (POST /api/documents) and the requests they are attached to. The bytes are a
 * document in a store (the database's `documents`, or an S3 bucket), kept once per content; an
 * upload is one person's file under their own name, owned by a customer or by staff, so that
 * the same bytes uploaded by two customers are two uploads, each visible to its own customer.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('document_uploads', (t) => {
    t.string('id', 64).primary();
    t.string('store_id', 32).notNullable();
    t.string('document_id', 64).notNullable();
    t.string('sha256', 64).notNullable();
    t.string('content_type', 255).notNullable();
    t.string('file_name', 255).notNullable();
    t.bigInteger('size').notNullable();
    // the customer whose file it is (null: staff's own); a customer reads only theirs
    t.string('customer_id', 64);
    t.string('uploaded_by', 128).notNullable();
    t.string('request_id', 64).index();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('attached_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('document_uploads');
}
