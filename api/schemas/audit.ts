import { Type, type Static } from '@sinclair/typebox';
import { Variables } from './common.js';

export const AuditRow = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  subjectType: Type.String(),
  subjectId: Type.String(),
  outcome: Type.String(),
  rule: Type.Union([Type.String(), Type.Null()]),
  detail: Variables,
  prevHash: Type.Union([Type.String(), Type.Null()]),
  hash: Type.String(),
});

export const AuditQuery = Type.Object(
  {
    subjectType: Type.Optional(Type.String({ maxLength: 32 })),
    subjectId: Type.Optional(Type.String({ maxLength: 128 })),
    actor: Type.Optional(Type.String({ maxLength: 64 })),
    action: Type.Optional(Type.String({ maxLength: 64 })),
    outcome: Type.Optional(Type.Union([Type.Literal('done'), Type.Literal('allowed'), Type.Literal('refused'), Type.Literal('failed')])),
    afterId: Type.Optional(Type.Integer({ minimum: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;

export const AuditVerdict = Type.Object({
  ok: Type.Boolean(),
  checked: Type.Integer(),
  brokenAt: Type.Optional(Type.Object({ id: Type.Integer(), reason: Type.String() })),
});
