/**
 * People sign in to the web UI with a user name and password: users get a password hash
 * (scrypt, with its parameters and salt in the string, see domain/identity/passwords.ts).
 * Null means the user has no password and signs in with an API token only.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.string('password_hash', 255);
    t.timestamp('password_set_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('password_set_at');
    t.dropColumn('password_hash');
  });
}
