/**
 * Customer requests end to end: routing, SLA clock and closure columns on customer_requests;
 * the request audit trail (hash-chained per request, append-only); adjustments (corrections,
 * refunds, restructuring) with their proposer and approvals; credit notes applied to invoices.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('customer_requests', (t) => {
    t.string('team', 32); // candidate group working the request
    t.string('assignee', 64);
    t.string('communication_id', 64); // the Herald message a reply answered
    t.string('customer_email', 320); // sender of an inbound email (unknown senders, triage)
    t.integer('age_days');
    t.string('resolution', 32); // corrected | answered | refunded | adjusted | restructured | declined | no-response | rejected
    t.text('resolution_note');
    t.timestamp('sla_started_at', { useTz: true }); // running segment of the SLA clock; null while paused
    t.bigInteger('sla_consumed_ms').notNullable().defaultTo(0);
    t.string('sla_reminder_after', 16);
    t.string('sla_escalate_after', 16);
    t.timestamp('sla_reminded_at', { useTz: true });
    t.timestamp('sla_breached_at', { useTz: true });
    t.timestamp('waiting_since', { useTz: true });
    t.timestamp('resolved_at', { useTz: true });
    t.integer('reopen_count').notNullable().defaultTo(0);
    t.index(['status', 'team']);
  });
  await knex.schema.createTable('request_events', (t) => {
    t.bigIncrements('id').primary();
    t.string('request_id', 64).notNullable().references('customer_requests.id');
    t.string('action', 48).notNullable();
    t.string('actor', 64).notNullable();
    t.string('outcome', 16).notNullable().defaultTo('done'); // done | allowed | refused
    t.jsonb('detail').notNullable().defaultTo('{}');
    t.timestamp('at', { useTz: true }).notNullable();
    t.string('prev_hash', 64);
    t.string('hash', 64).notNullable();
    t.index(['request_id', 'id']);
  });
  await knex.raw(`
    create or replace function herald_refuse_request_event_change() returns trigger as $$
    begin
      raise exception 'request_events is append-only: % refused', tg_op;
    end;
    $$ language plpgsql;
  `);
  await knex.raw(`create trigger request_events_append_only before update or delete on request_events
    for each row execute function herald_refuse_request_event_change()`);
  await knex.schema.createTable('request_adjustments', (t) => {
    t.string('id', 64).primary();
    t.string('request_id', 64).notNullable().references('customer_requests.id');
    t.string('kind', 16).notNullable(); // correction | refund | contract | restructuring
    t.decimal('amount', 18, 2).notNullable();
    t.string('currency', 3).notNullable();
    t.string('invoice_id', 64);
    t.text('reason');
    t.string('proposed_by', 64).notNullable();
    t.jsonb('approval_groups').notNullable().defaultTo('[]');
    t.jsonb('approvals').notNullable().defaultTo('[]');
    t.string('status', 16).notNullable(); // proposed | approved | rejected | applied
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('applied_at', { useTz: true });
  });
  await knex.schema.createTable('credit_notes', (t) => {
    t.string('id', 64).primary();
    t.string('adjustment_id', 64).notNullable().unique().references('request_adjustments.id');
    t.string('invoice_id', 64).notNullable().references('invoices.id');
    t.string('number', 64).notNullable().unique();
    t.decimal('amount', 18, 2).notNullable();
    t.decimal('corrected_invoice_amount', 18, 2).notNullable();
    t.string('currency', 3).notNullable();
    t.text('reason');
    t.timestamp('issued_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('credit_notes');
  await knex.schema.dropTableIfExists('request_adjustments');
  await knex.raw('drop trigger if exists request_events_append_only on request_events');
  await knex.schema.dropTableIfExists('request_events');
  await knex.raw('drop function if exists herald_refuse_request_event_change()');
  await knex.schema.alterTable('customer_requests', (t) => {
    t.dropIndex(['status', 'team']);
    for (const c of ['team', 'assignee', 'communication_id', 'customer_email', 'age_days', 'resolution', 'resolution_note', 'sla_started_at', 'sla_consumed_ms', 'sla_reminder_after', 'sla_escalate_after', 'sla_reminded_at', 'sla_breached_at', 'waiting_since', 'resolved_at', 'reopen_count']) t.dropColumn(c);
  });
}
