/**
 * A communication keeps the amount it is about, recorded once when it is first validated: the
 * release control recomputes the approvals the policy requires from it (and the customer's
 * risk), never from process variables.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('communications', (t) => {
    t.decimal('amount', 18, 2);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('communications', (t) => {
    t.dropColumn('amount');
  });
}
