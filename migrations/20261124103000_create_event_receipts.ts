/**
 * Trigger events from ERP, billing and payment systems, one row per Idempotency-Key: the row
 * is inserted first, so of concurrent duplicates exactly one goes on to make the effect; the
 * others read its result (or see a different body and get 422).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('event_receipts', (t) => {
    t.string('idempotency_key', 200).primary();
    t.string('event_type', 48).notNullable();
    t.string('body_hash', 64).notNullable();
    t.string('state', 16).notNullable(); // pending | done | failed
    t.integer('status_code');
    t.jsonb('response');
    t.timestamp('received_at', { useTz: true }).notNullable();
    t.timestamp('finished_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('event_receipts');
}
