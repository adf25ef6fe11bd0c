import { describe, expect, it } from 'vitest';
import { validateForCommunication } from '../../domain/customers/validation.js';
import { cadenceFor, paymentRisk } from '../../domain/customers/risk.js';
import { approvalLevels, compareAmounts } from '../../domain/communications/approval-policy.js';

const customer = { id: 'C-1', legalName: 'Acme GmbH', status: 'active' as const, kycStatus: 'verified' as const, kycExpiresAt: '2027-01-01' };
const email = { channel: 'email' as const, address: 'ap@acme.example', consent: true, marketingConsent: false };

describe('customer master validation', () => {
  it('passes an active, KYC-valid customer with a consented contact', () => {
    expect(validateForCommunication({ customer, contacts: [email], channel: 'email', kind: 'dunning', today: '2026-11-22' })).toEqual([]);
  });

  it('names every failed rule', () => {
    const failures = validateForCommunication({
      customer: { ...customer, status: 'suspended', kycExpiresAt: '2026-01-01' },
      contacts: [{ ...email, consent: false }],
      channel: 'email',
      kind: 'marketing',
      today: '2026-11-22',
      suppressed: true,
    });
    expect(failures.map((f) => f.rule)).toEqual(['customer-active', 'kyc-valid', 'contact-consent', 'marketing-consent', 'not-suppressed']);
    expect(failures[1].message).toMatch(/expired on 2026-01-01/);
  });

  it('needs a contact for the channel and a well-formed address', () => {
    expect(validateForCommunication({ customer, contacts: [email], channel: 'sms', kind: 'transactional', today: '2026-11-22' }).map((f) => f.rule)).toEqual(['contact-present']);
    expect(validateForCommunication({ customer, contacts: [{ ...email, address: 'x@y' }], channel: 'email', kind: 'transactional', today: '2026-11-22' }).map((f) => f.rule)).toEqual(['contact-address']);
  });
});

describe('payment-behaviour risk and cadence', () => {
  it('rates a customer who pays late most of the time as high risk, with earlier and fewer, firmer reminders', () => {
    const late = Array.from({ length: 6 }, (_, i) => ({ dueAt: `2026-0${i + 1}-10`, paidAt: `2026-0${i + 1}-28` }));
    expect(paymentRisk(late).segment).toBe('high');
    const high = cadenceFor('high');
    const low = cadenceFor('low');
    expect(high.reminderIntervals[0]).toBe('P3D');
    expect(low.reminderIntervals[0]).toBe('P14D');
    expect(high.reminderTemplates[0]).toBe('payment-reminder-2');
  });

  it('rates punctual payers low and shrinks intervals for the demo', () => {
    expect(paymentRisk([{ dueAt: '2026-05-01', paidAt: '2026-04-30' }]).segment).toBe('low');
    expect(cadenceFor('medium', 'PT5S').reminderIntervals.every((i) => i === 'PT5S')).toBe(true);
  });
});

describe('approval policy', () => {
  it('compares amounts exactly', () => {
    expect(compareAmounts('10000.00', '10000')).toBe(0);
    expect(compareAmounts('10000.01', '10000.00')).toBe(1);
    expect(compareAmounts('0.3', '0.30')).toBe(0);
  });

  it('asks for none, one or two approvals by amount, kind and risk', () => {
    expect(approvalLevels({ kind: 'transactional', amount: '9999.99', risk: 'low' })).toBe(0);
    expect(approvalLevels({ kind: 'transactional', amount: '19600.00', risk: 'low' })).toBe(1);
    expect(approvalLevels({ kind: 'dunning', amount: '50000.01', risk: 'low' })).toBe(2);
    expect(approvalLevels({ kind: 'legal', risk: 'low' })).toBe(1);
    expect(approvalLevels({ kind: 'dunning', amount: '100.00', risk: 'high' })).toBe(1);
  });
});
