/**
 * GET /api/instances/:key/jobs: each job of an instance with the workers that held it, oldest
 * first, and whether each still heartbeats (the watchdog's record; tests/workers/watchdog.test.ts
 * fills it with a killed worker process). Engineers may read it, an account manager may not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerLivenessRepository } from '../../storage/repositories/worker-liveness.js';
import { startApi, type Api } from './harness.js';

describe('the job holders of an instance', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi('pglite');
  }, 120_000);
  afterAll(async () => api?.close());

  it("names the dead worker and the one that took the job after it, and hides it from roles that may not inspect", async () => {
    // given a job that a worker took, then died, and another worker took after its timeout
    const repo = workerLivenessRepository(api.t.db);
    const at = new Date();
    await repo.beat('host-a/101', ['send-reminder'], new Date(at.getTime() - 120_000), 30_000);
    await repo.beat('host-b/202', ['send-reminder'], at, 30_000);
    await repo.held({ jobKey: '77', instanceKey: '4242', jobType: 'send-reminder', elementId: 'remind', workerId: 'host-a/101', at: new Date(at.getTime() - 100_000) });
    await repo.held({ jobKey: '77', instanceKey: '4242', jobType: 'send-reminder', elementId: 'remind', workerId: 'host-b/202', at });
    // when an engineer looks at the instance's jobs
    const res = await api.app.inject({ method: 'GET', url: '/api/instances/4242/jobs', headers: api.as('eric') });
    // then the job shows both holders in order, the first no longer alive
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([
      {
        jobKey: '77',
        type: 'send-reminder',
        elementId: 'remind',
        holders: [
          { worker: 'host-a/101', activatedAt: new Date(at.getTime() - 100_000).toISOString(), alive: false },
          { worker: 'host-b/202', activatedAt: at.toISOString(), alive: true },
        ],
      },
    ]);
    // and the account manager is refused
    expect((await api.app.inject({ method: 'GET', url: '/api/instances/4242/jobs', headers: api.as('sam') })).statusCode).toBe(403);
  });
});
