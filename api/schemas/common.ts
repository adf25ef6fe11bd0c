import { Type } from '@sinclair/typebox';

/** application/problem+json (RFC 9457); `field` names the request field, `rule` the SoD rule. */
export const Problem = Type.Object(
  {
    type: Type.String(),
    status: Type.Integer(),
    title: Type.String(),
    field: Type.Optional(Type.String()),
    rule: Type.Optional(Type.String()),
    code: Type.Optional(Type.String()),
  },
  { additionalProperties: true, $id: undefined },
);

export const Variables = Type.Record(Type.String(), Type.Unknown());
export const KeyParams = Type.Object({ key: Type.String({ pattern: '^[0-9]{1,30}$' }) });

/** Statuses every authenticated route can answer with. */
export const authProblems = { 401: Problem, 403: Problem, 429: Problem } as const;
