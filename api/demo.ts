/**
 * The demo that `npm start` runs on a fresh data folder (HERALD_DEMO=false turns it off): the
 * seed texts' example. A $19,600 invoice to Acme is issued, the notice goes out, reminders follow
 * at the demo interval (HERALD_DEMO_INTERVAL, 10 s by default), and Acme's payment stops the
 * cadence; Northwind, a late payer, runs through its reminders into escalation. Approvals the
 * policy asks for are given by the demo approvers (alice, then bob) through the tasklist, as a
 * person would: claimed and completed under segregation of duties, each decision on the audit
 * trail; the outbox folder and the instance history show it.
 */
import type { Logger } from '../config/log.js';
import type { Engine } from '../engine/types.js';
import type { Db } from '../storage/db.js';
import { seedDemoData } from '../storage/demo-data.js';
import { seedTemplateLibrary } from '../storage/templates.js';
import { durationMs } from '../engine/embedded/timer-values.js';
import { demoActor } from './demo-actor.js';

export async function seedDemo(deps: { engine: Engine; db: Db; logger: Logger; interval?: string }): Promise<() => void> {
  const log = deps.logger.child({ component: 'demo' });
  await seedTemplateLibrary(deps.db);
  const fresh = await seedDemoData(deps.db);
  const act = demoActor(deps);
  const stop = deps.engine.onUserTask({
    created: (task) => {
      if (!task.bpmnProcessId.startsWith('customer-communication')) return;
      const level = task.elementId === 'approve-level-2' ? 2 : task.elementId === 'approve-level-1' ? 1 : 0;
      if (!level) return;
      const by = level === 1 ? 'alice' : 'bob';
      setTimeout(() => {
        act(by, task.userTaskKey, { approved: true })
          .then(() => log.info({ task: task.elementId, by }, 'demo approver approved'))
          .catch((err) => log.warn({ err: (err as Error).message, rule: (err as { extra?: { rule?: string } }).extra?.rule }, 'demo approval failed'));
      }, 1500).unref();
    },
  });
  await (await import('./demo-requests.js')).seedRequestDemo({ ...deps, fresh }).catch((err: Error) => log.warn({ err: err.message }, 'demo: the request example could not start'));
  if (!fresh) {
    log.info('demo data already present');
    return stop;
  }
  const interval = deps.interval ?? 'PT10S';
  for (const [invoiceId, customerId, amount] of [
    ['INV-2026-0142', 'C-ACME', '19600.00'],
    ['INV-2026-0157', 'C-NORTHWIND', '8450.50'],
  ]) {
    await deps.engine.publishMessage({ name: 'invoice-issued', correlationKey: invoiceId, variables: { invoiceId, customerId, channel: 'email', amount, initiatedBy: 'billing-system' } });
  }
  log.info({ interval }, 'demo: two invoices issued; Acme pays after its second reminder, Northwind escalates');
  const payAfter = 2.5 * durationMs(interval, Date.now()) + 5000;
  setTimeout(() => {
    deps.engine
      .publishMessage({ name: 'payment-received', correlationKey: 'INV-2026-0142', timeToLive: 3_600_000, variables: { paidAmount: '19600.00' } })
      .then(() => log.info('demo: Acme paid $19,600.00'))
      .catch((err) => log.warn({ err: (err as Error).message }, 'demo payment failed'));
  }, payAfter).unref();
  return stop;
}
