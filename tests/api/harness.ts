/**
 * An API on a fresh database and embedded engine, with the demo people seeded and the test
 * fixtures deployed. `as(user)` gives supertest headers for that person.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../../api/app.js';
import { silentLogger } from '../../config/log.js';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import type { DbKind } from '../../storage/db.js';
import { seedDemoUsers } from '../../storage/repositories/identity.js';
import { createTaskRepository, type Task } from '../../storage/repositories/tasks.js';
import { openTestDb, type TestDb } from '../support/db.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SECRET = 'api-test-secret';

export interface Api {
  app: FastifyInstance;
  t: TestDb;
  engine: EmbeddedEngine;
  tokens: Record<string, string>;
  as(user: string): { Authorization: string };
  /** Waits until the tasklist has the open task of `elementId` in the instance. */
  task(processInstanceKey: string, elementId: string): Promise<Task>;
  start(bpmnProcessId: string, variables?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function startApi(kind: DbKind, options: Partial<AppDeps> = {}): Promise<Api> {
  const t = await openTestDb(kind);
  const engine = new EmbeddedEngine({ db: t.db, virtualClock: true, pollInterval: 20 });
  await engine.start();
  await engine.deploy(['api-approval.bpmn', 'api-form.bpmn'].map((name) => ({ name, content: fs.readFileSync(path.join(here, 'fixtures', name)) })));
  const people = await seedDemoUsers(t.db, SECRET);
  const tokens = Object.fromEntries(people.map((p) => [p.user.id, p.token]));
  const app = await buildApp({ engine, db: t.db, logger: silentLogger, secret: SECRET, rateLimit: { max: 100_000, timeWindow: 60_000 }, authFailureLimit: { max: 100_000, timeWindow: 60_000 }, ...options });
  await app.ready();
  const tasks = createTaskRepository(t.db);
  return {
    app,
    t,
    engine,
    tokens,
    as: (user) => ({ Authorization: `Bearer ${tokens[user]}` }),
    async task(processInstanceKey, elementId) {
      for (let i = 0; i < 500; i++) {
        const found = (await tasks.list({ processInstanceKey })).find((x) => x.elementId === elementId);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no open task ${elementId} in instance ${processInstanceKey}`);
    },
    async start(bpmnProcessId, variables = {}) {
      // the approval fixture schedules by dueDate and priority variables; a missing one would be an incident
      return (await engine.createInstance({ bpmnProcessId, variables: { dueDate: null, priority: 50, ...variables } })).processInstanceKey;
    },
    async close() {
      await app.close();
      await engine.stop();
      await t.close();
    },
  };
}
