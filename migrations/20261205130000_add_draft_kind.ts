/**
 * Drafts and deployment records of decision tables (DMN) beside those of processes: the same
 * tables, told apart by `kind` ('process' or 'drg', a decision requirements graph). For a DRG,
 * `bpmn_process_id` holds the DMN definitions id and `process_definition_key` the DRG's key.
 */
import type { Knex } from 'knex';

const TABLES = ['process_drafts', 'process_deployments'] as const;

export async function up(knex: Knex): Promise<void> {
  for (const table of TABLES) {
    await knex.schema.alterTable(table, (t) => {
      t.string('kind', 16).notNullable().defaultTo('process');
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of TABLES) {
    // without the column a decision draft would read as a process draft holding DMN XML
    await knex(table).whereNot({ kind: 'process' }).delete();
    await knex.schema.alterTable(table, (t) => {
      t.dropColumn('kind');
    });
  }
}
