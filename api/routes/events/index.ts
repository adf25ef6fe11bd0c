/**
 * Trigger events from ERP, billing and payment systems. Signed (HMAC over a timestamp, an event
 * id and the body), and idempotent by Idempotency-Key: the receipt row is inserted first, in a
 * transaction with its audit row, so of concurrent duplicates exactly one goes on to publish; the
 * others wait for its result. The same key with a different body is 422. A signature is single-use:
 * its event id is remembered (event_signatures) until the timestamp is stale, and a second use
 * under another Idempotency-Key, or with another body, is a replay: 409, audited, nothing published.
 */
import { createHash } from 'node:crypto';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { canonicalJson } from '../../../domain/audit/index.js';
import type { Engine } from '../../../engine/types.js';
import type { Db } from '../../../storage/db.js';
import { createAuditRepository } from '../../../storage/repositories/audit.js';
import { HttpProblem } from '../../plugins/problem.js';
import { Problem } from '../../schemas/common.js';
import { EVENT_DATA, EventAccepted, EventBody, EventHeaders, type EventType } from '../../schemas/events.js';
import { verifySignature } from '../../services/signature.js';
import { customerMaster } from '../../services/customer-master.js';
import { paymentReceivedMessage } from '../../../services/payments/received.js';
import { agreementFromEvent, restructuringService } from '../../services/restructuring.js';
import type { CustomerChanges, IssuedInvoice } from '../../../storage/customers.js';
import type { PreferenceChange } from '../../../storage/preferences.js';
import { applyErpPreferences, checkErpPreferences } from '../../services/erp-preferences.js';

/** An invoice.issued event's data (already checked against its schema) as the invoice it records. */
function issuedInvoice(d: Record<string, unknown>): IssuedInvoice {
  const s = (k: string) => String(d[k]);
  return { id: s('invoiceId'), customerId: s('customerId'), number: s('number'), amount: s('amount'), currency: s('currency'), issueDate: s('issueDate'), dueDate: s('dueDate'), paymentTerms: s('paymentTerms'), channel: typeof d.channel === 'string' ? d.channel : undefined };
}

/** How far a signature's timestamp may be from now, either way; a remembered event id is kept until this has passed. */
const TOLERANCE_SECONDS = 300;

/** Deletes remembered event ids whose signatures can no longer verify. */
export async function pruneEventSignatures(db: Db, now = new Date()): Promise<number> {
  const deleted: unknown = await db('event_signatures').where('expires_at', '<', now).delete();
  // pg answers a count; the PGlite driver its result object
  return typeof deleted === 'number' ? deleted : Number((deleted as { affectedRows?: number; rowCount?: number } | undefined)?.affectedRows ?? (deleted as { rowCount?: number } | undefined)?.rowCount ?? 0);
}

const checkers = Object.fromEntries(Object.entries(EVENT_DATA).map(([type, schema]) => [type, TypeCompiler.Compile(schema)])) as unknown as Record<EventType, ReturnType<typeof TypeCompiler.Compile>>;

/** The engine message each event becomes: name, correlation key, variables. */
function toMessage(type: EventType, data: Record<string, unknown>, source: string): { name: string; correlationKey: string; variables: Record<string, unknown> } {
  const s = (k: string) => String(data[k]);
  switch (type) {
    case 'invoice.issued':
      return { name: 'invoice-issued', correlationKey: s('invoiceId'), variables: { ...data, channel: data.channel ?? 'email', initiatedBy: source } };
    case 'payment.received':
      // the same message a payment provider's webhook becomes (services/payments/received.ts)
      return paymentReceivedMessage({ invoiceId: s('invoiceId'), paymentId: s('paymentId'), amount: s('amount'), currency: data.currency === undefined ? undefined : s('currency') });
    case 'promise_to_pay.made':
      return { name: 'promise-to-pay', correlationKey: s('invoiceId'), variables: { promisedDate: data.promisedDate, promisedAmount: data.amount } };
    case 'credit.limit_changed':
      return { name: 'credit-limit-changed', correlationKey: s('customerId'), variables: { ...data, initiatedBy: source } };
    case 'customer.updated':
      return { name: 'customer-updated', correlationKey: s('customerId'), variables: { customerId: data.customerId, changes: data.changes ?? {}, ...(data.preferences ? { preferences: data.preferences } : {}) } };
    case 'restructuring.agreed':
      // starts restructuring-notice; the terms themselves are read from the recorded agreement
      return { name: 'restructuring-agreed', correlationKey: s('agreementId'), variables: { customerId: data.customerId, agreementId: data.agreementId, channel: data.channel ?? 'email', initiatedBy: source } };
  }
}

interface Receipt {
  body_hash: string;
  state: 'pending' | 'done' | 'failed';
  status_code: number | null;
  response: unknown;
}

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
    /** The verified signature's timestamp and event id (set before the handler runs). */
    signedEvent?: { t: number; id: string };
  }
}

export async function eventRoutes(app: FastifyInstance, opts: { db: Db; engine: Engine; secrets: string[]; messageTtlMs?: number; waitMs?: number }): Promise<void> {
  const { db, engine } = opts;
  // this plugin's JSON parser keeps the raw text: the signature is over the exact bytes
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request: FastifyRequest, body: string | Buffer, done) => {
    request.rawBody = body.toString();
    try {
      done(null, JSON.parse(request.rawBody));
    } catch {
      done(new HttpProblem(400, 'the body is not valid JSON', { field: 'body' }), undefined);
    }
  });

  // pruned at most once a minute, by whichever request comes along
  let lastPrune = 0;
  const prune = (log: FastifyRequest['log']) => {
    if (Date.now() - lastPrune < 60_000) return;
    lastPrune = Date.now();
    pruneEventSignatures(db).catch((err: Error) => log.warn({ err: err.message }, 'events: pruning remembered signatures failed'));
  };

  const readReceipt = async (key: string) => (await db('event_receipts').where({ idempotency_key: key }).first()) as Receipt | undefined;

  app.post(
    '/api/events',
    {
      bodyLimit: 64 * 1024,
      config: { auth: 'signature' },
      schema: {
        tags: ['events'],
        summary: 'Receive a trigger event (HMAC-signed, idempotent by Idempotency-Key)',
        security: [{ signature: [] }],
        headers: EventHeaders,
        body: EventBody,
        response: { 202: EventAccepted, 400: Problem, 401: Problem, 409: Problem, 413: Problem, 422: Problem, 429: Problem, 503: Problem },
      },
      preValidation: async (request) => {
        const verdict = verifySignature(request.headers['x-herald-signature'] as string | undefined, request.rawBody ?? '', opts.secrets, TOLERANCE_SECONDS);
        if (!verdict.ok) throw new HttpProblem(401, verdict.reason, { field: 'header.x-herald-signature' });
        request.signedEvent = { t: verdict.t, id: verdict.id };
      },
    },
    async (request, reply) => {
      const body = request.body as EventBody;
      const checker = checkers[body.type];
      const first = checker.Errors(body.data).First();
      if (first) {
        const path = first.path.replace(/^\//, '').replace(/\//g, '.');
        const field = `body.data${path ? `.${path}` : ''}`;
        throw new HttpProblem(400, `${field} ${first.message.toLowerCase()}`, { field });
      }
      // the facts an event carries must fit the customer master before the event is accepted
      const master = customerMaster({ db });
      const issued = body.type === 'invoice.issued' ? issuedInvoice(body.data) : undefined;
      if (issued) await master.checkInvoice(issued);
      if (body.type === 'customer.updated' && body.data.changes) await master.checkChange(String(body.data.customerId), body.data.changes as CustomerChanges);
      if (body.type === 'customer.updated' && body.data.preferences) await checkErpPreferences(db, String(body.data.customerId), body.data.preferences as PreferenceChange[], Boolean(body.data.changes));
      const agreement = body.type === 'restructuring.agreed' ? agreementFromEvent(body.data) : undefined;
      if (agreement) await restructuringService(db).check(agreement);
      const key = request.headers['idempotency-key'] as string;
      const bodyHash = createHash('sha256').update(canonicalJson(body)).digest('hex');
      const receivedAt = new Date();

      // a signature is used once: the first use remembers its event id with the key and body it came with;
      // the same key and body again is a retry (answered below with the first result), anything else a replay
      const signed = request.signedEvent!;
      prune(request.log);
      const remembered = await db('event_signatures')
        .insert({ event_id: signed.id, idempotency_key: key, body_hash: bodyHash, signed_at: new Date(signed.t * 1000), expires_at: new Date((signed.t + TOLERANCE_SECONDS + 60) * 1000) })
        .onConflict('event_id')
        .ignore()
        .returning('event_id');
      if (!remembered.length) {
        const first = (await db('event_signatures').where({ event_id: signed.id }).first()) as { idempotency_key: string; body_hash: string; expires_at: Date | string } | undefined;
        if (first && new Date(first.expires_at) < receivedAt) {
          // an id whose last use has gone stale (not pruned yet) is free again
          await db('event_signatures').where({ event_id: signed.id }).update({ idempotency_key: key, body_hash: bodyHash, signed_at: new Date(signed.t * 1000), expires_at: new Date((signed.t + TOLERANCE_SECONDS + 60) * 1000) });
        } else if (first && (first.idempotency_key !== key || first.body_hash !== bodyHash)) {
          const reason = first.idempotency_key !== key ? 'another Idempotency-Key' : 'another body';
          request.log.warn({ eventId: signed.id, idempotencyKey: key, firstKey: first.idempotency_key, source: body.source, address: request.ip, rule: 'replay' }, 'events: replayed signature refused');
          await createAuditRepository(db).append({ actor: `system:${body.source}`, action: 'event.received', subjectType: 'event', subjectId: key, outcome: 'refused', rule: 'replay', detail: { type: body.type, eventId: signed.id, firstIdempotencyKey: first.idempotency_key, address: request.ip } });
          throw new HttpProblem(409, `this signature (event id ${signed.id}) was already used, with ${reason}; a signature is single-use: sign each event with its own id`, { field: 'header.x-herald-signature', rule: 'replay' });
        }
      }

      const claimed = await db.transaction(async (tx) => {
        const inserted = await tx('event_receipts').insert({ idempotency_key: key, event_type: body.type, body_hash: bodyHash, state: 'pending', received_at: receivedAt }).onConflict('idempotency_key').ignore().returning('idempotency_key');
        if (inserted.length) {
          await createAuditRepository(tx).append({ actor: `system:${body.source}`, action: 'event.received', subjectType: 'event', subjectId: key, detail: { type: body.type, data: body.data } });
          return true;
        }
        // a failed attempt may be retried by whoever takes it over first
        const retaken = await tx('event_receipts').where({ idempotency_key: key, state: 'failed', body_hash: bodyHash }).update({ state: 'pending' });
        return retaken > 0;
      });

      if (!claimed) {
        const deadline = Date.now() + (opts.waitMs ?? 10_000);
        for (;;) {
          const r = await readReceipt(key);
          if (r && r.body_hash !== bodyHash) throw new HttpProblem(422, `Idempotency-Key ${key} was used before with a different body`, { field: 'header.idempotency-key' });
          if (r?.state === 'done') {
            void reply.header('Idempotent-Replayed', 'true');
            return reply.status((r.status_code ?? 202) as 202).send(typeof r.response === 'string' ? JSON.parse(r.response) : r.response);
          }
          if (r?.state === 'failed') throw new HttpProblem(503, `event ${key} failed before; send it again`);
          if (Date.now() > deadline) throw new HttpProblem(503, `event ${key} is still being processed; send it again`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }

      const message = toMessage(body.type, body.data, body.source);
      try {
        // Herald records what the ERP says before any process reads it
        if (issued) await master.recordInvoice(issued, `system:${body.source}`);
        if (agreement) await restructuringService(db).record(agreement, `system:${body.source}`);
        if (body.type === 'customer.updated' && body.data.changes) await master.change({ actor: `system:${body.source}`, customerId: String(body.data.customerId), changes: body.data.changes as CustomerChanges, source: 'erp', field: 'body.data.changes' });
        if (body.type === 'customer.updated' && body.data.preferences) await applyErpPreferences(db, { customerId: String(body.data.customerId), actor: `system:${body.source}`, eventId: key, preferences: body.data.preferences as PreferenceChange[], now: receivedAt });
        const { messageKey } = await engine.publishMessage({ ...message, messageId: key, timeToLive: opts.messageTtlMs ?? 3_600_000 });
        const response = { eventId: key, type: body.type, message: { ...message, variables: undefined, messageKey }, receivedAt: receivedAt.toISOString() };
        delete response.message.variables;
        await db.transaction(async (tx) => {
          await tx('event_receipts').where({ idempotency_key: key }).update({ state: 'done', status_code: 202, response: JSON.stringify(response), finished_at: new Date() });
          await createAuditRepository(tx).append({ actor: `system:${body.source}`, action: 'event.accepted', subjectType: 'event', subjectId: key, detail: { type: body.type, message: response.message } });
        });
        return reply.status(202).send(response);
      } catch (err) {
        await db.transaction(async (tx) => {
          await tx('event_receipts').where({ idempotency_key: key }).update({ state: 'failed', finished_at: new Date() });
          await createAuditRepository(tx).append({ actor: `system:${body.source}`, action: 'event.failed', subjectType: 'event', subjectId: key, outcome: 'failed', detail: { type: body.type, error: (err as Error).message } });
        });
        throw err;
      }
    },
  );
}
