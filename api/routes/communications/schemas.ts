import { Type, type Static } from '@sinclair/typebox';

export const CommunicationParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const TimelineEntry = Type.Object({
  at: Type.String({ format: 'date-time' }),
  kind: Type.String({ description: 'created, approved, rejected, approval-refused, task-completed, rendered, queued, attempt, sent, failed, delivered, bounced, complained, opened, clicked, replied, unsubscribed, archived' }),
  source: Type.String({ description: 'the table the entry comes from' }),
  actor: Type.Optional(Type.String()),
  detail: Type.Record(Type.String(), Type.Unknown()),
});

export const Timeline = Type.Object({
  communicationId: Type.String(),
  customerId: Type.String(),
  channel: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  trackingStatus: Type.Union([Type.String(), Type.Null()]),
  entries: Type.Array(TimelineEntry),
});
export type Timeline = Static<typeof Timeline>;
