/**
 * Scale-out of the embedded engine on one Postgres (several Herald processes, one database):
 * - engine_nodes: the engines running now. Each holds a session advisory lock on its id while it
 *   lives, so a peer tells a dead node (its lock is free) from a live one without waiting for a
 *   heartbeat to age; jobs a dead node had activated become activatable again.
 * - engine_jobs.owner: the node that activated a job (the deadline stays its lease).
 * - engine_timers.owner / claimed_until: a node claims due timers for a short lease before it fires
 *   them, so peers do not all load the same instances; the firing itself is guarded by the
 *   instance's revision (engine_instances.rev, checked on every save).
 * - engine_message_correlations: a message correlates with an instance at most once, written in the
 *   same transaction as the instance's save.
 * - engine_instances: one called instance per call activity instance (a unique index).
 * - herald_revision_conflict(text): raises SQLSTATE HR409, so the one-statement group commit can
 *   refuse a stale save atomically (it is one statement: nothing of it is kept).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('engine_nodes', (t) => {
    t.bigInteger('id').primary(); // also its advisory lock key
    t.string('host', 255).notNullable();
    t.integer('pid').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.alterTable('engine_jobs', (t) => {
    t.bigInteger('owner');
  });
  await knex.schema.alterTable('engine_timers', (t) => {
    t.bigInteger('owner');
    t.bigInteger('claimed_until'); // engine clock, ms
  });
  await knex.schema.createTable('engine_message_correlations', (t) => {
    t.bigInteger('message_key').notNullable();
    t.bigInteger('instance_key').notNullable();
    t.primary(['message_key', 'instance_key']);
  });
  await knex.raw(
    'create unique index engine_instances_one_call on engine_instances (parent_instance_key, parent_element_instance_key) where parent_instance_key is not null',
  );
  await knex.raw(`create or replace function herald_revision_conflict(what text) returns bigint language plpgsql as $$
begin
  raise exception 'revision conflict: %', what using errcode = 'HR409';
end $$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function if exists herald_revision_conflict(text)');
  await knex.raw('drop index if exists engine_instances_one_call');
  await knex.schema.dropTable('engine_message_correlations');
  await knex.schema.alterTable('engine_timers', (t) => {
    t.dropColumn('claimed_until');
    t.dropColumn('owner');
  });
  await knex.schema.alterTable('engine_jobs', (t) => {
    t.dropColumn('owner');
  });
  await knex.schema.dropTable('engine_nodes');
}
