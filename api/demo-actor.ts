/**
 * The demo's people act through the tasklist, as a person would: the task is claimed, then
 * completed, under segregation of duties, each decision on the audit trail.
 */
import type { Engine, Variables } from '../engine/types.js';
import type { Db } from '../storage/db.js';
import { groupsOf } from '../domain/identity/index.js';
import { createIdentityRepository } from '../storage/repositories/identity.js';
import { createTasklist } from './services/tasklist.js';

/** Returns `act(userId, taskKey, variables)`, which claims and completes the task as that person. */
export function demoActor(deps: { db: Db; engine: Engine }): (userId: string, taskKey: string, variables: Variables) => Promise<void> {
  const tasklist = createTasklist({ db: deps.db, engine: deps.engine });
  const identity = createIdentityRepository(deps.db);
  return async (userId, taskKey, variables) => {
    const user = await identity.getUser(userId);
    if (!user) throw new Error(`demo person ${userId} is not seeded`);
    const who = { ...user, groups: groupsOf(user), via: 'token' as const };
    // the tasks table follows the engine's hooks; give it a moment if the row is not there yet
    for (let i = 0; ; i++) {
      try {
        await tasklist.claim(taskKey, who);
        break;
      } catch (err) {
        if (i >= 20 || (err as { status?: number }).status !== 404) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    await tasklist.complete(taskKey, who, variables);
  };
}
