/**
 * customer-request as people work it in the web UI: every task claimed and completed through
 * the tasklist service (the door the UI and the demo use), the customer's messages rendered by
 * the real render-communication from the approved library templates, and invoice-dunning
 * running beside it, so a dispute visibly holds the invoice's reminders.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTasklist, type Tasklist } from '../../api/services/tasklist.js';
import type { Principal } from '../../api/plugins/app/auth.js';
import { silentLogger } from '../../config/log.js';
import { DEMO_USERS, groupsOf } from '../../domain/identity/index.js';
import { dbKinds } from '../support/db.js';
import { openRequestWorld, type RequestWorld } from './harness.js';

const DAY = 86_400_000;
const kinds = await dbKinds();

const person = (id: string): Principal => {
  const user = DEMO_USERS.find((u) => u.id === id)!;
  return { ...user, groups: groupsOf(user), via: 'token' };
};

for (const kind of kinds) {
  describe(`customer-request through the tasklist, rendered for real, beside invoice-dunning, on ${kind}`, () => {
    let w: RequestWorld;
    let tasklist: Tasklist;
    let unfollow: () => void;
    let stopApprover: () => void;
    const approvalErrors: string[] = [];

    beforeAll(async () => {
      w = await openRequestWorld(kind, { realRender: true, resources: ['invoice-dunning.bpmn'] });
      tasklist = createTasklist({ db: w.db, engine: w.engine });
      unfollow = tasklist.follow(silentLogger);
      await tasklist.rebuild();
      // large dunning messages need the communication approvals: alice, then bob, in the tasklist (as in the demo)
      stopApprover = w.engine.onUserTask({
        created: (task) => {
          const by = { 'approve-level-1': 'alice', 'approve-level-2': 'bob' }[task.elementId];
          if (!by || !task.bpmnProcessId.startsWith('customer-communication')) return;
          void (async () => {
            await w.waitFor(`${task.elementId} in the tasklist`, async () => (await w.db('tasks').where({ key: task.userTaskKey }).first('key')) ?? false);
            await tasklist.claim(task.userTaskKey, person(by));
            await tasklist.complete(task.userTaskKey, person(by), { approved: true });
          })().catch((err: Error) => approvalErrors.push(err.message));
        },
      });
    }, 60_000);
    afterAll(async () => {
      unfollow?.();
      stopApprover?.();
      await w?.close();
      expect(approvalErrors).toEqual([]);
    });

    /** Claims and completes the request's open task of this element as `who`, as the UI does. */
    async function work(requestId: string, elementId: string, who: string, variables: Record<string, unknown>) {
      const task = await w.task(requestId, elementId);
      await w.waitFor(`task ${task.userTaskKey} in the tasklist`, async () => (await w.db('tasks').where({ key: task.userTaskKey }).first('key')) ?? false);
      await tasklist.claim(task.userTaskKey, person(who));
      return tasklist.complete(task.userTaskKey, person(who), variables);
    }

    const issue = async (id: string, number: string, amount: string) => {
      await w.db('invoices').insert({ id, customer_id: 'C-ACME', number, amount, currency: 'USD', issued_at: '2026-11-25', due_at: '2026-12-25', status: 'open' });
      await w.engine.publishMessage({ name: 'invoice-issued', correlationKey: id, variables: { invoiceId: id, customerId: 'C-ACME', channel: 'email', amount, initiatedBy: 'billing-system' } });
      await w.waitFor(`${id}'s notice`, async () => w.sent.some((s) => s.communicationId === `${id}-notice`));
    };
    /** The invoice's dunning instance, with its history. */
    const dunning = async (invoiceId: string) => {
      for (const ref of await w.engine.listInstances({ bpmnProcessId: 'invoice-dunning' })) {
        const i = await w.engine.getInstance(ref.processInstanceKey);
        if (i?.variables.invoiceId === invoiceId) return i;
      }
      return undefined;
    };
    const rendered = (id: string) => w.db('communications').where({ id }).first('subject', 'text', 'status');

    it('the seed example worked by sam, alice and bob: the trail names them, the corrected invoice is rendered, dunning goes on at the corrected amount', async () => {
      // given a $25,000 invoice under dunning, and Acme raising a discrepancy about it in the portal
      await issue('INV-2026-0199', '2026-0199', '25000.00');
      const r = await w.service.submit({ customerId: 'C-ACME', invoiceId: 'INV-2026-0199', intakeChannel: 'portal', subject: 'Invoice 2026-0199 discrepancy', body: 'We were charged the list price instead of our contract price.', requestedBy: 'acme' });
      // when sam (finance) proposes a $12,500 credit, alice (finance lead) and bob (controller) approve, through the tasklist
      await work(r.id, 'review-invoice', 'sam', { adjustmentAmount: '12500.00', adjustmentReason: 'one unit was billed at list price instead of the contract price' });
      // alice may not take the controller's level: the tasklist refuses her for the group
      await work(r.id, 'approve-adjustment-1', 'alice', { approved: true });
      const second = await w.task(r.id, 'approve-adjustment-2');
      await w.waitFor('level 2 in the tasklist', async () => (await w.db('tasks').where({ key: second.userTaskKey }).first('key')) ?? false);
      await expect(tasklist.claim(second.userTaskKey, person('alice'))).rejects.toMatchObject({ status: 404 });
      await work(r.id, 'approve-adjustment-2', 'bob', { approved: true });
      const done = await w.ended(r.processInstanceKey);
      expect(done.state).toBe('COMPLETED');
      expect(await w.engine.listIncidents({ processInstanceKey: r.processInstanceKey })).toEqual([]);

      // then the approvals given in the tasklist are on the adjustment, which was applied, not refused
      const [adjustment] = await w.service.repo.adjustmentsFor(r.id);
      expect(adjustment).toMatchObject({ kind: 'correction', proposedBy: 'sam', status: 'applied' });
      expect(adjustment.approvals.map((a) => [a.level, a.by, a.approved])).toEqual([
        [1, 'alice', true],
        [2, 'bob', true],
      ]);
      // and the request's own trail shows every step and actor, in an unbroken chain
      const trail = (await w.service.repo.events(r.id)).map((e) => `${e.action}:${e.actor}:${e.outcome}`);
      expect(trail).toEqual([
        'received:acme:done',
        'registered:herald:done',
        'enriched:herald:done',
        'assigned:herald:done',
        'sla-started:herald:done',
        'dunning-paused:herald:done',
        'review-invoice:sam:allowed',
        'adjustment-proposed:sam:done',
        'approve-adjustment-1:alice:allowed',
        'approve-adjustment-2:bob:allowed',
        'credit-note-issued:herald:done',
        'closed:herald:done',
      ]);
      expect(await w.service.repo.verifyTrail(r.id)).toEqual({ ok: true });

      // the acknowledgement and the corrected invoice rendered from the library templates
      const ack = await rendered(`${r.id}-ack-0`);
      expect(ack.subject).toBe(`We received your request ${r.reference}`);
      const corrected = await rendered(`${r.id}-result-0`);
      expect(corrected.subject).toBe('Corrected invoice 2026-0199-C1 replaces 2026-0199');
      expect(corrected.text).toContain('$25,000.00');
      expect(corrected.text).toContain('$12,500.00');
      expect(corrected.text).toContain('one unit was billed at list price instead of the contract price');
      expect(corrected.text).toContain(r.reference);

      // and the next reminder of the invoice asks for the corrected amount under the corrected number
      await w.engine.clock.advance(15 * DAY);
      const reminder = await w.waitFor('the first reminder', async () => {
        const row = await rendered('INV-2026-0199-reminder-1');
        return row?.text ? row : undefined;
      });
      expect(reminder.text).toContain('2026-0199-C1');
      expect(reminder.text).toContain('$12,500.00');
      expect(reminder.text).not.toContain('$25,000.00');
      expect((await dunning('INV-2026-0199'))?.state).toBe('ACTIVE');
    });

    it('a dispute holds the invoice reminders while it is worked; resolved without a correction, they resume', async () => {
      // given an invoice under dunning, disputed through the API by the ERP's service account
      await issue('INV-2026-0301', '2026-0301', '3000.00');
      const r = await w.service.submit({ customerId: 'C-ACME', invoiceId: 'INV-2026-0301', intakeChannel: 'api', subject: 'Pricing on 2026-0301', body: 'The customer says the price is wrong.', requestedBy: 'erp' });
      await w.task(r.id, 'review-invoice');
      expect((await w.db('invoices').where({ id: 'INV-2026-0301' }).first()).status).toBe('disputed');
      // when the first reminder falls due while finance works the dispute
      await w.engine.clock.advance(15 * DAY);
      // then the dunning instance checks the invoice, finds it disputed, and waits again without a reminder
      await w.waitFor('the reminder held', async () => (await dunning('INV-2026-0301'))?.takenFlows.includes('flow-paused'));
      await w.waitFor('the cadence waiting again', async () => (await dunning('INV-2026-0301'))?.elements.filter((e) => e.elementId === 'wait-for-payment').length === 2);
      expect(w.sent.some((s) => s.communicationId === 'INV-2026-0301-reminder-1')).toBe(false);
      // when finance answers without a correction
      await work(r.id, 'review-invoice', 'sam', { answer: 'The price is the one in your 2026 contract, section 4.' });
      await w.ended(r.processInstanceKey);
      // then the invoice is open again, the resolution says what finance answered, and the next reminder goes out
      expect((await w.db('invoices').where({ id: 'INV-2026-0301' }).first()).status).toBe('open');
      const resolution = await rendered(`${r.id}-result-0`);
      expect(resolution.subject).toBe(`Your request ${r.reference} has been resolved`);
      expect(resolution.text).toContain('Outcome: The price is the one in your 2026 contract, section 4.');
      expect((await w.service.repo.events(r.id)).at(-1)).toMatchObject({ action: 'closed', detail: { dunningResumed: 'INV-2026-0301', invoiceStatus: 'open', resolvedBy: 'sam' } });
      await w.engine.clock.advance(15 * DAY);
      await w.waitFor('the reminder after the dispute', async () => w.sent.some((s) => s.communicationId === 'INV-2026-0301-reminder-1'));
    });

    it('a rejected correction is on the adjustment and the trail, and the customer is told it was declined', async () => {
      await w.db('invoices').insert({ id: 'INV-2026-0302', customer_id: 'C-ACME', number: '2026-0302', amount: '4000.00', currency: 'USD', issued_at: '2026-11-25', due_at: '2026-12-25', status: 'promised', promised_at: '2026-12-30' });
      const r = await w.service.submit({ customerId: 'C-ACME', invoiceId: 'INV-2026-0302', intakeChannel: 'portal', subject: 'Overcharged on 2026-0302', body: 'Freight billed twice.', requestedBy: 'acme' });
      await work(r.id, 'review-invoice', 'sam', { adjustmentAmount: '1500.00', adjustmentReason: 'freight billed twice' });
      await work(r.id, 'approve-adjustment-1', 'alice', { approved: false, reason: 'freight was shipped twice' });
      await w.ended(r.processInstanceKey);
      const [adjustment] = await w.service.repo.adjustmentsFor(r.id);
      expect(adjustment).toMatchObject({ status: 'rejected', approvals: [expect.objectContaining({ level: 1, by: 'alice', approved: false })] });
      expect((await w.service.repo.events(r.id)).map((e) => `${e.action}:${e.actor}`)).toContain('approve-adjustment-1:alice');
      // the invoice goes back to the promise it was under, not to plain open
      expect((await w.db('invoices').where({ id: 'INV-2026-0302' }).first()).status).toBe('promised');
      const resolution = await rendered(`${r.id}-result-0`);
      expect(resolution.text).toContain('Outcome: we could not grant it');
    });

    it("the tasklist refuses a refund's approval by the customer's account manager, on the trail; another approver's is booked", async () => {
      // given a refund for Acme, whose account manager is sam
      const r = await w.service.submit({ customerId: 'C-ACME', intakeChannel: 'portal', subject: 'Refund of overpayment', body: 'We paid twice, please refund.', amount: '800.00', requestedBy: 'acme' });
      const ravi: Principal = { id: 'ravi', name: 'Ravi (customer service)', roles: ['agent'], teams: ['customer-service'], groups: ['agent', 'customer-service'], via: 'token' };
      const assess = await w.task(r.id, 'assess-refund');
      await w.waitFor('assessment in the tasklist', async () => (await w.db('tasks').where({ key: assess.userTaskKey }).first('key')) ?? false);
      await tasklist.claim(assess.userTaskKey, ravi).then(() => tasklist.complete(assess.userTaskKey, ravi, { adjustmentType: 'refund', adjustmentAmount: '800.00', adjustmentReason: 'duplicate payment' }));
      // when sam, holding the service lead group too, tries to approve the refund to his own customer
      const samAsLead: Principal = { ...person('sam'), id: 'sam', groups: [...person('sam').groups, 'customer-service-lead'] };
      const first = await w.task(r.id, 'approve-adjustment-1');
      await w.waitFor('approval in the tasklist', async () => (await w.db('tasks').where({ key: first.userTaskKey }).first('key')) ?? false);
      // then the one policy refuses him at the claim, naming the rule; the refusal is on the request's trail
      await expect(tasklist.claim(first.userTaskKey, samAsLead)).rejects.toMatchObject({ status: 403, extra: { rule: 'account-manager-not-refund-approver' } });
      const refusal = (await w.service.repo.events(r.id)).find((e) => e.outcome === 'refused');
      expect(refusal).toMatchObject({ action: 'approve-adjustment-1', actor: 'sam', detail: { rule: 'account-manager-not-refund-approver' } });
      // and alice, the service lead, approves it: booked
      await tasklist.claim(first.userTaskKey, person('alice'));
      await tasklist.complete(first.userTaskKey, person('alice'), { approved: true });
      await w.ended(r.processInstanceKey);
      const [booked] = await w.service.repo.adjustmentsFor(r.id);
      expect(booked).toMatchObject({ kind: 'refund', amount: '800.00', proposedBy: 'ravi', status: 'applied', approvals: [expect.objectContaining({ level: 1, by: 'alice', approved: true })] });
      expect(await w.service.repo.get(r.id)).toMatchObject({ status: 'resolved', resolution: 'refunded' });
    });

    it('a dispute raised in invoice-dunning becomes a request finance works', async () => {
      // given an invoice under dunning, disputed through the dunning process itself
      await issue('INV-2026-0303', '2026-0303', '2500.00');
      await w.engine.publishMessage({ name: 'invoice-disputed', correlationKey: 'INV-2026-0303', variables: { disputeReason: 'quantity billed twice' }, timeToLive: 60_000 });
      // then a request is opened and its customer-request instance routes it to finance's review
      const review = await w.task('dispute-INV-2026-0303', 'review-invoice');
      expect(review.candidateGroups).toEqual(['finance']);
      expect(await w.service.repo.get('dispute-INV-2026-0303')).toMatchObject({ intakeChannel: 'process', category: 'billing-dispute', invoiceId: 'INV-2026-0303', subject: 'Dispute of invoice 2026-0303', body: 'quantity billed twice' });
      await w.engine.cancelInstance(review.processInstanceKey);
    });

    it('the SLA reminder reaches whoever works the request: a comment by Herald on its open task', async () => {
      const r = await w.service.submit({ customerId: 'C-NORTHWIND', invoiceId: 'INV-2026-0157', intakeChannel: 'portal', subject: 'Invoice 2026-0157 discrepancy', body: 'Discount missing.', requestedBy: 'northwind' });
      const review = await w.task(r.id, 'review-invoice');
      await w.waitFor('the review task in the tasklist', async () => (await w.db('tasks').where({ key: review.userTaskKey }).first('key')) ?? false);
      await tasklist.claim(review.userTaskKey, person('sam'));
      const reminderAfterMs = { P1D: DAY, P2D: 2 * DAY, PT4H: 4 * 3_600_000, PT8H: 8 * 3_600_000 }[(review.variables.sla as { reminderAfter: string }).reminderAfter] ?? DAY;
      await w.engine.clock.advance(reminderAfterMs + 3_600_000);
      const comments = await w.waitFor('the reminder comment', async () => {
        const c = await w.db('task_comments').where({ task_key: review.userTaskKey });
        return c.length ? c : undefined;
      });
      expect(comments).toMatchObject([{ author: 'herald', body: expect.stringMatching(new RegExp(`SLA reminder: request ${r.reference} is due for a reply \\(sam\\)`)) }]);
      await w.engine.cancelInstance(review.processInstanceKey);
    });

    it('asking the customer renders the information request; no answer closes it and says so', async () => {
      const r = await w.service.submit({ customerId: 'C-ACME', intakeChannel: 'portal', category: 'billing-dispute', subject: 'Wrong amount', body: 'One invoice is wrong.', requestedBy: 'acme' });
      await w.reached(r.processInstanceKey, 'await-customer-reply').catch(async (err) => {
        throw new Error(`${err.message}; incidents: ${JSON.stringify(await w.engine.listIncidents())}`);
      });
      const asked = await w.db('communications').where({ id: `${r.id}-info-0-1` }).first('subject', 'data');
      expect(asked.subject).toBe(`Your request ${r.reference}: we need more information`);
      const data = typeof asked.data === 'string' ? JSON.parse(asked.data) : asked.data;
      expect(data).toMatchObject({ reference: r.reference, question: 'Please tell us the number of the invoice your request concerns.' });
      // the customer reads the question itself, not a generic list of what might be missing
      expect((await rendered(`${r.id}-info-0-1`))?.text).toContain('Please tell us the number of the invoice your request concerns.');
      // no answer in 14 days: closed, and the customer is told so
      await w.engine.clock.advance(15 * DAY);
      await w.ended(r.processInstanceKey);
      const closed = await w.waitFor('the closure notice', async () => (await rendered(`${r.id}-result-0`))?.text);
      expect(closed).toContain('Outcome: we closed it after we did not hear back');
    });
  });
}
