/**
 * Double opt-in confirmations and their evidence (#19). A request is written in the caller's
 * transaction together with the preference rows it waits for and the confirmation message (a
 * rendered communication); the workers hand the message to delivery (workers/consent-outbox.ts).
 * Confirming is single-use (a conditional update from `pending`), refuses expired or altered
 * tokens, and turns on only the preferences that still wait for this confirmation (a later
 * opt-out or a newer request wins). The evidence is kept in the row and written to the audit
 * trail as `customer.consent-confirmed`.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import {
  codeHash,
  CONFIRMATION_TTL_MS,
  confirmationMessage,
  confirmationMethod,
  MAX_CODE_ATTEMPTS,
  newCode,
  newLinkToken,
  sha256,
  verifyLinkToken,
  type ConfirmationItem,
  type ConfirmationMethod,
} from '../domain/channels/double-opt-in.js';
import { createAuditRepository } from './repositories/audit.js';

/** What a confirmation message needs: the key its links are signed with, where they point, whose name it carries. */
export interface ConfirmationSettings {
  secret: string;
  baseUrl: string;
  company?: string;
}

/** Where a request or a confirmation came from, when known (the HTTP client). */
export interface RequestEvidence {
  ip?: string | null;
  userAgent?: string | null;
}

export interface ConfirmationSent {
  id: string;
  method: ConfirmationMethod;
  /** The address, masked (the full one is in the evidence). */
  sentTo: string;
  items: ConfirmationItem[];
  expiresAt: string;
}

/** A refusal the caller turns into a 400 naming its field. */
export class ConsentConfirmationError extends Error {
  constructor(
    message: string,
    readonly field: string,
    readonly status: 400 | 404 | 409 | 410 = 400,
  ) {
    super(message);
  }
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const clip = (v: string | null | undefined, n: number) => (v ? v.slice(0, n) : null);
const iso = (v: unknown) => new Date(v as string).toISOString();

export function maskAddress(address: string): string {
  const at = address.indexOf('@');
  if (at > 0) return `${address[0]}***${address.slice(at)}`;
  return `***${address.slice(-3)}`;
}

/** The channel the confirmation message goes on. */
export const confirmationChannel = (method: ConfirmationMethod) => (method === 'sms-code' ? 'sms' : 'email');

export function consentConfirmationRepository(db: Knex | Knex.Transaction) {
  /**
   * Asks the customer to confirm these opt-ins, one message per method; must run in the
   * transaction that marks the preference rows pending. Fails (naming the field) when the customer
   * has no address to confirm from.
   */
  async function request(input: {
    customerId: string;
    items: (ConfirmationItem & { index: number })[];
    actor: string;
    via: string;
    evidence?: RequestEvidence;
    settings: ConfirmationSettings;
    now: Date;
  }): Promise<(ConfirmationSent & { itemsIndex: number[] })[]> {
    const byMethod = new Map<ConfirmationMethod, (ConfirmationItem & { index: number })[]>();
    for (const item of input.items) byMethod.set(confirmationMethod(item.channel), [...(byMethod.get(confirmationMethod(item.channel)) ?? []), item]);
    const sent: (ConfirmationSent & { itemsIndex: number[] })[] = [];
    for (const [method, items] of byMethod) {
      const channel = confirmationChannel(method);
      const contact = await db('customer_contacts').where({ customer_id: input.customerId, channel }).orderBy('address').first('address');
      if (!contact?.address) {
        const what = method === 'sms-code' ? 'an SMS number' : 'an email address';
        throw new ConsentConfirmationError(`${items.map((i) => `${i.topic} on ${i.channel}`).join(', ')} needs a confirmation from the customer, and the customer has no ${what} on file to send it to`, `body.preferences.${items[0].index}`);
      }
      const id = randomUUID();
      const secretValue = method === 'sms-code' ? newCode() : newLinkToken(input.settings.secret, id);
      const tokenHash = method === 'sms-code' ? codeHash(id, secretValue) : sha256(secretValue);
      const link = method === 'email-link' ? `${input.settings.baseUrl.replace(/\/$/, '')}/api/consent/confirm?token=${encodeURIComponent(secretValue)}` : undefined;
      const message = confirmationMessage({ method, items, code: method === 'sms-code' ? secretValue : undefined, link, company: input.settings.company ?? 'Herald' });
      const communicationId = `consent-${id}`;
      const expiresAt = new Date(input.now.getTime() + CONFIRMATION_TTL_MS[method]);
      const plain = items.map(({ channel: c, topic }) => ({ channel: c, topic }));
      await db('communications').insert({
        id: communicationId,
        customer_id: input.customerId,
        template_id: 'consent-confirmation',
        channel,
        kind: 'transactional',
        status: 'rendered',
        initiated_by: input.actor,
        data: JSON.stringify({ consentConfirmationId: id, items: plain }),
        subject: message.subject,
        html: message.html,
        text: message.text,
        rendered_at: input.now,
        created_at: input.now,
        updated_at: input.now,
      });
      await db('consent_confirmations').insert({
        id,
        customer_id: input.customerId,
        items: JSON.stringify(plain),
        method,
        address: contact.address,
        token_hash: tokenHash,
        state: 'pending',
        requested_by: input.actor,
        requested_via: input.via,
        requested_ip: clip(input.evidence?.ip, 64),
        requested_user_agent: clip(input.evidence?.userAgent, 512),
        requested_at: input.now,
        expires_at: expiresAt,
        communication_id: communicationId,
      });
      await createAuditRepository(db).append({
        actor: input.actor,
        action: 'customer.consent-requested',
        subjectType: 'customer',
        subjectId: input.customerId,
        at: input.now,
        detail: { confirmationId: id, method, sentTo: contact.address, items: plain, via: input.via, ip: input.evidence?.ip ?? null, userAgent: input.evidence?.userAgent ?? null, tokenHash, expiresAt: expiresAt.toISOString(), communicationId },
      });
      sent.push({ id, method, sentTo: maskAddress(contact.address), items: plain, expiresAt: expiresAt.toISOString(), itemsIndex: items.map((i) => i.index) });
    }
    return sent;
  }

  /** Turns on what still waits for this confirmation, records the evidence; single-use. */
  async function confirm(row: Record<string, unknown>, who: { actor: string; evidence?: RequestEvidence }, now: Date) {
    return (db as Knex).transaction(async (tx) => {
      const claimed = await tx('consent_confirmations')
        .where({ id: row.id, state: 'pending' })
        .update({ state: 'confirmed', confirmed_at: now, confirmed_by: who.actor, confirmed_ip: clip(who.evidence?.ip, 64), confirmed_user_agent: clip(who.evidence?.userAgent, 512) });
      if (!claimed) throw new ConsentConfirmationError('this confirmation was already used', 'token', 409);
      const items = json<ConfirmationItem[]>(row.items);
      const waiting = await tx('customer_preferences').where({ customer_id: row.customer_id, pending_confirmation: row.id }).select('channel', 'topic');
      if (waiting.length) {
        await tx('customer_preferences')
          .where({ customer_id: row.customer_id, pending_confirmation: row.id })
          .update({ opted_in: true, pending_confirmation: null, confirmation_id: row.id, updated_by: who.actor, updated_at: now });
      }
      const activated = waiting.map((w: { channel: string; topic: string }) => ({ channel: w.channel, topic: w.topic }));
      const evidence = {
        confirmationId: row.id,
        method: row.method,
        sentTo: row.address,
        items,
        activated,
        requestedBy: row.requested_by,
        requestedVia: row.requested_via,
        requestedAt: iso(row.requested_at),
        requestedIp: row.requested_ip ?? null,
        requestedUserAgent: row.requested_user_agent ?? null,
        tokenHash: row.token_hash,
        confirmedBy: who.actor,
        confirmedAt: now.toISOString(),
        confirmedIp: who.evidence?.ip ?? null,
        confirmedUserAgent: who.evidence?.userAgent ?? null,
        communicationId: row.communication_id,
      };
      await createAuditRepository(tx).append({ actor: who.actor, action: 'customer.consent-confirmed', subjectType: 'customer', subjectId: row.customer_id as string, at: now, detail: evidence });
      return { customerId: row.customer_id as string, activated, evidence };
    });
  }

  const live = (row: Record<string, unknown> | undefined, field: string, now: Date) => {
    if (!row) throw new ConsentConfirmationError('no such confirmation', field, 404);
    if (row.state !== 'pending') throw new ConsentConfirmationError(row.state === 'confirmed' ? 'this confirmation was already used' : `this confirmation is ${row.state}; opt in again for a new one`, field, 409);
    if (new Date(row.expires_at as string).getTime() <= now.getTime()) throw new ConsentConfirmationError(`this confirmation expired at ${iso(row.expires_at)}; opt in again for a new one`, field, 410);
    return row;
  };

  return {
    request,
    /** The email link: a token Herald signed, whose hash is on file, pending and not expired. */
    async confirmByToken(token: string, settings: Pick<ConfirmationSettings, 'secret'>, who: { evidence?: RequestEvidence }, now: Date) {
      const id = verifyLinkToken(settings.secret, token);
      if (!id) throw new ConsentConfirmationError('the confirmation link is not one Herald signed (altered or truncated)', 'token');
      const row = await db('consent_confirmations').where({ id }).first();
      if (row && row.token_hash !== sha256(token)) throw new ConsentConfirmationError('the confirmation link is not one Herald signed (altered or truncated)', 'token');
      live(row, 'token', now);
      return confirm(row, { actor: `recipient:${row.address}`, evidence: who.evidence }, now);
    },
    /** The SMS code, typed by the customer in the portal: their newest pending SMS confirmation; a few wrong codes spend it. */
    async confirmByCode(customerId: string, code: string, who: { actor: string; evidence?: RequestEvidence }, now: Date) {
      const row = await db('consent_confirmations').where({ customer_id: customerId, method: 'sms-code', state: 'pending' }).orderBy('requested_at', 'desc').first();
      if (!row) throw new ConsentConfirmationError('there is no SMS opt-in waiting for a code', 'body.code', 404);
      live(row, 'body.code', now);
      if (row.token_hash !== codeHash(row.id, code)) {
        const failed = Number(row.failed_attempts) + 1;
        await db('consent_confirmations').where({ id: row.id, state: 'pending' }).update({ failed_attempts: failed, ...(failed >= MAX_CODE_ATTEMPTS ? { state: 'exhausted' } : {}) });
        throw new ConsentConfirmationError(failed >= MAX_CODE_ATTEMPTS ? `the code is wrong, for the ${MAX_CODE_ATTEMPTS}th time: this confirmation is spent; opt in again for a new code` : `the code is wrong (${MAX_CODE_ATTEMPTS - failed} tries left)`, 'body.code');
      }
      return confirm(row, who, now);
    },
    /** What the link page shows before the customer confirms (nothing secret). */
    async describe(token: string, settings: Pick<ConfirmationSettings, 'secret'>) {
      const id = verifyLinkToken(settings.secret, token);
      const row = id ? await db('consent_confirmations').where({ id }).first() : undefined;
      if (!row || row.token_hash !== sha256(token)) return undefined;
      return { items: json<ConfirmationItem[]>(row.items), state: row.state as string, expiresAt: iso(row.expires_at) };
    },
    /** Confirmations whose message is not yet handed to delivery. */
    async unqueued(limit = 50): Promise<{ id: string; communicationId: string; channel: 'sms' | 'email' }[]> {
      const rows = await db('consent_confirmations').whereNull('queued_at').where({ state: 'pending' }).orderBy('requested_at').limit(limit).select('id', 'communication_id', 'method');
      return rows.map((r: Record<string, string>) => ({ id: r.id, communicationId: r.communication_id, channel: confirmationChannel(r.method as ConfirmationMethod) }));
    },
    async markQueued(id: string, at: Date) {
      await db('consent_confirmations').where({ id }).update({ queued_at: at });
    },
    /** The evidence of a confirmation (for an auditor or the evidence pack). */
    async evidence(id: string) {
      const row = await db('consent_confirmations').where({ id }).first();
      if (!row) return undefined;
      return {
        id: row.id as string,
        customerId: row.customer_id as string,
        items: json<ConfirmationItem[]>(row.items),
        method: row.method as string,
        sentTo: row.address as string,
        state: row.state as string,
        tokenHash: row.token_hash as string,
        requestedBy: row.requested_by as string,
        requestedVia: row.requested_via as string,
        requestedIp: (row.requested_ip as string | null) ?? null,
        requestedUserAgent: (row.requested_user_agent as string | null) ?? null,
        requestedAt: iso(row.requested_at),
        expiresAt: iso(row.expires_at),
        confirmedBy: (row.confirmed_by as string | null) ?? null,
        confirmedIp: (row.confirmed_ip as string | null) ?? null,
        confirmedUserAgent: (row.confirmed_user_agent as string | null) ?? null,
        confirmedAt: row.confirmed_at ? iso(row.confirmed_at) : null,
        communicationId: row.communication_id as string,
      };
    },
  };
}
