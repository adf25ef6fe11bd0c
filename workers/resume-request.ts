import { Type } from '@sinclair/typebox';
import { requestRepository } from '../storage/requests.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/** The customer answered: the request goes back to work (the SLA clock restarts at assignment). */
export default defineWorker({
  type: 'resume-request',
  variables: Type.Object({ requestId: Type.String({ minLength: 1 }) }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const repo = requestRepository(deps.db);
    const now = deps.now();
    await repo.update(v.requestId, { status: 'in_progress', waiting_since: null }, now);
    await repo.record(v.requestId, { action: 'resumed', actor: 'herald' }, now);
    return complete({ needCustomerInfo: false, infoNeeded: null });
  },
});
