/**
 * The request workspace, end to end on a fresh server with Herald's workers: given Acme's
 * $25,000 invoice and its dispute raised in the portal (answered by email, as in the seed's
 * example), when sam (finance agent) finds it in the workspace, filters the list (the filters
 * land in the URL), saves the view, opens the request and proposes a $12,500 credit in the
 * review task's own form; alice (finance lead) sorts her tasklist and approves; bob (controller)
 * approves the second level; then the corrected invoice is emailed, and Acme reads that email
 * in the portal and replies on the request. A screenshot per step, axe's serious and critical
 * violations none on every screen, and one keyboard-only step per screen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTasklist } from '../../api/services/tasklist.js';
import type { Principal } from '../../api/plugins/app/auth.js';
import { DEMO_USERS, groupsOf } from '../../domain/identity/index.js';
import { requestService } from '../../services/requests.js';
import { seriousViolations } from './support/a11y.js';
import { browserProblems, launch, shot, signIn, skipReason, startUiServer, type UiServer } from './support/server.js';

const INVOICE = { id: 'INV-UI-0199', number: 'UI-0199' };
const person = (id: string): Principal => {
  const user = DEMO_USERS.find((u) => u.id === id)!;
  return { ...user, groups: groupsOf(user), via: 'token' };
};

describe.skipIf(skipReason)('request workspace (browser)', () => {
  let server: UiServer;
  let browser: Browser;
  let stopApprovers: (() => void) | undefined;
  const approvalErrors: string[] = [];
  beforeAll(async () => {
    server = await startUiServer({
      processes: ['customer-request.bpmn', 'customer-request-classification.dmn', 'customer-request-priority.dmn', 'customer-communication.bpmn', 'invoice-review.form', 'adjustment-approval.form', 'communication-approval.form', 'request-triage.form'],
      workers: true,
    });
    // the messages the request sends (acknowledgement, corrected invoice) pass their own approval layers:
    // alice, then bob, through the tasklist's door as in the demo; this journey is about the request's tasks
    const tasklist = createTasklist({ db: server.db, engine: server.engine });
    stopApprovers = server.engine.onUserTask({
      created: (task) => {
        const by = { 'approve-level-1': 'alice', 'approve-level-2': 'bob' }[task.elementId];
        if (!by || !task.bpmnProcessId.startsWith('customer-communication')) return;
        void (async () => {
          await expect.poll(async () => (await server.db('tasks').where({ key: task.userTaskKey }).first('key'))?.key, { timeout: 60_000, interval: 200 }).toBeTruthy();
          await tasklist.claim(task.userTaskKey, person(by));
          await tasklist.complete(task.userTaskKey, person(by), { approved: true });
        })().catch((err: Error) => approvalErrors.push(err.message));
      },
    });
    browser = await launch();
    // a loaded CI machine: every page (signIn makes one per person) waits up to 90 s for navigation and elements
    const newContext = browser.newContext.bind(browser);
    browser.newContext = async (options) => {
      const context = await newContext(options);
      context.setDefaultTimeout(90_000);
      context.setDefaultNavigationTimeout(90_000);
      return context;
    };
  }, 240_000);
  afterAll(async () => {
    stopApprovers?.();
    await browser?.close();
    await server?.close();
  });

  /** The open task of this element on the request, once the tasklist has it. */
  const openTask = async (requestId: string, elementId: string) => {
    let key: string | undefined;
    await expect
      .poll(
        async () => {
          const rows = await server.db('tasks').where({ element_id: elementId, state: 'CREATED' });
          key = rows.find((t) => (typeof t.variables === 'string' ? JSON.parse(t.variables) : t.variables)?.requestId === requestId)?.key;
          return key;
        },
        { timeout: 60_000, interval: 250 },
      )
      .toBeTruthy();
    return key!;
  };
  const noSeriousViolations = async (page: Page, screen: string) => expect(await seriousViolations(page), screen).toEqual([]);

  it('sam works the $25,000 dispute to a $12,500 credit, alice and bob approve, Acme reads the corrected invoice email and replies', async () => {
    const { db, engine } = server;
    // given Acme's $25,000 invoice and its discrepancy, raised in the portal and answered by email
    await db('invoices').insert({ id: INVOICE.id, customer_id: 'C-ACME', number: INVOICE.number, amount: '25000.00', currency: 'USD', issued_at: '2026-11-16', due_at: '2026-12-16', status: 'open' });
    const r = await requestService({ db, engine, now: () => new Date(engine.clock.now()) }).submit({
      customerId: 'C-ACME',
      invoiceId: INVOICE.id,
      intakeChannel: 'portal',
      replyChannel: 'email',
      requestedBy: 'acme',
      subject: `Invoice ${INVOICE.number} discrepancy`,
      body: 'We were billed the list price for one of the two units instead of our 2026 contract price. Please correct the invoice.',
    });
    const review = await openTask(r.id, 'review-invoice');

    // when sam filters the workspace: the filters are in the URL, the request is in the list with its SLA clock
    const sam = await signIn(browser, server.url, 'sam');
    await sam.goto(`${server.url}/#/requests`);
    await sam.locator(`tr[data-reference="${r.reference}"]`).waitFor({ timeout: 30_000 });
    await sam.getByLabel('Team').selectOption('finance');
    await sam.getByLabel('Type').selectOption('billing-dispute');
    await expect.poll(() => sam.url()).toContain('team=finance');
    expect(sam.url()).toContain('category=billing-dispute');
    await sam.locator(`tr[data-reference="${r.reference}"]`).waitFor();
    expect(await sam.locator(`tr[data-reference="${r.reference}"] .rq-sla`).textContent()).toMatch(/left|overdue/);
    // a saved view, kept for sam in this browser
    await sam.getByLabel('Save these filters as').fill('Finance disputes');
    await sam.getByRole('button', { name: 'Save view' }).click();
    await sam.getByRole('link', { name: 'Finance disputes' }).waitFor();
    expect(await sam.getByRole('link', { name: 'Finance disputes' }).getAttribute('href')).toContain('team=finance');
    await noSeriousViolations(sam, 'request list');
    await shot(sam, 'requests-1-list-filtered');

    // keyboard only: the reference link, Enter, opens the request
    await sam.locator(`tr[data-reference="${r.reference}"] a`).focus();
    await sam.keyboard.press('Enter');
    await sam.locator('#rq-body').waitFor();
    expect(await sam.locator('#rq-body').textContent()).toContain('list price for one of the two units');
    expect(await sam.locator('#rq-sla').textContent()).toMatch(/SLA/);
    expect(await sam.locator('#rq-trail').textContent()).toContain('received — acme');
    // the review task's own form: the customer's words, the invoice amount, the credit field
    const form = sam.locator('#rq-task .fjs-form');
    await form.waitFor({ timeout: 30_000 });
    expect(await form.textContent()).toMatch(/25,?000/);
    await sam.getByLabel('Credit to propose').fill('12500.00');
    await sam.getByLabel('Reason for the credit').fill('one of the two units was billed at the list price of $25,000 instead of the 2026 contract price of $12,500');
    await noSeriousViolations(sam, 'request page');
    await shot(sam, 'requests-2-review-form');
    // keyboard only: focus the button, Enter completes the task through the tasklist's door
    await sam.locator('#rq-submit').focus();
    await sam.keyboard.press('Enter');
    await expect.poll(() => sam.locator('#rq-task .outcome').textContent(), { timeout: 30_000 }).toContain('completed');
    expect((await db('tasks').where({ key: review }).first()).state).toBe('COMPLETED');
    await shot(sam, 'requests-3-credit-proposed');

    // alice sorts her groups' tasks by priority, sees the credit as the task states it, and approves (keyboard only)
    const first = await openTask(r.id, 'approve-adjustment-1');
    const alice = await signIn(browser, server.url, 'alice');
    await alice.goto(`${server.url}/#/tasks/groups`);
    await alice.locator(`.tasks [data-task="${first}"]`).waitFor({ timeout: 30_000 });
    await alice.locator('#tl-sort').selectOption('priority');
    await alice.locator('#tl-process').selectOption('customer-request');
    await expect.poll(() => alice.url()).toContain('sort=priority');
    const item = alice.locator(`.tasks [data-task="${first}"]`);
    expect(await item.textContent()).toContain('Credit proposed: $12,500.00');
    expect(await item.textContent()).not.toContain('25000.00');
    await item.locator('a').focus();
    await alice.keyboard.press('Enter');
    await alice.locator('.decision').waitFor();
    expect(await alice.locator('.facts').textContent()).toContain('$12,500.00');
    await noSeriousViolations(alice, 'tasklist (approver)');
    await shot(alice, 'requests-4-approver-sorted');
    // the linked form: her decision, then Submit
    await alice.getByLabel('Approve the adjustment').check();
    await alice.getByRole('button', { name: 'Submit' }).click();
    await alice.getByText('Approved. The process continues.').waitFor({ timeout: 30_000 });

    const second = await openTask(r.id, 'approve-adjustment-2');
    const bob = await signIn(browser, server.url, 'bob');
    await bob.goto(`${server.url}/#/tasks/groups/${second}`);
    await bob.locator('.decision').waitFor();
    // keyboard only: Space picks the decision, Enter on Submit completes
    await bob.getByLabel('Approve the adjustment').focus();
    await bob.keyboard.press('Space');
    await bob.getByRole('button', { name: 'Submit' }).focus();
    await bob.keyboard.press('Enter');
    await bob.getByText('Approved. The process continues.').waitFor({ timeout: 30_000 });
    await shot(bob, 'requests-5-second-approval');

    // the corrected invoice is emailed
    const resultId = `${r.id}-result-0`;
    await expect.poll(async () => (await db('deliveries').where({ communication_id: resultId }).whereNotNull('sent_at').first())?.channel, { timeout: 120_000, interval: 500 }).toBe('email');
    expect(approvalErrors).toEqual([]);
    // the workspace shows the request resolved, the trail naming everyone
    await sam.reload();
    await sam.locator('#rq-trail').waitFor();
    expect(await sam.locator('#rq-trail').textContent()).toContain('credit note issued');
    const trail = await sam.locator('#rq-trail').textContent();
    for (const who of ['review invoice — sam', 'approve adjustment 1 — alice', 'approve adjustment 2 — bob']) expect(trail).toContain(who);

    // Acme reads the corrected invoice email in the portal, amounts in its own format
    const acme = await signIn(browser, server.url, 'acme');
    await acme.goto(`${server.url}/#/portal`);
    const mail = acme.locator(`[data-message="${resultId}"]`);
    await mail.waitFor({ timeout: 30_000 });
    expect(await mail.locator('.pt-channel').textContent()).toBe('Email');
    // keyboard only: focus the message's summary, Enter opens it
    await mail.locator('summary').focus();
    await acme.keyboard.press('Enter');
    const body = await acme.frameLocator(`[data-message="${resultId}"] iframe`).locator('body').textContent();
    expect(body).toContain('$12,500.00');
    // the frame is as tall as the message: nothing clipped
    const frameFits = () =>
      acme.locator(`[data-message="${resultId}"] iframe`).evaluate((f) => {
        const frame = f as unknown as { clientHeight: number; contentDocument: { documentElement: { scrollHeight: number } } };
        return frame.contentDocument.documentElement.scrollHeight <= frame.clientHeight + 1;
      });
    await expect.poll(frameFits).toBe(true);
    await noSeriousViolations(acme, 'portal inbox');
    await shot(acme, 'requests-6-portal-corrected-invoice-email');

    // and replies on the request
    await acme.getByRole('link', { name: r.reference }).click();
    await acme.locator('#pt-steps').waitFor();
    expect(await acme.locator('#pt-steps').textContent()).toContain('Request received');
    await acme.getByLabel('Your message').fill('Thank you: the corrected invoice is right, we will pay it.');
    await acme.getByRole('button', { name: 'Send reply' }).focus();
    await acme.keyboard.press('Enter');
    await expect.poll(() => acme.locator('#pt-steps').textContent(), { timeout: 15_000 }).toContain('You wrote: Thank you: the corrected invoice is right');
    await noSeriousViolations(acme, 'portal request');
    await shot(acme, 'requests-7-portal-reply');
    expect((await db('request_events').where({ request_id: r.id, action: 'customer-message' })).map((e) => e.actor)).toEqual(['acme']);
    expect(browserProblems).toEqual([]);
  }, 400_000);
});
