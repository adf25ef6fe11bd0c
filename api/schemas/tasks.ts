import { Type, type Static } from '@sinclair/typebox';
import { Variables } from './common.js';

const DateTime = Type.String({ format: 'date-time' });

export const Task = Type.Object({
  key: Type.String(),
  processInstanceKey: Type.String(),
  bpmnProcessId: Type.String(),
  elementId: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  candidateGroups: Type.Array(Type.String()),
  candidateUsers: Type.Array(Type.String()),
  assignee: Type.Union([Type.String(), Type.Null()]),
  dueDate: Type.Union([Type.String(), Type.Null()]),
  followUpDate: Type.Union([Type.String(), Type.Null()]),
  priority: Type.Integer(),
  form: Type.Union([Type.String(), Type.Null()]),
  variables: Variables,
  headers: Type.Record(Type.String(), Type.String()),
  customerId: Type.Union([Type.String(), Type.Null()]),
  state: Type.Union([Type.Literal('CREATED'), Type.Literal('COMPLETED'), Type.Literal('CANCELED')]),
  createdAt: Type.String(),
  completedAt: Type.Union([Type.String(), Type.Null()]),
  completedBy: Type.Union([Type.String(), Type.Null()]),
});

export const TaskQuery = Type.Object(
  {
    candidateGroup: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: '"me" for yourself' })),
    bpmnProcessId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    processInstanceKey: Type.Optional(Type.String({ pattern: '^[0-9]{1,30}$' })),
    dueBefore: Type.Optional(DateTime),
    dueAfter: Type.Optional(DateTime),
    minPriority: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    state: Type.Optional(Type.Union([Type.Literal('CREATED'), Type.Literal('COMPLETED'), Type.Literal('CANCELED')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    offset: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type TaskQuery = Static<typeof TaskQuery>;

export const CompleteTaskBody = Type.Object({ variables: Type.Optional(Variables) }, { additionalProperties: false });
export type CompleteTaskBody = Static<typeof CompleteTaskBody>;

/** A task's schedule as its assignee or a lead changes it; null clears a date. */
export const TaskScheduleBody = Type.Object(
  {
    dueDate: Type.Optional(Type.Union([DateTime, Type.Null()])),
    followUpDate: Type.Optional(Type.Union([DateTime, Type.Null()])),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type TaskScheduleBody = Static<typeof TaskScheduleBody>;

export const CompletedTask = Type.Object({ key: Type.String(), state: Type.Literal('COMPLETED'), completedBy: Type.String(), variables: Variables });

export const CommentBody = Type.Object({ body: Type.String({ minLength: 1, maxLength: 4000 }) }, { additionalProperties: false });
export type CommentBody = Static<typeof CommentBody>;

export const Comment = Type.Object({ id: Type.Integer(), taskKey: Type.String(), author: Type.String(), body: Type.String(), createdAt: Type.String() });

export const HistoryEntry = Type.Object({
  at: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  outcome: Type.String(),
  rule: Type.Union([Type.String(), Type.Null()]),
  detail: Variables,
});
