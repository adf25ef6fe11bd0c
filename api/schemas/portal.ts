import { Type, type Static } from '@sinclair/typebox';
import { AttachmentIds, UploadedDocument } from './documents.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
export const Amount = Type.String({ pattern: '^[0-9]{1,15}(\\.[0-9]{1,2})?$', description: 'decimal string, e.g. "19600.00"' });
export const InvoiceId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' });
const DateOnly = Type.String({ format: 'date', description: 'YYYY-MM-DD' });

/**
 * A message the customer was sent, on any channel: the portal inbox and every email, SMS or CRM
 * message delivered to them, as sent (`created_at` kept for older clients).
 */
export const PortalMessage = Type.Object({
  communicationId: Type.String(),
  channel: Type.String(),
  subject: Type.String(),
  html: Type.String(),
  text: Type.String(),
  createdAt: Type.String(),
  readAt: Nullable(Type.String()),
  created_at: Type.String(),
});

export const PortalRequest = Type.Object({
  id: Type.String(),
  reference: Type.String(),
  subject: Type.String(),
  status: Type.String(),
  category: Type.String(),
  invoiceId: Nullable(Type.String()),
  amount: Nullable(Type.String()),
  resolution: Nullable(Type.String()),
  createdAt: Type.String(),
});

/** What the customer sees of a request's progress: the steps in their words, never staff or internal checks. */
export const PortalRequestStep = Type.Object({ at: Type.String(), what: Type.String(), by: Type.Union([Type.Literal('you'), Type.Literal('us')]) });

export const PortalRequestDetail = Type.Composite([
  PortalRequest,
  Type.Object({
    body: Nullable(Type.String()),
    resolutionNote: Nullable(Type.String()),
    steps: Type.Array(PortalRequestStep),
    /** The messages about this request, on any channel, oldest first. */
    messages: Type.Array(Type.Object({ communicationId: Type.String(), channel: Type.String(), subject: Nullable(Type.String()), createdAt: Type.String() })),
    /** Files attached to the request or its replies, oldest first, with their download links. */
    attachments: Type.Array(UploadedDocument),
  }),
]);

export const RequestRefParams = Type.Object({ ref: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' }) });

export const PortalReplyBody = Type.Object({ text: Type.String({ minLength: 1, maxLength: 10_000 }), attachments: Type.Optional(AttachmentIds) }, { additionalProperties: false });
export type PortalReplyBody = Static<typeof PortalReplyBody>;
export const PortalReplyAccepted = Type.Object({ reference: Type.String(), status: Type.String(), resumed: Type.Boolean() });

export const NewPortalRequestBody = Type.Object(
  {
    subject: Type.String({ minLength: 1, maxLength: 255 }),
    body: Type.Optional(Type.String({ maxLength: 10_000 })),
    invoiceId: Type.Optional(InvoiceId),
    amount: Type.Optional(Amount),
    attachments: Type.Optional(AttachmentIds),
  },
  { additionalProperties: false },
);
export type NewPortalRequestBody = Static<typeof NewPortalRequestBody>;

export const SubmittedPortalRequest = Type.Object({ id: Type.String(), reference: Type.String(), status: Type.String() });

/** An invoice as the portal shows it (`due_at` and `paid_at` kept for the UI, which reads them). */
export const PortalInvoice = Type.Object({
  id: Type.String(),
  number: Type.String(),
  amount: Type.String(),
  currency: Type.String(),
  issuedAt: Type.String(),
  dueAt: Type.String(),
  status: Type.String(),
  promisedAt: Nullable(Type.String()),
  paidAt: Nullable(Type.String()),
  due_at: Type.String(),
  paid_at: Nullable(Type.String()),
});

/** Who the portal speaks to: the customer's name and the locale money and dates are shown in. */
export const PortalProfile = Type.Object({ customerId: Type.String(), name: Type.String(), locale: Type.String() });

export const InvoiceParams = Type.Object({ id: InvoiceId });

export const PromiseToPayBody = Type.Object({ date: DateOnly, amount: Type.Optional(Amount) }, { additionalProperties: false });
export type PromiseToPayBody = Static<typeof PromiseToPayBody>;

export const PromiseAccepted = Type.Object({ invoiceId: Type.String(), promisedDate: Type.String(), promisedAmount: Type.String() });
