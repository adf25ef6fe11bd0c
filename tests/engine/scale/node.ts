/**
 * One engine process of the scale-out test (scale.test.ts): an embedded engine on the shared
 * Postgres schema with workers for scale-a, scale-b and scale-c. It never creates instances or
 * publishes messages (the parent does); it takes jobs, fires timers and correlates buffered
 * messages alongside its peers until the parent kills it (SIGKILL).
 *
 * Every job a worker begins is appended to scale_job_runs BEFORE the job is completed, with the
 * incarnation that ran it, so the parent can tell a job run again after a kill (at-least-once)
 * from a job run twice by two live processes (which must not happen).
 *
 * Usage: node --import tsx node.ts '<json NodeConfig>'; prints `ready` once its workers are open.
 */
import { EmbeddedEngine } from '../../../engine/embedded/engine.js';
import { createDb } from '../../../storage/db.js';
import { createLogger } from '../../../config/log.js';
import type { Job } from '../../../engine/types.js';

export interface NodeConfig {
  url: string;
  schema: string;
  /** e.g. n2#5: node 2, fifth start */
  incarnation: string;
}

const cfg = JSON.parse(process.argv[2]) as NodeConfig;
const db = createDb({ url: cfg.url, schema: cfg.schema, pool: { min: 0, max: 6 } });
// warnings and errors go to stderr, which the parent keeps (SCALE_LOG=<file> writes it out)
const logger = createLogger(process.env.SCALE_LOG_LEVEL ?? 'warn').child({ node: cfg.incarnation });
const engine = new EmbeddedEngine({ db, logger, pollInterval: 50, peerSweepInterval: 250 });
await engine.start();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (const type of ['scale-a', 'scale-b', 'scale-c']) {
  engine.createWorker({
    type,
    worker: cfg.incarnation,
    timeout: 60_000,
    maxJobsToActivate: 8,
    handler: async (job: Job) => {
      await db('scale_job_runs').insert({ job_key: Number(job.key), element_instance_key: job.elementInstanceKey, incarnation: cfg.incarnation, at: new Date() });
      await sleep(Math.random() * 20); // some jobs are mid-flight when the kill comes
      return { outcome: 'complete', variables: { [`done_${job.elementId}`]: cfg.incarnation } };
    },
  });
}
process.stdout.write('ready\n');
