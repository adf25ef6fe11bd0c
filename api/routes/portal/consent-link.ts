/**
 * The email link of a double opt-in (#19), public: GET shows what is being confirmed and a button;
 * only the POST (the button) confirms, so a mail scanner that follows links confirms nothing. The
 * token is signed, single-use and expires; the confirmation's evidence (IP, user agent, time) is
 * kept and audited by the repository.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { consentConfirmationRepository, ConsentConfirmationError, type ConfirmationSettings } from '../../../storage/consent-confirmations.js';
import type { Db } from '../../../storage/db.js';
import { HttpProblem } from '../../plugins/problem.js';
import { Problem } from '../../schemas/common.js';
import { evidenceOf } from '../customers/preferences.js';

const Query = Type.Object({ token: Type.String({ minLength: 10, maxLength: 512 }) });
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (reply: FastifyReply, status: number, title: string, body: string) =>
  reply
    .code(status)
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Cache-Control', 'no-store')
    .header('Referrer-Policy', 'no-referrer')
    .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><h1>${escape(title)}</h1>${body}</body></html>`);

export async function consentLinkRoutes(app: FastifyInstance, opts: { db: Db; now?: () => Date; confirmation: ConfirmationSettings }): Promise<void> {
  const repo = consentConfirmationRepository(opts.db);
  const now = opts.now ?? (() => new Date());
  const wantsJson = (accept: string | undefined) => Boolean(accept?.includes('application/json'));

  app.get(
    '/api/consent/confirm',
    { config: { auth: 'none' }, schema: { tags: ['portal'], summary: 'The double opt-in link: shows what would be confirmed and a button (confirms nothing by itself)', security: [], querystring: Query, response: { 200: { type: 'string', description: 'text/html' }, 400: Problem, 429: Problem } } },
    async (request, reply) => {
      const { token } = request.query as { token: string };
      const found = await repo.describe(token, opts.confirmation);
      if (!found) throw new HttpProblem(400, 'the confirmation link is not one Herald signed (altered or truncated)', { field: 'querystring.token' });
      const what = found.items.map((i) => `${escape(i.topic)} on ${escape(i.channel)}`).join(', ');
      if (found.state !== 'pending') return page(reply, 200, 'Nothing to confirm', `<p>This link was already used or replaced (${escape(found.state)}).</p>`);
      if (new Date(found.expiresAt).getTime() <= now().getTime()) return page(reply, 200, 'This link has expired', '<p>Opt in again to get a new one.</p>');
      return page(reply, 200, 'Confirm your subscription', `<p>You are about to receive ${what}.</p><form method="post" action="/api/consent/confirm?token=${encodeURIComponent(token)}"><button type="submit">Confirm</button></form>`);
    },
  );

  app.post(
    '/api/consent/confirm',
    {
      bodyLimit: 1024,
      config: { auth: 'none' },
      schema: {
        tags: ['portal'],
        summary: 'Confirm a double opt-in from its email link (single-use, expiring); the evidence is kept and audited',
        security: [],
        querystring: Query,
        response: { 200: { type: 'string', description: 'text/html, or JSON { activated } when asked for' }, 400: Problem, 404: Problem, 409: Problem, 410: Problem, 429: Problem },
      },
    },
    async (request, reply) => {
      const { token } = request.query as { token: string };
      try {
        const done = await repo.confirmByToken(token, opts.confirmation, { evidence: evidenceOf(request) }, now());
        if (wantsJson(request.headers.accept)) return reply.code(200).header('Content-Type', 'application/json').send(JSON.stringify({ activated: done.activated, confirmedAt: done.evidence.confirmedAt }));
        const what = done.activated.map((i) => `${escape(i.topic)} on ${escape(i.channel)}`).join(', ');
        return page(reply, 200, 'Thank you', done.activated.length ? `<p>Confirmed: you will receive ${what}.</p>` : '<p>Confirmed, but nothing was waiting for it any more (changed since).</p>');
      } catch (err) {
        if (err instanceof ConsentConfirmationError) throw new HttpProblem(err.status, err.message, { field: err.field === 'token' ? 'querystring.token' : err.field });
        throw err;
      }
    },
  );
}
