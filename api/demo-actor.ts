/**
 * The demo's people act through the tasklist, as a person would: the task is claimed, then
 * completed, under segregation of duties, each decision on the audit trail. They work from the
 * tasklist's state (what is open for them), polled, not from live events alone: a restart, a
 * slow machine or a task created before they started looking delays the story, never breaks it.
 */
import type { Logger } from '../config/log.js';
import type { Engine, Variables } from '../engine/types.js';
import type { Db } from '../storage/db.js';
import { groupsOf } from '../domain/identity/index.js';
import { createIdentityRepository } from '../storage/repositories/identity.js';
import { createTaskRepository, type Task } from '../storage/repositories/tasks.js';
import { createTasklist } from './services/tasklist.js';
import { slowWork } from '../workers/test-slowdown.js';

/** Returns `act(userId, taskKey, variables)`, which claims and completes the task as that person. */
export function demoActor(deps: { db: Db; engine: Engine }): (userId: string, taskKey: string, variables: Variables) => Promise<void> {
  const tasklist = createTasklist({ db: deps.db, engine: deps.engine });
  const identity = createIdentityRepository(deps.db);
  // slowWork: a test-only slower clock (workers/test-slowdown.ts); without it the step runs as it is
  return (userId, taskKey, variables) =>
    slowWork(async () => {
      const user = await identity.getUser(userId);
      if (!user) throw new Error(`demo person ${userId} is not seeded`);
      const who = { ...user, groups: groupsOf(user), via: 'token' as const };
      const task = await tasklist.claim(taskKey, who);
      // claimed on an earlier pass that stopped before completing: only the completion is left
      if (task.state !== 'CREATED') return;
      await tasklist.complete(taskKey, who, variables);
    });
}

/** Who acts on an open task and with what; undefined leaves it to real people. */
export type DemoScript = (task: Task) => { by: string; variables: Variables } | undefined;

/**
 * Works the open tasks the script names, every `everyMs`, until stopped. A task is acted on once
 * it has been open `pauseMs` (so the UI shows it first); a failed attempt is logged at warn and
 * tried again later (backing off to 30 s), never given up, since what failed may be a slow
 * engine. Returns stop().
 */
export function workTasklist(deps: { db: Db; engine: Engine; logger: Logger }, script: DemoScript, options: { everyMs?: number; pauseMs?: number; now?: () => number } = {}): () => void {
  const act = demoActor(deps);
  const tasks = createTaskRepository(deps.db);
  // the pause runs from when a person first sees the task, on the wall clock: the engine's clock
  // may be virtual (tests) or far ahead of it
  const now = options.now ?? Date.now;
  const seen = new Map<string, number>();
  const retryAt = new Map<string, { at: number; attempts: number }>();
  // the tasks table learns of a completion a moment after it: a task done here is never acted on twice
  const done = new Set<string>();
  let busy = false;
  let stopped = false;
  const tick = async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      for (const task of await tasks.list({ state: 'CREATED' })) {
        const step = script(task);
        if (!step || stopped || done.has(task.key)) continue;
        if (!seen.has(task.key)) seen.set(task.key, now());
        if (now() - seen.get(task.key)! < (options.pauseMs ?? 0)) continue;
        const retry = retryAt.get(task.key);
        if (retry && retry.at > now()) continue;
        try {
          await act(step.by, task.key, step.variables);
          done.add(task.key);
          retryAt.delete(task.key);
          seen.delete(task.key);
          deps.logger.info({ task: task.elementId, process: task.bpmnProcessId, by: step.by }, 'demo: task done');
        } catch (err) {
          const attempts = (retry?.attempts ?? 0) + 1;
          retryAt.set(task.key, { at: now() + Math.min(30_000, 500 * 2 ** attempts), attempts });
          deps.logger.warn({ err: (err as Error).message, rule: (err as { extra?: { rule?: string } }).extra?.rule, task: task.elementId, process: task.bpmnProcessId, by: step.by, attempts }, 'demo: task not done yet; trying again');
        }
      }
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, 'demo: could not read the tasklist; trying again');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), options.everyMs ?? 1000);
  timer.unref();
  void tick();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
