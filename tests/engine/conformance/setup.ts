/**
 * Engine factories for the conformance suite, one per backend. The suite only talks to the
 * Engine port (engine/types.ts), so the same cases run on every backend:
 *
 * - embedded on PGlite (always) and on Postgres (when reachable, always in CI), virtual clock;
 * - embedded on PGlite with no instance kept in memory, so each command reloads it (see below);
 * - zeebe when ZEEBE_ADDRESS is set and engine/zeebe/index.ts exports `createZeebeEngine`.
 *
 * A backend also says how to wait until the engine is quiet (`settle`): the embedded engine
 * knows exactly; a remote Zeebe is eventually consistent, so the harness polls there.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EmbeddedEngine } from '../../../engine/embedded/engine.js';
import type { Engine } from '../../../engine/types.js';
import { dbKinds, openTestDb } from '../../support/db.js';

export interface EngineUnderTest {
  engine: Engine;
  /** Resolves when the engine has processed everything asked of it so far. */
  settle(): Promise<void>;
  /** How long the harness polls for an expected job, task or state (0: look once after settle). */
  pollMs: number;
  close(): Promise<void>;
}

export interface Backend {
  name: string;
  /** Set when the backend cannot run here; the suite is then skipped with this reason. */
  skip?: string;
  create(): Promise<EngineUnderTest>;
}

export const repoRoot = path.resolve(import.meta.dirname, '../../..');
export const corpusDir = path.resolve(repoRoot, '../shared/bpmn-corpus');
export const fixturesDir = path.resolve(import.meta.dirname, 'fixtures');

/**
 * `reloaded`: no instance stays in memory between commands (cache size 0), so every command
 * loads its instance from the database, its snapshot resumed and its journal replayed: the whole
 * suite then shows that what is saved at each settle carries the instance on exactly.
 */
function embedded(kind: 'pglite' | 'postgres', reloaded = false): Backend {
  return {
    name: `embedded/${kind}${reloaded ? ', reloaded at every command' : ''}`,
    async create() {
      const t = await openTestDb(kind);
      const engine = new EmbeddedEngine({ db: t.db, virtualClock: true, ...(reloaded && { cacheSize: 0 }) });
      await engine.start();
      return {
        engine,
        settle: () => engine.settle(),
        pollMs: 0,
        close: async () => {
          await engine.stop();
          await t.close();
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// ZEEBE BACKEND STUB. engine/zeebe/index.ts is being written separately; once it exports
// `createZeebeEngine(config)` and ZEEBE_ADDRESS points at a cluster (with the clock endpoint
// enabled for the timer cases), this factory runs the whole suite against it unchanged.
// ---------------------------------------------------------------------------------------------
const zeebeEntry = path.resolve(repoRoot, 'engine/zeebe/index.ts');

function zeebe(): Backend {
  const reason = !process.env.ZEEBE_ADDRESS
    ? 'ZEEBE_ADDRESS is not set'
    : !fs.existsSync(zeebeEntry)
      ? 'engine/zeebe/index.ts does not exist yet'
      : undefined;
  return {
    name: 'zeebe',
    skip: reason,
    async create() {
      // A computed specifier keeps tsc from resolving the module before it exists.
      const mod = (await import(pathToFileURL(zeebeEntry).href)) as { createZeebeEngine?: (config: { address: string }) => Engine | Promise<Engine> };
      if (!mod.createZeebeEngine) throw new Error('engine/zeebe/index.ts does not export createZeebeEngine');
      const engine = await mod.createZeebeEngine({ address: process.env.ZEEBE_ADDRESS! });
      await engine.start();
      return {
        engine,
        // Zeebe exports records asynchronously; give it a moment, the harness polls after this.
        settle: () => new Promise((resolve) => setTimeout(resolve, 250)),
        pollMs: 10_000,
        close: () => engine.stop(),
      };
    },
  };
}

/** Every backend, runnable or not (skipped ones carry their reason). */
export async function backends(): Promise<Backend[]> {
  const kinds = await dbKinds();
  const list: Backend[] = [embedded('pglite'), embedded('pglite', true)];
  list.push(kinds.includes('postgres') ? embedded('postgres') : { ...embedded('postgres'), skip: 'Postgres is not reachable' });
  list.push(zeebe());
  return list;
}
