/**
 * Worker liveness: each worker process heartbeats once per job type it serves (a row per worker
 * and type, with the instant it counts as dead unless it beats again), and every job a worker
 * takes is recorded with that worker's id, so a job whose worker died shows who held it.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('worker_heartbeats', (t) => {
    t.string('worker_id', 255).notNullable();
    t.string('job_type', 255).notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable();
    // last_seen_at plus the worker's own staleness allowance: dead after this unless it beats again
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.primary(['worker_id', 'job_type']);
    t.index(['job_type', 'expires_at']);
  });
  await knex.schema.createTable('job_holds', (t) => {
    t.bigIncrements('id').primary();
    t.string('job_key', 64).notNullable();
    t.string('instance_key', 64).notNullable();
    t.string('job_type', 255).notNullable();
    t.string('element_id', 255);
    t.string('worker_id', 255).notNullable();
    t.timestamp('activated_at', { useTz: true }).notNullable();
    t.index(['instance_key']);
    t.index(['job_key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('job_holds');
  await knex.schema.dropTableIfExists('worker_heartbeats');
}
