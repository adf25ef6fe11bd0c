/**
 * Engines for process tests. Each test case gets a fresh engine:
 *
 * - embedded (default): one in-memory PGlite per provider, started from a migrated copy
 *   (storage/db.ts createMigratedMemoryDb); before each case the engine tables are emptied and a
 *   new EmbeddedEngine with a virtual clock is started on them. The cases of one spec file share
 *   the deployment of their resources: only the first deploys them.
 * - zeebe (ZEEBE_ADDRESS set): the cluster is shared, so each case deploys its resources and
 *   only touches its own instances; awaits poll. Time travel needs the cluster's clock endpoint
 *   (the adapter exposes `engine.clock` only when it works); otherwise cases using
 *   increase-time are skipped with the reason.
 */
import { createHash } from 'node:crypto';
import type { Engine, Resource } from '../types.js';
import type { Db } from '../../storage/db.js';
import type { CaseEngine } from './runner.js';

export interface OpenCase extends CaseEngine {
  close(): Promise<void>;
}

export interface EngineProvider {
  readonly kind: 'embedded' | 'zeebe';
  /** A fresh engine for one test case, with the resources deployed. */
  openCase(resources: Resource[]): Promise<OpenCase>;
  close(): Promise<void>;
}

/** The tables of what is deployed; the rest are what a case's run leaves behind. */
const KEPT_WITH_DEPLOYMENT = ['engine_resources', 'engine_deployments'];

export class EmbeddedProvider implements EngineProvider {
  readonly kind = 'embedded' as const;
  private db?: Promise<Db>;
  private tables?: string[];
  /** The resources the database holds deployed (their names and contents), when a case may reuse them. */
  private deployed?: string;

  constructor(private readonly options: { db?: Db } = {}) {}

  private async database(): Promise<Db> {
    this.db ??= (async () => {
      if (this.options.db) return this.options.db;
      const { createMigratedMemoryDb } = await import('../../storage/db.js');
      return createMigratedMemoryDb();
    })();
    return this.db;
  }

  /** Cases share the database, so they run one at a time: the next waits for the last close. */
  private turn: Promise<void> = Promise.resolve();

  async openCase(resources: Resource[]): Promise<OpenCase> {
    const previous = this.turn;
    let release!: () => void;
    this.turn = new Promise((resolve) => (release = resolve));
    await previous;
    try {
      return await this.open(resources, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  private async open(resources: Resource[], release: () => void): Promise<OpenCase> {
    const db = await this.database();
    this.tables ??= (
      (await db.raw(`select tablename from pg_tables where schemaname = current_schema() and tablename like 'engine\\_%'`)) as { rows: { tablename: string }[] }
    ).rows.map((r) => r.tablename);
    // the cases of one spec file deploy the same resources: a case after the first keeps their rows
    // and clears what the last case left (instances, jobs, timers, messages ...), unless the
    // deployment itself armed something a case changes (a timer start event)
    const fingerprint = createHash('sha256');
    for (const r of resources) fingerprint.update(r.name).update('\0').update(r.content).update('\0');
    const key = fingerprint.digest('hex');
    const same = this.deployed === key;
    const cleared = same ? this.tables.filter((t) => !KEPT_WITH_DEPLOYMENT.includes(t)) : this.tables;
    if (cleared.length) await db.raw(`truncate ${cleared.map((t) => `"${t}"`).join(', ')} restart identity cascade`);
    const { EmbeddedEngine } = await import('../embedded/engine.js');
    const engine = new EmbeddedEngine({ db, virtualClock: true });
    await engine.start();
    if (!same) {
      this.deployed = undefined;
      await engine.deploy(resources);
      const armed = await db('engine_timers').whereNull('instance_key').first('key');
      if (!armed) this.deployed = key;
    }
    return {
      engine,
      settle: () => engine.settle(),
      awaitTimeout: 0,
      pollInterval: 0,
      isolated: true,
      close: () => engine.stop().finally(release),
    };
  }

  async close(): Promise<void> {
    await this.turn;
    if (this.db && !this.options.db) await (await this.db).destroy();
    this.db = undefined;
  }
}

export class ZeebeProvider implements EngineProvider {
  readonly kind = 'zeebe' as const;
  private engine?: Promise<Engine>;

  constructor(private readonly options: { awaitTimeout?: number } = {}) {}

  private async connect(): Promise<Engine> {
    this.engine ??= (async () => {
      const modulePath = '../zeebe/index.js';
      let mod: { createZeebeEngine(options: Record<string, unknown>): Engine };
      try {
        mod = (await import(modulePath)) as typeof mod;
      } catch (err) {
        throw new Error(`ZEEBE_ADDRESS is set but the Zeebe adapter (engine/zeebe) could not be loaded: ${(err as Error).message}`);
      }
      const engine = mod.createZeebeEngine({});
      await engine.start();
      return engine;
    })();
    return this.engine;
  }

  async openCase(resources: Resource[]): Promise<OpenCase> {
    const engine = await this.connect();
    await engine.deploy(resources);
    return {
      engine,
      settle: async () => undefined,
      awaitTimeout: this.options.awaitTimeout ?? 10_000,
      pollInterval: 100,
      isolated: false,
      clockUnavailable: engine.clock ? undefined : 'the Zeebe cluster does not expose its clock endpoint (enable ZEEBE_CLOCK_CONTROLLED=true)',
      close: async () => undefined,
    };
  }

  async close(): Promise<void> {
    if (this.engine) await (await this.engine).stop();
    this.engine = undefined;
  }
}

/** The embedded engine, or Zeebe when ZEEBE_ADDRESS is set. */
export function defaultProvider(options: { awaitTimeout?: number } = {}, env: NodeJS.ProcessEnv = process.env): EngineProvider {
  return env.ZEEBE_ADDRESS ? new ZeebeProvider(options) : new EmbeddedProvider();
}
