/**
 * The contract every delivery channel keeps: send one rendered message, identified by its
 * communication id, at most once as the recipient sees it; answer with a receipt or throw a
 * DeliveryError that says whether trying again can help.
 */
import type { TemplateKind } from '../templates/types.js';

export type Channel = 'email' | 'sms' | 'portal' | 'crm';

export interface Recipient {
  /** Display name (email). */
  name?: string;
  email?: string;
  /** E.164, e.g. +41791234567 (SMS). */
  phone?: string;
  /** The customer's id (portal inbox, CRM). */
  customerId?: string;
}

export interface OutboundMessage {
  communicationId: string;
  /** Sent to providers as Idempotency-Key; normally the communication id. */
  idempotencyKey: string;
  recipient: Recipient;
  subject: string;
  html: string;
  text: string;
  /** Extra headers (email) or metadata (webhooks); protected header names are refused. */
  headers?: Record<string, string>;
  kind: TemplateKind;
  /** When the communication was created: the email Date header, the same on every attempt. */
  createdAt: string | Date;
  /** One-click unsubscribe target (https), required for marketing email. */
  unsubscribeUrl?: string;
}

export interface DeliveryReceipt {
  channel: Channel;
  providerMessageId: string;
  /** ISO 8601. */
  acceptedAt: string;
  /** sha256 (hex) of the exact bytes handed to the provider. */
  rawSha256?: string;
  /** The exact bytes handed to the provider, for the archive. */
  raw?: Buffer;
  /** Which of the channel's providers accepted it (primary, secondary), when the channel has several. */
  provider?: string;
}

/** What a caller may tell an adapter about one send (failover channels use it; plain adapters ignore it). */
export interface SendContext {
  /** Only this provider may be used: an earlier attempt there may have been accepted and cannot be asked about. */
  pinned?: string;
  /** Called just before a provider is handed the message (the caller records the attempt first). */
  starting?(provider: string): Promise<void>;
  /** Called when a provider failed this message; `ambiguous` when it may have accepted it all the same. */
  failed?(provider: string, error: Error, ambiguous: boolean): Promise<void>;
}

export interface ChannelAdapter {
  readonly channel: Channel;
  send(message: OutboundMessage, context?: SendContext): Promise<DeliveryReceipt>;
  close?(): Promise<void>;
}
