import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../api/services/signature.js';
import { SECRET, startApi, type Api } from './harness.js';

// the address of finding 9: a 234-character local part
const longLocal = `${'a'.repeat(234)}@contoso.example`;

describe('finding 9: email addresses over the RFC 5321 limits are refused where they enter the customer master', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi('pglite');
  });
  afterAll(async () => {
    await api?.close();
  });

  const customerUpdated = (customerId: string, changes: Record<string, unknown>) => {
    const raw = JSON.stringify({ type: 'customer.updated', source: 'crm', data: { customerId, changes } });
    const key = `email-limits-${customerId}-${Date.now()}`;
    return request(api.app.server).post('/api/events').set('Content-Type', 'application/json').set('Idempotency-Key', key).set('X-Herald-Signature', sign(SECRET, raw, undefined, key)).send(raw);
  };

  it('given a customer.updated event with a 234-character local part, answers 400 naming the field and the limit, and stores nothing', async () => {
    const res = await customerUpdated('C-LONG-1', { legalName: 'Long Ltd', contacts: [{ channel: 'sms', address: '+4915112345678', consent: true }, { channel: 'email', address: longLocal, consent: true }] });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: 'body.data.changes.contacts.1.address', title: expect.stringMatching(/local part \(before the @\) of 234 characters; RFC 5321 allows at most 64/) });
    expect(await api.t.db('customer_contacts').where({ customer_id: 'C-LONG-1' })).toEqual([]);
  });

  it("refuses a data steward's correction to such an address the same way", async () => {
    expect((await customerUpdated('C-LONG-2', { legalName: 'Long Ltd', contacts: [{ channel: 'email', address: 'ap@long.example', consent: true }] })).status).toBe(202);
    const res = await request(api.app.server)
      .patch('/api/customers/C-LONG-2')
      .set(api.as('dora'))
      .send({ reason: 'new accounts payable address', changes: { contacts: [{ channel: 'email', address: `${'b'.repeat(60)}@${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.example`, consent: true }] } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: 'body.changes.contacts.0.address', title: expect.stringMatching(/at most 254 \(RFC 5321\)/) });
    const [contact] = await api.t.db('customer_contacts').where({ customer_id: 'C-LONG-2', channel: 'email' });
    expect(contact.address).toBe('ap@long.example');
  });
});
