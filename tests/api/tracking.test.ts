/**
 * Tracking over real HTTP: the open pixel, signed click redirects, signed provider webhooks and
 * RFC 8058 one-click unsubscribe, each public (no session), each refusing what Herald did not sign.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/log.js';
import { signWebhook } from '../../domain/channels/index.js';
import { signLink, trackingPaths } from '../../domain/tracking/index.js';
import { communicationRepository } from '../../storage/communications.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { createMemoryQueue } from '../../workers/delivery/queue.js';
import { createChannelAdapters, createDeliveryService, type DeliveryService } from '../../workers/delivery/service.js';
import { migrationSource } from '../../migrations/index.js';
import { dbKinds, openTestDb } from '../support/db.js';
import { SECRET, startApi, type Api } from './harness.js';

describe.each(await dbKinds())('tracking routes on %s', (kind) => {
  let api: Api;
  let delivery: DeliveryService;
  let outboxDir: string;
  const run = `${kind}-${Date.now().toString(36)}`;
  let n = 0;
  const uniqueId = (what: string) => `trk-${what}-${run}-${n++}`;

  beforeAll(async () => {
    api = await startApi(kind);
    await seedDemoData(api.t.db);
    outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-tracking-'));
    const settings = { from: { name: 'Herald', address: 'news@herald.example' }, outboxDir, secret: SECRET, baseUrl: 'https://herald.example', backoffMs: 10, attempts: 2 };
    delivery = createDeliveryService({ db: api.t.db, engine: api.engine, queue: createMemoryQueue(), adapters: createChannelAdapters(api.t.db, settings), settings, now: () => new Date(), log: silentLogger });
    delivery.start();
  });
  afterAll(async () => {
    await delivery?.close();
    await api?.close();
    fs.rmSync(outboxDir, { recursive: true, force: true });
  });

  const http = () => request(api.app.server);

  /** A rendered communication; `sent` also records its delivery as sent. */
  async function communication(options: { kind?: string; customerId?: string; sent?: boolean; html?: string } = {}): Promise<string> {
    const id = uniqueId(options.kind ?? 'msg');
    const comms = communicationRepository(api.t.db);
    await comms.ensure({ id, customerId: options.customerId ?? 'C-ACME', templateId: 'invoice-notice', channel: 'email', kind: options.kind ?? 'transactional', data: {} });
    await comms.saveRendered(id, { templateVersion: 1, subject: `Message ${id}`, html: options.html ?? '<p>Hello</p>', text: 'Hello' });
    if (options.sent !== false) await api.t.db('deliveries').insert({ communication_id: id, channel: 'email', state: 'sent', tracking_status: 'sent', sent_at: new Date() });
    return id;
  }
  const events = async (id: string, kind?: string) => (await api.t.db('tracking_events').where({ communication_id: id, ...(kind ? { kind } : {}) })).length;
  const status = async (id: string) => (await api.t.db('deliveries').where({ communication_id: id }).first('tracking_status')).tracking_status as string;
  function webhook(provider: string, body: unknown, options: { secret?: string; t?: number; signature?: string } = {}) {
    const raw = JSON.stringify(body);
    const signature = options.signature ?? signWebhook(options.secret ?? SECRET, raw, options.t ?? Math.floor(Date.now() / 1000));
    return http().post(`/api/webhooks/delivery/${provider}`).set('Content-Type', 'application/json').set('X-Herald-Signature', signature).send(raw);
  }

  it('redirects a signed click to its URL once recorded, and refuses a tampered or unsigned link without redirecting', async () => {
    // given a communication with a signed link to the payment page
    const id = await communication();
    const target = 'https://pay.herald.example/invoices/INV-1?ref=mail';
    const good = trackingPaths(SECRET, id).click(target);
    // when the customer clicks it
    const res = await http().get(good);
    // then they go there and the click is recorded
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(target);
    expect(await events(id, 'clicked')).toBe(1);

    // when the payload is swapped for another target but the signature kept
    const [, mac] = good.slice('/t/c/'.length).split('.');
    const evil = Buffer.from(JSON.stringify(['click', id, 'https://evil.example/phish'])).toString('base64url');
    const unsigned = Buffer.from(JSON.stringify(['click', id, 'https://evil.example/phish'])).toString('base64url');
    const pixelToken = signLink(SECRET, 'open', id);
    // a javascript: target signed with the right key is refused by the verifier as well
    const { createHmac } = await import('node:crypto');
    const js = Buffer.from(JSON.stringify(['click', id, 'javascript:alert(1)'])).toString('base64url');
    const jsToken = `${js}.${createHmac('sha256', SECRET).update(js).digest('base64url')}`;
    for (const token of [`${evil}.${mac}`, unsigned, `${unsigned}.`, pixelToken, jsToken, signLink('another-secret', 'click', id, 'https://evil.example/')]) {
      const bad = await http().get(`/t/c/${token}`);
      // then nothing redirects: 400 problem+json naming the token
      expect(bad.status, token).toBe(400);
      expect(bad.headers.location).toBeUndefined();
      expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(bad.body.field).toBe('params.token');
    }
    expect(await events(id, 'clicked')).toBe(1);
  });

  it('serves the pixel every time and records one open per delivery', async () => {
    const id = await communication();
    const pixel = trackingPaths(SECRET, id).pixel;
    // when the pixel is fetched twice (the customer opens the email twice)
    const first = await http().get(pixel);
    const second = await http().get(pixel);
    // then both get a 1x1 GIF that nothing caches and any origin may embed
    for (const res of [first, second]) {
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('image/gif');
      expect(res.headers['cache-control']).toMatch(/no-store/);
      expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
      expect(Buffer.from(res.body).subarray(0, 6).toString()).toBe('GIF89a');
    }
    // and one 'opened' event is recorded
    expect(await events(id, 'opened')).toBe(1);
    expect(await status(id)).toBe('opened');
    // a pixel link for another purpose or altered is refused
    expect((await http().get(`/t/o/${signLink(SECRET, 'click', id, 'https://x.example/')}.gif`)).status).toBe(400);
    expect((await http().get(pixel.replace('.gif', 'x.gif'))).status).toBe(400);
  });

  it('never moves the status back: a late "delivered" after a click leaves it clicked', async () => {
    const id = await communication();
    // given the customer clicked
    expect((await http().get(trackingPaths(SECRET, id).click('https://herald.example/portal/'))).status).toBe(302);
    expect(await status(id)).toBe('clicked');
    // when the provider's "delivered" arrives late, and a late open too
    const res = await webhook('postmark', { id: `evt-${id}-d`, type: 'delivered', communicationId: id });
    await http().get(trackingPaths(SECRET, id).pixel);
    // then both are on the timeline, and the status is still clicked
    expect(res.status).toBe(200);
    expect(res.body.events[0]).toMatchObject({ outcome: 'recorded', status: 'clicked' });
    expect(await events(id, 'delivered')).toBe(1);
    expect(await events(id, 'opened')).toBe(1);
    expect(await status(id)).toBe('clicked');
  });

  it('refuses a webhook with a bad signature (401) and records a repeated event once', async () => {
    const id = await communication();
    const body = { id: `evt-${id}`, type: 'delivered', messageId: `<${id}@herald.local>` };
    for (const options of [{ secret: 'not-the-secret' }, { signature: 'sha256=abc' }, { t: Math.floor(Date.now() / 1000) - 3600 }]) {
      const res = await webhook('postmark', body, options);
      expect(res.status).toBe(401);
      expect(res.body.field).toBe('header.x-herald-signature');
    }
    const tampered = await http().post('/api/webhooks/delivery/postmark').set('Content-Type', 'application/json').set('X-Herald-Signature', signWebhook(SECRET, JSON.stringify(body), Math.floor(Date.now() / 1000))).send(JSON.stringify({ ...body, type: 'complained' }));
    expect(tampered.status).toBe(401);
    expect(await events(id, 'delivered')).toBe(0);
    // when the same signed event arrives twice (providers retry)
    const first = await webhook('postmark', body);
    const again = await webhook('postmark', [body]);
    // then one row, and the second answer says it was a duplicate
    expect(first.body.events[0]).toMatchObject({ communicationId: id, outcome: 'recorded', status: 'delivered' });
    expect(again.body.events[0]).toMatchObject({ outcome: 'duplicate', status: 'delivered' });
    expect(await events(id, 'delivered')).toBe(1);
    // an event about a message Herald does not know is acknowledged, not retried forever
    expect((await webhook('postmark', { id: `evt-${id}-x`, type: 'delivered', communicationId: `${id}-unknown` })).body.events[0].outcome).toBe('unknown-communication');
  });

  it('suppresses the address after a complaint and refuses the next delivery to it, naming why', async () => {
    // given a communication to Acme, and the provider reports a spam complaint about it
    const first = await communication();
    const res = await webhook('postmark', { id: `evt-${first}-c`, type: 'complained', communicationId: first, recipient: 'Accounts.Payable@acme.example' });
    expect(res.status).toBe(200);
    expect(res.body.events[0].suppressed).toMatch(/complaint/);
    const row = await api.t.db('address_suppressions').where({ channel: 'email', address: 'accounts.payable@acme.example' }).first();
    expect(row).toMatchObject({ reason: 'complaint', communication_id: first, provider: 'postmark' });
    // when the next communication to that address is delivered
    const next = await communication({ sent: false });
    await delivery.enqueue(next, 'email');
    const deadline = Date.now() + 10_000;
    let d;
    while ((d = await api.t.db('deliveries').where({ communication_id: next }).first())?.state !== 'failed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // then it is refused, not retried, with the reason and where it came from
    expect(d.state).toBe('failed');
    expect(d.error).toContain('accounts.payable@acme.example is suppressed after a complaint');
    expect(d.error).toContain(first);
    expect(fs.existsSync(path.join(outboxDir, `${next}.eml`))).toBe(false);
    expect(await events(next, 'failed')).toBe(1);
    // a soft bounce is recorded but suppresses nothing and leaves the status
    const other = await communication({ customerId: 'C-NORTHWIND' });
    const soft = await webhook('postmark', { id: `evt-${other}-s`, type: 'bounced', bounceType: 'soft', communicationId: other });
    expect(soft.body.events[0]).toMatchObject({ outcome: 'recorded', status: 'sent' });
    expect(soft.body.events[0].suppressed).toBeUndefined();
    expect(await api.t.db('address_suppressions').where({ address: 'buchhaltung@northwind.example' }).first()).toBeUndefined();
    await api.t.db('address_suppressions').where({ address: 'accounts.payable@acme.example' }).del();
  });

  it('puts the open pixel and signed click links into the email, and they lead back here', async () => {
    // given a rendered email with a link whose query has an escaped ampersand
    const id = await communication({ sent: false, html: '<html><body><p><a href="https://pay.herald.example/i?a=1&amp;b=2" style="x">Pay</a></p></body></html>' });
    await api.t.db('deliveries').insert({ communication_id: id, channel: 'email', state: 'sent', tracking_status: 'sent' });
    // when the delivery service builds it (the same bytes on every attempt)
    const raw = await delivery.rawBytes(id);
    expect((await delivery.rawBytes(id)).equals(raw)).toBe(true);
    const html = String((await simpleParser(raw)).html);
    const click = /href="https:\/\/herald\.example(\/t\/c\/[^"]+)"/.exec(html)?.[1];
    const pixel = /<img src="https:\/\/herald\.example(\/t\/o\/[^"]+\.gif)"/.exec(html)?.[1];
    expect(html).not.toContain('href="https://pay.herald.example');
    // then the pixel records the open and the link redirects to the original URL
    expect((await http().get(pixel!)).status).toBe(200);
    const res = await http().get(click!);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('https://pay.herald.example/i?a=1&b=2');
    expect(await status(id)).toBe('clicked');
  });

  it('unsubscribes with an RFC 8058 one-click POST without a session; the GET page only asks', async () => {
    // given a marketing email to Northwind (who opted in), built by the delivery service
    const id = await communication({ kind: 'marketing', customerId: 'C-NORTHWIND', sent: false });
    await api.t.db('deliveries').insert({ communication_id: id, channel: 'email', state: 'queued' });
    const mail = await simpleParser(await delivery.rawBytes(id));
    // then it carries List-Unsubscribe (https, our signed /u/ link) and List-Unsubscribe-Post
    const list = mail.headers.get('list') as { unsubscribe: { url: string }; 'unsubscribe-post': { name: string } };
    expect(list['unsubscribe-post'].name).toBe('List-Unsubscribe=One-Click');
    const url = new URL(list.unsubscribe.url);
    expect(url.origin).toBe('https://herald.example');
    expect(url.pathname).toMatch(/^\/u\/[\w-]+\.[\w-]+$/);

    // when a link scanner or the customer GETs the link
    const get = await http().get(url.pathname);
    // then a page with a confirming form, and nothing is suppressed yet
    expect(get.status).toBe(200);
    expect(get.headers['content-type']).toMatch(/text\/html/);
    expect(get.text).toContain('<form method="post"');
    expect(get.text).toContain('name="List-Unsubscribe" value="One-Click"');
    const suppressed = () => api.t.db('suppressions').where({ customer_id: 'C-NORTHWIND', channel: 'email', kind: 'marketing' }).first();
    expect(await suppressed()).toBeUndefined();

    // when the mail client POSTs the one-click body, with no cookie and no token
    const wrong = await http().post(url.pathname).type('form').send('List-Unsubscribe=Yes');
    expect(wrong.status).toBe(400);
    const post = await http().post(url.pathname).type('form').send('List-Unsubscribe=One-Click');
    // then the customer is unsubscribed from marketing by email
    expect(post.status).toBe(200);
    expect(post.body).toEqual({ unsubscribed: true, communicationId: id, channel: 'email', kind: 'marketing' });
    expect(await suppressed()).toBeDefined();
    expect(await events(id, 'unsubscribed')).toBe(1);
    // a repeat (multipart, as some clients send it) is harmless
    const again = await http().post(url.pathname).field('List-Unsubscribe', 'One-Click');
    expect(again.status).toBe(200);
    expect(await events(id, 'unsubscribed')).toBe(1);
    await api.t.db('suppressions').where({ customer_id: 'C-NORTHWIND' }).del();
  });

  it('refuses to unsubscribe from a dunning notice and says why; refuses an altered token', async () => {
    const id = await communication({ kind: 'dunning' });
    const token = signLink(SECRET, 'unsubscribe', id);
    const res = await http().post(`/u/${token}`).type('form').send('List-Unsubscribe=One-Click');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ rule: 'not-suppressible', title: expect.stringMatching(/open invoice/) });
    const page = await http().get(`/u/${token}`);
    expect(page.text).toContain('cannot be unsubscribed from');
    expect(page.text).not.toContain('<form');
    const altered = await http().post(`/u/${token.slice(0, -2)}xx`).type('form').send('List-Unsubscribe=One-Click');
    expect(altered.status).toBe(400);
    expect(await api.t.db('suppressions').where({ customer_id: 'C-ACME' }).first()).toBeUndefined();
  });
});

describe.each(await dbKinds())('delivery tracking migration on %s', (kind) => {
  it('goes up, down and up again', async () => {
    const t = await openTestDb(kind);
    try {
      const name = '20261205111000_add_delivery_tracking';
      const up = () => Promise.all([t.db.schema.hasTable('delivery_attempts'), t.db.schema.hasTable('address_suppressions'), t.db.schema.hasColumn('deliveries', 'tracking_status')]);
      expect(await up()).toEqual([true, true, true]);
      const migration = await migrationSource.getMigration(name);
      await migration.down!(t.db);
      expect(await up()).toEqual([false, false, false]);
      await migration.up(t.db);
      expect(await up()).toEqual([true, true, true]);
    } finally {
      await t.close();
    }
  });
});
