import { Type, type Static } from '@sinclair/typebox';
import { Variables } from './common.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const TemplateId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9-]*$', description: 'kebab-case template id, e.g. "invoice-notice"' });
export const Locale = Type.String({ minLength: 2, maxLength: 16, pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$', description: 'BCP 47 tag, e.g. "en", "de-CH"' });
export const TemplateKind = Type.Union([Type.Literal('transactional'), Type.Literal('dunning'), Type.Literal('legal'), Type.Literal('marketing')]);
export const TemplateStatus = Type.Union([Type.Literal('draft'), Type.Literal('submitted'), Type.Literal('approved')]);

export const TemplateParams = Type.Object({ id: TemplateId });
export const TemplateVersionParams = Type.Object({ id: TemplateId, version: Type.Integer({ minimum: 1, maximum: 1_000_000 }) });

/** One row per template and locale: the newest version, and the newest one that may be used. */
export const TemplateSummary = Type.Object({
  templateId: Type.String(),
  locale: Type.String(),
  kind: Type.String(),
  latest: Type.Integer(),
  latestStatus: Type.String(),
  usable: Type.Union([Type.Integer(), Type.Null()], { description: 'the newest approved version, null when none may be used yet' }),
  description: Type.Union([Type.String(), Type.Null()]),
});

export const TemplateVersionView = Type.Object({
  templateId: Type.String(),
  version: Type.Integer(),
  locale: Type.String(),
  kind: Type.String(),
  subject: Type.String(),
  mjml: Type.String(),
  text: Nullable(Type.String()),
  status: TemplateStatus,
  author: Type.String(),
  approvedBy: Nullable(Type.String()),
  approvedAt: Nullable(Type.String()),
  createdAt: Type.String(),
  usable: Type.Boolean(),
  sampleData: Variables,
  dataContract: Type.Object({ paths: Type.Array(Type.String()), schema: Variables }, { description: 'the data paths every message of this version needs, and the same as a JSON Schema' }),
});
export type TemplateVersionView = Static<typeof TemplateVersionView>;

const Subject = Type.String({ minLength: 1, maxLength: 998 });
const Mjml = Type.String({ minLength: 1, maxLength: 200_000 });
const Text = Type.String({ maxLength: 100_000 });

export const PreviewBody = Type.Object(
  {
    templateId: Type.Optional(TemplateId),
    subject: Subject,
    mjml: Mjml,
    text: Type.Optional(Text),
    locale: Type.Optional(Locale),
    kind: Type.Optional(TemplateKind),
    data: Type.Optional(Variables),
  },
  { additionalProperties: false },
);
export type PreviewBody = Static<typeof PreviewBody>;

/** A stored version rendered for a real customer and invoice, through the production data builder. */
export const VersionPreviewBody = Type.Object(
  {
    customerId: Type.String({ minLength: 1, maxLength: 64 }),
    invoiceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    channel: Type.Optional(Type.Union([Type.Literal('email'), Type.Literal('sms'), Type.Literal('portal'), Type.Literal('crm')])),
    locale: Type.Optional(Locale),
    data: Type.Optional(Variables),
  },
  { additionalProperties: false },
);
export type VersionPreviewBody = Static<typeof VersionPreviewBody>;

export const Rendered = Type.Object({ subject: Type.String(), html: Type.String(), text: Type.String(), placeholders: Type.Array(Type.String()) });

export const NewVersionBody = Type.Object(
  {
    subject: Subject,
    mjml: Mjml,
    text: Type.Optional(Text),
    locale: Type.Optional(Locale),
    kind: Type.Optional(TemplateKind),
    sampleData: Type.Optional(Variables),
  },
  { additionalProperties: false },
);
export type NewVersionBody = Static<typeof NewVersionBody>;

/** What a submission or approval changed: every locale of the version moves together. */
export const VersionDecision = Type.Object({
  templateId: Type.String(),
  version: Type.Integer(),
  status: TemplateStatus,
  locales: Type.Array(Type.String()),
  by: Type.String(),
  auditId: Type.Integer(),
});
