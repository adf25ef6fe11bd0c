import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFailureCounter } from '../../api/plugins/external/security.js';
import { sign } from '../../api/services/signature.js';
import { createIdentityRepository } from '../../storage/repositories/identity.js';
import { SECRET, startApi, type Api } from './harness.js';

describe('failure counter (pure)', () => {
  it('blocks an address at the max-th failure for one window, then forgets it', () => {
    let now = 1_000;
    const counter = createFailureCounter({ max: 3, timeWindow: 10_000 }, () => now);
    expect(counter.fail('a')).toEqual({ count: 1, blocked: false });
    expect(counter.fail('a')).toEqual({ count: 2, blocked: false });
    expect(counter.blockedFor('a')).toBe(0);
    expect(counter.fail('a')).toEqual({ count: 3, blocked: true });
    expect(counter.blockedFor('a')).toBe(10_000);
    expect(counter.blockedFor('b')).toBe(0);
    now += 9_999;
    expect(counter.blockedFor('a')).toBe(1);
    now += 1;
    expect(counter.blockedFor('a')).toBe(0);
    // a new window starts from nothing
    expect(counter.fail('a')).toEqual({ count: 1, blocked: false });
  });

  it('lets failures spread over more than a window pass', () => {
    let now = 0;
    const counter = createFailureCounter({ max: 3, timeWindow: 1_000 }, () => now);
    for (let i = 0; i < 10; i++) {
      expect(counter.fail('a').blocked).toBe(false);
      now += 600;
    }
  });
});

describe('finding 5: bad tokens are rate-limited', () => {
  let api: Api;
  const lines: Record<string, unknown>[] = [];
  const LIMIT = 20;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    api = await startApi('pglite', { logger: pino({ level: 'info' }, sink), authFailureLimit: { max: LIMIT, timeWindow: 60_000 } });
    await createIdentityRepository(api.t.db).setPassword('alice', 'alice-password');
  });
  afterAll(async () => {
    await api?.close();
  });

  const me = (remoteAddress: string, headers: Record<string, string> = {}) => api.app.inject({ method: 'GET', url: '/api/me', headers, remoteAddress });
  const badToken = (i: number) => ({ authorization: `Bearer hrd_guess${i}_${'x'.repeat(32)}` });

  it('given 650 bad tokens from one address in a burst, answers 401 up to the limit and 429 with Retry-After after it', async () => {
    const started = Date.now();
    const statuses: number[] = [];
    let first429: Awaited<ReturnType<typeof me>> | undefined;
    // in bursts of 50 concurrent requests, as a guesser would send them
    for (let burst = 0; burst < 13; burst++) {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => me('10.5.0.1', badToken(burst * 50 + i))));
      for (const r of results) {
        statuses.push(r.statusCode);
        if (r.statusCode === 429) first429 ??= r;
      }
    }
    console.log(`finding 5: 650 bad tokens in ${Date.now() - started} ms: ${statuses.filter((s) => s === 401).length} × 401, ${statuses.filter((s) => s === 429).length} × 429`);
    // a burst's requests are all in flight before any of them is answered, so up to one burst more than the limit may be checked
    const unauthorized = statuses.filter((s) => s === 401).length;
    expect(unauthorized).toBeGreaterThanOrEqual(LIMIT);
    expect(unauthorized).toBeLessThanOrEqual(LIMIT + 50);
    expect(statuses.slice(-550)).toEqual(Array(550).fill(429));
    expect(first429!.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(Number(first429!.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(first429!.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(first429!.json()).toMatchObject({ status: 429, rule: 'auth-failures', title: expect.stringMatching(/too many failed authentications/) });
  });

  it('then keeps serving a good token from another address, and refuses even a good token from the blocked one', async () => {
    const other = await me('10.5.0.2', api.as('eric'));
    expect(other.statusCode).toBe(200);
    expect(other.json().id).toBe('eric');
    const blocked = await me('10.5.0.1', api.as('eric'));
    expect(blocked.statusCode).toBe(429);
    // public routes stay open to the blocked address
    expect((await api.app.inject({ method: 'GET', url: '/health', remoteAddress: '10.5.0.1' })).statusCode).toBe(200);
  });

  it('logs the block and every refusal at warn, with the address and the rule', () => {
    const warns = lines.filter((l) => l.level === 40 && l.rule === 'auth-failures');
    expect(warns.some((l) => l.address === '10.5.0.1' && l.limit === LIMIT && /blocked/.test(String(l.msg)))).toBe(true);
    expect(warns.filter((l) => /refused/.test(String(l.msg))).length).toBeGreaterThanOrEqual(550);
  });

  it('does not count requests that offer no credentials', async () => {
    const statuses = [];
    for (let i = 0; i < LIMIT + 5; i++) statuses.push((await me('10.5.0.3')).statusCode);
    expect(statuses).toEqual(Array(LIMIT + 5).fill(401));
  });

  it('counts bad session cookies, and drops the bad cookie', async () => {
    const first = await me('10.5.0.4', { cookie: 'herald_session=forged.value' });
    expect(first.statusCode).toBe(401);
    expect(first.cookies.find((c) => c.name === 'herald_session')?.value).toBe('');
    for (let i = 1; i < LIMIT; i++) expect((await me('10.5.0.4', { cookie: `herald_session=forged-${i}` })).statusCode).toBe(401);
    expect((await me('10.5.0.4', { cookie: 'herald_session=forged-last' })).statusCode).toBe(429);
  });

  it('counts bad event signatures on /api/events', async () => {
    const raw = JSON.stringify({ type: 'payment.received', source: 'bank', data: { invoiceId: 'INV-RL', paymentId: 'PAY-RL', amount: '1.00', currency: 'USD' } });
    const post = (signature: string, n: number) =>
      api.app.inject({ method: 'POST', url: '/api/events', remoteAddress: '10.5.0.5', headers: { 'content-type': 'application/json', 'idempotency-key': `rl-${n}`, 'x-herald-signature': signature }, payload: raw });
    for (let i = 0; i < LIMIT; i++) expect((await post(sign('not-the-secret', raw), i)).statusCode).toBe(401);
    const after = await post(sign(SECRET, raw), LIMIT);
    expect(after.statusCode).toBe(429);
  });

  it('counts bad provider webhook signatures', async () => {
    const raw = JSON.stringify({ event: 'delivered', messageId: '<C-RL@herald.local>' });
    const post = (signature: string) =>
      api.app.inject({ method: 'POST', url: '/api/webhooks/delivery/postmark', remoteAddress: '10.5.0.7', headers: { 'content-type': 'application/json', 'x-herald-signature': signature }, payload: raw });
    const t = Math.floor(Date.now() / 1000);
    for (let i = 0; i < LIMIT; i++) expect((await post(`t=${t},v1=${'0'.repeat(63)}${i % 10}`)).statusCode).toBe(401);
    const after = await post(`t=${t},v1=${'0'.repeat(64)}`);
    expect(after.statusCode).toBe(429);
    expect(after.json().rule).toBe('auth-failures');
  });

  it('counts refused sign-ins (beside the sign-in limit of its own, 10 a minute)', async () => {
    const signIn = (password: string) => api.app.inject({ method: 'POST', url: '/api/session', payload: { username: 'alice', password }, remoteAddress: '10.5.0.6' });
    for (let i = 0; i < 9; i++) expect((await signIn(`guess-${i}`)).statusCode).toBe(401);
    for (let i = 9; i < LIMIT; i++) expect((await me('10.5.0.6', badToken(1000 + i))).statusCode).toBe(401);
    // the tenth sign-in is within the sign-in limit, but the address has failed LIMIT times
    const right = await signIn('alice-password');
    expect(right.statusCode).toBe(429);
    expect(right.json().rule).toBe('auth-failures');
  });
});
