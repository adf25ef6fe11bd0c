/**
 * The pure rules of digests and frequency caps: which messages are merged, what a cap allows and
 * until when, and the repeated row of a list template.
 */
import { describe, expect, it } from 'vitest';
import { capFor, capVerdict, isCapped, isDigestible } from '../../domain/communications/digest.js';
import { compileUncached, renderMessage } from '../../domain/templates/index.js';
import { dueFacts, dueStanding } from '../../domain/templates/facts.js';
import { loadLibraryVersion } from '../../domain/templates/library/index.js';
import { expandRepeatedRows, repeatedLists } from '../../domain/templates/repeat.js';

describe('what is merged and capped', () => {
  it('merges payment demands on email and portal, never a legal notice, SMS or another message', () => {
    expect(isDigestible({ templateId: 'payment-reminder-2', kind: 'dunning', channel: 'email' })).toBe(true);
    expect(isDigestible({ templateId: 'invoice-notice', kind: 'transactional', channel: 'portal' })).toBe(true);
    expect(isDigestible({ templateId: 'dunning-escalation', kind: 'legal', channel: 'email' })).toBe(false);
    expect(isDigestible({ templateId: 'payment-reminder-1', kind: 'dunning', channel: 'sms' })).toBe(false);
    expect(isDigestible({ templateId: 'payment-confirmation', kind: 'transactional', channel: 'email' })).toBe(false);
    expect(isCapped('legal')).toBe(false);
    expect(isCapped('transactional')).toBe(true);
  });

  it("takes the channel's cap, else the customer's '*' cap, else the default", () => {
    const rows = [{ channel: '*', maxMessages: 5, windowSeconds: 86_400 }, { channel: 'sms', maxMessages: 1, windowSeconds: 3600 }];
    expect(capFor(rows, 'sms')).toEqual({ max: 1, windowMs: 3_600_000 });
    expect(capFor(rows, 'email')).toEqual({ max: 5, windowMs: 86_400_000 });
    expect(capFor([], 'email', { max: 9, windowMs: 1000 })).toEqual({ max: 9, windowMs: 1000 });
    expect(capFor([], 'email')).toBeUndefined();
  });

  it('allows N in any rolling window; the next goes when the oldest that counts leaves it', () => {
    const cap = { max: 3, windowMs: 60_000 };
    const at = (s: number) => new Date(Date.UTC(2026, 11, 8, 9, 0, s));
    expect(capVerdict([at(0), at(10)], cap, at(20))).toEqual({ send: true });
    const v = capVerdict([at(0), at(10), at(20)], cap, at(30));
    expect(v).toMatchObject({ send: false, until: at(60) });
    // one that left the window no longer counts
    expect(capVerdict([at(0), at(10), at(20)], cap, at(60))).toEqual({ send: true });
    expect(capVerdict([at(0)], undefined, at(1))).toEqual({ send: true });
  });
});

describe('repeated rows', () => {
  it('copies the marked row once per item, each reading its own item, escaped as any value', async () => {
    const v = await loadLibraryVersion('payment-digest', 'en');
    expect(repeatedLists(v.mjml)).toEqual(['invoices']);
    const invoices = [
      { number: 'A-1', amount: '10.00', currency: 'USD', dueDate: '2026-11-01', daysOverdue: 37, standing: '37 days overdue' },
      { number: '<b>B-2</b>', amount: '2500.5', currency: 'EUR', dueDate: '2026-11-15', daysOverdue: 23, standing: '23 days overdue' },
      { number: 'C-3', amount: '7', currency: 'USD', dueDate: '2026-12-31', daysOverdue: 0, standing: 'in 23 days' },
    ];
    const out = renderMessage(await compileUncached(expandRepeatedRows(v, { invoices: 3 })), { company: { name: 'H', email: 'h@x.example', phone: '1' }, customer: { contactName: 'Dana' }, links: { portal: 'https://h.example/portal/' }, digest: { count: 3 }, invoices }, { locale: 'en' });
    expect(out.subject).toBe('3 open invoices on your account');
    expect(out.text).toContain('A-1: due November 1, 2026 (37 days overdue): $10.00');
    // an invoice not yet due is not called overdue
    expect(out.text).toContain('C-3: due December 31, 2026 (in 23 days): $7.00');
    expect(out.html).toContain('&lt;b&gt;B-2&lt;/b&gt;');
    expect(out.html).not.toContain('<b>B-2');
  });

  it('says where each invoice stands on the day of sending, in the customer’s language', () => {
    const at = new Date('2026-12-08T09:00:00Z');
    expect(['2026-11-01', '2026-12-07', '2026-12-08', '2026-12-09', '2026-12-31'].map((d) => dueStanding(dueFacts(d, at), 'en'))).toEqual(['37 days overdue', '1 day overdue', 'today', 'tomorrow', 'in 23 days']);
    expect(['2026-11-01', '2026-12-07', '2026-12-08', '2026-12-09', '2026-12-31'].map((d) => dueStanding(dueFacts(d, at), 'de-DE'))).toEqual(['37 Tage überfällig', '1 Tag überfällig', 'heute', 'morgen', 'in 23 Tagen']);
  });

  it('refuses a repeated row that reads nothing of its first item', () => {
    const v = { templateId: 't', version: 1, locale: 'en', subject: 's', kind: 'dunning' as const, status: 'draft' as const, author: 'a', mjml: '<mj-table><tr data-repeat="rows"><td>{{x}}</td></tr></mj-table>' };
    expect(() => expandRepeatedRows(v, { rows: 2 })).toThrow(/reads no rows\.0/);
    expect(() => expandRepeatedRows({ ...v, mjml: '<tr data-repeat="rows"><td>{{rows.0.a}}</td></tr>' }, { rows: 0 })).toThrow(/at least one item/);
  });
});
