export type { Channel, ChannelAdapter, DeliveryReceipt, OutboundMessage, Recipient, SendContext } from './types.js';
export { DeliveryError, HeaderInjectionError, InvalidRecipientError } from './errors.js';
export { buildEmail, createEmailAdapter, messageIdFor, checkCommunicationId, type BuiltEmail, type EmailAdapterOptions, type MailAddress } from './email.js';
export { createSmsAdapter, type SmsAdapterOptions } from './sms.js';
export { createCrmWebhookAdapter, signWebhook, verifyWebhookSignature, SIGNATURE_HEADER, type CrmWebhookOptions, type WebhookVerification } from './crm-webhook.js';
export { createPortalAdapter, type PortalStore } from './portal.js';
export type { FetchLike } from './http.js';
export { createFailoverAdapter, httpLookup, type BreakerSettings, type BreakerStateName, type ChannelProvider, type FailoverAdapter, type FailoverOptions, type ProviderState, type ProviderVerdict } from './failover.js';
