/**
 * The facts a message states are derived, not assumed (domain/templates/facts.ts), and a
 * template version's data contract names what nothing supplies (contract.ts, process-sends.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REMINDER_TEMPLATES } from '../../domain/customers/risk.js';
import { checkContract, contractOf, dataContract, unsupplied } from '../../domain/templates/contract.js';
import { addDays, dueFacts, reminderTemplateFor, termsFromDates } from '../../domain/templates/facts.js';
import { sendProblems, templateSends } from '../../domain/templates/process-sends.js';

const processes = path.resolve(import.meta.dirname, '../../processes');

describe('message facts', () => {
  it('counts days overdue from the due date and the day of sending, and days until due before it', () => {
    expect(dueFacts('2026-12-01', new Date('2026-12-07T18:00:00Z'))).toEqual({ daysOverdue: 6, daysUntilDue: 0, overdue: true });
    expect(dueFacts('2026-12-16', new Date('2026-12-07T01:00:00Z'))).toEqual({ daysOverdue: 0, daysUntilDue: 9, overdue: false });
    // due today is not overdue
    expect(dueFacts('2026-12-07', new Date('2026-12-07T23:59:00Z'))).toEqual({ daysOverdue: 0, daysUntilDue: 0, overdue: false });
  });

  it('renders a reminder for an invoice not yet due from the "due on" template, never an overdue one', () => {
    const notDue = dueFacts('2026-12-16', new Date('2026-12-07T00:00:00Z'));
    const overdue = dueFacts('2026-12-01', new Date('2026-12-07T00:00:00Z'));
    for (const t of REMINDER_TEMPLATES) {
      expect(reminderTemplateFor(t, notDue)).toBe('payment-reminder-upcoming');
      expect(reminderTemplateFor(t, overdue)).toBe(t);
    }
    expect(reminderTemplateFor('invoice-notice', notDue)).toBe('invoice-notice');
  });

  it("derives missing terms from the invoice's dates in the customer's language", () => {
    expect(termsFromDates('2026-11-01', '2026-12-01', 'en')).toBe('net 30 days');
    expect(termsFromDates('2026-11-03', '2026-11-17', 'de-CH')).toBe('14 Tage netto');
    expect(addDays(new Date('2026-12-07T22:00:00Z'), 10)).toBe('2026-12-17');
  });
});

describe('data contracts', () => {
  const version = { templateId: 't', version: 1, subject: 'Invoice {{invoice.number}}', mjml: '<mjml><mj-body><mj-text>{{invoice.amount | money invoice.currency}} {{collections.agentName}}</mj-text></mj-body></mjml>' };

  it('lists every path a version reads, formatter arguments included, as a JSON Schema too', () => {
    const c = contractOf(version);
    expect(c.paths).toEqual(['collections.agentName', 'invoice.amount', 'invoice.currency', 'invoice.number']);
    expect(c.schema).toMatchObject({ type: 'object', required: ['invoice', 'collections'], properties: { invoice: { required: ['number', 'amount', 'currency'] } } });
    expect(dataContract({ paths: c.paths }).paths).toEqual(c.paths);
  });

  it('names the paths data lacks (null counts as missing)', () => {
    expect(checkContract(contractOf(version), { invoice: { number: '1', amount: '2.00', currency: null } })).toEqual(['collections.agentName', 'invoice.currency']);
  });

  it('knows what the data builder supplies where, and what only the process can', () => {
    const c = { paths: ['invoice.number', 'collections.agentName', 'question', 'payment.amount', 'request.reference'] };
    expect(unsupplied(c, { invoice: true, request: false, data: [] })).toEqual(['question', 'payment.amount', 'request.reference']);
    expect(unsupplied(c, { invoice: true, payment: true, request: true, data: ['question'] })).toEqual([]);
    expect(unsupplied(c, { invoice: false, request: false, data: ['*'] })).toEqual([]);
  });

  it("finds the templates a diagram sends and names the element whose data falls short", () => {
    const dunning = templateSends(fs.readFileSync(path.join(processes, 'invoice-dunning.bpmn'), 'utf8'), REMINDER_TEMPLATES);
    expect(dunning.map((s) => [s.elementId, s.templateIds])).toEqual([
      ['send-invoice-notice', ['invoice-notice']],
      ['send-reminder', REMINDER_TEMPLATES],
      ['send-escalation-notice', ['dunning-escalation']],
      ['send-payment-confirmation', ['payment-confirmation']],
    ]);
    expect(dunning.find((s) => s.elementId === 'send-payment-confirmation')?.context).toMatchObject({ invoice: true, payment: true, data: ['payment'] });
    const problems = sendProblems(dunning, (id) => (id === 'dunning-escalation' ? [{ locale: 'en', version: 3, contract: { paths: ['collections.agentName', 'collections.mobile'] } }] : []));
    expect(problems).toEqual([{ elementId: 'send-escalation-notice', templateId: 'dunning-escalation', placeholder: 'collections.mobile', message: expect.stringMatching(/^send-escalation-notice sends template dunning-escalation v3 \(en\), whose placeholder \{\{collections\.mobile\}\} nothing supplies/) }]);
  });
});
