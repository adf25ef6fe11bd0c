/**
 * Tracking, public by design (the links sit in emails; nobody who opens them has a session):
 * the open pixel, signed click redirects, signed provider webhooks and RFC 8058 one-click
 * unsubscribe. Every link is checked against its HMAC before anything is recorded or followed,
 * so a tampered link is refused and the redirect never goes anywhere the message did not say.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { verifyWebhookSignature, SIGNATURE_HEADER } from '../../../domain/channels/index.js';
import { communicationIdFromMessageId, suppressionFor, unsubscribePolicy, verifyLink, type LinkPurpose } from '../../../domain/tracking/index.js';
import { communicationRepository, trackingRepository } from '../../../storage/communications.js';
import type { Db } from '../../../storage/db.js';
import { HttpProblem } from '../../plugins/problem.js';
import { Problem } from '../../schemas/common.js';
import {
  HtmlPage,
  ProviderParams,
  ProviderWebhookAccepted,
  ProviderWebhookBody,
  TokenParams,
  Unsubscribed,
  type ProviderEvent,
} from '../../schemas/tracking.js';

export interface TrackingOptions {
  db: Db;
  /** Key of the signed links (HERALD_SECRET, the one the delivery service signs with). */
  secret: string;
  /** Webhook secrets per provider name ('*' for any); without it every provider signs with `secret`. */
  webhookSecrets?: Record<string, string[]>;
  now?: () => Date;
}

// the smallest transparent GIF
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem"><h1>${escapeHtml(title)}</h1>${body}</body></html>`;

/** multipart/form-data fields, enough for the one field RFC 8058 posts. */
function multipartFields(body: string, contentType: string): Record<string, string> {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  const out: Record<string, string> = {};
  if (!boundary) return out;
  for (const part of body.split(`--${boundary}`)) {
    const m = /name="([^"]+)"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n([\s\S]*?)\r?\n?$/.exec(part);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
  }
}

export async function trackingRoutes(app: FastifyInstance, opts: TrackingOptions): Promise<void> {
  const { db, secret } = opts;
  const now = opts.now ?? (() => new Date());
  const comms = communicationRepository(db);
  const tracking = trackingRepository(db);

  // provider webhooks are signed over the exact bytes: keep them
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request: FastifyRequest, body: string | Buffer, done) => {
    request.rawBody = body.toString();
    try {
      done(null, JSON.parse(request.rawBody));
    } catch {
      done(new HttpProblem(400, 'the body is not valid JSON', { field: 'body' }), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body: string | Buffer, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body.toString())));
  });
  app.addContentTypeParser('multipart/form-data', { parseAs: 'string', bodyLimit: 16 * 1024 }, (request, body: string | Buffer, done) => {
    done(null, multipartFields(body.toString(), String(request.headers['content-type'])));
  });

  const tokenOf = (request: FastifyRequest) => (request.params as { '*': string })['*'];
  const link = (token: string, purpose: LinkPurpose) => {
    const verified = verifyLink(secret, token, purpose);
    if (!verified) throw new HttpProblem(400, `the ${purpose} link is not one Herald signed (altered or truncated)`, { field: 'params.token' });
    return verified;
  };

  app.get(
    '/t/o/*',
    {
      config: { auth: 'none' },
      schema: { tags: ['tracking'], summary: 'Open pixel (1x1 GIF); records one "opened" per delivery', security: [], params: TokenParams, response: { 200: { type: 'string', description: 'image/gif' }, 400: Problem, 429: Problem } },
    },
    async (request, reply) => {
      const file = tokenOf(request);
      if (!file.endsWith('.gif')) throw new HttpProblem(400, 'the pixel path must end in .gif', { field: 'params.token' });
      const { communicationId } = link(file.slice(0, -4), 'open');
      if (await comms.get(communicationId)) await tracking.record(communicationId, 'opened', now(), { userAgent: request.headers['user-agent'] ?? null }, 'opened');
      // webmail proxies fetch it from another origin; nothing may cache it, or the next open is lost
      return reply
        .header('Content-Type', 'image/gif')
        .header('Cache-Control', 'no-store, max-age=0')
        .header('Cross-Origin-Resource-Policy', 'cross-origin')
        .send(PIXEL);
    },
  );

  app.get(
    '/t/c/*',
    {
      config: { auth: 'none' },
      schema: { tags: ['tracking'], summary: 'Signed click redirect; records "clicked" once per link', security: [], params: TokenParams, response: { 302: { type: 'null' }, 400: Problem, 429: Problem } },
    },
    async (request, reply) => {
      const { communicationId, target } = link(tokenOf(request), 'click');
      let url: URL;
      try {
        url = new URL(target);
      } catch {
        throw new HttpProblem(400, 'the click link does not hold a valid URL', { field: 'params.token' });
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new HttpProblem(400, 'the click link may only lead to an http(s) URL', { field: 'params.token' });
      if (await comms.get(communicationId)) {
        const linkId = createHash('sha256').update(url.href).digest('hex').slice(0, 16);
        await tracking.record(communicationId, 'clicked', now(), { url: url.href }, `clicked:${linkId}`);
      }
      return reply.header('Cache-Control', 'no-store').redirect(url.href, 302);
    },
  );

  app.post(
    '/api/webhooks/delivery/:provider',
    {
      bodyLimit: 256 * 1024,
      config: { auth: 'signature' },
      schema: {
        tags: ['tracking'],
        summary: 'Delivery events from an email or SMS provider (HMAC-signed, idempotent by event id)',
        security: [{ signature: [] }],
        params: ProviderParams,
        body: ProviderWebhookBody,
        response: { 200: ProviderWebhookAccepted, 400: Problem, 401: Problem, 404: Problem, 413: Problem, 429: Problem },
      },
      preValidation: async (request) => {
        const { provider } = request.params as { provider: string };
        const secrets = opts.webhookSecrets ? (opts.webhookSecrets[provider] ?? opts.webhookSecrets['*']) : [secret];
        if (!secrets?.length) throw new HttpProblem(404, `no webhook secret is configured for provider "${provider}"`, { field: 'params.provider' });
        const header = request.headers[SIGNATURE_HEADER] as string | undefined;
        const verdicts = secrets.map((s) => verifyWebhookSignature(s, header, request.rawBody ?? '', 300, now));
        if (!verdicts.some((v) => v.ok)) {
          const reason = verdicts.find((v) => !v.ok && v.reason !== 'mismatch') ?? verdicts[0];
          const why = { malformed: 'is missing or not "t=<unix seconds>,v1=<hex HMAC-SHA256>"', stale: 'timestamp is more than 300 s from now', mismatch: 'does not match the body' }[(reason as { reason: 'malformed' | 'stale' | 'mismatch' }).reason];
          throw new HttpProblem(401, `X-Herald-Signature ${why}`, { field: 'header.x-herald-signature' });
        }
      },
    },
    async (request) => {
      const { provider } = request.params as { provider: string };
      const body = request.body as ProviderEvent | ProviderEvent[];
      const events = Array.isArray(body) ? body : [body];
      const results = [];
      for (const [i, e] of events.entries()) {
        const communicationId = e.communicationId ?? (e.messageId ? communicationIdFromMessageId(e.messageId) : undefined);
        if (!communicationId) throw new HttpProblem(400, `event ${i} (${e.id}) names neither communicationId nor a Herald messageId`, { field: Array.isArray(body) ? `body.${i}.messageId` : 'body.messageId' });
        const communication = await comms.get(communicationId);
        if (!communication) {
          // answered 200 all the same: a provider retries anything else for days
          results.push({ id: e.id, communicationId, outcome: 'unknown-communication' as const, status: null });
          continue;
        }
        const soft = e.type === 'bounced' && e.bounceType === 'soft';
        const at = e.occurredAt ? new Date(e.occurredAt) : now();
        const meta = { provider, providerEventId: e.id, recipient: e.recipient, bounceType: e.type === 'bounced' ? (e.bounceType ?? 'hard') : undefined, detail: e.detail };
        const outcome = await tracking.record(communicationId, e.type, at, meta, `${provider}:${e.id}`, { changesStatus: !soft });
        const reason = suppressionFor(e.type, e.bounceType);
        let suppressed: string | undefined;
        if (reason) {
          const address = e.recipient ?? (await db('customer_contacts').where({ customer_id: communication.customerId, channel: communication.channel }).first('address'))?.address;
          if (address) {
            await tracking.suppress({ channel: communication.channel, address, reason, communicationId, provider, detail: e.detail ?? null, at });
            suppressed = `${address} (${reason})`;
          }
        }
        results.push({ id: e.id, communicationId, outcome: outcome.recorded ? ('recorded' as const) : ('duplicate' as const), status: outcome.status, ...(suppressed ? { suppressed } : {}) });
      }
      return { received: events.length, events: results };
    },
  );

  const unsubscribeTarget = async (token: string) => {
    const { communicationId } = link(token, 'unsubscribe');
    const communication = await comms.get(communicationId);
    if (!communication) throw new HttpProblem(404, `communication ${communicationId} no longer exists`);
    return communication;
  };

  app.get(
    '/u/*',
    {
      config: { auth: 'none' },
      schema: { tags: ['tracking'], summary: 'Unsubscribe page: confirms with a form (a GET never unsubscribes: link scanners fetch it)', security: [], params: TokenParams, response: { 200: HtmlPage, 400: Problem, 404: Problem, 429: Problem } },
    },
    async (request, reply) => {
      const token = tokenOf(request);
      const c = await unsubscribeTarget(token);
      const policy = unsubscribePolicy(c.kind);
      const html = policy.allowed
        ? page(
            'Unsubscribe',
            `<p>Stop product news and other marketing messages by ${escapeHtml(c.channel)}? Invoices, reminders and notices about your account still arrive.</p><form method="post" action="/u/${encodeURIComponent(token)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
          )
        : page('This message cannot be unsubscribed from', `<p>${escapeHtml(policy.reason)}.</p>`);
      return reply.header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(html);
    },
  );

  app.post(
    '/u/*',
    {
      bodyLimit: 16 * 1024,
      config: { auth: 'none' },
      schema: {
        tags: ['tracking'],
        summary: 'RFC 8058 one-click unsubscribe (body "List-Unsubscribe=One-Click"); no session needed, the signed token is the authority',
        security: [],
        params: TokenParams,
        response: { 200: Unsubscribed, 400: Problem, 404: Problem, 409: Problem, 413: Problem, 415: Problem, 429: Problem },
      },
    },
    async (request, reply) => {
      const token = tokenOf(request);
      const c = await unsubscribeTarget(token);
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (body['List-Unsubscribe'] !== 'One-Click') throw new HttpProblem(400, 'body.List-Unsubscribe must be "One-Click" (RFC 8058)', { field: 'body.List-Unsubscribe' });
      const policy = unsubscribePolicy(c.kind);
      if (!policy.allowed) throw new HttpProblem(409, `a ${c.kind} message cannot be unsubscribed from: ${policy.reason}`, { rule: 'not-suppressible' });
      const at = now();
      await db('suppressions').insert({ customer_id: c.customerId, channel: c.channel, kind: 'marketing', at }).onConflict(['customer_id', 'channel', 'kind']).ignore();
      await tracking.record(c.id, 'unsubscribed', at, { via: 'one-click' }, 'unsubscribed');
      const result = { unsubscribed: true, communicationId: c.id, channel: c.channel, kind: c.kind };
      // the confirmation form posts from a browser: answer it with a page, mail clients with JSON
      if (/text\/html/.test(String(request.headers.accept ?? ''))) {
        return reply.type('text/html; charset=utf-8').send(page('You are unsubscribed', `<p>You will no longer receive marketing messages by ${escapeHtml(c.channel)}.</p>`));
      }
      return result;
    },
  );
}
