/**
 * /metrics counts the engine's revision conflicts: two Herald processes with the embedded engine
 * on one Postgres, where one saves an instance the other holds in its cache; the other's next
 * command on it finds the row at a newer revision, runs again on the row and succeeds, and
 * herald_engine_revision_conflicts_total{outcome="retried"} says so. Postgres only: PGlite has one
 * process, so no peer and no conflict.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObservability } from '../../api/observability/metrics.js';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { oneServiceTask } from '../support/bpmn.js';
import { dbKinds, openTestDb, type TestDb } from '../support/db.js';

const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe.skipIf(!(await dbKinds()).includes('postgres'))('herald_engine_revision_conflicts_total (Postgres, two engines)', () => {
  let t: TestDb;
  let here: EmbeddedEngine;
  let peer: EmbeddedEngine;
  const logger = pino({ level: 'warn' }, new Writable({ write: (_c, _e, done) => done() }));

  beforeAll(async () => {
    t = await openTestDb('postgres');
    here = new EmbeddedEngine({ db: t.db, virtualClock: true, pollInterval: 60_000 });
    peer = new EmbeddedEngine({ db: t.db, virtualClock: true, pollInterval: 60_000 });
    await here.start();
    await peer.start();
    await here.deploy([{ name: 'conflict-probe.bpmn', content: oneServiceTask('conflict-probe', 'conflict-probe') }]);
  }, 120_000);
  afterAll(async () => {
    await here?.stop();
    await peer?.stop();
    await t?.close();
  });

  it('counts a command that met an instance a peer saved since it was cached here, and ran again', async () => {
    const observability = createObservability({ db: t.db, logger });
    const engine = observability.instrument(here);
    // given an instance this process created (so it holds it in its cache, at revision 1)
    const { processInstanceKey } = await engine.createInstance({ bpmnProcessId: 'conflict-probe', variables: { step: 0 } });
    const before = await observability.scrape();
    expect(value(before, 'herald_engine_revision_conflicts_total{outcome="retried"}')).toBe(0);
    // and a peer process that saved it since (revision 2)
    await peer.setVariables(processInstanceKey, { step: 1, by: 'peer' });
    // when this process sets a variable on its cached state
    await engine.setVariables(processInstanceKey, { step: 2 });
    // then the save met the peer's revision, ran again on the row and kept both changes
    const after = await observability.scrape();
    expect(value(after, 'herald_engine_revision_conflicts_total{outcome="retried"}')).toBe(1);
    expect(value(after, 'herald_engine_revision_conflicts_total{outcome="gave_up"}')).toBe(0);
    expect(await here.getVariables(processInstanceKey)).toMatchObject({ step: 2, by: 'peer' });
  });
});
