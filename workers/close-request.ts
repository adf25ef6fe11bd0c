import { Type } from '@sinclair/typebox';
import { requestRepository } from '../storage/requests.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

const Nullable = (t: ReturnType<typeof Type.String>) => Type.Optional(Type.Union([t, Type.Null()]));
/** An approval as the process carries it (set by the tasklist or the request service). */
const CarriedApprovalSchema = Type.Object({ by: Type.String(), level: Type.Number(), approved: Type.Optional(Type.Boolean()), reason: Type.Optional(Type.Union([Type.String(), Type.Null()])), at: Type.Optional(Type.Union([Type.String(), Type.Null()])) });

/**
 * Closes the request with its outcome, before the outcome is sent, so the message renders from
 * the closed request (its resolution, and the agent's answer as the resolution note): the SLA
 * clock stops, resolution time is fixed, a rejected adjustment is on the record, a disputed
 * invoice goes back to dunning as it was before (at its corrected amount, if corrected), and
 * the audit trail gets the closing entry.
 */
export default defineWorker({
  type: 'close-request',
  variables: Type.Object({
    requestId: Type.String({ minLength: 1 }),
    closeAs: Nullable(Type.String()),
    resolution: Nullable(Type.String()),
    category: Nullable(Type.String()),
    invoiceId: Nullable(Type.String()),
    workedBy: Nullable(Type.String()),
    answer: Nullable(Type.String()),
    resolutionNote: Nullable(Type.String()),
    restructuringTerms: Nullable(Type.String()),
    adjustmentId: Nullable(Type.String()),
    approvals: Type.Optional(Type.Union([Type.Array(CarriedApprovalSchema), Type.Null()])),
    dunningPaused: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    dunningPausedFrom: Nullable(Type.String()),
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const repo = requestRepository(deps.db);
    const now = deps.now();
    const request = await repo.get(v.requestId);
    if (!request) return complete();
    // a rejection given through the tasklist reaches the adjustment and the trail
    if (v.adjustmentId) await repo.adoptApprovals(v.requestId, v.adjustmentId, v.approvals, now);
    const resolution = v.closeAs ?? v.resolution ?? 'answered';
    const note = [v.resolutionNote, v.answer, resolution === 'restructured' ? v.restructuringTerms : null].find((s) => typeof s === 'string' && s.trim())?.trim() ?? null;
    const running = request.slaStartedAt ? now.getTime() - request.slaStartedAt.getTime() : 0;
    const status = v.closeAs ? 'closed' : 'resolved';
    await repo.update(v.requestId, { status, resolution, resolution_note: note, resolved_at: request.resolvedAt ?? now, sla_started_at: null, sla_consumed_ms: request.slaConsumedMs + Math.max(0, running), waiting_since: null }, now);
    let dunning: string | null = null;
    if (v.dunningPaused && v.invoiceId) {
      // only the pause this request made is lifted, back to the state it interrupted
      dunning = v.dunningPausedFrom === 'promised' ? 'promised' : 'open';
      const n = await deps.db('invoices').where({ id: v.invoiceId, status: 'disputed' }).update({ status: dunning });
      if (!n) dunning = null;
    }
    await repo.record(v.requestId, { action: 'closed', actor: 'herald', detail: { status, resolution, resolvedBy: v.workedBy ?? null, ...(note ? { note } : {}), ...(dunning ? { dunningResumed: v.invoiceId, invoiceStatus: dunning } : {}) } }, now);
    return complete({ resolution });
  },
});
