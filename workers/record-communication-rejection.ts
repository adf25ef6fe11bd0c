import { Type } from '@sinclair/typebox';
import { communicationRepository } from '../storage/communications.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/** A rejected communication is kept, marked rejected, with the reason on its timeline. */
export default defineWorker({
  type: 'record-communication-rejection',
  variables: Type.Object({ communicationId: Type.String({ minLength: 1 }), rejectionReason: Type.Optional(Type.String()) }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const repo = communicationRepository(deps.db);
    if (await repo.get(v.communicationId)) {
      await repo.setStatus(v.communicationId, 'rejected');
      await repo.addEvent(v.communicationId, 'rejected', deps.now(), { reason: v.rejectionReason ?? null }, 'rejected');
    }
    return complete();
  },
});
