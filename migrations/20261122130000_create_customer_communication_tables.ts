/**
 * Customer master data (customers, contacts with consent, invoices, payments) and the
 * communications Herald sends: deliveries (one per communication id), tracking events and the
 * immutable archive. Amounts are numeric, never floats.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('customers', (t) => {
    t.string('id', 64).primary();
    t.string('legal_name', 255).notNullable();
    t.string('status', 16).notNullable(); // active | suspended | closed
    t.string('kyc_status', 16).notNullable(); // verified | pending | expired | failed
    t.date('kyc_expires_at');
    t.string('risk_segment', 16).notNullable().defaultTo('medium'); // low | medium | high
    t.string('locale', 16).notNullable().defaultTo('en');
    t.string('account_manager', 64);
    t.string('portal_user', 64);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('customer_contacts', (t) => {
    t.bigIncrements('id').primary();
    t.string('customer_id', 64).notNullable().references('customers.id').onDelete('CASCADE');
    t.string('channel', 16).notNullable(); // email | sms | portal | crm
    t.string('address', 320).notNullable();
    t.string('display_name', 255);
    t.boolean('consent').notNullable().defaultTo(false);
    t.boolean('marketing_consent').notNullable().defaultTo(false);
    t.timestamp('consent_at', { useTz: true });
    t.unique(['customer_id', 'channel']);
  });
  await knex.schema.createTable('invoices', (t) => {
    t.string('id', 64).primary();
    t.string('customer_id', 64).notNullable().references('customers.id');
    t.string('number', 64).notNullable();
    t.decimal('amount', 18, 2).notNullable();
    t.string('currency', 3).notNullable();
    t.date('issued_at').notNullable();
    t.date('due_at').notNullable();
    t.string('status', 16).notNullable().defaultTo('open'); // open | paid | disputed | promised | written_off
    t.date('promised_at');
    t.timestamp('paid_at', { useTz: true });
    t.index(['customer_id']);
  });
  await knex.schema.createTable('payments', (t) => {
    t.bigIncrements('id').primary();
    t.string('customer_id', 64).notNullable().references('customers.id');
    t.string('invoice_id', 64);
    t.decimal('amount', 18, 2).notNullable();
    t.string('currency', 3).notNullable();
    t.date('due_at').notNullable();
    t.date('paid_at').notNullable();
    t.index(['customer_id']);
  });
  await knex.schema.createTable('communications', (t) => {
    t.string('id', 64).primary();
    t.string('customer_id', 64).notNullable().references('customers.id');
    t.string('template_id', 64).notNullable();
    t.integer('template_version');
    t.string('channel', 16).notNullable();
    t.string('kind', 16).notNullable(); // transactional | dunning | legal | marketing
    t.string('status', 16).notNullable(); // created | rendered | queued | sent | delivered | opened | clicked | bounced | failed | archived
    t.string('process_instance_key', 32);
    t.string('initiated_by', 64);
    t.jsonb('data').notNullable().defaultTo('{}');
    t.string('subject', 998);
    t.text('html');
    t.text('text');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['customer_id', 'created_at']);
  });
  await knex.schema.createTable('deliveries', (t) => {
    t.string('communication_id', 64).primary().references('communications.id');
    t.string('channel', 16).notNullable();
    t.string('state', 16).notNullable(); // queued | sending | sent | failed
    t.integer('attempts').notNullable().defaultTo(0);
    t.string('provider_message_id', 255);
    t.string('raw_sha256', 64);
    t.text('error');
    t.timestamp('queued_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true });
  });
  await knex.schema.createTable('tracking_events', (t) => {
    t.bigIncrements('id').primary();
    t.string('communication_id', 64).notNullable().references('communications.id');
    t.string('kind', 16).notNullable(); // queued | sent | delivered | opened | clicked | bounced | complained | replied | unsubscribed | failed
    t.string('provider_event_id', 255);
    t.jsonb('meta').notNullable().defaultTo('{}');
    t.timestamp('at', { useTz: true }).notNullable();
    t.unique(['communication_id', 'provider_event_id']);
    t.index(['communication_id', 'at']);
  });
  await knex.schema.createTable('communication_archive', (t) => {
    t.string('communication_id', 64).primary().references('communications.id');
    t.text('raw').notNullable(); // the exact bytes sent, base64
    t.string('content_sha256', 64).notNullable();
    t.string('template_id', 64).notNullable();
    t.integer('template_version');
    t.jsonb('data_snapshot').notNullable();
    t.jsonb('approvals').notNullable().defaultTo('[]');
    t.jsonb('delivery_events').notNullable().defaultTo('[]');
    t.timestamp('archived_at', { useTz: true }).notNullable();
  });
  // The archive is immutable: the database refuses updates and deletes (Postgres and PGlite).
  await knex.raw(`
    create or replace function herald_refuse_archive_change() returns trigger as $$
    begin
      raise exception 'communication_archive is immutable: % refused', tg_op;
    end;
    $$ language plpgsql;
  `);
  await knex.raw(`create trigger communication_archive_immutable before update or delete on communication_archive
    for each row execute function herald_refuse_archive_change()`);
  await knex.schema.createTable('suppressions', (t) => {
    t.string('customer_id', 64).notNullable();
    t.string('channel', 16).notNullable();
    t.string('kind', 16).notNullable(); // marketing
    t.timestamp('at', { useTz: true }).notNullable();
    t.primary(['customer_id', 'channel', 'kind']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('suppressions');
  await knex.raw('drop trigger if exists communication_archive_immutable on communication_archive');
  await knex.schema.dropTableIfExists('communication_archive');
  await knex.raw('drop function if exists herald_refuse_archive_change()');
  for (const table of ['tracking_events', 'deliveries', 'communications', 'payments', 'invoices', 'customer_contacts', 'customers']) {
    await knex.schema.dropTableIfExists(table);
  }
}
