/**
 * Zeebe 8.8 fidelity of the embedded engine (issue #16): each case names the published Zeebe
 * behaviour it follows. They run on PGlite with a virtual clock, once with instances kept in
 * memory and once reloading the instance at every command (cache size 0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { addDuration, isTimeCycle, nextCron, parseCycle } from '../../engine/embedded/timer-values.js';
import { openTestDb, type TestDb } from '../support/db.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

let seq = 0;
/** A process `id` whose body (elements and flows) is given; `zeebe` and `bpmn` prefixes are declared. */
export function diagram(id: string, body: string, extra = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs-${id}-${++seq}" targetNamespace="http://herald.test/fidelity">
  ${extra}<bpmn:process id="${id}" isExecutable="true">${body}</bpmn:process>
</bpmn:definitions>`;
}

const flow = (id: string, from: string, to: string, condition?: string) =>
  condition ? `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${condition}</bpmn:conditionExpression></bpmn:sequenceFlow>` : `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}" />`;

describe('timer values on one library (luxon, cron-parser), as Zeebe computes them', () => {
  it('P1M from 31 January is 28 February: Zeebe adds a java.time Period to a ZonedDateTime, clamping to the month end', () => {
    expect(new Date(addDuration('P1M', Date.UTC(2027, 0, 31, 10))).toISOString()).toBe('2027-02-28T10:00:00.000Z');
    expect(new Date(addDuration('P1M', Date.UTC(2028, 0, 31))).toISOString()).toBe('2028-02-29T00:00:00.000Z');
    // Period first, then Duration: P1MT1H from 31 January is 28 February 01:00, not 3 March
    expect(new Date(addDuration('P1MT1H', Date.UTC(2027, 0, 31))).toISOString()).toBe('2027-02-28T01:00:00.000Z');
    expect(new Date(addDuration('P1Y', Date.UTC(2028, 1, 29))).toISOString()).toBe('2029-02-28T00:00:00.000Z');
  });

  it('a Spring six-field cron is a cycle (Zeebe CronTimer), with its next time after now; five fields are not', () => {
    expect(parseCycle('0 0 9 * * MON')).toEqual({ kind: 'cron', repetitions: -1, cron: '0 0 9 * * MON' });
    expect(isTimeCycle('0 0 9 * *')).toBe(false);
    const monday9 = Date.UTC(2026, 11, 7, 9);
    expect(new Date(nextCron('0 0 9 * * MON', monday9 - 1)).toISOString()).toBe('2026-12-07T09:00:00.000Z');
    expect(new Date(nextCron('0 0 9 * * MON', monday9)).toISOString()).toBe('2026-12-14T09:00:00.000Z');
    // Spring (unlike Vixie cron) needs both restricted day fields to match: the 1st that is a Monday
    expect(new Date(nextCron('0 0 9 1 * MON', monday9)).toISOString()).toBe('2027-02-01T09:00:00.000Z');
    expect(new Date(nextCron('@midnight', monday9)).toISOString()).toBe('2026-12-08T00:00:00.000Z');
  });
});

for (const reloaded of [false, true]) {
  describe(`embedded engine fidelity on PGlite${reloaded ? ', reloaded at every command' : ''}`, () => {
    let t: TestDb;
    let engine: EmbeddedEngine;
    // Sunday 31 January 2027, 10:00 UTC
    const start = Date.UTC(2027, 0, 31, 10);

    beforeAll(async () => {
      t = await openTestDb('pglite');
      engine = new EmbeddedEngine({ db: t.db, virtualClock: true, clockStart: start, ...(reloaded && { cacheSize: 0 }) });
      await engine.start();
    });
    afterAll(async () => {
      await engine.stop();
      await t.close();
    });

    const state = async (key: string) => (await engine.getInstance(key))?.state;

    it('a P1M intermediate timer entered on 31 January fires on 28 February (Zeebe: Interval.toEpochMilli)', async () => {
      const id = `p1m-${reloaded ? 'r' : 'm'}`;
      await engine.deploy([
        {
          name: `${id}.bpmn`,
          content: diagram(
            id,
            `<bpmn:startEvent id="start" />${flow('f1', 'start', 'wait')}<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>P1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>${flow('f2', 'wait', 'end')}<bpmn:endEvent id="end" />`,
          ),
        },
      ]);
      const now = engine.clock.now();
      const ref = await engine.createInstance({ bpmnProcessId: id });
      const due = Date.UTC(2027, 1, 28, 10) + (now - start);
      await engine.clock.advance(due - now - 1);
      expect(await state(ref.processInstanceKey)).toBe('ACTIVE');
      await engine.clock.advance(1);
      await engine.settle();
      expect(await state(ref.processInstanceKey)).toBe('COMPLETED');
    });

    it('a cron timer start event (0 0 9 * * MON) deploys and starts an instance every Monday at 09:00 UTC (Zeebe CronTimer)', async () => {
      const id = `cron-start-${reloaded ? 'r' : 'm'}`;
      await engine.deploy([
        {
          name: `${id}.bpmn`,
          content: diagram(id, `<bpmn:startEvent id="monday"><bpmn:timerEventDefinition><bpmn:timeCycle>0 0 9 * * MON</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>${flow('f1', 'monday', 'end')}<bpmn:endEvent id="end" />`),
        },
      ]);
      const count = async () => (await engine.listInstances({ bpmnProcessId: id, limit: 100 })).length;
      const nextMonday9 = nextCron('0 0 9 * * MON', engine.clock.now());
      await engine.clock.advance(nextMonday9 - engine.clock.now() - 1);
      expect(await count()).toBe(0);
      await engine.clock.advance(1);
      await engine.settle();
      expect(await count()).toBe(1);
      await engine.clock.advance(7 * DAY - HOUR);
      expect(await count()).toBe(1);
      await engine.clock.advance(HOUR);
      await engine.settle();
      expect(await count()).toBe(2);
      // a newer version without the timer cancels the schedule, as Zeebe does on redeploy
      await engine.deploy([{ name: `${id}.bpmn`, content: diagram(id, `<bpmn:startEvent id="monday" />${flow('f1', 'monday', 'end')}<bpmn:endEvent id="end" />`) }]);
      await engine.clock.advance(7 * DAY);
      expect(await count()).toBe(2);
    });
  });
}
