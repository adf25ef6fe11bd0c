import { Type, type Static } from '@sinclair/typebox';
import { UploadedDocument } from './documents.js';
import { Variables } from './common.js';
import { Amount, InvoiceId } from './portal.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' });
const Category = Type.Union(['billing-dispute', 'payment-clarification', 'refund-adjustment', 'credit-restructuring', 'unclassified'].map((c) => Type.Literal(c)));
const Status = Type.Union(['open', 'in_progress', 'waiting_customer', 'resolved', 'closed'].map((c) => Type.Literal(c)));

/** A request's reference (REQ-1A2B3C4D) or its id; both find it. */
export const RequestParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' }) });
export const RequestTaskParams = Type.Object({ id: RequestParams.properties.id, key: Type.String({ pattern: '^[0-9]{1,30}$' }) });

export const RequestQuery = Type.Object(
  {
    status: Type.Optional(Type.Array(Status, { maxItems: 5, description: 'repeat or comma-free list: ?status=open&status=in_progress' })),
    team: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    category: Type.Optional(Category),
    priority: Type.Optional(Type.Union(['critical', 'high', 'medium', 'low'].map((c) => Type.Literal(c)))),
    customerId: Type.Optional(Type.String({ maxLength: 64 })),
    intakeChannel: Type.Optional(Type.Union(['api', 'portal', 'email', 'process'].map((c) => Type.Literal(c)))),
    assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    slaWithinHours: Type.Optional(Type.Number({ minimum: 0, maximum: 8760, description: 'only unresolved requests whose SLA has at most this many hours left (overdue ones included)' })),
    sort: Type.Optional(Type.Union([Type.Literal('newest'), Type.Literal('sla')], { description: 'newest first (default), or least SLA time left first' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    offset: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type RequestQuery = Static<typeof RequestQuery>;

export const CustomerRequest = Type.Object({
  id: Type.String(),
  reference: Type.String(),
  customerId: Nullable(Type.String()),
  invoiceId: Nullable(Type.String()),
  category: Type.String(),
  priority: Nullable(Type.String()),
  status: Type.String(),
  intakeChannel: Type.String(),
  subject: Type.String(),
  amount: Nullable(Type.String()),
  requestedBy: Nullable(Type.String()),
  team: Nullable(Type.String()),
  assignee: Nullable(Type.String()),
  resolution: Nullable(Type.String()),
  processInstanceKey: Nullable(Type.String()),
  slaBreached: Type.Boolean(),
  reopenCount: Type.Integer(),
  createdAt: Type.String(),
  resolvedAt: Nullable(Type.String()),
  /** The SLA clock now: time waiting on the customer is not counted. */
  sla: Type.Object({
    budget: Nullable(Type.String()),
    state: Type.Union(['not-started', 'running', 'paused', 'stopped', 'breached'].map((c) => Type.Literal(c))),
    remainingMs: Type.Union([Type.Number(), Type.Null()]),
    dueAt: Nullable(Type.String()),
  }),
});

export const RequestEventView = Type.Object({
  at: Type.String(),
  action: Type.String(),
  actor: Type.String(),
  outcome: Type.String(),
  detail: Variables,
  hash: Type.String(),
});

/** A message the request's process sent the customer (acknowledgement, questions, outcome). */
export const RequestMessageView = Type.Object({
  communicationId: Type.String(),
  purpose: Type.Union([Type.Literal('acknowledgement'), Type.Literal('information-request'), Type.Literal('outcome')]),
  templateId: Type.String(),
  channel: Type.String(),
  status: Type.String(),
  subject: Nullable(Type.String()),
  createdAt: Type.String(),
});

export const CustomerRequestDetail = Type.Composite([
  CustomerRequest,
  Type.Object({
    body: Nullable(Type.String()),
    resolutionNote: Nullable(Type.String()),
    /** What the process told the customer, oldest first (the communications hold the exact bytes). */
    messages: Type.Array(RequestMessageView),
    /** The request's own hash-chained trail; staff only. */
    events: Type.Optional(Type.Array(RequestEventView)),
    trailIntact: Type.Optional(Type.Boolean()),
    /** Files the customer attached (portal), oldest first, with their download links. */
    attachments: Type.Array(UploadedDocument),
  }),
]);

export const NewRequestBody = Type.Object(
  {
    customerId: Id,
    subject: Type.String({ minLength: 1, maxLength: 255 }),
    body: Type.Optional(Type.String({ maxLength: 10_000 })),
    invoiceId: Type.Optional(InvoiceId),
    amount: Type.Optional(Amount),
    category: Type.Optional(Category),
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$', description: "the sender's own id: submitting it again returns the same request" })),
  },
  { additionalProperties: false },
);
export type NewRequestBody = Static<typeof NewRequestBody>;

export const SubmittedRequest = Type.Object({ id: Type.String(), reference: Type.String(), processInstanceKey: Type.String(), status: Type.String() });

export const ReplyBody = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 10_000 }),
    invoiceId: Type.Optional(InvoiceId),
    amount: Type.Optional(Amount),
  },
  { additionalProperties: false },
);
export type ReplyBody = Static<typeof ReplyBody>;

export const ReopenBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false });
export type ReopenBody = Static<typeof ReopenBody>;

export const RequestAccepted = Type.Object({ reference: Type.String(), status: Type.String() });
export const Reopened = Type.Object({ reference: Type.String(), status: Type.String(), reopenCount: Type.Integer(), processInstanceKey: Type.String() });

export const CompleteRequestTaskBody = Type.Object({ variables: Type.Optional(Variables) }, { additionalProperties: false });
export type CompleteRequestTaskBody = Static<typeof CompleteRequestTaskBody>;
export const CompletedRequestTask = Type.Object({ key: Type.String(), elementId: Type.String(), completedBy: Type.String() });

const Hours = Type.Union([Type.Number(), Type.Null()]);
export const RequestMetricsView = Type.Object({
  resolved: Type.Integer(),
  resolutionHours: Type.Object({ mean: Hours, median: Hours, p90: Hours }),
  backlog: Type.Array(Type.Object({ team: Type.String(), open: Type.Integer(), age: Type.Record(Type.String(), Type.Integer()) })),
  slaBreachRate: Hours,
  reopenRate: Hours,
});
export const MetricsQuery = Type.Object({ since: Type.Optional(Type.String({ format: 'date-time' })) }, { additionalProperties: false });
export type MetricsQuery = Static<typeof MetricsQuery>;
