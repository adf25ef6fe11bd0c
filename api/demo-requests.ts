/**
 * The customer-request half of the demo `npm start` runs on a fresh data folder: the seed's
 * example. Acme's $25,000 invoice 2026-0199 is issued (its dunning starts), then Acme raises a
 * discrepancy about it in the portal. The request is acknowledged, classified and prioritised by
 * the DMN tables, routed to finance, and the invoice's reminders are held while it is disputed.
 * Sam (finance) reviews invoice and pricing and proposes a $12,500 credit; alice (finance lead)
 * and bob (controller) approve it, four eyes; the credit note is issued, the invoice re-issued as
 * 2026-0199-C1 at $12,500, the corrected invoice sent, and dunning goes on at the corrected
 * amount. Everyone acts through the tasklist, as a person would (claimed, then completed under
 * segregation of duties, each decision audited); the request's trail in the UI names them all.
 */
import type { Logger } from '../config/log.js';
import type { Engine, UserTask, Variables } from '../engine/types.js';
import type { Db } from '../storage/db.js';
import { requestService } from '../storage/requests.js';
import { demoActor } from './demo-actor.js';

export const DEMO_REQUEST_ID = 'demo-invoice-2026-0199-discrepancy';
const INVOICE = { id: 'INV-2026-0199', number: '2026-0199', amount: '25000.00' };

/** Who does what on the demo request, and with which decision. */
const SCRIPT: Record<string, { by: string; variables: Variables }> = {
  'review-invoice': { by: 'sam', variables: { adjustmentAmount: '12500.00', adjustmentReason: 'one of the two units was billed at the list price of $25,000 instead of the 2026 contract price of $12,500' } },
  'approve-adjustment-1': { by: 'alice', variables: { approved: true } },
  'approve-adjustment-2': { by: 'bob', variables: { approved: true } },
};

const day = (d: Date) => d.toISOString().slice(0, 10);

export async function seedRequestDemo(deps: {
  engine: Engine;
  db: Db;
  logger: Logger;
  /** True on the first start: the invoice and the request are created only then. */
  fresh: boolean;
  /** How long each demo person takes before acting, so the UI shows the task first. */
  pauseMs?: number;
  /** How long after the invoice the customer raises the request. */
  raiseAfterMs?: number;
}): Promise<() => void> {
  const log = deps.logger.child({ component: 'demo-requests' });
  if (!deps.fresh) return () => {};
  const now = () => new Date(deps.engine.clock?.now() ?? Date.now());
  const actAs = demoActor(deps);
  const act = async (task: UserTask) => {
    const step = SCRIPT[task.elementId];
    await actAs(step.by, task.userTaskKey, step.variables);
    return step.by;
  };

  const stop = deps.engine.onUserTask({
    created: (task) => {
      if (task.bpmnProcessId !== 'customer-request' || task.variables.requestId !== DEMO_REQUEST_ID || !SCRIPT[task.elementId]) return;
      setTimeout(() => {
        act(task)
          .then((by) => log.info({ task: task.elementId, by }, 'demo request: task done'))
          .catch((err) => log.warn({ err: (err as Error).message, task: task.elementId }, 'demo request: task failed'))
          .finally(() => task.elementId === 'approve-adjustment-2' && stop());
      }, deps.pauseMs ?? 2000).unref();
    },
  });

  const today = now();
  const inserted = await deps.db('invoices')
    .insert({ id: INVOICE.id, customer_id: 'C-ACME', number: INVOICE.number, amount: INVOICE.amount, currency: 'USD', issued_at: day(new Date(today.getTime() - 21 * 86_400_000)), due_at: day(new Date(today.getTime() + 9 * 86_400_000)), status: 'open' })
    .onConflict('id')
    .ignore()
    .returning('id');
  if (inserted.length) {
    await deps.engine.publishMessage({ name: 'invoice-issued', correlationKey: INVOICE.id, variables: { invoiceId: INVOICE.id, customerId: 'C-ACME', channel: 'email', amount: INVOICE.amount, initiatedBy: 'billing-system' } });
  }
  setTimeout(() => {
    requestService({ db: deps.db, engine: deps.engine, now })
      .submit({ id: DEMO_REQUEST_ID, customerId: 'C-ACME', invoiceId: INVOICE.id, intakeChannel: 'portal', replyChannel: 'portal', requestedBy: 'acme', subject: 'Invoice 2026-0199 discrepancy', body: 'We were billed the list price for one of the two units instead of our 2026 contract price. Please correct the invoice.' })
      .then((r) => log.info({ reference: r.reference }, 'demo: Acme raised a $25,000 invoice discrepancy in the portal; sam, alice and bob work it through the tasklist'))
      .catch((err) => log.warn({ err: (err as Error).message }, 'demo request failed'));
  }, deps.raiseAfterMs ?? 3000).unref();
  return stop;
}
