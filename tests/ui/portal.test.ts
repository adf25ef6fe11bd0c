/**
 * Portal: a customer reads a message in the inbox, raises a request in the portal (it runs
 * through intake with the real workers and appears in the service agent's tasklist), and
 * promises to pay an open invoice (the invoice shows the promise, audited); and pays another one at
 * the test payment provider's hosted checkout, whose signed webhook closes it through the dunning
 * process (#18): the invoice is paid, the payment confirmation goes out, no reminder follows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { seriousViolations } from './support/a11y.js';
import { launch, shot, signIn, skipReason, startUiServer, type UiServer } from './support/server.js';

describe.skipIf(skipReason)('customer portal (browser)', () => {
  let server: UiServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startUiServer({ processes: ['customer-request.bpmn', 'customer-request-classification.dmn', 'customer-request-priority.dmn', 'customer-communication.bpmn', 'invoice-dunning.bpmn'], workers: true });
    browser = await launch();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("inbox, a request raised in the portal reaches the agent's tasklist, promise to pay", async () => {
    await server.db('portal_messages').insert({ communication_id: 'ui-portal-msg-1', customer_id: 'C-ACME', subject: 'Your statement for November', html: '<p>Your statement: <strong>3 open invoices</strong>.</p>', text: 'Your statement: 3 open invoices.', created_at: new Date() });
    await server.db('portal_messages').insert({ communication_id: 'ui-portal-msg-2', customer_id: 'C-NORTHWIND', subject: 'Not for Acme', html: '<p>Northwind only</p>', text: 'Northwind only', created_at: new Date() });
    const acme = await signIn(browser, server.url, 'acme');
    await acme.goto(`${server.url}/#/portal`);
    const inbox = acme.locator('#portal-inbox');
    await expect.poll(() => inbox.textContent()).toContain('Your statement for November');
    expect(await inbox.textContent()).not.toContain('Not for Acme');
    // keyboard only: the message's summary, Enter opens it
    await inbox.locator('summary', { hasText: 'Your statement for November' }).focus();
    await acme.keyboard.press('Enter');
    await expect.poll(() => acme.frameLocator('#portal-inbox iframe').locator('body').textContent()).toContain('3 open invoices');
    // money in the customer's locale (Acme reads en: $), not "19600.00 USD"
    const amounts = await acme.locator('#portal-invoices .pt-amount').allTextContents();
    expect(amounts.length).toBeGreaterThan(0);
    for (const a of amounts) expect(a).toMatch(/^\$[\d,]+\.\d\d$/);
    expect(await seriousViolations(acme), 'portal').toEqual([]);
    // pay from the invoice: what to pay and the reference to quote
    await acme.getByRole('button', { name: 'Pay invoice 2026-0142' }).click();
    await expect.poll(() => acme.locator('.pt-pay').textContent()).toContain('2026-0142');
    // promise to pay the open invoice a week from now (before the dispute below puts it on hold): the row shows the promise, the audit trail has it
    const payBy = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    await acme.getByLabel('Pay invoice 2026-0142 by').fill(payBy);
    await acme.getByLabel('Pay invoice 2026-0142 by').locator('xpath=..').getByRole('button', { name: 'Promise' }).click();
    await expect.poll(() => acme.locator('[data-invoice="INV-2026-0142"]').textContent()).toBe(`promised by ${payBy}`);
    const promised = await server.db('audit_log').where({ action: 'invoice.promise-to-pay', subject_id: 'INV-2026-0142' });
    expect(promised.map((r) => r.actor)).toEqual(['acme']);
    await shot(acme, 'portal-promise-to-pay');

    await acme.getByLabel('Subject').fill('Invoice INV-2026-0142 is billed twice');
    await acme.getByLabel('Invoice (optional)').selectOption('INV-2026-0142');
    await acme.getByLabel('What do you need?').fill('We were charged twice for the March delivery; please correct the invoice.');
    await acme.getByRole('button', { name: 'Send request' }).click();
    await expect.poll(() => acme.locator('#portal-requests').textContent()).toContain('billed twice');
    await shot(acme, 'portal-request-raised');

    const sam = await signIn(browser, server.url, 'sam');
    try {
      await expect
        .poll(async () => {
          await sam.goto(`${server.url}/#/tasks/groups?${Date.now()}`);
          await sam.reload();
          await sam.locator('.tasks').waitFor();
          return sam.locator('.tasks').textContent();
        }, { timeout: 30_000, interval: 1000 })
        .toMatch(/C-ACME|REQ|Review|Triage|Answer|Assess/);
    } catch (err) {
      // say where the request stopped instead of only that it never arrived
      const incidents = await server.engine.listIncidents({ state: 'ACTIVE' });
      throw new Error(`the request never reached sam's tasklist; active incidents: ${incidents.map((i) => `${i.bpmnProcessId}/${i.elementId}: ${i.errorMessage}`).join('; ') || 'none'}`, { cause: err });
    } finally {
      await shot(sam, 'portal-request-in-agent-tasklist');
    }
  }, 120_000);

  it("pays an invoice at the provider's checkout: paid through the dunning process, confirmed, no more reminders", async () => {
    const { db, engine } = server;
    // given a $980 invoice issued to Acme, its dunning instance started as the ERP's invoice.issued starts it,
    // reminders every 10 minutes (the UI server's workers otherwise remind every few seconds, before anyone could pay)
    const invoice = { invoiceId: 'INV-UI-PAY-1', customerId: 'C-ACME', number: 'UI-PAY-1', amount: '980.00', currency: 'USD', issueDate: '2026-11-20', dueDate: '2026-12-20', paymentTerms: 'net 30 days', channel: 'email' };
    await db('invoices').insert({ id: invoice.invoiceId, customer_id: 'C-ACME', number: invoice.number, amount: invoice.amount, currency: 'USD', issued_at: invoice.issueDate, due_at: invoice.dueDate, status: 'open' });
    await engine.publishMessage({ name: 'invoice-issued', correlationKey: invoice.invoiceId, messageId: `issued-${invoice.invoiceId}`, timeToLive: 60_000, variables: { ...invoice, initiatedBy: 'erp', demoInterval: 'PT10M' } });
    let dunning: string | undefined;
    await expect.poll(async () => (dunning = (await engine.listInstances({ bpmnProcessId: 'invoice-dunning' })).find((i) => i.state === 'ACTIVE')?.processInstanceKey), { timeout: 60_000 }).toBeTruthy();

    // when Acme pays it from the portal: Pay, then online, on the provider's hosted page
    const acme = await signIn(browser, server.url, 'acme');
    await acme.goto(`${server.url}/#/portal/pay/${invoice.invoiceId}`);
    await acme.getByRole('button', { name: 'Pay $980.00 online' }).waitFor();
    expect(await seriousViolations(acme), 'portal pay').toEqual([]);
    await shot(acme, 'portal-pay-1-choose');
    await acme.getByRole('button', { name: 'Pay $980.00 online' }).click();
    await acme.waitForURL(/\/payments\/test-checkout\?checkout=/);
    expect(await acme.locator('#checkout-amount').textContent()).toBe('$980.00');
    expect(await seriousViolations(acme), 'test provider checkout').toEqual([]);
    await shot(acme, 'portal-pay-2-provider-checkout');
    // keyboard only: the pay button, Enter
    await acme.getByRole('button', { name: 'Pay $980.00' }).focus();
    await acme.keyboard.press('Enter');

    // then the portal, back from the provider, shows the invoice paid once Herald recorded it
    await acme.waitForURL(/#\/portal\/invoices\/INV-UI-PAY-1\?payment=returned/);
    await expect.poll(() => acme.locator('#pt-payment').textContent(), { timeout: 120_000, interval: 1000 }).toContain('Invoice UI-PAY-1 is paid');
    expect(await acme.locator('#portal-invoices').textContent()).not.toContain('UI-PAY-1');
    expect(await seriousViolations(acme), 'portal paid').toEqual([]);
    await shot(acme, 'portal-pay-3-paid');
    expect((await db('invoices').where({ id: invoice.invoiceId }).first()).status).toBe('paid');
    expect((await db('audit_log').where({ action: 'payment.received', subject_id: invoice.invoiceId }).first()).actor).toBe('provider:test');
    // the confirmation goes out and the dunning instance ends paid: its reminder timer is gone, no reminder can follow
    await expect.poll(async () => (await db('communications').where({ id: `${invoice.invoiceId}-payment-confirmation` }).first('id'))?.id, { timeout: 120_000, interval: 1000 }).toBeTruthy();
    await expect.poll(async () => (await engine.getInstance(dunning!))?.state, { timeout: 120_000, interval: 1000 }).toBe('COMPLETED');
    expect(await db('communications').where('id', 'like', `${invoice.invoiceId}-reminder%`)).toEqual([]);
  }, 400_000);
});
