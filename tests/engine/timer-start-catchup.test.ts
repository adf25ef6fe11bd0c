/**
 * A timer start event whose due instant passed while no Herald process was running fires once
 * when the engine starts again: not zero times (nothing lost between marking the timer and
 * starting the instance) and not once per missed occurrence (a cycle goes on from the start, as
 * Zeebe reschedules a repeating timer from the moment it triggered).
 *
 * The deploy runs on a virtual clock set hours in the past; the later starts run on the wall
 * clock, so the engine's own start-up scheduler is what fires the overdue timer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { dbKinds, openTestDb, type TestDb } from '../support/db.js';

const HOUR = 3_600_000;

const diagram = (id: string, timer: string) =>
  Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs-${id}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="${id}" isExecutable="true">
    <bpmn:startEvent id="tick"><bpmn:timerEventDefinition>${timer}</bpmn:timerEventDefinition></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="tick" targetRef="done" />
    <bpmn:endEvent id="done" />
  </bpmn:process>
</bpmn:definitions>`);

/** Polls until `check` holds (state, not a fixed sleep); fails with what it last saw. */
async function until<T>(read: () => Promise<T>, check: (v: T) => boolean, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (check(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(await dbKinds())('an overdue timer start event on %s', (kind) => {
  let t: TestDb | undefined;
  const engines: EmbeddedEngine[] = [];
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.stop().catch(() => undefined);
    await t?.close();
    t = undefined;
  });

  const instances = (id: string) => t!.db('engine_instances').where({ bpmn_process_id: id }).count<{ n: string }[]>('* as n').then((r) => Number(r[0].n));
  const timers = (id: string) =>
    t!.db('engine_timers as t').join('engine_resources as r', 'r.key', 't.definition_key').where('r.resource_id', id).whereNull('t.instance_key').orderBy('t.key').select('t.state', 't.due_at');

  /** Deploys on a virtual clock `hoursAgo` in the past, then stops, as a process that went away. */
  async function deployedHoursAgo(id: string, timer: string, hoursAgo: number) {
    const past = new EmbeddedEngine({ db: t!.db, virtualClock: true, clockStart: Date.now() - hoursAgo * HOUR });
    await past.start();
    await past.deploy([{ name: `${id}.bpmn`, content: diagram(id, timer) }]);
    await past.stop();
  }

  async function startNow() {
    const engine = new EmbeddedEngine({ db: t!.db, pollInterval: 60_000 });
    engines.push(engine);
    await engine.start();
    return engine;
  }

  it('a cycle overdue by five occurrences starts one instance, and its next occurrence is one interval after the start', { timeout: 120_000 }, async () => {
    t = await openTestDb(kind);
    const id = `catchup-cycle-${kind}`;
    // given R/PT1H deployed 5.5 hours ago (first due 4.5 hours ago), no process running since
    await deployedHoursAgo(id, '<bpmn:timeCycle>R/PT1H</bpmn:timeCycle>', 5.5);
    // when the engine starts again
    const startedAt = Date.now();
    await startNow();
    // then the overdue occurrence fires, once: one TRIGGERED row and the next one scheduled
    const rows = await until(() => timers(id), (r) => r.some((x) => x.state === 'CREATED') && r.some((x) => x.state === 'TRIGGERED'), 'timer rows');
    expect(await instances(id)).toBe(1);
    expect(rows.map((r) => r.state)).toEqual(['TRIGGERED', 'CREATED']);
    // the next occurrence is an hour after it fired, not the missed ones in a burst
    const next = Number(rows[1].due_at);
    expect(next).toBeGreaterThanOrEqual(startedAt + HOUR);
    expect(next).toBeLessThanOrEqual(Date.now() + HOUR);
  });

  it('a date that passed while nothing ran starts one instance, and a restart starts none more', { timeout: 120_000 }, async () => {
    t = await openTestDb(kind);
    const id = `catchup-date-${kind}`;
    // given a timeDate an hour ago, deployed two hours ago
    const due = new Date(Date.now() - HOUR).toISOString();
    await deployedHoursAgo(id, `<bpmn:timeDate>${due}</bpmn:timeDate>`, 2);
    // when the engine starts, then it fires once
    const first = await startNow();
    await until(() => instances(id), (n) => n > 0, 'instances');
    await first.clock.advance(0); // one more pass of the scheduler finds nothing due
    expect(await instances(id)).toBe(1);
    expect((await timers(id)).map((r) => r.state)).toEqual(['TRIGGERED']);
    // when it is stopped and started again, then nothing more fires
    await first.stop();
    const again = await startNow();
    await again.clock.advance(0);
    expect(await instances(id)).toBe(1);
  });

  it('a start whose instance could not be saved leaves the timer due, so the next start fires it (the timer is not lost)', { timeout: 120_000 }, async () => {
    t = await openTestDb(kind);
    const id = `catchup-lost-${kind}`;
    await deployedHoursAgo(id, '<bpmn:timeCycle>R/PT1H</bpmn:timeCycle>', 1.5);
    // given the instance's first save fails (as a crash between firing and saving would leave it)
    await t.db.raw(`create function refuse_catchup_instance() returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$`);
    await t.db.raw(`create trigger refuse_catchup before insert on engine_instances for each row when (new.bpmn_process_id = '${id}') execute function refuse_catchup_instance()`);
    // when the engine starts and its scheduler passes over the due timer
    const failing = await startNow();
    await failing.clock.advance(0).catch(() => undefined);
    // then no instance, and the timer is neither fired nor rescheduled
    expect(await instances(id)).toBe(0);
    expect((await timers(id)).map((r) => r.state)).toEqual(['CREATED']);
    // when the fault is gone and the engine starts again
    await failing.stop();
    await t.db.raw('drop trigger refuse_catchup on engine_instances');
    await startNow();
    // then it fires once
    const rows = await until(() => timers(id), (r) => r.some((x) => x.state === 'TRIGGERED'), 'timer rows');
    expect(await instances(id)).toBe(1);
    expect(rows.map((r) => r.state)).toEqual(['TRIGGERED', 'CREATED']);
  });
});
