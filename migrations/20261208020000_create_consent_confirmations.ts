/**
 * Double opt-in (#19): an opt-in to SMS or to marketing waits for the customer's confirmation (an
 * SMS code or a signed email link). `consent_confirmations` keeps the evidence: who asked, when,
 * how, from where (IP, user agent), the hash of the token or code sent, and when and from where it
 * was confirmed. A preference row points at the confirmation it awaits (`pending_confirmation`) and
 * at the one that activated it (`confirmation_id`).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('consent_confirmations', (t) => {
    t.string('id', 64).primary();
    t.string('customer_id', 64).notNullable().references('customers.id').onDelete('CASCADE');
    t.jsonb('items').notNullable(); // [{ channel, topic }] this confirmation turns on
    t.string('method', 16).notNullable(); // sms-code | email-link
    t.string('address', 320).notNullable(); // where the code or link was sent
    t.string('token_hash', 64).notNullable();
    t.string('state', 16).notNullable(); // pending | confirmed | superseded | cancelled
    t.integer('failed_attempts').notNullable().defaultTo(0);
    t.string('requested_by', 128).notNullable();
    t.string('requested_via', 16).notNullable();
    t.string('requested_ip', 64);
    t.string('requested_user_agent', 512);
    t.timestamp('requested_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.string('confirmed_by', 128);
    t.string('confirmed_ip', 64);
    t.string('confirmed_user_agent', 512);
    t.timestamp('confirmed_at', { useTz: true });
    t.string('communication_id', 64).notNullable();
    t.timestamp('queued_at', { useTz: true }); // handed to delivery (the outbox is drained by the workers)
    t.index(['customer_id', 'state']);
    t.index(['state', 'queued_at']);
  });
  await knex.schema.alterTable('customer_preferences', (t) => {
    t.string('pending_confirmation', 64);
    t.string('confirmation_id', 64);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('customer_preferences', (t) => {
    t.dropColumn('pending_confirmation');
    t.dropColumn('confirmation_id');
  });
  await knex.schema.dropTableIfExists('consent_confirmations');
}
