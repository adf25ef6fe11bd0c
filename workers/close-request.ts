import { Type } from '@sinclair/typebox';
import { requestRepository } from '../storage/requests.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

const Nullable = (t: ReturnType<typeof Type.String>) => Type.Optional(Type.Union([t, Type.Null()]));

/**
 * Closes the request with its outcome: the SLA clock stops, resolution time is fixed, a
 * disputed invoice goes back to dunning (at its corrected amount, if any), and the audit
 * trail gets the closing entry.
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
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const repo = requestRepository(deps.db);
    const now = deps.now();
    const request = await repo.get(v.requestId);
    if (!request) return complete();
    const resolution = v.closeAs ?? v.resolution ?? 'answered';
    const running = request.slaStartedAt ? now.getTime() - request.slaStartedAt.getTime() : 0;
    const status = v.closeAs ? 'closed' : 'resolved';
    await repo.update(v.requestId, { status, resolution, resolved_at: request.resolvedAt ?? now, sla_started_at: null, sla_consumed_ms: request.slaConsumedMs + Math.max(0, running), waiting_since: null }, now);
    if (v.category === 'billing-dispute' && v.invoiceId) {
      await deps.db('invoices').where({ id: v.invoiceId, status: 'disputed' }).update({ status: 'open' });
    }
    await repo.record(v.requestId, { action: 'closed', actor: 'herald', detail: { status, resolution, resolvedBy: v.workedBy ?? null } }, now);
    return complete({ resolution });
  },
});
