/**
 * The demo that `npm start` runs on a fresh data folder (HERALD_DEMO=false turns it off): the
 * seed texts' example. The ERP issues a $19,600 invoice to Acme (net 30 days) and Northwind's
 * €8,450.50 invoice, already 16 days overdue, with their facts; the notices go out, reminders
 * follow at the demo interval (HERALD_DEMO_INTERVAL, 10 s by default), Acme pays after its
 * second reminder and gets a payment confirmation, and Northwind runs through its reminders
 * into escalation to collections. Approvals the policy asks for are given by the demo approvers
 * (alice, then bob) through the tasklist, as a person would; they work from what is open in the
 * tasklist, so a slow machine or a restart delays the story, never stops it. At the end the
 * demo prints what was sent to whom, with amounts.
 */
import type { Logger } from '../config/log.js';
import type { Engine } from '../engine/types.js';
import type { Db } from '../storage/db.js';
import { seedDemoData } from '../storage/demo-data.js';
import { customerRepository } from '../storage/customers.js';
import { seedTemplateLibrary } from '../storage/templates.js';
import { addDays } from '../domain/templates/facts.js';
import { formatMoney } from '../domain/money.js';
import { workTasklist, type DemoScript } from './demo-actor.js';
import { customerMaster } from './services/customer-master.js';
import { EngineError } from '../engine/types.js';
import { slowWork } from '../workers/test-slowdown.js';

/** The demo approvers: alice at level 1, bob at level 2 (two people: four eyes). */
export const approveCommunications: DemoScript = (task) => {
  if (!task.bpmnProcessId.startsWith('customer-communication')) return undefined;
  const by = { 'approve-level-1': 'alice', 'approve-level-2': 'bob' }[task.elementId];
  return by ? { by, variables: { approved: true } } : undefined;
};

/** What a demo step waits for, said in words, and what a person can do when it takes long. */
export interface Waiting {
  what: string;
  /** What to look at or do if the step is still waiting after `patienceMs`. */
  hint: string;
  /** How often to say it is still waiting (default 30 s). */
  reportEveryMs?: number;
  /** After this long the demo says what to do (default 5 min); it keeps waiting all the same. */
  patienceMs?: number;
}

/**
 * Polls `check` until it answers true; never gives up (the demo waits on state, not on time). It
 * says what it is waiting for every `reportEveryMs`, and once `patienceMs` has passed it says at
 * warn what to do, since a slow machine only delays the story but a stuck process needs a person.
 */
export function whenState(check: () => Promise<boolean>, then: () => Promise<void> | void, log: Logger, everyMs = 1000, waiting?: Waiting, now: () => number = Date.now): () => void {
  let done = false;
  let busy = false;
  const since = now();
  let reported = since;
  let advised = false;
  const timer = setInterval(() => {
    if (done || busy) return;
    busy = true;
    check()
      .then(async (ok) => {
        if (!ok || done) {
          if (waiting && !done) {
            const waited = now() - since;
            if (!advised && waited >= (waiting.patienceMs ?? 300_000)) {
              advised = true;
              reported = now();
              log.warn({ waitingFor: waiting.what, waitedMs: waited }, `demo: still waiting for ${waiting.what} after ${Math.round(waited / 1000)} s; ${waiting.hint}. The demo keeps waiting; a restart (npm start) resumes it where it is`);
            } else if (now() - reported >= (waiting.reportEveryMs ?? 30_000)) {
              reported = now();
              log.info({ waitingFor: waiting.what, waitedMs: waited }, `demo: waiting for ${waiting.what}`);
            }
          }
          return;
        }
        done = true;
        clearInterval(timer);
        // slowWork: a test-only slower clock (workers/test-slowdown.ts); without it the step runs as it is
        await slowWork(async () => then());
      })
      .catch((err: Error) => log.warn({ err: err.message, waitingFor: waiting?.what }, 'demo: waiting step failed; trying again'))
      .finally(() => (busy = false));
  }, everyMs);
  timer.unref();
  return () => {
    done = true;
    clearInterval(timer);
  };
}

const SENT = ['queued', 'sent', 'delivered', 'opened', 'clicked', 'archived'];

/** One line per message sent: to whom, on which channel, what it said (its subject states the amount). */
export async function demoSummary(db: Db): Promise<string[]> {
  const rows = await db('communications as c')
    .join('customers as k', 'k.id', 'c.customer_id')
    .leftJoin('customer_contacts as a', function () {
      this.on('a.customer_id', '=', 'c.customer_id').andOn('a.channel', '=', 'c.channel');
    })
    .whereIn('c.status', SENT)
    .orderBy('c.created_at')
    .select('c.id', 'c.channel', 'c.subject', 'k.legal_name', 'a.address', 'c.data');
  const invoices = customerRepository(db);
  const lines: string[] = [];
  for (const r of rows) {
    const invoiceId = /^(INV-[^-]+-[^-]+)/.exec(r.id)?.[1];
    const invoice = invoiceId ? await invoices.invoice(invoiceId) : undefined;
    // the invoice's amount as it stands now (a corrected invoice shows its corrected amount)
    const amount = invoice ? ` [invoice ${invoice.number} now ${formatMoney(invoice.amount, invoice.currency, 'en')}, ${invoice.status}]` : '';
    lines.push(`  ${r.legal_name} <${r.address ?? r.channel}> by ${r.channel}: ${r.subject ?? '(no subject)'}${amount}`);
  }
  return lines;
}

export async function seedDemo(deps: { engine: Engine; db: Db; logger: Logger; interval?: string; print?: (line: string) => void }): Promise<() => void> {
  const log = deps.logger.child({ component: 'demo' });
  await seedTemplateLibrary(deps.db);
  const fresh = await seedDemoData(deps.db);
  const stops: (() => void)[] = [workTasklist(deps, approveCommunications, { pauseMs: 1500 })];
  const stopAll = () => stops.forEach((s) => s());
  await (await import('./demo-requests.js'))
    .seedRequestDemo({ ...deps, fresh })
    .then((stop) => stops.push(stop))
    .catch((err: Error) => log.warn({ err: err.message }, 'demo: the request example could not start'));
  const interval = deps.interval ?? 'PT10S';
  const status = async (id: string) => (await deps.db('communications').where({ id }).first('status'))?.status as string | undefined;
  const through = async () => SENT.includes((await status('INV-2026-0142-payment-confirmation')) ?? '') && SENT.includes((await status('INV-2026-0157-escalation')) ?? '');
  if (!fresh) {
    if (await through()) {
      log.info('demo data already present; the demo is through');
      return stopAll;
    }
    // a restart (or a crash) in the middle of the demo: its invoices were issued and their
    // instances live on in the engine; the steps below wait on state, so they pick up from it
    log.info('demo: resuming where it stopped');
  }
  const today = new Date(deps.engine.clock?.now() ?? Date.now());
  const master = customerMaster({ db: deps.db });
  const invoices = [
    { id: 'INV-2026-0142', customerId: 'C-ACME', number: '2026-0142', amount: '19600.00', currency: 'USD', issueDate: addDays(today, 0), dueDate: addDays(today, 30), paymentTerms: 'net 30 days', channel: 'email' },
    { id: 'INV-2026-0157', customerId: 'C-NORTHWIND', number: '2026-0157', amount: '8450.50', currency: 'EUR', issueDate: addDays(today, -30), dueDate: addDays(today, -16), paymentTerms: '14 Tage netto', channel: 'email' },
  ];
  for (const invoice of fresh ? invoices : []) {
    // what the ERP's invoice.issued does: the facts recorded, then the dunning started with them
    await master.recordInvoice(invoice, 'system:billing-system');
    const { id, ...facts } = invoice;
    await deps.engine.publishMessage({ name: 'invoice-issued', correlationKey: id, variables: { invoiceId: id, ...facts, initiatedBy: 'billing-system' } });
  }
  if (fresh) log.info({ interval }, 'demo: two invoices issued; Acme pays after its second reminder, Northwind escalates');
  stops.push(
    whenState(
      async () => SENT.includes((await status('INV-2026-0142-reminder-2')) ?? ''),
      async () => {
        // the payment's id is the message's id: after a restart it is not paid twice
        try {
          await deps.engine.publishMessage({ name: 'payment-received', correlationKey: 'INV-2026-0142', messageId: 'PAY-ACME-0142', timeToLive: 3_600_000, variables: { paymentId: 'PAY-ACME-0142', paidAmount: '19600.00', paidCurrency: 'USD' } });
        } catch (err) {
          if (!(err instanceof EngineError && err.code === 'ALREADY_EXISTS')) throw err;
          return log.info('demo: Acme has paid already');
        }
        log.info('demo: Acme paid $19,600.00');
      },
      log,
      1000,
      { what: "Acme's second reminder (INV-2026-0142-reminder-2) to be sent before Acme pays", hint: 'look for open approvals in the Tasklist and for incidents in Instances (GET /api/incidents); a reminder that waits for approval needs alice' },
    ),
  );
  const print = deps.print ?? ((line: string) => console.log(line));
  stops.push(
    whenState(
      through,
      async () => {
        const lines = await demoSummary(deps.db);
        print(`\nThe demo is through: ${lines.length} messages sent (data/outbox holds the emails):\n${lines.join('\n')}\n`);
        log.info({ messages: lines.length }, 'demo: summary printed');
      },
      log,
      2000,
      { what: "Acme's payment confirmation and Northwind's escalation notice, to print the summary", hint: 'look for incidents in Instances (GET /api/incidents) and open tasks in the Tasklist; data/outbox holds what was sent so far' },
    ),
  );
  return stopAll;
}
