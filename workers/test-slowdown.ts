/**
 * TEST-ONLY: a slower clock of work, to show that nothing in Herald depends on work being quick
 * (tests/requests/demo-chaos.test.ts runs the demo with every job handler and every demo step
 * slowed ten times). HERALD_TEST_WORK_SLOWDOWN=10 makes each piece of work take ten times as
 * long as it did (it waits nine times its own duration after it); HERALD_TEST_WORK_DELAY_MS
 * is the least it then takes. Both are read here only, once; unset (the default, and in
 * production) the work runs as it is, with no wait and no timer.
 */
const factor = Math.max(1, Number(process.env.HERALD_TEST_WORK_SLOWDOWN) || 1);
const atLeastMs = Math.max(0, Number(process.env.HERALD_TEST_WORK_DELAY_MS) || 0);

/** True when a test slowed work down. */
export const workSlowedDown = factor > 1 || atLeastMs > 0;

let noted = false;
/** Says once, at warn, that work is slowed down, so nobody runs a slowed server unaware. */
export function noteSlowdown(log: { warn(obj: object, msg: string): void }): void {
  if (!workSlowedDown || noted) return;
  noted = true;
  log.warn({ slowdown: factor, atLeastMs }, 'TEST ONLY: every job handler and demo step is slowed down (HERALD_TEST_WORK_SLOWDOWN / HERALD_TEST_WORK_DELAY_MS)');
}

/** Runs `work`; under a test's slowdown it then waits before answering (its outcome unchanged). */
export async function slowWork<T>(work: () => Promise<T>): Promise<T> {
  if (!workSlowedDown) return work();
  const started = performance.now();
  try {
    return await work();
  } finally {
    const took = performance.now() - started;
    const wait = Math.max(atLeastMs - took, took * (factor - 1));
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
