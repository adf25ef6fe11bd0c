import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildEmail, createEmailAdapter, InvalidRecipientError, type OutboundMessage } from '../../domain/channels/index.js';
import { EMAIL_LIMITS, emailLengthProblem } from '../../domain/channels/email-address.js';
import { validateForCommunication, type ContactRecord, type CustomerRecord } from '../../domain/customers/validation.js';

const from = { name: 'Herald Receivables', address: 'receivables@herald.example' };
// the address of the finding: a 234-character local part
const longLocal = `${'a'.repeat(234)}@contoso.example`;
const longTotal = `${'b'.repeat(60)}@${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.example`;
const atLimits = `${'l'.repeat(64)}@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(53)}.example`;

function message(email: string): OutboundMessage {
  const communicationId = `comm-${randomUUID()}`;
  return { communicationId, idempotencyKey: communicationId, recipient: { name: 'Dana', email }, subject: 'Invoice', text: 'Dear Dana', html: '<p>Dear Dana</p>', kind: 'transactional', createdAt: '2026-12-01T09:00:00.000Z' };
}

describe('finding 9: email addresses over the RFC 5321 limits are refused', () => {
  it('names the limit for a local part over 64 and an address over 254 characters', () => {
    expect(longTotal.length).toBeGreaterThan(EMAIL_LIMITS.total);
    expect(atLimits.length).toBe(EMAIL_LIMITS.total);
    expect(emailLengthProblem(longLocal)).toBe('has a local part (before the @) of 234 characters; RFC 5321 allows at most 64');
    expect(emailLengthProblem(longTotal)).toMatch(/^is \d+ characters long; an email address may have at most 254 \(RFC 5321\)$/);
    expect(emailLengthProblem(atLimits)).toBeUndefined();
    expect(emailLengthProblem(`${'x'.repeat(65)}@a.example`)).toMatch(/local part .* of 65 characters/);
  });

  it('refuses to build or send an email to such an address, naming the field', async () => {
    for (const email of [longLocal, longTotal]) {
      const err = await buildEmail(message(email), { from }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidRecipientError);
      expect((err as InvalidRecipientError).field).toBe('recipient.email');
      expect((err as Error).message).toMatch(/^recipient\.email (has a local part|is \d+ characters long).*(64|254)/);
    }
    // and nothing reaches the outbox
    const outboxDir = await mkdtemp(path.join(tmpdir(), 'herald-email-limits-'));
    try {
      const adapter = createEmailAdapter({ from, outboxDir });
      await expect(adapter.send(message(longLocal))).rejects.toBeInstanceOf(InvalidRecipientError);
      await adapter.close();
      expect(await readdir(outboxDir)).toEqual([]);
    } finally {
      await rm(outboxDir, { recursive: true, force: true });
    }
    // an address right at the limits still goes out
    expect((await buildEmail(message(atLimits), { from })).raw.length).toBeGreaterThan(0);
  });

  it('fails the customer data validation with the contact-address rule, naming the field and the limit', () => {
    const customer: CustomerRecord = { id: 'C-LONG', legalName: 'Long Ltd', status: 'active', kycStatus: 'verified' };
    const contact = (address: string): ContactRecord => ({ channel: 'email', address, consent: true, marketingConsent: false });
    const failures = validateForCommunication({ customer, contacts: [contact(longLocal)], channel: 'email', kind: 'dunning', today: '2026-12-07' });
    expect(failures).toEqual([{ rule: 'contact-address', message: 'the email address of customer C-LONG (contact.address) has a local part (before the @) of 234 characters; RFC 5321 allows at most 64' }]);
    expect(validateForCommunication({ customer, contacts: [contact(longTotal)], channel: 'email', kind: 'dunning', today: '2026-12-07' })[0].message).toMatch(/at most 254/);
    expect(validateForCommunication({ customer, contacts: [contact(atLimits)], channel: 'email', kind: 'dunning', today: '2026-12-07' })).toEqual([]);
  });
});
