/**
 * A customer-request world for tests and the bench: a migrated database with the demo
 * customers, the embedded engine on a virtual clock with customer-request, its DMN tables and
 * customer-communication deployed, Herald's workers, and stand-ins for the delivery side of
 * customer-communication (render, deliver, archive) that record what was sent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import type { JobWorker, UserTask, Variables } from '../../engine/types.js';
import { silentLogger } from '../../config/log.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { seedTemplateLibrary } from '../../storage/templates.js';
import { requestService } from '../../services/requests.js';
import { createTasklist } from '../../api/services/tasklist.js';
import { createTaskRepository } from '../../storage/repositories/tasks.js';
import type { Principal } from '../../api/plugins/app/auth.js';
import { startWorkers, workers } from '../../workers/index.js';
import type { DbKind } from '../../storage/db.js';
import { openTestDb, type TestDb } from '../support/db.js';

const processes = path.resolve(import.meta.dirname, '../../processes');
export const resource = (name: string) => ({ name, content: fs.readFileSync(path.join(processes, name), 'utf8') });
// with the forms the two diagrams link: a task's form is what completing it may set
const LINKED_FORMS = ['request-triage', 'invoice-review', 'payment-query-answer', 'refund-assessment', 'credit-review', 'adjustment-approval', 'escalation-review', 'communication-approval', 'customer-data-correction', 'failed-delivery-resolution'];
export const REQUEST_RESOURCES = ['customer-request.bpmn', 'customer-request-classification.dmn', 'customer-request-priority.dmn', 'customer-communication.bpmn', ...LINKED_FORMS.map((f) => `${f}.form`)];

export interface SentMessage {
  communicationId: string;
  templateId: string;
  customerId: string;
  data: Variables;
}

export async function openRequestWorld(kind: DbKind, options: { stubDelivery?: boolean; realRender?: boolean; resources?: string[] } = {}) {
  const t: TestDb = await openTestDb(kind);
  await seedDemoData(t.db);
  // the real render-communication renders the approved library templates with the process's data
  if (options.realRender) await seedTemplateLibrary(t.db);
  const engine = new EmbeddedEngine({ db: t.db, virtualClock: true, clockStart: Date.parse('2026-12-01T09:00:00Z'), pollInterval: 20 });
  await engine.start();
  await engine.deploy([...REQUEST_RESOURCES, ...(options.resources ?? [])].map(resource));
  const now = () => new Date(engine.clock.now());
  const deps = { db: t.db, engine, now };
  const stubbed = new Set(options.stubDelivery === false ? [] : options.realRender ? ['deliver-communication', 'archive-communication'] : ['render-communication', 'deliver-communication', 'archive-communication']);
  const running: JobWorker[] = startWorkers(engine, deps, silentLogger, workers.filter((d) => !stubbed.has(d.type)));
  const sent: SentMessage[] = [];
  // delivery results still in flight when the world closes are awaited, not left to hit a closed database
  const inFlight = new Set<Promise<unknown>>();
  if (options.stubDelivery !== false) {
    running.push(
      ...(options.realRender ? [] : [engine.createWorker({ type: 'render-communication', handler: async () => ({ outcome: 'complete' }) })]),
      engine.createWorker({
        type: 'deliver-communication',
        handler: async (job) => {
          const v = job.variables as { communicationId: string; templateId: string; customerId: string; data?: Variables };
          sent.push({ communicationId: v.communicationId, templateId: v.templateId, customerId: v.customerId, data: v.data ?? {} });
          // the delivery result arrives after the job completes, as from a real channel
          const published = new Promise((r) => setTimeout(r, 0))
            .then(() => engine.publishMessage({ name: 'delivery-result', correlationKey: v.communicationId, variables: { deliveryStatus: 'sent' }, timeToLive: 60_000 }))
            .catch((err: Error) => sent.push({ communicationId: v.communicationId, templateId: 'delivery-result-failed', customerId: v.customerId, data: { error: err.message } }))
            .finally(() => inFlight.delete(published));
          inFlight.add(published);
          return { outcome: 'complete' };
        },
      }),
      engine.createWorker({ type: 'archive-communication', handler: async () => ({ outcome: 'complete' }) }),
    );
  }
  const service = requestService(deps);
  // people complete tasks through the one door, as every route does
  const tasklist = createTasklist({ db: t.db, engine });
  const unfollow = tasklist.follow(silentLogger);
  await tasklist.rebuild();

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 15));
    }
  }

  return {
    db: t.db,
    engine,
    service,
    sent,
    now,
    waitFor,
    /** The open user task of this element for this request. */
    task(requestId: string, elementId: string): Promise<UserTask> {
      return waitFor(`user task ${elementId} of ${requestId}`, async () => (await engine.listUserTasks()).find((u) => u.elementId === elementId && u.variables.requestId === requestId));
    },
    async openTasks(requestId: string): Promise<string[]> {
      return (await engine.listUserTasks()).filter((u) => u.variables.requestId === requestId).map((u) => u.elementId).sort();
    },
    tasklist,
    /**
     * `who` (with these groups) claims and completes the task through the tasklist door, as the
     * tasklist and the request's task route do; a refusal rejects with the door's problem.
     */
    async complete(task: UserTask, who: { id: string; roles: string[] }, variables: Variables = {}): Promise<void> {
      await waitFor(`task row ${task.userTaskKey}`, async () => createTaskRepository(t.db).get(task.userTaskKey));
      const principal = { id: who.id, name: who.id, roles: [], teams: who.roles, groups: who.roles, via: 'token' } as unknown as Principal;
      const row = await createTaskRepository(t.db).get(task.userTaskKey);
      if (row?.assignee !== who.id) await tasklist.claim(task.userTaskKey, principal);
      await tasklist.complete(task.userTaskKey, principal, variables);
    },
    /** Waits until the request's instance has ended. */
    async ended(processInstanceKey: string) {
      return waitFor(`instance ${processInstanceKey} to end`, async () => {
        const i = await engine.getInstance(processInstanceKey);
        return i && i.state !== 'ACTIVE' ? i : undefined;
      });
    },
    async reached(processInstanceKey: string, elementId: string, state: 'ACTIVATED' | 'COMPLETED' = 'ACTIVATED') {
      return waitFor(`${elementId} ${state}`, async () => (await engine.getInstance(processInstanceKey))?.elements.find((e) => e.elementId === elementId && e.state === state));
    },
    async close() {
      unfollow();
      await Promise.all(running.map((w) => w.close()));
      await Promise.allSettled([...inFlight]);
      await engine.stop();
      await t.close();
    },
  };
}

export type RequestWorld = Awaited<ReturnType<typeof openRequestWorld>>;
