import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { dbKinds } from '../support/db.js';
import { startApi, type Api } from './harness.js';

describe.each(await dbKinds())('engine routes write their audit rows on %s', (kind) => {
  let api: Api;
  const http = () => request(api.app.server);
  const rows = (action: string) => createAuditRepository(api.t.db).list({ action, limit: 1000 });
  beforeAll(async () => {
    api = await startApi(kind);
    // PGlite and the engine take a while to start on a loaded machine
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it('records creating and cancelling an instance, and a cancel the engine refuses', async () => {
    const created = await http()
      .post('/api/instances')
      .set(api.as('eric'))
      .send({ bpmnProcessId: 'api-approval', variables: { dueDate: null, priority: 50, amount: '10.00', iban: 'DE00 secret' } });
    expect(created.status).toBe(201);
    const pik = created.body.processInstanceKey as string;
    // the engineer who started it is its initiator; nobody names another one from outside
    expect((await api.engine.getVariables(pik)).initiatedBy).toBe('eric');
    const forged = await http().post('/api/instances').set(api.as('eric')).send({ bpmnProcessId: 'api-approval', variables: { dueDate: null, priority: 50, initiatedBy: 'ada' } });
    expect(forged.status).toBe(400);
    expect(forged.body).toMatchObject({ field: 'body.variables.initiatedBy', rule: 'control-variable' });
    expect((await rows('instance.create')).some((r) => r.outcome === 'refused' && r.actor === 'eric' && r.rule === 'control-variable')).toBe(true);
    const [create] = (await rows('instance.create')).filter((r) => r.detail.processInstanceKey === pik);
    expect(create).toMatchObject({ actor: 'eric', subjectType: 'process', subjectId: 'api-approval', outcome: 'allowed' });
    // names of variables only: the log is append-only and values may be personal data
    expect(create.detail.variableNames).toContain('iban');
    expect(JSON.stringify(create.detail)).not.toContain('DE00 secret');

    expect((await http().delete(`/api/instances/${pik}`).set(api.as('eric'))).status).toBe(204);
    const again = await http().delete(`/api/instances/${pik}`).set(api.as('eric'));
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);
    const cancels = (await rows('instance.cancel')).filter((r) => r.subjectId === pik);
    expect(cancels.map((r) => [r.actor, r.outcome])).toEqual([
      ['eric', 'allowed'],
      ['eric', 'refused'],
    ]);
    expect(cancels[1].detail).toMatchObject({ reason: again.body.title });
  });

  it('records publishing a message and broadcasting a signal', async () => {
    const msg = await http().post('/api/messages').set(api.as('eric')).send({ name: 'engine-audit-msg', correlationKey: 'ea-1', variables: { x: 1 }, timeToLive: 1000 });
    expect(msg.status).toBe(201);
    expect((await rows('message.publish')).find((r) => r.subjectId === 'engine-audit-msg')).toMatchObject({
      actor: 'eric',
      subjectType: 'message',
      outcome: 'allowed',
      detail: { correlationKey: 'ea-1', timeToLive: 1000, variableNames: ['x'], messageKey: msg.body.messageKey },
    });
    const sig = await http().post('/api/signals').set(api.as('eric')).send({ signalName: 'engine-audit-signal' });
    expect(sig.status).toBe(201);
    expect((await rows('signal.broadcast')).find((r) => r.subjectId === 'engine-audit-signal')).toMatchObject({ actor: 'eric', outcome: 'allowed', detail: { signalKey: sig.body.signalKey } });
  });

  it('records refusals: a missing role, a bad body and an unknown incident', async () => {
    const denied = await http().post('/api/signals').set(api.as('carl')).send({ signalName: 'engine-audit-denied' });
    expect(denied.status).toBe(403);
    // refused before the body is read: the subject is unknown, the actor and rule are not
    expect((await rows('signal.broadcast')).find((r) => r.actor === 'carl')).toMatchObject({ subjectId: '?', outcome: 'refused', rule: 'role', detail: { status: 403 } });

    const bad = await http().post('/api/messages').set(api.as('eric')).send({ name: 'engine-audit-bad', correlationKey: 'k', status: 'x' });
    expect(bad.status).toBe(400);
    expect((await rows('message.publish')).find((r) => r.subjectId === 'engine-audit-bad')).toMatchObject({ actor: 'eric', outcome: 'refused', detail: { status: 400 } });

    const missing = await http().post('/api/incidents/987654321/resolution').set(api.as('eric')).send({ retries: 2 });
    expect(missing.status).toBe(404);
    expect((await rows('incident.resolve')).find((r) => r.subjectId === '987654321')).toMatchObject({ actor: 'eric', outcome: 'refused', detail: { retries: 2, code: 'NOT_FOUND' } });

    const task = await http().post('/api/user-tasks/123/completion').set(api.as('carl')).send({});
    expect(task.status).toBe(403);
    expect((await rows('task.complete')).find((r) => r.subjectId === '123')).toMatchObject({ actor: 'carl', outcome: 'refused', rule: 'role' });
  });

  it('writes one row per refusal, not a second one from the problem handler', async () => {
    const all = await createAuditRepository(api.t.db).list({ actor: 'carl', limit: 1000 });
    expect(all.filter((r) => r.outcome === 'refused').map((r) => r.action).sort()).toEqual(['signal.broadcast', 'task.complete']);
    expect((await createAuditRepository(api.t.db).list({ subjectId: '987654321', limit: 1000 })).length).toBe(1);
  });

  it('records nothing for a caller without credentials, and the chain still verifies', async () => {
    const before = (await rows('signal.broadcast')).length;
    expect((await http().post('/api/signals').send({ signalName: 'anonymous' })).status).toBe(401);
    expect((await rows('signal.broadcast')).length).toBe(before);
    expect(await createAuditRepository(api.t.db).verify()).toMatchObject({ ok: true });
  });
});
