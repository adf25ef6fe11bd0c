/**
 * Inbound email over real SMTP: nodemailer sends to Herald's listener on a free port.
 */
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/log.js';
import { startInboundEmail } from '../../workers/inbound-email/index.js';
import { openRequestWorld, type RequestWorld } from './harness.js';

describe('inbound email over SMTP', () => {
  let w: RequestWorld;
  let smtp: Awaited<ReturnType<typeof startInboundEmail>>;
  let send: (mail: SendMailOptions) => Promise<{ response: string }>;

  beforeAll(async () => {
    w = await openRequestWorld('pglite');
    smtp = await startInboundEmail({ db: w.db, service: w.service, log: silentLogger, port: 0 });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });
    send = (mail) => transport.sendMail({ to: 'requests@herald.local', ...mail });
  }, 60_000);
  afterAll(async () => {
    await smtp?.close();
    await w?.close();
  });

  it('a known sender opens a request for their customer, with the invoice the text names', async () => {
    const info = await send({ from: 'Accounts Payable <Accounts.Payable@acme.example>', subject: 'Invoice 2026-0142 looks wrong', text: 'The discount is missing from invoice 2026-0142.' });
    const result = smtp.received.at(-1)!;
    expect(info.response).toContain(result.reference);
    expect(result).toMatchObject({ kind: 'new-request', customerId: 'C-ACME', communicationId: null });
    const request = await w.service.repo.get(result.requestId);
    expect(request).toMatchObject({ intakeChannel: 'email', invoiceId: 'INV-2026-0142', customerEmail: 'accounts.payable@acme.example' });
    await w.task(result.requestId, 'review-invoice');
    expect((await w.service.repo.get(result.requestId))?.category).toBe('billing-dispute');
  });

  it('a reply to a Herald message links to that communication and its customer, whoever sends it', async () => {
    await w.db('communications').insert({ id: 'INV-2026-0157-reminder-1', customer_id: 'C-NORTHWIND', template_id: 'payment-reminder-1', channel: 'email', kind: 'dunning', status: 'sent', data: '{}' });
    await send({ from: 'someone.new@northwind.example', subject: 'Re: Payment reminder', text: 'We paid this last week, please check.', inReplyTo: '<INV-2026-0157-reminder-1@herald.local>', references: ['<INV-2026-0157-reminder-1@herald.local>'] });
    const result = smtp.received.at(-1)!;
    expect(result).toMatchObject({ kind: 'new-request', customerId: 'C-NORTHWIND', communicationId: 'INV-2026-0157-reminder-1' });
    expect(await w.service.repo.get(result.requestId)).toMatchObject({ communicationId: 'INV-2026-0157-reminder-1', customerId: 'C-NORTHWIND' });
    await w.task(result.requestId, 'answer-payment-query');
  });

  it('an unknown sender goes to triage', async () => {
    await send({ from: 'stranger@elsewhere.example', subject: 'Question', text: 'Hello?' });
    const result = smtp.received.at(-1)!;
    expect(result.customerId).toBeNull();
    const triage = await w.task(result.requestId, 'triage-request');
    expect(triage.candidateGroups).toEqual(['triage']);
  });

  it('a reply to "we need more information" resumes the waiting request', async () => {
    const r = await w.service.submit({ customerId: 'C-ACME', intakeChannel: 'portal', category: 'billing-dispute', subject: 'Wrong amount', body: 'An invoice is wrong', requestedBy: 'acme' });
    await w.reached(r.processInstanceKey, 'await-customer-reply');
    const asked = w.sent.find((s) => s.communicationId.startsWith(`${r.id}-info-`))!;
    await w.db('communications').where({ id: asked.communicationId }).first().then((row) => expect(row).toBeDefined());
    await send({ from: 'accounts.payable@acme.example', subject: 'Re: We need more information', text: 'It is invoice 2026-0142.', inReplyTo: `<${asked.communicationId}@herald.local>` });
    expect(smtp.received.at(-1)).toMatchObject({ kind: 'customer-reply', requestId: r.id });
    const review = await w.task(r.id, 'review-invoice');
    expect(review.variables.invoiceId).toBe('INV-2026-0142');
  });
});
