import { Type } from '@sinclair/typebox';
import { requestRepository } from '../storage/requests.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

const Nullable = (t: ReturnType<typeof Type.String>) => Type.Optional(Type.Union([t, Type.Null()]));

/**
 * Registers the request (created by intake; created here when the process was started
 * directly) and sets the variables every path reads, so no expression meets a missing one.
 */
export default defineWorker({
  type: 'register-request',
  variables: Type.Object({
    requestId: Type.String({ minLength: 1 }),
    customerId: Nullable(Type.String()),
    invoiceId: Nullable(Type.String()),
    subject: Type.Optional(Type.String()),
    body: Nullable(Type.String()),
    requestAmount: Nullable(Type.String({ pattern: '^\\d+(\\.\\d+)?$' })),
    intakeChannel: Type.Optional(Type.String()),
    requestedBy: Nullable(Type.String()),
  }),
  async handler({ job, variables: v }, deps: WorkerDeps) {
    const repo = requestRepository(deps.db);
    const now = deps.now();
    let row = await repo.get(v.requestId);
    if (!row) {
      row = await repo.create({ id: v.requestId, customerId: v.customerId, invoiceId: v.invoiceId, subject: v.subject ?? '(no subject)', body: v.body, amount: v.requestAmount, intakeChannel: (v.intakeChannel as 'api') ?? 'api', requestedBy: v.requestedBy }, now);
    }
    if (row.processInstanceKey !== job.processInstanceKey) await repo.update(row.id, { process_instance_key: job.processInstanceKey }, now);
    await repo.record(row.id, { action: 'registered', actor: 'herald', detail: { reference: row.reference, processInstanceKey: job.processInstanceKey } }, now);
    return complete({
      requestReference: row.reference,
      customerId: row.customerId,
      cycle: row.reopenCount,
      triagedCategory: null,
      triageOutcome: null,
      needCustomerInfo: false,
      infoNeeded: null,
      infoRequests: 0,
      missingData: [],
      adjustmentType: null,
      adjustmentAmount: null,
      adjustmentReason: null,
      resultTemplate: null,
      resolution: null,
      creditNoteNumber: null,
      correctedAmount: null,
      approvals: [],
      proposedBy: null,
      adjustmentId: null,
      resultData: null,
      infoQuestion: null,
      answer: null,
      resolutionNote: null,
      dunningPausedFrom: null,
    });
  },
});
