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
import type { Engine, Variables } from '../engine/types.js';
import type { Db } from '../storage/db.js';
import { requestService } from '../services/requests.js';
import { addDays } from '../domain/templates/facts.js';
import { workTasklist } from './demo-actor.js';
import { customerMaster } from './services/customer-master.js';
import { customerRepository } from '../storage/customers.js';

export const DEMO_REQUEST_ID = 'demo-invoice-2026-0199-discrepancy';
const INVOICE = { id: 'INV-2026-0199', number: '2026-0199', amount: '25000.00' };

/** Who does what on the demo request, and with which decision. */
const SCRIPT: Record<string, { by: string; variables: Variables }> = {
  'review-invoice': { by: 'sam', variables: { adjustmentAmount: '12500.00', adjustmentReason: 'one of the two units was billed at the list price of $25,000 instead of the 2026 contract price of $12,500' } },
  'approve-adjustment-1': { by: 'alice', variables: { approved: true } },
  'approve-adjustment-2': { by: 'bob', variables: { approved: true } },
};

export async function seedRequestDemo(deps: {
  engine: Engine;
  db: Db;
  logger: Logger;
  /** True on the first start: the invoice is issued only then. Later starts resume a request not yet resolved. */
  fresh: boolean;
  /** How long each demo person leaves a task open before acting, so the UI shows it first. */
  pauseMs?: number;
  /** How often the demo people look at the tasklist. */
  everyMs?: number;
  /** Checked before raising the request: Acme disputes the invoice once its notice has reached it. */
  raiseAfterMs?: number;
}): Promise<() => void> {
  const log = deps.logger.child({ component: 'demo-requests' });
  const now = () => new Date(deps.engine.clock?.now() ?? Date.now());
  const service = requestService({ db: deps.db, engine: deps.engine, now });
  // a later start: the request demo resumes where it stopped (a crash or a restart in the middle),
  // unless it is through or was never begun on this data folder (its invoice was never issued)
  const request = deps.fresh ? undefined : await service.repo.get(DEMO_REQUEST_ID);
  if (!deps.fresh && (request ? request.status === 'resolved' : !(await customerRepository(deps.db).invoice(INVOICE.id)))) return () => {};
  const stops: (() => void)[] = [];
  // the people work the request's tasks from the tasklist's state, whenever they appear
  stops.push(
    workTasklist(
      deps,
      (task) => (task.bpmnProcessId === 'customer-request' && task.variables.requestId === DEMO_REQUEST_ID ? SCRIPT[task.elementId] : undefined),
      { pauseMs: deps.pauseMs ?? 2000, everyMs: deps.everyMs ?? 1000 },
    ),
  );

  // the ERP issues the invoice with its facts (a $25,000 invoice three weeks old, due in nine days)
  const today = now();
  const master = customerMaster({ db: deps.db });
  const facts = { customerId: 'C-ACME', number: INVOICE.number, amount: INVOICE.amount, currency: 'USD', issueDate: addDays(today, -21), dueDate: addDays(today, 9), paymentTerms: 'net 30 days', channel: 'email' };
  // (on a later start it was issued, and may have been corrected since: it is left as it is)
  const outcome = deps.fresh ? await master.recordInvoice({ id: INVOICE.id, ...facts }, 'system:billing-system') : 'unchanged';
  if (outcome === 'created') {
    await deps.engine.publishMessage({ name: 'invoice-issued', correlationKey: INVOICE.id, variables: { invoiceId: INVOICE.id, ...facts, initiatedBy: 'billing-system' } });
  }
  // Acme disputes the invoice it received: the request is raised once the notice was delivered
  // (the invoice's dunning has passed its notice, which ends with the delivery result)
  const noticeDelivered = async () => {
    for (const i of await deps.engine.listInstances({ bpmnProcessId: 'invoice-dunning' })) {
      if ((await deps.engine.getVariables(i.processInstanceKey)).invoiceId !== INVOICE.id) continue;
      return (await deps.engine.getInstance(i.processInstanceKey))?.elements.some((e) => e.elementId === 'send-invoice-notice' && e.state === 'COMPLETED') ?? false;
    }
    return false;
  };
  // one look at a time: two overlapping looks would both raise it (two instances of one request)
  let raised = !!request?.processInstanceKey;
  let looking = false;
  const raise = setInterval(() => {
    if (raised || looking) return;
    looking = true;
    void (async () => {
      if (!(await noticeDelivered())) return;
      raised = true;
      clearInterval(raise);
      const r = await service.submit({
        id: DEMO_REQUEST_ID,
        customerId: 'C-ACME',
        invoiceId: INVOICE.id,
        intakeChannel: 'portal',
        // Acme asks to be answered by email, its channel for invoices; the portal shows the request too
        replyChannel: 'email',
        requestedBy: 'acme',
        subject: 'Invoice 2026-0199 discrepancy',
        body: 'We were billed the list price for one of the two units instead of our 2026 contract price. Please correct the invoice.',
      });
      log.info({ reference: r.reference }, 'demo: Acme raised a $25,000 invoice discrepancy in the portal; sam, alice and bob work it through the tasklist');
    })()
      .catch((err: Error) => {
        raised = false;
        log.warn({ err: err.message }, 'demo: the request could not be raised yet; trying again');
      })
      .finally(() => (looking = false));
  }, deps.raiseAfterMs ?? 1000);
  raise.unref();
  if (raised) clearInterval(raise);
  stops.push(() => clearInterval(raise));
  return () => stops.forEach((s) => s());
}
