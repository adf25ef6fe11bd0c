/**
 * One side of the engine throughput bench, in a process of its own. bench/engine.ts starts one
 * process per side, all with the same Node flags, and then asks them in turn, over the IPC
 * channel, to measure a batch (`{ measure: n }` → `{ result }`); a side waits idle while another
 * measures. So the sides alternate in short turns (this machine's speed drifts over seconds to
 * minutes) and none pays for another's heap: in one shared process the durable rigs' caches and
 * PGlite's memory made the raw loop's collections dearer, and the raw loop's garbage the rigs',
 * by amounts that changed from run to run.
 *
 *   engine-side.ts raw            instances one after another, service tasks completing at once
 *   engine-side.ts raw-in-flight  the same engine with IN_FLIGHT instances running at a time, each
 *                                 service task completing on the next turn of the event loop
 *   engine-side.ts pglite <dir>   the durable embedded engine on the PGlite folder <dir>
 *   engine-side.ts postgres <schema>  ... on Postgres, in <schema>
 *
 * The database is migrated by the caller. Each side warms up with WARM_UP instances before it
 * says `{ ready: true }`; `{ exit: true }` closes it.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Engine } from 'bpmn-engine';
import * as Elements from 'bpmn-elements';
import { BpmnModdle } from 'bpmn-moddle';
import serializer, { TypeResolver } from 'moddle-context-serializer';
import { FIVE_TASKS_BPMN, IN_FLIGHT, POSTGRES_URL, WARM_UP } from './engine.js';

export interface SideResult {
  perSecond: number;
  instances: number;
  wallMs: number;
  /** Durable sides: what the measured instances cost the database and the engine. */
  queries?: number;
  transactions?: number;
  /** Times an instance settled and was saved: by a snapshot, or else by a journal line. */
  settles?: number;
  snapshots?: number;
  /** Snapshots whose size was taken (a sample, so measuring stays out of the timed path). */
  sampled?: number;
  snapshotBytes?: number;
}

interface Side {
  /** Runs `n` instances (not measured). */
  run(n: number): Promise<void>;
  /** Counters of the durable sides, reset before each measured batch. */
  counters?: Omit<SideResult, 'perSecond' | 'instances' | 'wallMs'>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------- raw

async function rawEngine(inFlight: number): Promise<Side> {
  const require = createRequire(import.meta.url);
  const zeebe = require('zeebe-bpmn-moddle/resources/zeebe.json');
  const moddle = await new BpmnModdle({ zeebe }).fromXML(fs.readFileSync(FIVE_TASKS_BPMN, 'utf8'));
  const sourceContext = serializer(moddle, TypeResolver({ ...Elements })); // parsed once
  // one at a time: bpmn-elements' dummy service completes a task at once; in flight: on the next turn
  const options =
    inFlight === 1
      ? { settings: { enableDummyService: true } }
      : {
          extensions: {
            nextTurn(activity: { type: string; behaviour: { Service?: unknown } }) {
              if (activity.type !== 'bpmn:ServiceTask') return;
              // bpmn-elements constructs the service with `new`
              activity.behaviour.Service = function NextTurn() {
                return { execute: (_: unknown, done: (err: null) => void) => void setImmediate(done, null) };
              };
            },
          },
        };
  const runOne = async () => {
    const engine = new Engine({ sourceContext, ...options } as never);
    const ended = new Promise<void>((resolve, reject) => {
      engine.once('end', () => resolve());
      engine.once('error', (err: unknown) => reject(err));
    });
    await engine.execute({ listener: { emit() {} } } as never);
    await ended;
  };
  return {
    async run(count) {
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(inFlight, count) }, async () => {
          while (next++ < count) await runOne();
        }),
      );
    },
    close: async () => undefined,
  };
}

// ------------------------------------------------------------------------------------ durable

async function durable(store: 'pglite' | 'postgres', where: string): Promise<Side> {
  // (loaded here: the raw sides' processes load no engine code)
  const { createDb } = await import('../storage/db.js');
  const { EmbeddedEngine } = await import('../engine/embedded/engine.js');
  const { InstanceRuntime } = await import('../engine/embedded/runtime.js');
  const db = store === 'pglite' ? createDb({ dataDir: where }) : createDb({ url: POSTGRES_URL, schema: where, pool: { min: 0, max: 10 } });
  // in-process workers get their jobs handed over; the poll is a fallback
  const engine = new EmbeddedEngine({ db, pollInterval: 1000 });
  await engine.start();
  await engine.deploy([{ name: path.basename(FIVE_TASKS_BPMN), content: fs.readFileSync(FIVE_TASKS_BPMN, 'utf8') }]);
  for (let i = 1; i <= 5; i++) engine.createWorker({ type: `bench-${i}`, maxJobsToActivate: IN_FLIGHT, timeout: 60_000, handler: async () => ({ outcome: 'complete' }) });

  // instrumentation
  const counters = { queries: 0, transactions: 0, settles: 0, snapshots: 0, sampled: 0, snapshotBytes: 0 };
  db.on('query', (q: { sql?: string }) => {
    counters.queries++;
    if (/^begin/i.test(q.sql ?? '')) counters.transactions++;
  });
  const proto = EmbeddedEngine.prototype as unknown as { flush: (...args: unknown[]) => Promise<void> };
  const flush = proto.flush;
  proto.flush = function (this: unknown, ...args: unknown[]) {
    counters.settles++;
    return flush.apply(this, args);
  };
  const snapshot = InstanceRuntime.prototype.snapshot;
  InstanceRuntime.prototype.snapshot = async function (this: InstanceType<typeof InstanceRuntime>) {
    const s = await snapshot.call(this);
    if (counters.snapshots++ % 50 === 0) {
      counters.sampled++;
      counters.snapshotBytes += JSON.stringify(s).length;
    }
    return s;
  };

  return {
    counters,
    // `count` instances with IN_FLIGHT of them running at any time: a new one starts as one ends
    run: (count) =>
      new Promise<void>((resolve, reject) => {
        let started = 0;
        let ended = 0;
        const off = engine.on({
          instanceEnded: () => {
            ended++;
            if (ended === count) {
              off();
              resolve();
            } else if (started < count) launch();
          },
        });
        const launch = () => {
          started++;
          engine.createInstance({ bpmnProcessId: 'bench-five-tasks', variables: { i: started } }).catch(reject);
        };
        for (let i = 0; i < Math.min(IN_FLIGHT, count); i++) launch();
      }),
    async close() {
      await engine.stop();
      await db.destroy();
    },
  };
}

// ------------------------------------------------------------------------------------------

const [kind, where] = process.argv.slice(2);
const side =
  kind === 'raw'
    ? await rawEngine(1)
    : kind === 'raw-in-flight'
      ? await rawEngine(IN_FLIGHT)
      : kind === 'pglite' || kind === 'postgres'
        ? await durable(kind, where)
        : undefined;
if (!side || !process.send) throw new Error(`usage (from bench/engine.ts, with an IPC channel): engine-side.ts raw | raw-in-flight | pglite <dir> | postgres <schema> (got ${kind})`);
await side.run(WARM_UP); // models cached, connections open, code optimized
process.send({ ready: true });
process.on('message', (msg: { measure?: number; exit?: boolean }) => {
  void (async () => {
    if (msg.exit) {
      await side.close();
      process.exit(0);
    }
    const n = msg.measure!;
    if (side.counters) for (const k of Object.keys(side.counters) as (keyof typeof side.counters)[]) side.counters[k] = 0;
    const t0 = performance.now();
    await side.run(n);
    const wallMs = performance.now() - t0;
    const result: SideResult = { perSecond: n / (wallMs / 1000), instances: n, wallMs, ...side.counters };
    process.send!({ result });
  })();
});
