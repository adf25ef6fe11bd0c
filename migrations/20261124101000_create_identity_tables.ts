/**
 * Identity: users with roles (an approver with a level, a customer with their customer), API
 * tokens stored as sha256 of their secret, and browser sessions (the cookie carries the id,
 * signed; the table keeps only its hash).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.string('id', 64).primary();
    t.string('name', 200).notNullable();
    t.string('email', 320);
    t.jsonb('roles').notNullable().defaultTo('[]');
    t.integer('approver_level');
    t.jsonb('teams').notNullable().defaultTo('[]');
    t.string('customer_id', 64);
    t.boolean('disabled').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('api_tokens', (t) => {
    t.string('id', 48).primary();
    t.string('user_id', 64).notNullable().references('users.id').onDelete('CASCADE');
    t.string('secret_hash', 64).notNullable();
    t.string('label', 100);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.index(['user_id']);
  });
  await knex.schema.createTable('user_sessions', (t) => {
    t.string('id_hash', 64).primary();
    t.string('user_id', 64).notNullable().references('users.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('user_sessions');
  await knex.schema.dropTableIfExists('api_tokens');
  await knex.schema.dropTableIfExists('users');
}
