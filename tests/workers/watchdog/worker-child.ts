/**
 * The watchdog test's worker process: an embedded engine on the parent's Postgres schema and one
 * worker of the given type, heartbeating, whose handler never finishes. It prints `held <job key>`
 * once it took a job, then waits to be killed.
 *
 * Usage: node --import tsx worker-child.ts '{"url":…,"schema":…,"type":…,"timeoutMs":…,"workerId":…}'
 */
import { silentLogger } from '../../../config/log.js';
import { EmbeddedEngine } from '../../../engine/embedded/engine.js';
import { createDb } from '../../../storage/db.js';
import { createWorkerLiveness } from '../../../workers/watchdog.js';

const cfg = JSON.parse(process.argv[2]) as { url: string; schema: string; type: string; timeoutMs: number; workerId: string };
const db = createDb({ url: cfg.url, schema: cfg.schema, pool: { min: 0, max: 3 } });
const engine = new EmbeddedEngine({ db, pollInterval: 50, logger: silentLogger });
await engine.start();
const liveness = createWorkerLiveness({ db, log: silentLogger, workerId: cfg.workerId, heartbeatMs: 200, staleAfterMs: 600 });
liveness.wrap(engine).createWorker({
  type: cfg.type,
  timeout: cfg.timeoutMs,
  handler: async (job) => {
    process.stdout.write(`held ${job.key}\n`);
    return new Promise(() => undefined);
  },
});
liveness.start();
process.stdout.write('ready\n');
