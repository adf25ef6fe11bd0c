import { FormatRegistry, Type, type Static, type TObject } from '@sinclair/typebox';

// the TypeBox compiler checks the per-type data; Fastify's AJV knows these formats already
if (!FormatRegistry.Has('date')) FormatRegistry.Set('date', (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)));
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)));

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' });
const Amount = Type.String({ pattern: '^-?[0-9]{1,15}(\\.[0-9]{1,4})?$', description: 'decimal string, e.g. "19600.00"' });
const Currency = Type.String({ pattern: '^[A-Z]{3}$' });

/** The data each event type carries. */
export const EVENT_DATA = {
  'invoice.issued': Type.Object({ invoiceId: Id, customerId: Id, amount: Amount, currency: Currency, dueDate: Type.Optional(Type.String({ format: 'date' })), channel: Type.Optional(Type.String({ maxLength: 16 })) }, { additionalProperties: false }),
  'payment.received': Type.Object({ invoiceId: Id, paymentId: Id, amount: Amount, currency: Type.Optional(Currency) }, { additionalProperties: false }),
  'promise_to_pay.made': Type.Object({ invoiceId: Id, promisedDate: Type.String({ format: 'date' }), amount: Type.Optional(Amount) }, { additionalProperties: false }),
  'credit.limit_changed': Type.Object({ customerId: Id, newLimit: Amount, previousLimit: Type.Optional(Amount), currency: Currency }, { additionalProperties: false }),
  'customer.updated': Type.Object({ customerId: Id, changes: Type.Record(Type.String(), Type.Unknown()) }, { additionalProperties: false }),
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
