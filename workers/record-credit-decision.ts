import { Type } from '@sinclair/typebox';
import { requestRepository } from '../storage/requests.js';
import { complete, defineWorker } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/** The credit team's restructuring decision, on the record before it is communicated. */
export default defineWorker({
  type: 'record-credit-decision',
  variables: Type.Object({
    requestId: Type.String({ minLength: 1 }),
    restructuringApproved: Type.Boolean(),
    restructuringTerms: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    workedBy: Type.String({ minLength: 1 }),
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const resolution = v.restructuringApproved ? 'restructured' : 'declined';
    await requestRepository(deps.db).record(v.requestId, { action: 'credit-decision', actor: v.workedBy, detail: { approved: v.restructuringApproved, terms: v.restructuringTerms ?? null } }, deps.now());
    return complete({ resolution, resultTemplate: 'request-resolution' });
  },
});
