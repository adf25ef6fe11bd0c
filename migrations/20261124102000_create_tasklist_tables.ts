/**
 * The tasklist Herald keeps from the engine's user-task hooks (so it can be filtered, claimed
 * and authorised without asking the engine), and comments on tasks.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('tasks', (t) => {
    t.string('key', 32).primary(); // the engine's userTaskKey
    t.string('process_instance_key', 32).notNullable();
    t.string('bpmn_process_id', 255).notNullable();
    t.string('element_id', 255).notNullable();
    t.string('name', 255);
    t.jsonb('candidate_groups').notNullable().defaultTo('[]');
    t.jsonb('candidate_users').notNullable().defaultTo('[]');
    t.string('assignee', 64);
    t.timestamp('due_date', { useTz: true });
    t.timestamp('follow_up_date', { useTz: true });
    t.integer('priority').notNullable().defaultTo(50);
    t.text('form'); // form-js JSON, when the task links one
    t.jsonb('variables').notNullable().defaultTo('{}');
    t.jsonb('headers').notNullable().defaultTo('{}');
    t.string('customer_id', 64); // for object-level authorisation
    t.string('state', 16).notNullable(); // CREATED | COMPLETED | CANCELED
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('completed_at', { useTz: true });
    t.string('completed_by', 64);
    t.jsonb('completion_variables');
    t.index(['state', 'priority']);
    t.index(['process_instance_key']);
  });
  await knex.schema.createTable('task_comments', (t) => {
    t.bigIncrements('id').primary();
    t.string('task_key', 32).notNullable().references('tasks.key').onDelete('CASCADE');
    t.string('author', 64).notNullable();
    t.text('body').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['task_key', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('task_comments');
  await knex.schema.dropTableIfExists('tasks');
}
