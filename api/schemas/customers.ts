import { Type, type Static } from '@sinclair/typebox';
import { CustomerChanges } from './events.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const CustomerParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export const CustomerListQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }, { additionalProperties: false });
export type CustomerListQuery = Static<typeof CustomerListQuery>;

export const CustomerSummary = Type.Object({
  id: Type.String(),
  legalName: Type.String(),
  status: Type.String(),
  kycStatus: Type.String(),
  kycExpiresAt: Nullable(Type.String()),
  riskSegment: Type.String(),
  locale: Type.String(),
  accountManager: Nullable(Type.String()),
  openInvoices: Type.Integer(),
});

export const CustomerDetail = Type.Object({
  id: Type.String(),
  legalName: Type.String(),
  status: Type.String(),
  kycStatus: Type.String(),
  kycExpiresAt: Nullable(Type.String()),
  riskSegment: Type.String(),
  locale: Type.String(),
  accountManager: Nullable(Type.String()),
  portalUser: Nullable(Type.String()),
  contacts: Type.Array(Type.Object({ channel: Type.String(), address: Type.String(), displayName: Nullable(Type.String()), consent: Type.Boolean(), marketingConsent: Type.Boolean() })),
  consentHistory: Type.Array(Type.Object({ channel: Type.String(), consent: Type.Boolean(), marketingConsent: Type.Boolean(), source: Type.String(), reason: Nullable(Type.String()), at: Type.String() })),
  invoices: Type.Array(
    Type.Object({
      id: Type.String(),
      number: Type.String(),
      amount: Type.String({ description: 'decimal string' }),
      currency: Type.String(),
      issueDate: Type.String(),
      dueDate: Type.String(),
      paymentTerms: Nullable(Type.String()),
      status: Type.String(),
    }),
  ),
  communications: Type.Array(Type.Object({ id: Type.String(), templateId: Type.String(), channel: Type.String(), kind: Type.String(), status: Type.String(), subject: Nullable(Type.String()) })),
});
export type CustomerDetail = Static<typeof CustomerDetail>;

/** A data steward's correction: what changes and why (the reason goes to the audit trail). */
export const CustomerCorrection = Type.Object({ changes: CustomerChanges, reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false });
export type CustomerCorrection = Static<typeof CustomerCorrection>;

export const CorrectionResult = Type.Object({ customerId: Type.String(), fields: Type.Array(Type.String()), consent: Type.Array(Type.String()) });
