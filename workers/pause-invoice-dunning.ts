import { Type } from '@sinclair/typebox';
import { requestRepository } from '../storage/requests.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/**
 * A disputed invoice is not dunned: its status becomes `disputed` until the request closes
 * (close-request sets it back to `open`). The invoice-dunning process is not sent
 * `invoice-disputed`, because that path ends dunning and opens a second request of its own.
 */
export default defineWorker({
  type: 'pause-invoice-dunning',
  variables: Type.Object({ requestId: Type.String({ minLength: 1 }), invoiceId: Type.Optional(Type.Union([Type.String(), Type.Null()])) }),
  async handler({ variables: v }, deps: WorkerDeps) {
    if (!v.invoiceId) return complete({ dunningPaused: false });
    const now = deps.now();
    const n = await deps.db('invoices').where({ id: v.invoiceId }).whereIn('status', ['open', 'promised']).update({ status: 'disputed' });
    if (n > 0) await requestRepository(deps.db).record(v.requestId, { action: 'dunning-paused', actor: 'herald', detail: { invoiceId: v.invoiceId } }, now);
    return complete({ dunningPaused: true });
  },
});
