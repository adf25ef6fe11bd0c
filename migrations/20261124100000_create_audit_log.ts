/**
 * The audit log: one hash-chained, append-only table for every decision and change Herald
 * records (SoD decisions, task claims and completions, trigger events). The database itself
 * refuses UPDATE, DELETE and TRUNCATE, so only a superuser disabling the trigger can tamper,
 * and the chain shows it.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id').primary();
    t.timestamp('at', { useTz: true }).notNullable();
    t.string('actor', 64).notNullable();
    t.string('action', 64).notNullable();
    t.string('subject_type', 32).notNullable();
    t.string('subject_id', 128).notNullable();
    t.string('outcome', 16).notNullable(); // done | allowed | refused | failed
    t.string('rule', 48);
    t.jsonb('detail').notNullable().defaultTo('{}');
    t.string('prev_hash', 64);
    t.string('hash', 64).notNullable();
    t.index(['subject_type', 'subject_id', 'id']);
    t.index(['actor', 'id']);
  });
  await knex.raw(`
    create or replace function herald_audit_log_refuse() returns trigger as $$
    begin
      raise exception 'audit_log is append-only: % refused', tg_op using errcode = 'P0001';
    end;
    $$ language plpgsql;
  `);
  await knex.raw(`create trigger audit_log_append_only before update or delete on audit_log
    for each row execute function herald_audit_log_refuse()`);
  await knex.raw(`create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function herald_audit_log_refuse()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger if exists audit_log_no_truncate on audit_log');
  await knex.raw('drop trigger if exists audit_log_append_only on audit_log');
  await knex.schema.dropTableIfExists('audit_log');
  await knex.raw('drop function if exists herald_audit_log_refuse()');
}
