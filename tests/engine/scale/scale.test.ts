/**
 * Scale-out on one Postgres (issue 17): three engine processes (node.ts) share a schema while the
 * test SIGKILLs one of them every few seconds and starts it again. The test process creates the
 * instances and publishes the messages through an engine of its own that is not started (a client,
 * as the API is to the workers: it takes no jobs and fires no timers, but it saves instances, from
 * a cache its peers make stale).
 *
 * Each instance runs a (job) -> timer -> message -> b (job) + c (job) in parallel -> end. Half of the
 * messages are published right after the instance is created and wait buffered (TTL) until a
 * process opens the subscription; the other half are published once the subscription is open.
 * Then, on the database:
 * - every instance completed, and each element (so each job, the timer and the message catch) completed once;
 * - each timer row fired once (TRIGGERED), each instance correlated one message, once;
 * - every job completed; a job ran more than once only when the process that ran it first was killed.
 *
 * CI size: 60 instances and 6 kills; HERALD_SOAK=1: 600 instances and 60 kills (SCALE_INSTANCES and
 * SCALE_KILLS override). The kills stop after the last one and the processes finish the work.
 * Prints its figures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../../engine/embedded/engine.js';
import { createDb, migrate, type Db } from '../../../storage/db.js';
import { dbKinds, postgresUrl } from '../../support/db.js';
import type { NodeConfig } from './node.js';

const here = import.meta.dirname;
const repoRoot = path.resolve(here, '../../..');
const SOAK = process.env.HERALD_SOAK === '1';
const N = Number(process.env.SCALE_INSTANCES ?? (SOAK ? 600 : 60));
const NODES = 3;
/** SIGKILLs in all; after the last the processes run on undisturbed to the end. */
const KILLS = Number(process.env.SCALE_KILLS ?? (SOAK ? 60 : 6));
/** How long the instances may take to complete: ~30-60 s on a quiet 2-core machine for the CI size, far more under load. */
const BUDGET = SOAK ? 1_800_000 : 300_000;

interface Node {
  name: string;
  incarnation: string;
  child: ChildProcess;
  exited: Promise<void>;
  ready: Promise<void>;
}

function startNode(name: string, start: number, schema: string): Node {
  const incarnation = `${name}#${start}`;
  const config: NodeConfig = { url: postgresUrl, schema, incarnation };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'node.ts'), JSON.stringify(config)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => {
    if (process.env.SCALE_LOG) fs.appendFileSync(process.env.SCALE_LOG, d.toString().replace(/^ready\n/m, ''));
  });
  child.stderr!.on('data', (d: Buffer) => {
    if (process.env.SCALE_LOG) fs.appendFileSync(process.env.SCALE_LOG, d.toString());
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) resolve();
    });
    child.once('exit', (code, signal) => {
      if (!out.includes('ready\n')) {
        if (signal === 'SIGKILL') resolve(); // killed while starting: that is part of the test
        else reject(new Error(`${incarnation} exited (code ${code}) before it was ready:\n${stderr}`));
      }
    });
  });
  return { name, incarnation, child, exited, ready };
}

const postgres = (await dbKinds()).includes('postgres');

describe.skipIf(!postgres)('three engine processes on one Postgres, one killed every few seconds', () => {
  const schema = `scale_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let db: Db;
  let client: EmbeddedEngine;
  const nodes: Node[] = [];

  beforeAll(async () => {
    db = createDb({ url: postgresUrl, schema, pool: { min: 0, max: 6 } });
    await migrate(db, schema);
    await db.schema.createTable('scale_job_runs', (t) => {
      t.bigIncrements('seq');
      t.bigInteger('job_key').notNullable();
      t.text('element_instance_key').notNullable();
      t.text('incarnation').notNullable();
      t.timestamp('at', { useTz: true }).notNullable();
    });
    client = new EmbeddedEngine({ db });
    await client.deploy([{ name: 'scale.bpmn', content: fs.readFileSync(path.join(here, 'scale.bpmn'), 'utf8') }]);
  });

  afterAll(async () => {
    for (const n of nodes) n.child.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.exited));
    await client?.stop();
    if (process.env.SCALE_KEEP) console.log(`scale-out: schema ${schema} kept`);
    else await db?.raw('drop schema if exists ?? cascade', [schema]);
    await db?.destroy();
  });

  it(`runs ${N} instances to their end exactly once`, async () => {
    const started = Date.now();
    const starts = new Map<string, number>();
    const killed = new Set<string>();
    for (let i = 1; i <= NODES; i++) {
      starts.set(`n${i}`, 1);
      nodes.push(startNode(`n${i}`, 1, schema));
    }
    await Promise.all(nodes.map((n) => n.ready));

    let finished = false;
    let kills = 0;
    // the chaos: one process (in turn) is SIGKILLed 2-4 s after it was ready, and started again
    const chaos = (async () => {
      for (let turn = 0; !finished && turn < KILLS; turn++) {
        const i = turn % NODES;
        const victim = nodes[i];
        await victim.ready;
        await new Promise((r) => setTimeout(r, 2_000 + Math.random() * 2_000));
        if (finished) break;
        victim.child.kill('SIGKILL');
        await victim.exited;
        killed.add(victim.incarnation);
        kills++;
        const start = starts.get(victim.name)! + 1;
        starts.set(victim.name, start);
        nodes[i] = startNode(victim.name, start, schema);
      }
    })();

    // instances and messages, through the client engine
    const keys: string[] = [];
    const published = new Set<string>();
    for (let i = 0; i < N; i++) {
      const cid = `c${i}`;
      const delay = `PT${(0.3 + Math.random()).toFixed(1)}S`;
      const ref = await client.createInstance({ bpmnProcessId: 'scale', variables: { cid, delay } });
      keys.push(ref.processInstanceKey);
      if (i % 2 === 0) {
        await client.publishMessage({ name: 'scale-msg', correlationKey: cid, variables: { paid: cid }, timeToLive: 600_000 });
        published.add(cid);
      }
    }
    // the other half once their subscription is open (a subscription stays open until its message correlates)
    await (expect
      .poll(
        async () => {
          const subs = await db('engine_message_subscriptions').where({ message_name: 'scale-msg', state: 'OPEN' }).select('correlation_key');
          for (const s of subs) {
            if (published.has(s.correlation_key)) continue;
            await client.publishMessage({ name: 'scale-msg', correlationKey: s.correlation_key, variables: { paid: s.correlation_key }, timeToLive: 0 });
            const left = await db('engine_message_subscriptions').where({ message_name: 'scale-msg', correlation_key: s.correlation_key }).first('key');
            if (!left) published.add(s.correlation_key);
          }
          const [{ n }] = await db('engine_instances').where({ bpmn_process_id: 'scale', state: 'COMPLETED' }).count('* as n');
          return Number(n);
        },
        { timeout: BUDGET - (Date.now() - started), interval: 250 },
      )
      .toBe(N) as Promise<void>)
      .catch(async (err) => {
        finished = true;
        await chaos;
        throw err;
      });
    await chaos; // the kills left, if the instances were quicker (they then land on idle processes)
    const seconds = (Date.now() - started) / 1000;

    // ---- the database, judged
    const instances = await db('engine_instances').whereIn('key', keys.map(Number)).select('key', 'state', 'variables');
    expect(instances).toHaveLength(N);
    for (const inst of instances) {
      expect(inst.state).toBe('COMPLETED');
      const vars = typeof inst.variables === 'string' ? JSON.parse(inst.variables) : inst.variables;
      expect(vars).toMatchObject({ paid: vars.cid });
      expect(vars.done_a && vars.done_b && vars.done_c).toBeTruthy();
    }
    const completions = await db('engine_element_events').whereIn('instance_key', keys.map(Number)).where({ state: 'COMPLETED' }).select('instance_key', 'element_id', 'element_instance_key');
    const byElement = new Map<string, number>();
    for (const e of completions) byElement.set(`${e.instance_key}/${e.element_id}`, (byElement.get(`${e.instance_key}/${e.element_id}`) ?? 0) + 1);
    const twice = [...byElement].filter(([, n]) => n !== 1);
    expect(twice, 'elements completed more than once').toEqual([]);
    for (const key of keys) for (const el of ['start', 'a', 'timer', 'message', 'b', 'c', 'end']) expect(byElement.get(`${key}/${el}`), `${key}/${el}`).toBe(1);

    const timers = await db('engine_timers').whereIn('instance_key', keys.map(Number)).select('instance_key', 'state');
    expect(timers.filter((t) => t.state === 'TRIGGERED')).toHaveLength(N);
    expect(new Set(timers.filter((t) => t.state === 'TRIGGERED').map((t) => String(t.instance_key))).size).toBe(N);

    const correlations = await db('engine_message_correlations').whereIn('instance_key', keys.map(Number)).select('instance_key', 'message_key');
    expect(correlations).toHaveLength(N);
    expect(new Set(correlations.map((c) => String(c.instance_key))).size).toBe(N);

    const jobs = await db('engine_jobs').whereIn('instance_key', keys.map(Number)).select('key', 'element_instance_key', 'state');
    expect(jobs).toHaveLength(3 * N);
    expect(jobs.filter((j) => j.state !== 'COMPLETED')).toEqual([]);
    const runs = await db('scale_job_runs').orderBy('seq').select('element_instance_key', 'incarnation');
    const runsOf = new Map<string, string[]>();
    for (const r of runs) runsOf.set(r.element_instance_key, [...(runsOf.get(r.element_instance_key) ?? []), r.incarnation]);
    let again = 0;
    for (const j of jobs) {
      const by = runsOf.get(j.element_instance_key) ?? [];
      expect(by.length, `job ${j.key} ran`).toBeGreaterThanOrEqual(1);
      // every run but the last was cut off by a kill: never two live processes on one job
      for (const inc of by.slice(0, -1)) expect(killed.has(inc), `job ${j.key} ran by ${by.join(', ')}; killed: ${[...killed].join(', ')}`).toBe(true);
      again += by.length - 1;
    }
    const nodesLeft = await db('engine_nodes').count('* as n');
    console.log(
      `scale-out: ${N} instances on ${NODES} processes in ${seconds.toFixed(1)} s, ${kills} SIGKILLs; ` +
        `${3 * N} jobs (${again} run again after a kill), ${N} timers fired once, ${N} messages correlated once; engine_nodes rows now ${Number(nodesLeft[0].n)}`,
    );
    expect(kills).toBe(KILLS);
  }, BUDGET + 30_000);
});
