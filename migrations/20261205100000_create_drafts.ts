/**
 * Process drafts and Herald's record of process deployments. A draft is a diagram an analyst
 * or engineer saved; it is deployed once, by someone other than its author. The deployment
 * record says who deployed which process definition (the engine itself does not know), and
 * keeps the XML so versions deployed to Zeebe can be listed and downloaded too.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('process_drafts', (t) => {
    t.uuid('id').primary();
    t.string('bpmn_process_id', 255).notNullable();
    t.text('xml').notNullable();
    t.string('checksum', 64).notNullable();
    t.string('author', 64).notNullable();
    t.integer('base_version');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.string('deployed_by', 64);
    t.timestamp('deployed_at', { useTz: true });
    t.integer('deployed_version');
    t.string('process_definition_key', 32);
    t.index(['bpmn_process_id', 'created_at']);
  });
  await knex.schema.createTable('process_deployments', (t) => {
    t.bigIncrements('id').primary();
    t.string('process_definition_key', 32).notNullable().unique();
    t.string('bpmn_process_id', 255).notNullable();
    t.integer('version').notNullable();
    t.string('resource_name', 255).notNullable();
    t.text('xml').notNullable();
    t.string('deployed_by', 64).notNullable();
    t.uuid('draft_id');
    t.timestamp('deployed_at', { useTz: true }).notNullable();
    t.index(['bpmn_process_id', 'version']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('process_deployments');
  await knex.schema.dropTableIfExists('process_drafts');
}
