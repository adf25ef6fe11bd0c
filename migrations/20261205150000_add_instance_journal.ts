/**
 * An instance's journal: the job completions applied since its snapshot was taken, in order
 * (newline-separated JSON). A straight-through step writes its few hundred bytes here instead of a
 * new snapshot; loading the instance resumes the snapshot and replays the journal. Null when the
 * snapshot is current.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('engine_instances', (t) => t.text('journal'));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('engine_instances', (t) => t.dropColumn('journal'));
}
