/**
 * Frequency caps through the API: staff read a customer's caps, data stewards set and remove them
 * (audited with who and how), others are refused, bad input is problem+json naming the field.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoData } from '../../storage/demo-data.js';
import { startApi, type Api } from './harness.js';

describe('frequency caps through the API (PGlite)', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi('pglite');
    await seedDemoData(api.t.db);
  }, 120_000);
  afterAll(async () => api?.close());
  const http = () => request(api.app.server);

  it('a data steward sets a cap per channel and one for every other channel, audited; staff read them; removing one restores the default', async () => {
    expect((await http().get('/api/customers/C-ACME/frequency-caps').set(api.as('sam'))).body).toEqual({ customerId: 'C-ACME', caps: [], uncappedKinds: ['legal'] });
    const put = await http()
      .put('/api/customers/C-ACME/frequency-caps')
      .set(api.as('dora'))
      .send({ caps: [{ channel: 'email', maxMessages: 3, windowSeconds: 86_400 }, { channel: '*', maxMessages: 10 }] });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.caps).toEqual(expect.arrayContaining([{ channel: 'email', maxMessages: 3, windowSeconds: 86_400 }, { channel: '*', maxMessages: 10, windowSeconds: 86_400 }]));
    const audit = await api.t.db('audit_log').where({ action: 'customer.preferences-changed', subject_id: 'C-ACME', actor: 'dora' }).orderBy('id', 'desc').first();
    const detail = typeof audit.detail === 'string' ? JSON.parse(audit.detail) : audit.detail;
    expect(detail).toMatchObject({ via: 'api', frequencyCaps: expect.arrayContaining([{ channel: 'email', from: null, to: { channel: 'email', maxMessages: 3, windowSeconds: 86_400 } }]) });
    const removed = await http().put('/api/customers/C-ACME/frequency-caps').set(api.as('dora')).send({ caps: [{ channel: 'email', remove: true }] });
    expect(removed.body.caps).toEqual([{ channel: '*', maxMessages: 10, windowSeconds: 86_400 }]);
  });

  it('refuses others and bad input, naming the field', async () => {
    expect((await http().put('/api/customers/C-ACME/frequency-caps').set(api.as('sam')).send({ caps: [{ channel: 'email', maxMessages: 1 }] })).status).toBe(403);
    expect((await http().get('/api/customers/C-NOBODY/frequency-caps').set(api.as('sam'))).status).toBe(404);
    const cases: [unknown, string][] = [
      [{ caps: [{ channel: 'fax', maxMessages: 1 }] }, 'body.caps.0.channel'],
      [{ caps: [{ channel: 'sms', maxMessages: 0 }] }, 'body.caps.0.maxMessages'],
      [{ caps: [{ channel: 'sms', maxMessages: 2, windowSeconds: 5 }] }, 'body.caps.0.windowSeconds'],
      [{ caps: [{ channel: 'sms', maxMessages: 2 }, { channel: 'sms', maxMessages: 3 }] }, 'body.caps.1.channel'],
      [{ caps: [{ channel: 'sms' }] }, 'body.caps.0.maxMessages'],
      [{ caps: [{ channel: 'sms', maxMessages: 2, remove: true }] }, 'body.caps.0.maxMessages'],
    ];
    for (const [body, field] of cases) {
      const res = await http().put('/api/customers/C-ACME/frequency-caps').set(api.as('dora')).send(body as object);
      expect([res.status, res.body.field, res.headers['content-type']], JSON.stringify(body)).toEqual([400, field, expect.stringContaining('application/problem+json')]);
    }
  });
});
