import { Type } from '@sinclair/typebox';
import { requestRepository } from '../storage/requests.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/**
 * A disputed invoice is not dunned: its status becomes `disputed`, which invoice-dunning's
 * check-invoice-status reads before each reminder (reminders are held, the cadence waits).
 * close-request lifts the pause back to the status it interrupted (`open` or `promised`).
 * The invoice-dunning process is not sent `invoice-disputed`, because that path ends dunning
 * and opens a second request of its own.
 */
export default defineWorker({
  type: 'pause-invoice-dunning',
  variables: Type.Object({
    requestId: Type.String({ minLength: 1 }),
    invoiceId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    dunningPaused: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    dunningPausedFrom: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    if (!v.invoiceId) return complete({ dunningPaused: false, dunningPausedFrom: null });
    // paused already on an earlier pass (the request went back to the customer and returned)
    if (v.dunningPaused) return complete({ dunningPaused: true, dunningPausedFrom: v.dunningPausedFrom ?? 'open' });
    const now = deps.now();
    const invoice = await deps.db('invoices').where({ id: v.invoiceId }).first('status');
    const from = invoice?.status === 'promised' ? 'promised' : 'open';
    const n = await deps.db('invoices').where({ id: v.invoiceId }).whereIn('status', ['open', 'promised']).update({ status: 'disputed' });
    if (n === 0) return complete({ dunningPaused: false, dunningPausedFrom: null });
    await requestRepository(deps.db).record(v.requestId, { action: 'dunning-paused', actor: 'herald', detail: { invoiceId: v.invoiceId, from } }, now);
    return complete({ dunningPaused: true, dunningPausedFrom: from });
  },
});
