/**
 * Customer requests as a service: submit one (record it, give it a reference, start its
 * customer-request instance), pass on a customer's reply, reopen a resolved one. The repository
 * (storage/requests.ts) keeps the rows; this drives the engine, which repositories never do.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Engine, Variables } from '../engine/types.js';
import type { DocumentReference } from './documents.js';
import { requestRepository, type IntakeChannel, type NewRequest } from '../storage/requests.js';

export interface SubmitRequest extends Omit<NewRequest, 'intakeChannel'> {
  /** `process`: raised by another process (a dispute in invoice-dunning). */
  intakeChannel: IntakeChannel;
  /** The channel answers go out on; email unless the request came through the portal. */
  replyChannel?: 'email' | 'portal';
  /** Attached files, as references: the process carries them in `attachments`, never their bytes. */
  attachments?: DocumentReference[];
}

/**
 * What the API, the portal and inbound email call. `now` is the engine's clock in tests.
 */
export function requestService(deps: { db: Knex; engine: Engine; now(): Date }) {
  const repo = requestRepository(deps.db);
  return {
    repo,
    /** Records the request, gives it a reference and starts its customer-request instance. */
    async submit(input: SubmitRequest): Promise<{ id: string; reference: string; processInstanceKey: string }> {
      const row = await repo.create(input, deps.now());
      if (row.processInstanceKey) return { id: row.id, reference: row.reference, processInstanceKey: row.processInstanceKey };
      await repo.record(row.id, { action: 'received', actor: input.requestedBy ?? input.customerEmail ?? 'customer', detail: { channel: input.intakeChannel, subject: row.subject } }, deps.now());
      const ref = await deps.engine.createInstance({
        bpmnProcessId: 'customer-request',
        variables: {
          requestId: row.id,
          requestReference: row.reference,
          customerId: row.customerId,
          invoiceId: row.invoiceId,
          statedCategory: input.category ?? null,
          subject: row.subject,
          body: row.body ?? '',
          requestAmount: row.amount,
          requestedBy: row.requestedBy,
          intakeChannel: row.intakeChannel,
          channel: input.replyChannel ?? (input.intakeChannel === 'portal' ? 'portal' : 'email'),
          attachments: input.attachments ?? [],
        },
      });
      await repo.update(row.id, { process_instance_key: ref.processInstanceKey }, deps.now());
      return { id: row.id, reference: row.reference, processInstanceKey: ref.processInstanceKey };
    },

    /** A customer's answer to "we need more information" (portal form or email reply). */
    async customerReply(requestId: string, reply: { text?: string; invoiceId?: string; amount?: string; from?: string; attachments?: DocumentReference[] }): Promise<void> {
      const files = reply.attachments?.length ? { attachments: reply.attachments.map((a) => a.metadata.fileName ?? a.documentId) } : {};
      await repo.record(requestId, { action: 'customer-replied', actor: reply.from ?? 'customer', detail: { invoiceId: reply.invoiceId, amount: reply.amount, text: reply.text?.slice(0, 500), ...files } }, deps.now());
      const variables: Variables = { customerReply: reply.text ?? '' };
      // the reply's files beside the request's own `attachments`, which they do not replace
      if (reply.attachments?.length) variables.replyAttachments = reply.attachments;
      if (reply.invoiceId) variables.invoiceId = reply.invoiceId;
      if (reply.amount) variables.requestAmount = reply.amount;
      await deps.engine.publishMessage({ name: 'customer-request-reply', correlationKey: requestId, variables, timeToLive: 3_600_000, messageId: `${requestId}-${createHash('sha256').update(JSON.stringify(variables)).digest('hex').slice(0, 12)}` });
    },

    /** A resolved request the customer says is not resolved: a new instance, same request. */
    async reopen(requestId: string, actor: string, reason: string): Promise<{ processInstanceKey: string }> {
      const request = await repo.get(requestId);
      if (!request || !request.resolvedAt) throw new Error(`request ${requestId} is not resolved, so it cannot be reopened`);
      const now = deps.now();
      await deps.db('customer_requests').where({ id: requestId }).increment('reopen_count', 1);
      // a breach stays on the record: the breach rate counts requests, not cycles
      await repo.update(requestId, { status: 'open', resolved_at: null, resolution: null, sla_consumed_ms: 0, sla_started_at: null, sla_reminded_at: null }, now);
      await repo.record(requestId, { action: 'reopened', actor, detail: { reason } }, now);
      const ref = await deps.engine.createInstance({
        bpmnProcessId: 'customer-request',
        variables: { requestId, requestReference: request.reference, customerId: request.customerId, invoiceId: request.invoiceId, statedCategory: request.category === 'unclassified' ? null : request.category, subject: request.subject, body: `${request.body ?? ''}\n\nReopened: ${reason}`, requestAmount: request.amount, requestedBy: request.requestedBy, intakeChannel: request.intakeChannel, channel: 'email', reopened: true },
      });
      await repo.update(requestId, { process_instance_key: ref.processInstanceKey }, now);
      return { processInstanceKey: ref.processInstanceKey };
    },
  };
}

export type RequestService = ReturnType<typeof requestService>;
