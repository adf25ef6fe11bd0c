/**
 * Keyed audit links: each row records the id of the key its HMAC link was computed with (the key
 * itself never enters the database). Rows from before stay null: legacy plain-SHA-256 links,
 * accepted only as the chain's prefix and sealed by the first keyed row (docs/audit.md).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_log', (t) => {
    t.string('key_id', 32);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_log', (t) => {
    t.dropColumn('key_id');
  });
}
