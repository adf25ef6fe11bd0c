import { FormatRegistry, Type, type Static, type TObject } from '@sinclair/typebox';

// the TypeBox compiler checks the per-type data; Fastify's AJV knows these formats already
if (!FormatRegistry.Has('date')) FormatRegistry.Set('date', (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)));
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)));

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' });
const Amount = Type.String({ pattern: '^-?[0-9]{1,15}(\\.[0-9]{1,4})?$', description: 'decimal string, e.g. "19600.00"' });
const Currency = Type.String({ pattern: '^[A-Z]{3}$' });

const Channel = Type.Union([Type.Literal('email'), Type.Literal('sms'), Type.Literal('portal'), Type.Literal('crm')]);

/** What the customer master takes from the ERP (customer.updated) or a data steward; absent fields stay. */
export const CustomerChanges = Type.Object(
  {
    legalName: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('closed')])),
    kycStatus: Type.Optional(Type.Union([Type.Literal('verified'), Type.Literal('pending'), Type.Literal('expired'), Type.Literal('failed')])),
    kycExpiresAt: Type.Optional(Type.Union([Type.String({ format: 'date' }), Type.Null()])),
    locale: Type.Optional(Type.String({ minLength: 2, maxLength: 16, pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$' })),
    riskSegment: Type.Optional(Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')])),
    accountManager: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    portalUser: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    contacts: Type.Optional(
      Type.Array(
        Type.Object(
          {
            channel: Channel,
            address: Type.String({ minLength: 1, maxLength: 320 }),
            displayName: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
            consent: Type.Boolean(),
            marketingConsent: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        { maxItems: 8 },
      ),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type CustomerChanges = Static<typeof CustomerChanges>;

/** Preference changes the ERP passes on (a customer's opt-out recorded there); an opt-in to SMS or marketing needs the customer's confirmation instead. */
const ErpPreferenceChanges = Type.Array(
  Type.Object(
    {
      channel: Channel,
      topic: Type.Union([Type.Literal('invoices'), Type.Literal('reminders'), Type.Literal('account-updates'), Type.Literal('marketing')]),
      optedIn: Type.Boolean(),
    },
    { additionalProperties: false },
  ),
  { minItems: 1, maxItems: 64 },
);

/** The data each event type carries. */
export const EVENT_DATA = {
  // the invoice's facts as the ERP printed them: Herald states them, it never assumes them
  'invoice.issued': Type.Object(
    {
      invoiceId: Id,
      customerId: Id,
      number: Type.String({ minLength: 1, maxLength: 64, description: 'the invoice number as printed, e.g. "2026-0142"' }),
      issueDate: Type.String({ format: 'date' }),
      dueDate: Type.String({ format: 'date' }),
      paymentTerms: Type.String({ minLength: 1, maxLength: 120, description: 'as printed on the invoice, in the customer\'s language, e.g. "net 30 days"' }),
      amount: Amount,
      currency: Currency,
      channel: Type.Optional(Channel),
    },
    { additionalProperties: false },
  ),
  'payment.received': Type.Object({ invoiceId: Id, paymentId: Id, amount: Amount, currency: Type.Optional(Currency) }, { additionalProperties: false }),
  'promise_to_pay.made': Type.Object({ invoiceId: Id, promisedDate: Type.String({ format: 'date' }), amount: Type.Optional(Amount) }, { additionalProperties: false }),
  'credit.limit_changed': Type.Object({ customerId: Id, newLimit: Amount, previousLimit: Type.Optional(Amount), currency: Currency }, { additionalProperties: false }),
  // master data changes, preference changes (opt-outs; audited as erp-event), or both
  'customer.updated': Type.Object({ customerId: Id, changes: Type.Optional(CustomerChanges), preferences: Type.Optional(ErpPreferenceChanges) }, { additionalProperties: false, minProperties: 2 }),
  // a restructuring agreed with the customer: its schedule as agreed; the notice states it from the record
  'restructuring.agreed': Type.Object(
    {
      agreementId: Id,
      customerId: Id,
      reference: Type.String({ minLength: 1, maxLength: 64, description: 'the agreement reference as printed, e.g. "RST-2026-007"' }),
      agreementDate: Type.String({ format: 'date' }),
      totalAmount: Amount,
      currency: Currency,
      installments: Type.Array(Type.Object({ dueDate: Type.String({ format: 'date' }), amount: Amount }, { additionalProperties: false }), { minItems: 1, maxItems: 120 }),
      acceptBy: Type.String({ format: 'date' }),
      graceDays: Type.Integer({ minimum: 0, maximum: 90 }),
      invoiceIds: Type.Array(Id, { minItems: 1, maxItems: 200 }),
      channel: Type.Optional(Channel),
    },
    { additionalProperties: false },
  ),
} satisfies Record<string, TObject>;

export type EventType = keyof typeof EVENT_DATA;
export const EVENT_TYPES = Object.keys(EVENT_DATA) as EventType[];

export const EventBody = Type.Object(
  {
    type: Type.Union(EVENT_TYPES.map((t) => Type.Literal(t))),
    source: Type.String({ minLength: 1, maxLength: 64, description: 'the sending system, e.g. "erp"' }),
    occurredAt: Type.Optional(Type.String({ format: 'date-time' })),
    data: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);
export type EventBody = Static<typeof EventBody>;

export const EventHeaders = Type.Object({
  'idempotency-key': Type.String({ minLength: 1, maxLength: 200 }),
  'x-herald-signature': Type.String({ minLength: 1, maxLength: 1000 }),
});

export const EventAccepted = Type.Object({
  eventId: Type.String(),
  type: Type.String(),
  message: Type.Object({ name: Type.String(), correlationKey: Type.String(), messageKey: Type.String() }),
  receivedAt: Type.String(),
});
