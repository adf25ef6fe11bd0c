import { Type, type Static } from '@sinclair/typebox';

const Count = Type.Integer({ minimum: 0 });
const WindowOut = Type.Object({ from: Type.String(), to: Type.String() });

export const MetricsQuery = Type.Object(
  { days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, default: 30, description: 'the window: this many days up to now' })) },
  { additionalProperties: false },
);
export type MetricsQuery = Static<typeof MetricsQuery>;

export const CommunicationMetrics = Type.Object({
  window: WindowOut,
  total: Count,
  byStatus: Type.Array(Type.Object({ status: Type.String(), count: Count })),
  byChannel: Type.Array(Type.Object({ channel: Type.String(), count: Count })),
  daily: Type.Array(Type.Object({ day: Type.String(), channel: Type.String(), status: Type.String(), count: Count })),
});

export const DunningMetrics = Type.Object({
  window: WindowOut,
  funnel: Type.Array(Type.Object({ stage: Type.String(), invoices: Count })),
  outcomes: Type.Object({ paid: Count, escalated: Count, open: Count }),
  daysToPayment: Type.Object({
    buckets: Type.Array(Type.Object({ label: Type.String(), invoices: Count })),
    paid: Count,
    median: Type.Union([Type.Number(), Type.Null()]),
    average: Type.Union([Type.Number(), Type.Null()]),
  }),
});

const Rate = Type.Number({ minimum: 0, maximum: 1 });
export const RequestMetrics = Type.Object({
  at: Type.String(),
  backlog: Type.Array(Type.Object({ team: Type.String(), age: Type.String(), requests: Count })),
  sla: Type.Object({ total: Count, breached: Count, rate: Rate, byTeam: Type.Array(Type.Object({ team: Type.String(), total: Count, breached: Count, rate: Rate })) }),
});
