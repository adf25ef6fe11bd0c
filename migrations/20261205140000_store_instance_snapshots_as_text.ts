/**
 * Instance snapshots and the variables kept beside instances and jobs are stored as text, not
 * jsonb: the engine reads them whole and parses them itself, so having the database parse and
 * re-encode them at every settle bought nothing (a durable straight-through instance writes five
 * snapshots of ~12 KB). Ad-hoc queries still read them with `::jsonb`.
 */
import type { Knex } from 'knex';

const COLUMNS = [
  ['engine_instances', 'snapshot'],
  ['engine_instances', 'variables'],
  ['engine_jobs', 'variables'],
] as const;

export async function up(knex: Knex): Promise<void> {
  for (const [table, column] of COLUMNS) {
    await knex.raw(`alter table ${table} alter column ${column} drop default`);
    await knex.raw(`alter table ${table} alter column ${column} type text using ${column}::text`);
    if (column === 'variables') await knex.raw(`alter table ${table} alter column ${column} set default '{}'`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const [table, column] of COLUMNS) {
    await knex.raw(`alter table ${table} alter column ${column} drop default`);
    await knex.raw(`alter table ${table} alter column ${column} type jsonb using ${column}::jsonb`);
    if (column === 'variables') await knex.raw(`alter table ${table} alter column ${column} set default '{}'::jsonb`);
  }
}
