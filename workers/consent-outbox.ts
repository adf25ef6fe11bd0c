/**
 * Hands double opt-in confirmation messages to delivery (#19). The API writes the confirmation and
 * its rendered message in one transaction and may run without the workers (HERALD_ROLE=api), so
 * the workers drain that outbox: each unqueued confirmation is enqueued once (delivery de-duplicates
 * by communication id, so a crash between the enqueue and the mark only repeats a no-op).
 */
import type { Logger } from '../config/log.js';
import type { Db } from '../storage/db.js';
import { consentConfirmationRepository } from '../storage/consent-confirmations.js';
import type { DeliveryService } from './delivery/service.js';

export interface ConsentOutbox {
  /** One pass: enqueues what is waiting; returns how many. */
  drain(): Promise<number>;
  close(): void;
}

export function startConsentOutbox(deps: { db: Db; delivery: Pick<DeliveryService, 'enqueue'>; log: Logger; now(): Date; intervalMs?: number }): ConsentOutbox {
  const repo = consentConfirmationRepository(deps.db);
  let running: Promise<number> | undefined;
  const drain = () =>
    (running ??= (async () => {
      let n = 0;
      for (const c of await repo.unqueued()) {
        await deps.delivery.enqueue(c.communicationId, c.channel);
        await repo.markQueued(c.id, deps.now());
        n++;
      }
      return n;
    })().finally(() => (running = undefined)));
  const timer = setInterval(() => void drain().catch((err: Error) => deps.log.warn({ err: err.message }, 'consent confirmations: could not hand messages to delivery; retried')), deps.intervalMs ?? 1000);
  timer.unref();
  return { drain, close: () => clearInterval(timer) };
}
