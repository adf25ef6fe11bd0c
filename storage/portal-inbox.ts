import type { Knex } from 'knex';

export interface PortalInboxEntry {
  communicationId: string;
  customerId: string;
  subject: string;
  html: string;
  text: string;
  createdAt: Date;
}

/**
 * The customer's portal inbox. The portal channel files a message here when it is the channel;
 * a message about a customer's request sent on another channel (email for Acme) is filed here as
 * a copy, so the portal shows the whole conversation. One entry per communication: filing it
 * again, by either path, changes nothing.
 */
export function portalInboxRepository(db: Knex) {
  return {
    async put(e: PortalInboxEntry): Promise<'created' | 'exists'> {
      const rows = await db('portal_messages')
        .insert({ communication_id: e.communicationId, customer_id: e.customerId, subject: e.subject, html: e.html, text: e.text, created_at: e.createdAt })
        .onConflict('communication_id')
        .ignore()
        .returning('communication_id');
      return rows.length ? 'created' : 'exists';
    },
  };
}
