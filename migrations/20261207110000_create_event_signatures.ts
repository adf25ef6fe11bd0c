/**
 * The event ids of signed trigger events, remembered until their signature's timestamp has gone
 * stale: a second use of a signature (a replay) under another Idempotency-Key is refused with 409.
 * Rows past `expires_at` are pruned; by then the timestamp alone refuses the signature.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('event_signatures', (t) => {
    t.string('event_id', 200).primary();
    t.string('idempotency_key', 200).notNullable();
    t.string('body_hash', 64).notNullable();
    t.timestamp('signed_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable().index();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('event_signatures');
}
