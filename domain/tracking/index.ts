/**
 * Tracking: signed links (click redirects, open pixels, one-click unsubscribe) and one monotonic
 * delivery status however duplicated or out of order the provider's events arrive.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TrackingKind = 'queued' | 'sent' | 'delivered' | 'opened' | 'clicked' | 'replied' | 'bounced' | 'complained' | 'failed' | 'unsubscribed';

/** Later stages win; a bounce or failure is final unless the message was already seen by the customer. */
const RANK: Record<string, number> = { created: 0, rendered: 1, queued: 2, sent: 3, delivered: 4, opened: 5, clicked: 6, replied: 7 };
const TERMINAL = new Set(['bounced', 'failed', 'complained']);

/**
 * The status after an event: never moves backwards (a late "delivered" after "opened" changes
 * nothing), and a bounce after an open is ignored (the customer saw it).
 */
export function nextStatus(current: string, event: TrackingKind): string {
  if (event === 'unsubscribed') return current;
  if (TERMINAL.has(current)) return current;
  if (TERMINAL.has(event)) return (RANK[current] ?? 0) >= RANK.opened ? current : event;
  const now = RANK[current] ?? 0;
  const next = RANK[event];
  return next !== undefined && next > now ? event : current;
}

function mac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export type LinkPurpose = 'click' | 'open' | 'unsubscribe';

/** A token naming the communication, the purpose and (for clicks) the target, signed. */
export function signLink(secret: string, purpose: LinkPurpose, communicationId: string, target = ''): string {
  if (purpose === 'click' && !/^https?:\/\//i.test(target)) throw new Error('only http(s) links can be tracked');
  const payload = Buffer.from(JSON.stringify([purpose, communicationId, target])).toString('base64url');
  return `${payload}.${mac(secret, payload)}`;
}

export function verifyLink(secret: string, token: string, purpose: LinkPurpose): { communicationId: string; target: string } | undefined {
  const [payload, signature] = token.split('.');
  if (!payload || !signature || !equal(signature, mac(secret, payload))) return undefined;
  try {
    const [p, communicationId, target] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as [string, string, string];
    if (p !== purpose || typeof communicationId !== 'string') return undefined;
    if (purpose === 'click' && !/^https?:\/\//i.test(target)) return undefined;
    return { communicationId, target };
  } catch {
    return undefined;
  }
}

/** Dunning and legal notices cannot be unsubscribed from; marketing can. */
export function unsubscribePolicy(kind: string): { allowed: true } | { allowed: false; reason: string } {
  if (kind === 'marketing') return { allowed: true };
  if (kind === 'dunning') return { allowed: false, reason: 'payment reminders about an open invoice are part of the contract and cannot be turned off' };
  if (kind === 'legal') return { allowed: false, reason: 'legal notices must be delivered by law and cannot be turned off' };
  return { allowed: false, reason: 'service messages about your account cannot be turned off' };
}

/** The public paths of a communication's tracking links (the API serves them without a session). */
export function trackingPaths(secret: string, communicationId: string): { pixel: string; unsubscribe: string; click(target: string): string } {
  return {
    pixel: `/t/o/${signLink(secret, 'open', communicationId)}.gif`,
    unsubscribe: `/u/${signLink(secret, 'unsubscribe', communicationId)}`,
    click: (target) => `/t/c/${signLink(secret, 'click', communicationId, target)}`,
  };
}

export type ProviderEventType = 'delivered' | 'bounced' | 'complained';

/**
 * What a provider's event does to the recipient's address: a hard bounce (the address does not
 * exist) and a complaint (marked as spam) stop every later send to it; a soft bounce (mailbox
 * full, greylisted) is recorded and changes nothing, because the next attempt may well arrive.
 */
export function suppressionFor(type: ProviderEventType, bounceType?: 'hard' | 'soft'): 'hard-bounce' | 'complaint' | undefined {
  if (type === 'complained') return 'complaint';
  if (type === 'bounced' && bounceType !== 'soft') return 'hard-bounce';
  return undefined;
}

/** The communication id inside a Message-ID Herald generated (`<id@domain>`), if it is one. */
export function communicationIdFromMessageId(messageId: string): string | undefined {
  const m = /^<?([A-Za-z0-9][A-Za-z0-9._-]{0,199})@[^<>@\s]+>?$/.exec(messageId.trim());
  return m?.[1];
}

const unescapeAttr = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;|&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');

/**
 * Email HTML with tracking: every http(s) link becomes a signed click redirect (links already
 * pointing at `baseUrl`'s tracking or unsubscribe paths stay as they are), and the open pixel
 * goes before </body>. Deterministic, so every attempt and the archive's rebuild give the same bytes.
 */
export function instrumentHtml(html: string, options: { secret: string; baseUrl: string; communicationId: string }): string {
  const base = options.baseUrl.replace(/\/+$/, '');
  const paths = trackingPaths(options.secret, options.communicationId);
  const own = (url: string) => url.startsWith(`${base}/t/`) || url.startsWith(`${base}/u/`);
  const linked = html.replace(/(<a\b[^>]*?\shref=)(["'])(https?:\/\/[^"']+)\2/gi, (match, start: string, quote: string, href: string) => {
    const target = unescapeAttr(href);
    return own(target) ? match : `${start}${quote}${base}${paths.click(target)}${quote}`;
  });
  const pixel = `<img src="${base}${paths.pixel}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px" />`;
  return /<\/body>/i.test(linked) ? linked.replace(/<\/body>(?![\s\S]*<\/body>)/i, `${pixel}</body>`) : `${linked}${pixel}`;
}
