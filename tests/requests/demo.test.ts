/**
 * The request half of `npm start`'s demo (api/demo-requests.ts) runs the seed's example to its
 * end: the demo people act only through the tasklist, nothing is completed on the engine directly,
 * and the result is what the seed describes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_REQUEST_ID, seedRequestDemo } from '../../api/demo-requests.js';
import { createTasklist } from '../../api/services/tasklist.js';
import { silentLogger } from '../../config/log.js';
import { DEMO_USERS, groupsOf } from '../../domain/identity/index.js';
import { seedDemoUsers } from '../../storage/repositories/identity.js';
import { openRequestWorld, type RequestWorld } from './harness.js';

describe('the request demo', () => {
  let w: RequestWorld;
  const stops: (() => void)[] = [];
  const direct: string[] = [];

  beforeAll(async () => {
    w = await openRequestWorld('pglite', { realRender: true, resources: ['invoice-dunning.bpmn'] });
    await seedDemoUsers(w.db, 'demo-test-secret');
    const tasklist = createTasklist({ db: w.db, engine: w.engine });
    stops.push(tasklist.follow(silentLogger));
    // what api/demo.ts does for communication approvals (the $25,000 notice needs two)
    stops.push(
      w.engine.onUserTask({
        created: (task) => {
          const by = { 'approve-level-1': 'alice', 'approve-level-2': 'bob' }[task.elementId];
          if (!by || !task.bpmnProcessId.startsWith('customer-communication')) return;
          const user = DEMO_USERS.find((u) => u.id === by)!;
          const who = { ...user, groups: groupsOf(user), via: 'token' as const };
          void w
            .waitFor('approval in the tasklist', async () => (await w.db('tasks').where({ key: task.userTaskKey }).first('key')) ?? false)
            .then(() => tasklist.claim(task.userTaskKey, who))
            .then(() => tasklist.complete(task.userTaskKey, who, { approved: true }));
        },
      }),
    );
    // every request task must be completed by a person in the tasklist, never on the engine directly
    const complete = w.engine.completeUserTask.bind(w.engine);
    w.engine.completeUserTask = async (key, variables) => {
      const row = await w.db('tasks').where({ key }).first('completed_by', 'bpmn_process_id');
      if (row?.bpmn_process_id === 'customer-request' && !row.completed_by) direct.push(key);
      return complete(key, variables);
    };
  }, 60_000);
  afterAll(async () => {
    for (const stop of stops) stop();
    await w?.close();
  });

  it('Acme raises the $25,000 discrepancy; sam, alice and bob work it in the tasklist; the corrected invoice goes out', async () => {
    // when the demo starts on a fresh database
    stops.push(await seedRequestDemo({ engine: w.engine, db: w.db, logger: silentLogger, fresh: true, pauseMs: 20, raiseAfterMs: 20 }));
    // then the request ends corrected
    const request = await w.waitFor('the demo request to be resolved', async () => {
      const r = await w.service.repo.get(DEMO_REQUEST_ID);
      return r?.status === 'resolved' ? r : undefined;
    }, 60_000);
    expect(request).toMatchObject({ category: 'billing-dispute', priority: 'high', team: 'finance', resolution: 'corrected', intakeChannel: 'portal', requestedBy: 'acme' });
    await w.ended(request.processInstanceKey!);
    expect(await w.engine.listIncidents()).toEqual([]);
    expect(direct).toEqual([]);
    // and the trail shows every step and actor
    const trail = (await w.service.repo.events(DEMO_REQUEST_ID)).map((e) => `${e.action}:${e.actor}`);
    expect(trail).toEqual([
      'received:acme',
      'registered:herald',
      'enriched:herald',
      'assigned:herald',
      'sla-started:herald',
      'dunning-paused:herald',
      // the tasklist records the review on the request's trail, then the proposal it made
      'review-invoice:sam',
      'adjustment-proposed:sam',
      'approve-adjustment-1:alice',
      'approve-adjustment-2:bob',
      'credit-note-issued:herald',
      'closed:herald',
    ]);
    // and the customer received the acknowledgement and the corrected invoice
    const corrected = await w.db('communications').where({ id: `${DEMO_REQUEST_ID}-result-0` }).first('subject', 'text');
    expect(corrected.subject).toBe('Corrected invoice 2026-0199-C1 replaces 2026-0199');
    expect(corrected.text).toContain('$12,500.00');
    expect(w.sent.map((s) => s.communicationId)).toEqual(expect.arrayContaining(['INV-2026-0199-notice', `${DEMO_REQUEST_ID}-ack-0`, `${DEMO_REQUEST_ID}-result-0`]));
  });
});
