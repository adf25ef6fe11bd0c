/**
 * One engine process of the scale-out bench (bench/engine-scale.ts): an embedded engine on the
 * bench's Postgres schema with workers for the five-task diagram's job types, completing at once.
 * Prints `ready` when started, opens its workers when it reads `go` on stdin, and runs until killed.
 *
 * Usage: node --import tsx bench/engine-scale-node.ts '<json { url, schema }>'
 */
import { EmbeddedEngine } from '../engine/embedded/engine.js';
import { createDb } from '../storage/db.js';

const cfg = JSON.parse(process.argv[2]) as { url: string; schema: string };
const db = createDb({ url: cfg.url, schema: cfg.schema, pool: { min: 0, max: 8 } });
const engine = new EmbeddedEngine({ db, pollInterval: 50 });
await engine.start();
process.stdout.write('ready\n');
process.stdin.once('data', () => {
  for (let i = 1; i <= 5; i++) engine.createWorker({ type: `bench-${i}`, maxJobsToActivate: 32, handler: async () => ({ outcome: 'complete' }) });
});
