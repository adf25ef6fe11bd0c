import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sign } from '../../api/services/signature.js';
import { dbKinds } from '../support/db.js';
import { SECRET, startApi, type Api } from './harness.js';
import { seedDemoData } from '../../storage/demo-data.js';

describe.each(await dbKinds())('POST /api/events on %s', (kind) => {
  let api: Api;
  let publish: ReturnType<typeof vi.spyOn>;
  beforeAll(async () => {
    api = await startApi(kind);
    // invoices are recorded against the customer master: the customers they name exist
    await seedDemoData(api.t.db);
    publish = vi.spyOn(api.engine, 'publishMessage');
  });
  afterAll(async () => {
    await api?.close();
  });

  let n = 0;
  const uniqueKey = () => `evt-${kind}-${Date.now()}-${n++}`;
  const payment = (invoiceId: string, amount = '19600.00') => ({ type: 'payment.received', source: 'bank', data: { invoiceId, paymentId: `PAY-${invoiceId}`, amount, currency: 'USD' } });
  function send(body: unknown, key: string, options: { secret?: string; t?: number; signature?: string | null } = {}) {
    const raw = JSON.stringify(body);
    const req = request(api.app.server).post('/api/events').set('Content-Type', 'application/json').set('Idempotency-Key', key);
    const signature = options.signature === undefined ? sign(options.secret ?? SECRET, raw, options.t) : options.signature;
    if (signature !== null) req.set('X-Herald-Signature', signature);
    return req.send(raw);
  }

  it('accepts each event type, publishes its message and audits it', async () => {
    const events = [
      { type: 'invoice.issued', source: 'erp', data: { invoiceId: 'INV-E1', customerId: 'C-ACME', number: '2026-E1', issueDate: '2026-11-01', dueDate: '2026-12-01', paymentTerms: 'net 30 days', amount: '19600.00', currency: 'USD' } },
      payment('INV-E1'),
      { type: 'promise_to_pay.made', source: 'portal', data: { invoiceId: 'INV-E1', promisedDate: '2026-12-15', amount: '19600.00' } },
      { type: 'credit.limit_changed', source: 'erp', data: { customerId: 'C-ACME', newLimit: '75000.00', previousLimit: '50000.00', currency: 'USD' } },
      { type: 'customer.updated', source: 'crm', data: { customerId: 'C-ACME', changes: { locale: 'de' } } },
    ];
    const names = ['invoice-issued', 'payment-received', 'promise-to-pay', 'credit-limit-changed', 'customer-updated'];
    for (const [i, body] of events.entries()) {
      const key = uniqueKey();
      const res = await send(body, key);
      expect(res.status, body.type).toBe(202);
      expect(res.body).toMatchObject({ eventId: key, type: body.type, message: { name: names[i] } });
      expect(res.body.message.messageKey).toMatch(/^\d+$/);
      const audit = await api.t.db('audit_log').where({ subject_type: 'event', subject_id: key }).orderBy('id');
      expect(audit.map((r) => r.action)).toEqual(['event.received', 'event.accepted']);
    }
  });

  it('refuses a missing, wrong or stale signature (401)', async () => {
    const body = payment('INV-E2');
    for (const [options, reason] of [
      [{ signature: null }, /missing/],
      [{ secret: 'not-the-secret' }, /does not match/],
      [{ t: Math.floor(Date.now() / 1000) - 3600 }, /more than 300 s/],
      [{ signature: 'sha256=abc' }, /must be/],
    ] as const) {
      const res = await send(body, uniqueKey(), options);
      expect(res.status).toBe(401);
      expect(res.body.field).toBe('header.x-herald-signature');
      expect(res.body.title).toMatch(reason);
    }
    // a signature over other bytes than those sent
    const raw = JSON.stringify(body);
    const res = await request(api.app.server).post('/api/events').set('Content-Type', 'application/json').set('Idempotency-Key', uniqueKey()).set('X-Herald-Signature', sign(SECRET, raw)).send(raw.replace('19600.00', '1.00'));
    expect(res.status).toBe(401);
  });

  it('names the field it refuses (400)', async () => {
    const bad = await send({ type: 'payment.received', source: 'bank', data: { invoiceId: 'INV-E3', paymentId: 'P', amount: 19600, currency: 'USD' } }, uniqueKey());
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('body.data.amount');
    const type = await send({ type: 'invoice.paid', source: 'erp', data: {} }, uniqueKey());
    expect(type.status).toBe(400);
    expect(type.body.field).toBe('body.type');
    const missing = await send({ type: 'invoice.issued', source: 'erp', data: { invoiceId: 'INV-E3', amount: '1.00', currency: 'USD' } }, uniqueKey());
    expect(missing.body.field).toBe('body.data.customerId');
    const raw = JSON.stringify(payment('INV-E3'));
    const noKey = await request(api.app.server).post('/api/events').set('Content-Type', 'application/json').set('X-Herald-Signature', sign(SECRET, raw)).send(raw);
    expect(noKey.status).toBe(400);
    expect(noKey.body.field).toBe('header.idempotency-key');
  });

  it('answers the same key and body with the first result, a different body with 422', async () => {
    const key = uniqueKey();
    const first = await send(payment('INV-E4'), key);
    const again = await send(payment('INV-E4'), key);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await send(payment('INV-E4', '1.00'), key);
    expect(other.status).toBe(422);
    expect(other.body.field).toBe('header.idempotency-key');
  });

  it('makes one effect from 20 concurrent duplicates', async () => {
    const key = uniqueKey();
    const before = publish.mock.calls.length;
    const results = await Promise.all(Array.from({ length: 20 }, () => send(payment('INV-E5'), key)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(202));
    expect(new Set(results.map((r) => r.body.message.messageKey)).size).toBe(1);
    expect(publish.mock.calls.length - before).toBe(1);
    expect(await api.t.db('event_receipts').where({ idempotency_key: key }).count({ n: '*' })).toEqual([{ n: expect.anything() }]);
    expect(Number((await api.t.db('event_receipts').where({ idempotency_key: key }).count({ n: '*' }))[0].n)).toBe(1);
    const accepted = await api.t.db('audit_log').where({ subject_type: 'event', subject_id: key, action: 'event.accepted' });
    expect(accepted).toHaveLength(1);
  });
});
