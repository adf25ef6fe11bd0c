import { Type } from '@sinclair/typebox';

const Nullable = <T extends ReturnType<typeof Type.Object>>(t: T) => Type.Union([t, Type.Null()]);

/** What an approver needs beside the task: the customer, the invoice, the message as it will go out, and what happened so far. */
export const TaskContext = Type.Object({
  customer: Nullable(Type.Object({ id: Type.String(), name: Type.String(), status: Type.String(), kycStatus: Type.String(), riskSegment: Type.String(), locale: Type.String() })),
  invoice: Nullable(Type.Object({ id: Type.String(), number: Type.String(), amount: Type.String(), currency: Type.String(), issuedAt: Type.String(), dueAt: Type.String(), status: Type.String() })),
  preview: Nullable(
    Type.Object({
      templateId: Type.String(),
      templateVersion: Type.Union([Type.Integer(), Type.Null()]),
      subject: Type.String(),
      html: Type.String(),
      text: Type.String(),
    }),
  ),
  /** Why there is no preview although the task names a template (no approved version, a missing placeholder). */
  previewProblem: Type.Union([Type.String(), Type.Null()]),
  history: Type.Array(Type.Object({ at: Type.String(), what: Type.String(), actor: Type.Union([Type.String(), Type.Null()]), outcome: Type.Union([Type.String(), Type.Null()]), rule: Type.Union([Type.String(), Type.Null()]) })),
});
