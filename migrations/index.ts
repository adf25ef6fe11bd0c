/**
 * Migrations are listed here, in order, so they load the same way under tsx, vitest and a build.
 * Each file is named YYYYMMDDHHMMSS_verb_object and exports up and down.
 */
import type { Knex } from 'knex';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const files: Record<string, () => Promise<Migration>> = {
  '20261122120000_create_engine_tables': () => import('./20261122120000_create_engine_tables.js'),
  '20261122130000_create_customer_communication_tables': () => import('./20261122130000_create_customer_communication_tables.js'),
  '20261122131000_add_credit_limit_and_requests': () => import('./20261122131000_add_credit_limit_and_requests.js'),
  '20261122132000_create_template_tables': () => import('./20261122132000_create_template_tables.js'),
  '20261123090000_extend_customer_requests': () => import('./20261123090000_extend_customer_requests.js'),
  '20261123091000_allow_requests_without_customer': () => import('./20261123091000_allow_requests_without_customer.js'),
  '20261124100000_create_audit_log': () => import('./20261124100000_create_audit_log.js'),
  '20261124101000_create_identity_tables': () => import('./20261124101000_create_identity_tables.js'),
  '20261124102000_create_tasklist_tables': () => import('./20261124102000_create_tasklist_tables.js'),
  '20261124103000_create_event_receipts': () => import('./20261124103000_create_event_receipts.js'),
  '20261205100000_create_drafts': () => import('./20261205100000_create_drafts.js'),
  '20261205111000_add_delivery_tracking': () => import('./20261205111000_add_delivery_tracking.js'),
  '20261205112000_add_user_passwords': () => import('./20261205112000_add_user_passwords.js'),
  '20261205120000_add_communication_rendered_at': () => import('./20261205120000_add_communication_rendered_at.js'),
  '20261205130000_add_draft_kind': () => import('./20261205130000_add_draft_kind.js'),
  '20261205140000_store_instance_snapshots_as_text': () => import('./20261205140000_store_instance_snapshots_as_text.js'),
  '20261205150000_add_instance_journal': () => import('./20261205150000_add_instance_journal.js'),
  '20261207100000_add_audit_key_id': () => import('./20261207100000_add_audit_key_id.js'),
  '20261207110000_create_event_signatures': () => import('./20261207110000_create_event_signatures.js'),
  '20261207120000_add_communication_amount': () => import('./20261207120000_add_communication_amount.js'),
  '20261207130000_add_invoice_facts_and_consent_history': () => import('./20261207130000_add_invoice_facts_and_consent_history.js'),
  '20261207150000_widen_engine_timer_interval': () => import('./20261207150000_widen_engine_timer_interval.js'),
  '20261207150100_add_task_listener_jobs': () => import('./20261207150100_add_task_listener_jobs.js'),
  '20261207210000_add_delivery_providers': () => import('./20261207210000_add_delivery_providers.js'),
  '20261207211000_create_worker_liveness': () => import('./20261207211000_create_worker_liveness.js'),
  '20261207212000_create_documents': () => import('./20261207212000_create_documents.js'),
  '20261207220000_add_engine_scale_out': () => import('./20261207220000_add_engine_scale_out.js'),
  '20261207223000_create_customer_preferences': () => import('./20261207223000_create_customer_preferences.js'),
  '20261207224500_add_communication_rendered_data': () => import('./20261207224500_add_communication_rendered_data.js'),
  '20261208020000_create_consent_confirmations': () => import('./20261208020000_create_consent_confirmations.js'),
  '20261208010000_add_digests_and_frequency_caps': () => import('./20261208010000_add_digests_and_frequency_caps.js'),
  '20261208030000_create_document_uploads': () => import('./20261208030000_create_document_uploads.js'),
  '20261208090000_create_restructuring_agreements': () => import('./20261208090000_create_restructuring_agreements.js'),
  '20261208091000_add_delivery_sent_raw': () => import('./20261208091000_add_delivery_sent_raw.js'),
};


export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(files).sort(),
  getMigrationName: (name) => name,
  getMigration: (name) => files[name](),
};
