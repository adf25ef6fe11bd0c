/**
 * A policy refusal on the request page (#18): given Acme's $25,000 discrepancy raised by alice
 * (she took the customer's call and logged it) and sam's proposed $12,500 credit, when alice, a
 * finance lead, tries to approve that credit from the request page, then the page shows the
 * refusal's rule by name and its reason, nothing changes (the task stays open and unclaimed, the
 * credit unapproved), and the refusal is on the task's audit trail and the request's trail, read
 * through the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTasklist } from '../../api/services/tasklist.js';
import type { Principal } from '../../api/plugins/app/auth.js';
import { DEMO_USERS, groupsOf } from '../../domain/identity/index.js';
import { requestService } from '../../services/requests.js';
import { seriousViolations } from './support/a11y.js';
import { browserProblems, launch, shot, signIn, skipReason, startUiServer, type UiServer } from './support/server.js';

const INVOICE = { id: 'INV-UI-REFUSAL-1', number: 'UI-REF-1' };
const person = (id: string): Principal => {
  const user = DEMO_USERS.find((u) => u.id === id)!;
  return { ...user, groups: groupsOf(user), via: 'token' };
};

describe.skipIf(skipReason)('a policy refusal on the request page (browser)', () => {
  let server: UiServer;
  let browser: Browser;
  let stopApprovers: (() => void) | undefined;
  beforeAll(async () => {
    server = await startUiServer({
      processes: ['customer-request.bpmn', 'customer-request-classification.dmn', 'customer-request-priority.dmn', 'customer-communication.bpmn', 'invoice-review.form', 'adjustment-approval.form', 'communication-approval.form', 'request-triage.form'],
      workers: true,
    });
    // the request's own messages (the acknowledgement) pass their approvals as in the demo; this test is about the credit's
    const tasklist = createTasklist({ db: server.db, engine: server.engine });
    stopApprovers = server.engine.onUserTask({
      created: (task) => {
        const by = { 'approve-level-1': 'alice', 'approve-level-2': 'bob' }[task.elementId];
        if (!by || !task.bpmnProcessId.startsWith('customer-communication')) return;
        void (async () => {
          await expect.poll(async () => (await server.db('tasks').where({ key: task.userTaskKey }).first('key'))?.key, { timeout: 60_000, interval: 200 }).toBeTruthy();
          await tasklist.claim(task.userTaskKey, person(by));
          await tasklist.complete(task.userTaskKey, person(by), { approved: true });
        })().catch(() => undefined);
      },
    });
    browser = await launch();
  }, 240_000);
  afterAll(async () => {
    stopApprovers?.();
    await browser?.close();
    await server?.close();
  });

  const openTask = async (requestId: string, elementId: string) => {
    let key: string | undefined;
    await expect
      .poll(
        async () => {
          const rows = await server.db('tasks').where({ element_id: elementId, state: 'CREATED' });
          key = rows.find((t) => (typeof t.variables === 'string' ? JSON.parse(t.variables) : t.variables)?.requestId === requestId)?.key;
          return key;
        },
        { timeout: 90_000, interval: 250 },
      )
      .toBeTruthy();
    return key!;
  };

  it('alice raised the request; her approval of its credit is refused with maker-checker named, and nothing changes', async () => {
    const { db, engine } = server;
    await db('invoices').insert({ id: INVOICE.id, customer_id: 'C-ACME', number: INVOICE.number, amount: '25000.00', currency: 'USD', issued_at: '2026-11-16', due_at: '2026-12-16', status: 'open' });
    const r = await requestService({ db, engine, now: () => new Date(engine.clock.now()) }).submit({
      customerId: 'C-ACME',
      invoiceId: INVOICE.id,
      intakeChannel: 'api',
      replyChannel: 'email',
      requestedBy: 'alice',
      subject: `Invoice ${INVOICE.number} discrepancy`,
      body: 'Acme called: one of the two units was billed at the list price instead of the 2026 contract price. Please correct the invoice.',
    });
    // sam proposes the credit through the tasklist's door, as the request workspace does
    const tasklist = createTasklist({ db, engine });
    const review = await openTask(r.id, 'review-invoice');
    await tasklist.claim(review, person('sam'));
    await tasklist.complete(review, person('sam'), { adjustmentAmount: '12500.00', adjustmentReason: 'billed at the list price instead of the contract price' });
    const approval = await openTask(r.id, 'approve-adjustment-1');
    const adjustment = await db('request_adjustments').where({ request_id: r.id }).first('id', 'approvals');

    // alice opens the request and approves the credit in its form
    const alice = await signIn(browser, server.url, 'alice');
    await alice.goto(`${server.url}/#/requests/${encodeURIComponent(r.reference)}`);
    await alice.locator('#rq-task .fjs-form').waitFor({ timeout: 60_000 });
    await alice.getByLabel('Approve the adjustment').check();
    await alice.locator('#rq-submit').focus();
    await alice.keyboard.press('Enter');

    // the page names the rule and says why
    const refusal = alice.locator('#rq-task .refusal[role="alert"]');
    await refusal.waitFor({ timeout: 30_000 });
    const said = await refusal.textContent();
    expect(said).toContain('rule “maker-checker”');
    expect(said).toContain('whoever initiated an item cannot approve it');
    expect(said).toContain(`Alice initiated adjustment ${adjustment.id} and cannot approve it`);
    expect(await seriousViolations(alice), 'request page with a refusal').toEqual([]);
    await shot(alice, 'request-refusal-maker-checker');

    // nothing changed: the task is open and unclaimed, the credit has no approval
    expect(await db('tasks').where({ key: approval }).first('state', 'assignee')).toEqual({ state: 'CREATED', assignee: null });
    const approvals = (await db('request_adjustments').where({ id: adjustment.id }).first('approvals')).approvals;
    expect(typeof approvals === 'string' ? JSON.parse(approvals) : (approvals ?? [])).toEqual([]);

    // the refusal is on the record, read through the API as alice's browser reads it
    const history = (await (await alice.request.get(`${server.url}/api/tasks/${approval}/history`)).json()) as { actor: string; action: string; outcome: string; rule: string | null }[];
    expect(history).toContainEqual(expect.objectContaining({ actor: 'alice', action: 'task.claim', outcome: 'refused', rule: 'maker-checker' }));
    expect(history.filter((h) => h.outcome !== 'refused' && h.actor === 'alice')).toEqual([]);
    const request = (await (await alice.request.get(`${server.url}/api/requests/${encodeURIComponent(r.reference)}`)).json()) as { events: { actor: string; outcome: string; detail: { rule?: string } }[] };
    expect(request.events).toContainEqual(expect.objectContaining({ actor: 'alice', outcome: 'refused', detail: expect.objectContaining({ rule: 'maker-checker' }) }));
    // and the page's trail shows it after a reload
    await alice.reload();
    await expect.poll(() => alice.locator('#rq-trail').textContent(), { timeout: 30_000 }).toContain('(refused: maker-checker)');
    expect(browserProblems).toEqual([]);
  }, 400_000);
});
