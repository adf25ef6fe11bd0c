import { describe, expect, it } from 'vitest';
import { nextStatus, signLink, unsubscribePolicy, verifyLink, type TrackingKind } from '../../domain/tracking/index.js';

describe('delivery status', () => {
  it('never moves backwards, whatever order duplicates arrive in', () => {
    // given the events of one message, shuffled and duplicated
    const events: TrackingKind[] = ['opened', 'sent', 'delivered', 'sent', 'opened', 'delivered', 'clicked', 'delivered'];
    // when folded
    const status = events.reduce<string>(nextStatus, 'queued');
    // then the furthest stage wins
    expect(status).toBe('clicked');
    expect(['delivered', 'sent'].reduce<string>((s, e) => nextStatus(s, e as TrackingKind), 'opened')).toBe('opened');
  });

  it('takes a bounce before the customer saw the message, and ignores one after', () => {
    expect(nextStatus('sent', 'bounced')).toBe('bounced');
    expect(nextStatus('bounced', 'delivered')).toBe('bounced');
    expect(nextStatus('opened', 'bounced')).toBe('opened');
  });
});

describe('signed links', () => {
  const secret = 'test-secret';

  it('round-trips a click link and refuses a tampered or re-purposed one', () => {
    const token = signLink(secret, 'click', 'c-1', 'https://pay.example.com/invoice/1');
    expect(verifyLink(secret, token, 'click')).toEqual({ communicationId: 'c-1', target: 'https://pay.example.com/invoice/1' });
    const [payload, sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify(['click', 'c-1', 'https://evil.example'])).toString('base64url');
    expect(verifyLink(secret, `${forged}.${sig}`, 'click')).toBeUndefined();
    expect(verifyLink(secret, `${payload}.${sig}x`, 'click')).toBeUndefined();
    expect(verifyLink(secret, token, 'unsubscribe')).toBeUndefined();
    expect(verifyLink('other-secret', token, 'click')).toBeUndefined();
  });

  it('refuses to track javascript: or data: links', () => {
    expect(() => signLink(secret, 'click', 'c-1', 'javascript:alert(1)')).toThrow(/http/);
  });
});

describe('unsubscribe policy', () => {
  it('lets marketing go and says why dunning and legal notices stay', () => {
    expect(unsubscribePolicy('marketing')).toEqual({ allowed: true });
    expect(unsubscribePolicy('dunning')).toMatchObject({ allowed: false, reason: expect.stringMatching(/invoice/) });
    expect(unsubscribePolicy('legal')).toMatchObject({ allowed: false, reason: expect.stringMatching(/law/) });
  });
});
