import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { communicationRepository } from '../storage/communications.js';
import { complete, defineWorker, fail } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/**
 * The immutable record of a communication: the exact bytes sent (email: rebuilt from the same
 * inputs, which gives the same bytes, and checked against the hash recorded at sending), their
 * hash, the template version, a data snapshot, the approvals and the delivery events.
 */
export default defineWorker({
  type: 'archive-communication',
  variables: Type.Object({
    communicationId: Type.String({ minLength: 1 }),
    approvals: Type.Optional(Type.Array(Type.Unknown())),
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const comms = communicationRepository(deps.db);
    const c = await comms.get(v.communicationId);
    if (!c) return { fail: `communication ${v.communicationId} does not exist`, retries: 0 };
    if (await deps.db('communication_archive').where({ communication_id: c.id }).first('communication_id')) return complete({ archived: true });
    const delivery = await deps.db('deliveries').where({ communication_id: c.id }).first();
    let raw: Buffer;
    if (deps.delivery && delivery?.state === 'sent') {
      raw = await deps.delivery.rawBytes(c.id);
      const sha = createHash('sha256').update(raw).digest('hex');
      if (delivery.raw_sha256 && delivery.raw_sha256 !== sha) {
        return { fail: `communication ${c.id}: the rebuilt message (sha256 ${sha}) differs from what was sent (${delivery.raw_sha256})`, retries: 0 };
      }
    } else {
      raw = Buffer.from(JSON.stringify({ subject: c.subject, html: c.html, text: c.text }));
    }
    if (!c.subject && delivery?.state === 'sent') return fail(`communication ${c.id} was sent but has no rendered content`);
    const events = await comms.events(c.id);
    await deps.db.transaction(async (tx) => {
      await tx('communication_archive')
        .insert({
          communication_id: c.id,
          raw: raw.toString('base64'),
          content_sha256: createHash('sha256').update(raw).digest('hex'),
          template_id: c.templateId,
          template_version: c.templateVersion ?? null,
          data_snapshot: JSON.stringify(c.data),
          approvals: JSON.stringify(v.approvals ?? []),
          delivery_events: JSON.stringify(events),
          archived_at: deps.now(),
        })
        .onConflict('communication_id')
        .ignore();
      await communicationRepository(tx).setStatus(c.id, 'archived');
    });
    return complete({ archived: true });
  },
});
