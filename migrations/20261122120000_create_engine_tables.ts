/**
 * The embedded engine's state: deployed definitions, instances with their snapshot, and the wait
 * states (jobs, timers, message and signal subscriptions, user tasks) as rows, so a command finds
 * its instance without loading every instance, and a restart finds everything it must resume.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('engine_deployments', (t) => {
    t.bigIncrements('key').primary();
    t.jsonb('resources').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('engine_resources', (t) => {
    t.bigIncrements('key').primary();
    t.string('kind', 16).notNullable(); // process | decision | drg | form
    t.string('resource_id', 255).notNullable(); // bpmnProcessId, decision id, form id
    t.integer('version').notNullable();
    t.string('checksum', 64).notNullable();
    t.string('resource_name', 255).notNullable();
    t.text('content').notNullable();
    t.jsonb('meta').notNullable().defaultTo('{}');
    t.bigInteger('deployment_key').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['kind', 'resource_id', 'version']);
  });
  await knex.schema.createTable('engine_instances', (t) => {
    t.bigIncrements('key').primary();
    t.bigInteger('definition_key').notNullable();
    t.string('bpmn_process_id', 255).notNullable();
    t.integer('version').notNullable();
    t.string('state', 16).notNullable(); // ACTIVE | COMPLETED | TERMINATED
    t.bigInteger('parent_instance_key');
    t.text('parent_element_instance_key');
    t.jsonb('snapshot'); // null once ended
    t.jsonb('variables').notNullable().defaultTo('{}'); // root scope, for lists and inspection
    t.integer('rev').notNullable().defaultTo(0);
    t.boolean('has_incident').notNullable().defaultTo(false);
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('ended_at', { useTz: true });
    t.index(['state', 'bpmn_process_id']);
    t.index(['parent_instance_key']);
  });
  await knex.schema.createTable('engine_element_events', (t) => {
    t.bigIncrements('seq').primary();
    t.bigInteger('instance_key').notNullable();
    t.text('element_instance_key').notNullable();
    t.string('element_id', 255).notNullable();
    t.string('element_name', 255);
    t.string('element_type', 64).notNullable();
    t.string('state', 16).notNullable(); // ACTIVATED | COMPLETED | TERMINATED | TAKEN
    t.text('flow_scope_key');
    t.timestamp('at', { useTz: true }).notNullable();
    t.index(['instance_key', 'seq']);
  });
  await knex.schema.createTable('engine_jobs', (t) => {
    t.bigIncrements('key').primary();
    t.bigInteger('instance_key').notNullable();
    t.text('element_instance_key').notNullable();
    t.string('element_id', 255).notNullable();
    t.string('type', 255).notNullable();
    t.integer('retries').notNullable();
    t.string('state', 16).notNullable(); // ACTIVATABLE | ACTIVATED | FAILED | COMPLETED | CANCELED
    t.string('worker', 255);
    t.bigInteger('deadline'); // epoch ms, while ACTIVATED
    t.bigInteger('retry_at'); // epoch ms, backoff
    t.jsonb('custom_headers').notNullable().defaultTo('{}');
    t.jsonb('variables').notNullable().defaultTo('{}'); // visible variables when the job was created
    t.text('error_message');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.unique(['element_instance_key']);
    t.index(['type', 'state']);
    t.index(['instance_key']);
  });
  await knex.schema.createTable('engine_timers', (t) => {
    t.bigIncrements('key').primary();
    t.bigInteger('instance_key'); // null for timer start events
    t.bigInteger('definition_key').notNullable();
    t.text('element_instance_key');
    t.string('element_id', 255).notNullable();
    t.bigInteger('due_at').notNullable(); // epoch ms
    t.integer('repetitions').notNullable().defaultTo(1); // -1 = unbounded (start-event cycles)
    t.string('interval', 64);
    t.string('state', 16).notNullable().defaultTo('CREATED'); // CREATED | TRIGGERED | CANCELED
    t.index(['state', 'due_at']);
    t.index(['instance_key']);
  });
  await knex.schema.createTable('engine_message_subscriptions', (t) => {
    t.bigIncrements('key').primary();
    t.bigInteger('instance_key').notNullable();
    t.text('element_instance_key').notNullable();
    t.string('element_id', 255).notNullable();
    t.string('message_name', 255).notNullable();
    t.string('correlation_key', 255).notNullable();
    t.boolean('interrupting').notNullable().defaultTo(true);
    t.string('state', 16).notNullable().defaultTo('OPEN'); // OPEN | CLOSED
    t.index(['message_name', 'correlation_key', 'state']);
    t.index(['instance_key']);
  });
  await knex.schema.createTable('engine_messages', (t) => {
    t.bigIncrements('key').primary();
    t.string('name', 255).notNullable();
    t.string('correlation_key', 255).notNullable();
    t.string('message_id', 255);
    t.jsonb('variables').notNullable().defaultTo('{}');
    t.bigInteger('expires_at').notNullable(); // epoch ms
    t.jsonb('correlated').notNullable().defaultTo('[]'); // instance keys / process ids it reached
    t.timestamp('published_at', { useTz: true }).notNullable();
    t.index(['name', 'correlation_key']);
  });
  await knex.raw(
    'create unique index engine_messages_dedup on engine_messages (name, message_id) where message_id is not null',
  );
  await knex.schema.createTable('engine_signal_subscriptions', (t) => {
    t.bigIncrements('key').primary();
    t.bigInteger('instance_key').notNullable();
    t.text('element_instance_key').notNullable();
    t.string('element_id', 255).notNullable();
    t.string('signal_name', 255).notNullable();
    t.index(['signal_name']);
    t.index(['instance_key']);
  });
  await knex.schema.createTable('engine_user_tasks', (t) => {
    t.bigIncrements('key').primary();
    t.bigInteger('instance_key').notNullable();
    t.text('element_instance_key').notNullable();
    t.string('element_id', 255).notNullable();
    t.string('kind', 8).notNullable(); // camunda | job
    t.bigInteger('job_key');
    t.string('state', 16).notNullable(); // CREATED | COMPLETED | CANCELED
    t.jsonb('task').notNullable(); // the UserTask as the port describes it
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('ended_at', { useTz: true });
    t.unique(['element_instance_key']);
    t.index(['state']);
  });
  await knex.schema.createTable('engine_incidents', (t) => {
    t.bigIncrements('key').primary();
    t.bigInteger('instance_key').notNullable();
    t.text('element_instance_key').notNullable();
    t.string('element_id', 255).notNullable();
    t.bigInteger('job_key');
    t.string('error_type', 64).notNullable();
    t.text('error_message').notNullable();
    t.string('state', 16).notNullable(); // ACTIVE | RESOLVED
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('resolved_at', { useTz: true });
    t.index(['state']);
    t.index(['instance_key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'engine_incidents',
    'engine_user_tasks',
    'engine_signal_subscriptions',
    'engine_messages',
    'engine_message_subscriptions',
    'engine_timers',
    'engine_jobs',
    'engine_element_events',
    'engine_instances',
    'engine_resources',
    'engine_deployments',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
