import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createCrmWebhookAdapter,
  createPortalAdapter,
  createSmsAdapter,
  DeliveryError,
  InvalidRecipientError,
  signWebhook,
  verifyWebhookSignature,
  type OutboundMessage,
  type PortalStore,
} from '../../domain/channels/index.js';

interface Hit {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const hits: Hit[] = [];
/** The status the provider answers per path, set by each test. */
const answers = new Map<string, { status: number; body: string }>();
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const a = answers.get(req.url ?? '') ?? { status: 202, body: JSON.stringify({ id: 'prov-1' }) };
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function message(over: Partial<OutboundMessage> = {}): OutboundMessage {
  const communicationId = `comm-${randomUUID()}`;
  return {
    communicationId,
    idempotencyKey: communicationId,
    recipient: { name: 'Dana Whitfield', phone: '+15550100042', customerId: 'C-10042', email: 'dana@contoso.example' },
    subject: 'Reminder: invoice INV-2025-0142 is overdue',
    text: 'Invoice INV-2025-0142 ($19,600.00) is overdue. Pay: https://portal.example/pay/1',
    html: '<p>Invoice INV-2025-0142 is overdue.</p>',
    kind: 'dunning',
    createdAt: '2025-04-01T08:00:00Z',
    ...over,
  };
}

const unique = (name: string) => `/${name}-${randomUUID()}`;

describe('SMS provider adapter', () => {
  it('posts JSON with the communication id as Idempotency-Key', async () => {
    const path = unique('sms');
    const sms = createSmsAdapter({ url: base + path, apiKey: 'k-1', from: 'Northwind' });
    const m = message();
    const receipt = await sms.send(m);
    const hit = hits.find((h) => h.path === path)!;
    expect(hit.headers['idempotency-key']).toBe(m.communicationId);
    expect(hit.headers.authorization).toBe('Bearer k-1');
    expect(JSON.parse(hit.body)).toEqual({ to: '+15550100042', from: 'Northwind', text: m.text, reference: m.communicationId });
    expect(receipt).toMatchObject({ channel: 'sms', providerMessageId: 'prov-1' });
  });

  it('classifies 500 and 429 as retryable, 400 as permanent, a refused connection as retryable', async () => {
    const cases: [number, boolean][] = [
      [500, true],
      [503, true],
      [429, true],
      [400, false],
      [422, false],
    ];
    for (const [status, retryable] of cases) {
      const path = unique(`sms-${status}`);
      answers.set(path, { status, body: '{"error":"x"}' });
      const e = await createSmsAdapter({ url: base + path }).send(message()).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(DeliveryError);
      expect({ status, retryable: (e as DeliveryError).retryable }).toEqual({ status, retryable });
    }
    const down = await createSmsAdapter({ url: 'http://127.0.0.1:1/sms' }).send(message()).catch((err: unknown) => err);
    expect((down as DeliveryError).retryable).toBe(true);
  });

  it('refuses a phone number that is not E.164 without calling the provider', async () => {
    const path = unique('sms-bad');
    const e = await createSmsAdapter({ url: base + path }).send(message({ recipient: { phone: '0555 0100' } })).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(InvalidRecipientError);
    expect(hits.some((h) => h.path === path)).toBe(false);
  });
});

describe('CRM webhook adapter', () => {
  const secret = 'crm-secret';

  it('signs the body with HMAC-SHA256 over "<t>.<body>" and sends the idempotency key', async () => {
    const path = unique('crm');
    const now = new Date('2025-04-01T08:00:05Z');
    const crm = createCrmWebhookAdapter({ url: base + path, secret, now: () => now });
    const m = message();
    const receipt = await crm.send(m);
    const hit = hits.find((h) => h.path === path)!;
    // the receiving side verifies what arrived
    expect(verifyWebhookSignature(secret, hit.headers['x-herald-signature'] as string, hit.body, 300, () => now)).toEqual({ ok: true, timestamp: 1743494405 });
    expect(hit.headers['x-herald-signature']).toMatch(/^t=1743494405,v1=[0-9a-f]{64}$/);
    expect(hit.headers['idempotency-key']).toBe(m.communicationId);
    expect(JSON.parse(hit.body)).toMatchObject({ communicationId: m.communicationId, kind: 'dunning', subject: m.subject });
    expect(verifyWebhookSignature('wrong', hit.headers['x-herald-signature'] as string, hit.body, 300, () => now).ok).toBe(false);
    expect(receipt.rawSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('turns 500 into a retryable and 400 into a permanent failure', async () => {
    for (const [status, retryable] of [
      [500, true],
      [400, false],
    ] as const) {
      const path = unique(`crm-${status}`);
      answers.set(path, { status, body: 'nope' });
      const e = await createCrmWebhookAdapter({ url: base + path, secret }).send(message()).catch((err: unknown) => err);
      expect((e as DeliveryError).retryable).toBe(retryable);
      expect((e as DeliveryError).details.status).toBe(status);
    }
  });
});

describe('inbound webhook signatures', () => {
  const secret = 'provider-secret';
  const body = JSON.stringify({ event: 'delivered', communicationId: 'comm-1' });
  const t = 1_750_000_000;
  const at = (seconds: number) => () => new Date(seconds * 1000);

  it('accepts a good signature within the window', () => {
    expect(verifyWebhookSignature(secret, signWebhook(secret, body, t), body, 300, at(t + 299))).toEqual({ ok: true, timestamp: t });
  });

  it('refuses a tampered body, a tampered signature and a forged timestamp', () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhookSignature(secret, header, body.replace('delivered', 'bounced'), 300, at(t))).toEqual({ ok: false, reason: 'mismatch' });
    const flipped = header.replace(/v1=(.)/, (_m, c: string) => `v1=${c === 'a' ? 'b' : 'a'}`);
    expect(verifyWebhookSignature(secret, flipped, body, 300, at(t))).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyWebhookSignature(secret, header.replace(`t=${t}`, `t=${t + 10}`), body, 300, at(t))).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyWebhookSignature(secret, 'garbage', body, 300, at(t))).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyWebhookSignature(secret, undefined, body, 300, at(t))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a stale (replayed) or far-future signature', () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhookSignature(secret, header, body, 300, at(t + 301))).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhookSignature(secret, header, body, 300, at(t - 301))).toEqual({ ok: false, reason: 'stale' });
  });

  it('accepts any of several v1 signatures (secret rotation)', () => {
    const old = signWebhook('old-secret', body, t).split(',')[1];
    const header = `${signWebhook(secret, body, t)},${old}`;
    expect(verifyWebhookSignature('old-secret', header, body, 300, at(t)).ok).toBe(true);
  });
});

describe('portal inbox adapter', () => {
  it('stores once per communication and answers the same receipt for a repeat', async () => {
    const stored = new Map<string, OutboundMessage>();
    const store: PortalStore = {
      async put(id, m) {
        if (stored.has(id)) return 'exists';
        stored.set(id, m);
        return 'created';
      },
    };
    const now = new Date('2025-04-01T08:00:00Z');
    const portal = createPortalAdapter({ store, now: () => now });
    const m = message();
    const a = await portal.send(m);
    const b = await portal.send(m);
    expect(a).toEqual(b);
    expect(a).toEqual({ channel: 'portal', providerMessageId: `portal:${m.communicationId}`, acceptedAt: '2025-04-01T08:00:00.000Z' });
    expect(stored.size).toBe(1);
  });

  it('makes a failing store retryable and a message without a customer permanent', async () => {
    const failing = createPortalAdapter({ store: { put: async () => Promise.reject(new Error('db down')) } });
    expect(((await failing.send(message()).catch((e: unknown) => e)) as DeliveryError).retryable).toBe(true);
    const e = await failing.send(message({ recipient: { email: 'x@y.example' } })).catch((err: unknown) => err);
    expect((e as DeliveryError).retryable).toBe(false);
  });
});
