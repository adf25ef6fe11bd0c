import { Type, type Static } from '@sinclair/typebox';

/** Which engine and queue backend this server runs, and where an engineer watches the queues. */
export const SystemInfo = Type.Object({
  engine: Type.Union([Type.Literal('embedded'), Type.Literal('zeebe')]),
  queues: Type.Object({
    backend: Type.Union([Type.Literal('redis'), Type.Literal('memory')]),
    /** The bull-board path; only with Redis, and only for engineers and admins. */
    board: Type.Optional(Type.String()),
  }),
});
export type SystemInfo = Static<typeof SystemInfo>;
