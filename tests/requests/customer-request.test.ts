/**
 * customer-request end to end on the embedded engine with Herald's workers: every path, the
 * seed's $25,000 invoice discrepancy, segregation-of-duties refusals, the SLA reminder and
 * escalation, and the SLA clock paused while the request waits on the customer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds } from '../support/db.js';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { openRequestWorld, type RequestWorld } from './harness.js';

const HOUR = 3_600_000;
const kinds = await dbKinds();

for (const kind of kinds) {
  describe(`customer-request on ${kind}`, () => {
    let w: RequestWorld;
    beforeAll(async () => {
      w = await openRequestWorld(kind);
      await w.db('invoices').insert([
        { id: 'INV-2026-0199', customer_id: 'C-ACME', number: '2026-0199', amount: '25000.00', currency: 'USD', issued_at: '2026-11-10', due_at: '2026-12-10', status: 'open' },
        { id: 'INV-2026-0203', customer_id: 'C-ACME', number: '2026-0203', amount: '4200.00', currency: 'USD', issued_at: '2026-11-20', due_at: '2026-12-20', status: 'open' },
      ]);
    }, 60_000);
    afterAll(async () => {
      await w?.close();
    });

    it('the seed example: a $25,000 invoice discrepancy is reviewed by finance, approved by two others, credited and the corrected invoice sent', async () => {
      // given a customer raising a discrepancy on a $25,000 invoice in the portal
      const r = await w.service.submit({ customerId: 'C-ACME', invoiceId: 'INV-2026-0199', intakeChannel: 'portal', subject: 'Invoice 2026-0199 discrepancy', body: 'We were charged the list price instead of our contract price.', requestedBy: 'acme' });
      expect(r.reference).toMatch(/^REQ-[0-9A-F]{8}$/);
      // when finance reviews invoice and pricing and proposes a $12,500 credit (two units billed at list price, one ordered at contract price)
      const review = await w.task(r.id, 'review-invoice');
      expect(review.candidateGroups).toEqual(['finance']);
      const request = await w.service.repo.get(r.id);
      expect(request).toMatchObject({ category: 'billing-dispute', priority: 'high', team: 'finance', status: 'in_progress' });
      expect((await w.db('invoices').where({ id: 'INV-2026-0199' }).first()).status).toBe('disputed');
      await w.complete(review, { id: 'fiona', roles: ['finance'] }, { adjustmentAmount: '12500.00', adjustmentReason: 'one unit ordered at the 2026 contract price of 12,500' });
      // then the correction needs a finance lead and then a controller (four eyes)
      const first = await w.task(r.id, 'approve-adjustment-1');
      expect(first.candidateGroups).toEqual(['finance-lead']);
      // the proposer cannot approve her own correction
      await expect(w.complete(first, { id: 'fiona', roles: ['finance', 'finance-lead'] }, { approved: true })).rejects.toMatchObject({ status: 403, extra: { rule: 'proposer-not-approver' } });
      await w.complete(first, { id: 'lena', roles: ['finance-lead', 'finance-controller'] }, { approved: true });
      const second = await w.task(r.id, 'approve-adjustment-2');
      expect(second.candidateGroups).toEqual(['finance-controller']);
      // the first approver cannot also be the second
      await expect(w.complete(second, { id: 'lena', roles: ['finance-lead', 'finance-controller'] }, { approved: true })).rejects.toThrow(/different person/);
      await w.complete(second, { id: 'carl', roles: ['finance-controller'] }, { approved: true });
      const done = await w.ended(r.processInstanceKey);
      // then: a credit note for the difference, the invoice re-issued at the corrected amount under a revised number
      expect(done.state).toBe('COMPLETED');
      const notes = await w.service.repo.creditNotes('INV-2026-0199');
      expect(notes).toHaveLength(1);
      expect(String(notes[0].amount)).toBe('12500.00');
      expect(String(notes[0].corrected_invoice_amount)).toBe('12500.00');
      const invoice = await w.db('invoices').where({ id: 'INV-2026-0199' }).first();
      expect({ number: invoice.number, amount: String(invoice.amount), status: invoice.status }).toEqual({ number: '2026-0199-C1', amount: '12500.00', status: 'open' });
      // the corrected invoice communicated with what its template shows: the original and the corrected invoice, the reason
      const corrected = w.sent.find((s) => s.communicationId === `${r.id}-result-0`);
      expect(corrected).toMatchObject({
        templateId: 'corrected-invoice',
        customerId: 'C-ACME',
        data: {
          reference: r.reference,
          invoice: { number: '2026-0199-C1', amount: '12500.00' },
          originalInvoice: { number: '2026-0199', amount: '25000.00' },
          correction: { reason: 'one unit ordered at the 2026 contract price of 12,500' },
          creditNote: { number: notes[0].number, amount: '12500.00' },
        },
      });
      expect(w.sent.some((s) => s.communicationId === `${r.id}-ack-0` && s.templateId === 'request-acknowledgement')).toBe(true);
      const closed = await w.service.repo.get(r.id);
      expect(closed).toMatchObject({ status: 'resolved', resolution: 'corrected' });
      // and the audit trail shows every step and actor, refusals included, in an unbroken chain
      const trail = (await w.service.repo.events(r.id)).map((e) => `${e.action}:${e.actor}:${e.outcome}`);
      expect(trail).toEqual([
        'received:acme:done',
        'registered:herald:done',
        'enriched:herald:done',
        'assigned:herald:done',
        'sla-started:herald:done',
        'dunning-paused:herald:done',
        'review-invoice:fiona:allowed',
        'adjustment-proposed:fiona:done',
        'approve-adjustment-1:fiona:refused',
        'approve-adjustment-1:lena:allowed',
        'approve-adjustment-2:lena:refused',
        'approve-adjustment-2:carl:allowed',
        'credit-note-issued:herald:done',
        'closed:herald:done',
      ]);
      expect(await w.service.repo.verifyTrail(r.id)).toEqual({ ok: true });
      expect(await w.service.repo.forCustomer('C-ACME')).toEqual(expect.arrayContaining([expect.objectContaining({ reference: r.reference, status: 'resolved' })]));
    });

    it('billing dispute: a rejected correction is explained to the customer, nothing is credited', async () => {
      const r = await w.service.submit({ customerId: 'C-ACME', invoiceId: 'INV-2026-0203', intakeChannel: 'api', subject: 'Overcharged on 2026-0203', body: 'The amount is wrong.', requestedBy: 'sam-agent' });
      const review = await w.task(r.id, 'review-invoice');
      await w.complete(review, { id: 'fiona', roles: ['finance'] }, { adjustmentAmount: '1200.00' });
      const first = await w.task(r.id, 'approve-adjustment-1');
      await w.complete(first, { id: 'lena', roles: ['finance-lead'] }, { approved: false, reason: 'price list applies' });
      await w.ended(r.processInstanceKey);
      expect(await w.service.repo.creditNotes('INV-2026-0203')).toHaveLength(0);
      expect(w.sent.find((s) => s.communicationId === `${r.id}-result-0`)?.templateId).toBe('request-resolution');
      expect(await w.service.repo.get(r.id)).toMatchObject({ resolution: 'declined', status: 'resolved' });
    });

    it('billing dispute without a correction: finance answers, no approval', async () => {
      const r = await w.service.submit({ customerId: 'C-ACME', invoiceId: 'INV-2026-0142', intakeChannel: 'portal', category: 'billing-dispute', subject: 'Please check 2026-0142', body: '', requestedBy: 'acme' });
      const review = await w.task(r.id, 'review-invoice');
      await w.complete(review, { id: 'fiona', roles: ['finance'] }, { answer: 'the invoice matches the order' });
      const done = await w.ended(r.processInstanceKey);
      expect(done.elements.some((e) => e.elementId === 'approve-adjustment-1')).toBe(false);
      expect(w.sent.find((s) => s.communicationId === `${r.id}-result-0`)?.templateId).toBe('request-resolution');
    });

    it('payment clarification: balance and cash application looked up, answer sent', async () => {
      const r = await w.service.submit({ customerId: 'C-NORTHWIND', intakeChannel: 'email', subject: 'Did you receive our payment?', body: 'Please confirm the balance on our account.' });
      const task = await w.task(r.id, 'answer-payment-query');
      expect(task.candidateGroups).toEqual(['cash-application']);
      expect(task.variables).toMatchObject({ openBalance: '8450.50', openInvoices: [{ number: '2026-0157' }] });
      await w.complete(task, { id: 'cara', roles: ['cash-application'] }, { answer: 'received on 12 Nov' });
      await w.ended(r.processInstanceKey);
      expect(await w.service.repo.get(r.id)).toMatchObject({ category: 'payment-clarification', resolution: 'answered', status: 'resolved' });
    });

    it('refund: the approval chain by amount, and the account manager may not approve', async () => {
      const r = await w.service.submit({ customerId: 'C-ACME', intakeChannel: 'portal', subject: 'Refund of overpayment', body: 'We paid twice, please refund.', amount: '7800.00', requestedBy: 'acme' });
      const assess = await w.task(r.id, 'assess-refund');
      // the requester may not work their own request
      await expect(w.complete(assess, { id: 'acme', roles: ['customer-service'] }, {})).rejects.toThrow(/raised request/);
      await w.complete(assess, { id: 'ravi', roles: ['customer-service'] }, { adjustmentType: 'refund', adjustmentAmount: '7800.00', adjustmentReason: 'duplicate payment' });
      const first = await w.task(r.id, 'approve-adjustment-1');
      expect(first.candidateGroups).toEqual(['customer-service-lead']);
      await w.complete(first, { id: 'sue', roles: ['customer-service-lead'] }, { approved: true });
      const second = await w.task(r.id, 'approve-adjustment-2');
      expect(second.candidateGroups).toEqual(['finance-lead']);
      // sam manages Acme's account: refusing him is the policy, whatever his roles
      await expect(w.complete(second, { id: 'sam', roles: ['finance-lead'] }, { approved: true })).rejects.toThrow(/manages the customer of/);
      // a person without the group is refused too: the task is hidden from them (404), on the audit trail
      await expect(w.complete(second, { id: 'ola', roles: ['customer-service'] }, { approved: true })).rejects.toMatchObject({ status: 404 });
      await w.complete(second, { id: 'lena', roles: ['finance-lead'] }, { approved: true });
      await w.ended(r.processInstanceKey);
      const [adjustment] = await w.service.repo.adjustmentsFor(r.id);
      expect(adjustment).toMatchObject({ kind: 'refund', amount: '7800.00', status: 'applied', proposedBy: 'ravi' });
      expect(adjustment.approvals.map((a) => a.by)).toEqual(['sue', 'lena']);
      expect(w.sent.find((s) => s.communicationId === `${r.id}-result-0`)?.templateId).toBe('request-resolution');
      const refusals = (await w.service.repo.events(r.id)).filter((e) => e.outcome === 'refused').map((e) => e.detail.rule);
      expect(refusals).toEqual(['requester-not-resolver', 'account-manager-not-refund-approver']);
      const hidden = await createAuditRepository(w.db).list({ actor: 'ola', outcome: 'refused' });
      expect(hidden.map((a) => [a.action, a.subjectId, a.rule])).toEqual([['task.claim', second.userTaskKey, 'not-visible']]);
    });

    it('credit restructuring: the credit team reviews the financial data and the decision is communicated', async () => {
      const r = await w.service.submit({ customerId: 'C-NORTHWIND', intakeChannel: 'portal', category: 'credit-restructuring', subject: 'Payment plan request', body: 'Can we pay 2026-0157 in three instalments?', requestedBy: 'northwind' });
      const review = await w.task(r.id, 'credit-review');
      expect(review.variables.financialData).toMatchObject({ creditLimit: '20000.00', exposure: '8450.50', paymentBehaviour: { segment: 'high' } });
      expect(review.variables.priority).toBe('critical');
      await w.complete(review, { id: 'cris', roles: ['credit'] }, { restructuringApproved: true, restructuringTerms: '3 monthly instalments' });
      await w.ended(r.processInstanceKey);
      expect(w.sent.find((s) => s.communicationId === `${r.id}-result-0`)?.templateId).toBe('request-resolution');
      expect(await w.service.repo.get(r.id)).toMatchObject({ resolution: 'restructured', team: 'credit' });
    });

    it('unclassifiable requests go to triage, which classifies them; rejected ones are closed', async () => {
      const r = await w.service.submit({ customerId: 'C-ACME', intakeChannel: 'email', subject: 'Hello', body: 'Can someone call me?' });
      const triage = await w.task(r.id, 'triage-request');
      expect(triage.candidateGroups).toEqual(['triage']);
      await w.complete(triage, { id: 'tom', roles: ['triage'] }, { triagedCategory: 'payment-clarification' });
      const answer = await w.task(r.id, 'answer-payment-query');
      // the payment-query form asks for the answer the customer gets
      await w.complete(answer, { id: 'cara', roles: ['cash-application'] }, { answer: 'your last payment was applied on 12 November' });
      await w.ended(r.processInstanceKey);
      expect(await w.service.repo.get(r.id)).toMatchObject({ category: 'payment-clarification', status: 'resolved' });

      const spam = await w.service.submit({ customerId: null, customerEmail: 'someone@unknown.example', intakeChannel: 'email', subject: 'Win a prize', body: '...' });
      const t2 = await w.task(spam.id, 'triage-request');
      await w.complete(t2, { id: 'tom', roles: ['triage'] }, { triageOutcome: 'reject' });
      const ended = await w.ended(spam.processInstanceKey);
      expect(ended.elements.find((e) => e.elementId === 'request-rejected')?.state).toBe('COMPLETED');
      expect(await w.service.repo.get(spam.id)).toMatchObject({ status: 'closed', resolution: 'rejected' });
      expect(w.sent.some((s) => s.communicationId.startsWith(spam.id))).toBe(false);
    });

    it('missing data asks the customer; the SLA clock does not run while waiting, and the reply resumes the request', async () => {
      // a dispute without an invoice number
      const r = await w.service.submit({ customerId: 'C-ACME', intakeChannel: 'portal', category: 'billing-dispute', subject: 'Wrong invoice amount', body: 'One of your invoices is wrong.', requestedBy: 'acme' });
      await w.reached(r.processInstanceKey, 'await-customer-reply');
      expect(w.sent.find((s) => s.communicationId === `${r.id}-info-0-1`)).toMatchObject({ templateId: 'request-information-needed', data: { infoNeeded: ['invoiceNumber'], question: 'Please tell us the number of the invoice your request concerns.' } });
      expect((await w.service.repo.get(r.id))?.status).toBe('waiting_customer');
      // three days pass waiting: no SLA timer is running
      await w.engine.clock.advance(72 * HOUR);
      expect(await w.service.repo.get(r.id)).toMatchObject({ slaRemindedAt: null, slaBreachedAt: null });
      // the customer answers with the invoice
      await w.service.customerReply(r.id, { invoiceId: 'INV-2026-0142', text: 'It is 2026-0142' });
      const review = await w.task(r.id, 'review-invoice');
      // finance needs more from the customer mid-review: the SLA clock pauses again
      await w.engine.clock.advance(10 * HOUR);
      await w.complete(review, { id: 'fiona', roles: ['finance'] }, { needCustomerInfo: true, infoNeeded: 'Which order does this relate to?' });
      await w.reached(r.processInstanceKey, 'await-customer-reply');
      // the second question is finance's own, in the words the template can show
      expect(w.sent.find((s) => s.communicationId === `${r.id}-info-0-2`)?.data.question).toBe('Which order does this relate to?');
      const paused = await w.service.repo.get(r.id);
      expect(paused?.slaConsumedMs).toBe(10 * HOUR);
      // 5 days of waiting do not count: the reminder (P1D) has not fired
      await w.engine.clock.advance(5 * 24 * HOUR);
      expect((await w.service.repo.get(r.id))?.slaRemindedAt).toBeNull();
      await w.service.customerReply(r.id, { text: 'Order 4711' });
      const again = await w.task(r.id, 'review-invoice');
      // the clock resumes with 10h already used: the high-priority reminder (P1D, a 19,600 dispute) is due 14h later
      const instance = await w.engine.getInstance(r.processInstanceKey);
      expect(instance?.variables.sla).toEqual({ reminderAfter: 'P1D', escalateAfter: 'P2D' });
      expect(Date.parse(String(instance?.variables.slaReminderAt)) - w.now().getTime()).toBe(14 * HOUR);
      await w.complete(again, { id: 'fiona', roles: ['finance'] }, { needCustomerInfo: false });
      await w.ended(r.processInstanceKey);
      expect((await w.service.repo.get(r.id))?.status).toBe('resolved');
    });

    it('no reply in time closes the request and tells the customer', async () => {
      const r = await w.service.submit({ customerId: 'C-ACME', intakeChannel: 'portal', subject: 'Refund please', body: 'Refund the fee.', requestedBy: 'acme' });
      await w.reached(r.processInstanceKey, 'await-customer-reply');
      await w.engine.clock.advance(15 * 24 * HOUR);
      const ended = await w.ended(r.processInstanceKey);
      expect(ended.elements.find((e) => e.elementId === 'request-closed-unanswered')?.state).toBe('COMPLETED');
      expect(await w.service.repo.get(r.id)).toMatchObject({ status: 'closed', resolution: 'no-response' });
      // and the customer is told it was closed
      expect(w.sent.find((s) => s.communicationId === `${r.id}-result-0`)).toMatchObject({ templateId: 'request-resolution', data: { reference: r.reference } });
    });

    it('SLA: a reminder to the assignee, then escalation to the team lead; closing ends the lead task', async () => {
      const r = await w.service.submit({ customerId: 'C-NORTHWIND', invoiceId: 'INV-2026-0157', intakeChannel: 'portal', subject: 'Invoice 2026-0157 discrepancy', body: 'Discount missing.', requestedBy: 'northwind' });
      const review = await w.task(r.id, 'review-invoice');
      // high risk and over 30 days old by now (the clock is shared): high, P1D reminder and P2D escalation
      expect(review.variables).toMatchObject({ priority: 'high', sla: { reminderAfter: 'P1D', escalateAfter: 'P2D' } });
      await w.engine.clock.advance(25 * HOUR);
      await w.waitFor('reminder', async () => (await w.service.repo.get(r.id))?.slaRemindedAt);
      expect((await w.service.repo.get(r.id))?.slaBreachedAt).toBeNull();
      await w.engine.clock.advance(24 * HOUR);
      const lead = await w.task(r.id, 'lead-review');
      expect(lead.candidateGroups).toEqual(['finance-lead']);
      expect((await w.service.repo.get(r.id))?.slaBreachedAt).not.toBeNull();
      // the review task is still open (non-interrupting)
      expect(await w.openTasks(r.id)).toEqual(['lead-review', 'review-invoice']);
      await w.complete(review, { id: 'fiona', roles: ['finance'] }, {});
      const ended = await w.ended(r.processInstanceKey);
      expect(ended.state).toBe('COMPLETED');
      expect(await w.openTasks(r.id)).toEqual([]);
      const trail = (await w.service.repo.events(r.id)).map((e) => e.action);
      expect(trail).toEqual(expect.arrayContaining(['sla-reminder', 'sla-escalated']));
    });

    it('reopening a resolved request runs it again and counts in the reopen rate; metrics over the tables', async () => {
      const [resolved] = await w.service.repo.list({ status: ['resolved'] });
      const { processInstanceKey } = await w.service.reopen(resolved.id, 'acme', 'still wrong');
      await w.reached(processInstanceKey, 'register-request', 'COMPLETED');
      const m = await w.service.repo.metrics(w.now());
      expect(m.resolved).toBeGreaterThanOrEqual(6);
      expect(m.resolutionHours.mean).not.toBeNull();
      expect(m.slaBreachRate).toBeGreaterThan(0);
      expect(m.backlog.reduce((n, b) => n + b.open, 0)).toBeGreaterThanOrEqual(1);
      expect((await w.service.repo.get(resolved.id))?.reopenCount).toBe(1);
      // the reopened request counts while it runs again
      expect(m.reopenRate).toBeGreaterThan(0);
      await w.engine.cancelInstance(processInstanceKey);
    });
  });
}
