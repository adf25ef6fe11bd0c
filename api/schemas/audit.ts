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
  keyId: Type.Union([Type.String(), Type.Null()], { description: 'the key the HMAC link was computed with; null on legacy SHA-256 rows' }),
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

export const BrokenAt = Type.Object({
  id: Type.Integer({ description: 'the first bad row (for a truncation, the checkpoint row that is gone)' }),
  kind: Type.Union(['link', 'changed', 'unknown-key', 'unkeyed', 'order', 'truncated', 'count'].map((k) => Type.Literal(k))),
  reason: Type.String(),
});

export const AuditVerdict = Type.Object({
  ok: Type.Boolean(),
  checked: Type.Integer(),
  lastId: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  lastHash: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  legacyRows: Type.Optional(Type.Integer({ description: 'unkeyed rows from before keyed links (the chain prefix)' })),
  brokenAt: Type.Optional(BrokenAt),
  checkpoint: Type.Optional(Type.Object({ lastId: Type.Integer(), rows: Type.Integer(), at: Type.String() })),
});

export const Checkpoint = Type.Object(
  {
    version: Type.Literal(1),
    at: Type.String(),
    keyId: Type.String(),
    lastId: Type.Integer({ minimum: 0 }),
    lastHash: Type.Union([Type.String(), Type.Null()]),
    rows: Type.Integer({ minimum: 0 }),
    legacyThroughId: Type.Integer({ minimum: 0 }),
    mac: Type.String(),
  },
  { additionalProperties: false, description: 'a signed checkpoint as written to HERALD_AUDIT_CHECKPOINT_DIR' },
);

export const VerifyBody = Type.Object({ checkpoint: Checkpoint }, { additionalProperties: false });
export type VerifyBody = Static<typeof VerifyBody>;

export const CheckpointTaken = Type.Object({ checkpoint: Checkpoint, file: Type.String({ description: 'where the server wrote it' }) });
