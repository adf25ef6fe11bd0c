import { Type, type Static } from '@sinclair/typebox';

/**
 * A signed link token: base64url payload, a dot, base64url HMAC (domain/tracking signLink). A
 * wildcard, not a :param, because a click token holds its URL and outgrows the router's
 * 100-character parameter limit.
 */
export const TokenParams = Type.Object({ '*': Type.String({ minLength: 1, maxLength: 4096, description: 'the signed token' }) });

export const ProviderParams = Type.Object({ provider: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,31}$', description: 'the provider name, e.g. "postmark"' }) });

export const ProviderEvent = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 200, description: "the provider's own event id; the same id twice is recorded once" }),
    type: Type.Union([Type.Literal('delivered'), Type.Literal('bounced'), Type.Literal('complained')]),
    communicationId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    messageId: Type.Optional(Type.String({ minLength: 3, maxLength: 255, description: 'the Message-ID Herald gave the email, e.g. "<C-1@herald.local>"' })),
    recipient: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
    bounceType: Type.Optional(Type.Union([Type.Literal('hard'), Type.Literal('soft')], { description: 'hard unless told (bounced only)' })),
    occurredAt: Type.Optional(Type.String({ format: 'date-time' })),
    detail: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type ProviderEvent = Static<typeof ProviderEvent>;

/** One event, or a batch as most providers send them. */
export const ProviderWebhookBody = Type.Union([ProviderEvent, Type.Array(ProviderEvent, { minItems: 1, maxItems: 100 })]);

export const ProviderEventResult = Type.Object({
  id: Type.String(),
  communicationId: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.Union([Type.Literal('recorded'), Type.Literal('duplicate'), Type.Literal('unknown-communication')]),
  status: Type.Union([Type.String(), Type.Null()]),
  suppressed: Type.Optional(Type.String({ description: 'the address now refused, and why' })),
});

export const ProviderWebhookAccepted = Type.Object({ received: Type.Integer(), events: Type.Array(ProviderEventResult) });

/** RFC 8058: the body a mail client POSTs for one-click unsubscribe. */
export const UnsubscribeBody = Type.Object({ 'List-Unsubscribe': Type.Literal('One-Click') }, { additionalProperties: true });

export const Unsubscribed = Type.Object({ unsubscribed: Type.Boolean(), communicationId: Type.String(), channel: Type.String(), kind: Type.String() });

export const HtmlPage = Type.String({ description: 'text/html' });
