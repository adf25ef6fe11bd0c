import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pruneEventSignatures } from '../../api/routes/events/index.js';
import { sign, verifySignature } from '../../api/services/signature.js';
import { dbKinds } from '../support/db.js';
import { SECRET, startApi, type Api } from './harness.js';

describe('event signatures (pure)', () => {
  it('cover the timestamp, the event id and the body', () => {
    const body = '{"a":1}';
    const now = Date.now();
    const header = sign(SECRET, body, Math.floor(now / 1000), 'evt-1');
    expect(header).toMatch(/^t=\d+,id=evt-1,v1=[0-9a-f]{64}$/);
    expect(verifySignature(header, body, [SECRET], 300, now)).toEqual({ ok: true, t: Math.floor(now / 1000), id: 'evt-1' });
    // another id, timestamp or body under the same MAC does not verify
    expect(verifySignature(header.replace('id=evt-1', 'id=evt-2'), body, [SECRET], 300, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/does not match/) });
    expect(verifySignature(header.replace(/t=\d+/, `t=${Math.floor(now / 1000) - 1}`), body, [SECRET], 300, now)).toMatchObject({ ok: false });
    expect(verifySignature(header, '{"a":2}', [SECRET], 300, now)).toMatchObject({ ok: false });
  });

  it('refuse the old form without an event id, naming the form', () => {
    const t = Math.floor(Date.now() / 1000);
    const legacy = sign(SECRET, '{}', t, 'x').replace(/,id=x/, '');
    expect(verifySignature(legacy, '{}', [SECRET])).toMatchObject({ ok: false, reason: expect.stringMatching(/t=<unix seconds>,id=<event id>,v1=/) });
  });
});

describe.each(await dbKinds())('finding 7: signed events are single-use, on %s', (kind) => {
  let api: Api;
  let publish: ReturnType<typeof vi.spyOn>;
  beforeAll(async () => {
    api = await startApi(kind);
    publish = vi.spyOn(api.engine, 'publishMessage');
  });
  afterAll(async () => {
    await api?.close();
  });

  let n = 0;
  const unique = (what: string) => `${what}-${kind}-${Date.now()}-${n++}`;
  const post = (raw: string, key: string, signature: string) =>
    request(api.app.server).post('/api/events').set('Content-Type', 'application/json').set('Idempotency-Key', key).set('X-Herald-Signature', signature).send(raw);
  const payment = (invoiceId: string) => JSON.stringify({ type: 'payment.received', source: 'bank', data: { invoiceId, paymentId: `PAY-${invoiceId}`, amount: '19600.00', currency: 'USD' } });

  it('given a captured body and signature, refuses them under a new Idempotency-Key with 409 and publishes nothing more', async () => {
    const raw = payment(unique('INV-R1'));
    const signature = sign(SECRET, raw);
    const firstKey = unique('evt');
    const before = publish.mock.calls.length;
    const first = await post(raw, firstKey, signature);
    expect(first.status).toBe(202);
    expect(publish.mock.calls.length - before).toBe(1);

    const replayKey = unique('evt');
    const replay = await post(raw, replayKey, signature);
    expect(replay.status).toBe(409);
    expect(replay.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(replay.body).toMatchObject({ status: 409, field: 'header.x-herald-signature', rule: 'replay', title: expect.stringMatching(/already used/) });
    // nothing was published, no receipt was made, and the refusal is on the audit trail
    expect(publish.mock.calls.length - before).toBe(1);
    expect(await api.t.db('event_receipts').where({ idempotency_key: replayKey })).toEqual([]);
    const audit = await api.t.db('audit_log').where({ subject_type: 'event', subject_id: replayKey });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ outcome: 'refused', rule: 'replay' });
  });

  it('answers a retry with the same key, body and signature with the first result, publishing once', async () => {
    const raw = payment(unique('INV-R2'));
    const signature = sign(SECRET, raw);
    const key = unique('evt');
    const before = publish.mock.calls.length;
    const first = await post(raw, key, signature);
    const again = await post(raw, key, signature);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(publish.mock.calls.length - before).toBe(1);
  });

  it('lets exactly one of ten concurrent replays under different keys through', async () => {
    const raw = payment(unique('INV-R3'));
    const signature = sign(SECRET, raw);
    const before = publish.mock.calls.length;
    const results = await Promise.all(Array.from({ length: 10 }, () => post(raw, unique('evt'), signature)));
    expect(results.map((r) => r.status).sort()).toEqual([202, ...Array(9).fill(409)]);
    expect(publish.mock.calls.length - before).toBe(1);
  });

  it('refuses a signature whose event id was changed (401), and the old form without an id (401)', async () => {
    const raw = payment(unique('INV-R4'));
    const forged = sign(SECRET, raw).replace(/id=[^,]+/, 'id=something-else');
    expect((await post(raw, unique('evt'), forged)).status).toBe(401);
    const legacy = (await post(raw, unique('evt'), sign(SECRET, raw).replace(/,id=[^,]+/, ''))).body;
    expect(legacy).toMatchObject({ status: 401, field: 'header.x-herald-signature', title: expect.stringMatching(/id=<event id>/) });
  });

  it('forgets event ids once their signatures are stale', async () => {
    const id = unique('old');
    await api.t.db('event_signatures').insert({ event_id: id, idempotency_key: 'k', body_hash: 'h'.repeat(64), signed_at: new Date(Date.now() - 3_600_000), expires_at: new Date(Date.now() - 60_000) });
    expect(await pruneEventSignatures(api.t.db)).toBeGreaterThanOrEqual(1);
    expect(await api.t.db('event_signatures').where({ event_id: id })).toEqual([]);
  });
});
