/**
 * Zeebe semantics the corpus does not exercise (or not in isolation), on this suite's own
 * fixtures (tests/engine/conformance/fixtures): each case names its fixture and the rule it pins.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Driver } from './harness.js';
import { backends } from './setup.js';

const HOUR = 3_600_000;

for (const backend of await backends()) {
  const suite = backend.skip ? describe.skip : describe;
  suite(`semantics on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let d: Driver;
    beforeAll(async () => {
      d = new Driver(await backend.create());
    });
    afterEach(async () => {
      await d?.cleanup();
    });
    afterAll(async () => {
      await d?.under.close();
    });

    describe('no dead-path elimination (no-dead-path-elimination.bpmn)', () => {
      it('given a boundary that never fired and an exclusive branch not taken, when both other branches arrive, then the parallel join still waits', async () => {
        await d.deploy('fixtures/no-dead-path-elimination.bpmn');
        const run = await d.start('no-dead-path-elimination', { x: 2 });
        await run.completeJob('dpe-a');
        await run.completeJob('dpe-b');
        await run.expectState('ACTIVE');
        await run.expectCompleted(['start', 'fork', 'taskA', 'choose', 'taskB']);
        expect(await d.engine.activateJobs({ type: 'dpe-after', worker: 't', maxJobsToActivate: 5, timeout: 1000 }).then((js) => js.filter((j) => j.processInstanceKey === run.key))).toEqual([]);
      });

      it('given the boundary fires after its task completed nothing, when every flow of the join has a token, then the join fires once', async () => {
        await d.deploy('fixtures/no-dead-path-elimination.bpmn');
        const run = await d.start('no-dead-path-elimination', { x: 1 });
        await run.job('dpe-a');
        await d.advance(HOUR); // interrupting: taskA terminated, `late` takes f5
        await run.expectState('ACTIVE');
        await run.expectTerminated(['taskA']);
        await run.expectCompleted(['start', 'fork', 'choose', 'late']);
      });
    });

    describe('converging inclusive gateway by reachability (inclusive-join-reachability.bpmn)', () => {
      it('given both branches taken, when A completes first, then the join waits for B, and fires once after B', async () => {
        await d.deploy('fixtures/inclusive-join-reachability.bpmn');
        const run = await d.start('inclusive-join-reachability', { a: true, b: true, goJoin: true });
        await run.completeJob('incl-a');
        await run.expectActive(['taskB']);
        await run.completeJob('incl-b');
        expect(await run.completeAll('incl-after')).toHaveLength(1);
        await run.expectState('COMPLETED');
        await run.expectCompleted(['start', 'fork', 'taskA', 'taskB', 'toJoin', 'join', 'after', 'end']);
      });

      it('given both branches taken, when B leaves towards its own end, then the join fires with A alone', async () => {
        await d.deploy('fixtures/inclusive-join-reachability.bpmn');
        const run = await d.start('inclusive-join-reachability', { a: true, b: true, goJoin: false });
        await run.completeJob('incl-a');
        await run.expectActive(['taskB']);
        await run.completeJob('incl-b');
        expect(await run.completeAll('incl-after')).toHaveLength(1);
        await run.expectState('COMPLETED');
        await run.expectCompleted(['start', 'fork', 'taskA', 'taskB', 'toJoin', 'endB', 'join', 'after', 'end']);
      });

      it('given only A taken, then the join fires as soon as A arrives', async () => {
        await d.deploy('fixtures/inclusive-join-reachability.bpmn');
        const run = await d.start('inclusive-join-reachability', { a: true, b: false, goJoin: true });
        await run.completeJob('incl-a');
        expect(await run.completeAll('incl-after')).toHaveLength(1);
        await run.expectState('COMPLETED');
      });
    });

    const jobsOf = async (type: string, key: string) =>
      (await d.engine.activateJobs({ type, worker: 'semantics', maxJobsToActivate: 50, timeout: 600_000 })).filter((j) => j.processInstanceKey === key);

    describe('multi-instance', () => {
      it('given a completion condition of 2 completed instances (mi-completion-condition.bpmn), when 2 of 3 complete, then the body completes and the third is terminated', async () => {
        await d.deploy('fixtures/mi-completion-condition.bpmn');
        const run = await d.start('mi-completion-condition', { reviewers: ['ann', 'bob', 'cy'] });
        const jobs = await jobsOf('mi-review', run.key);
        expect(jobs.map((j) => j.variables.reviewer).sort()).toEqual(['ann', 'bob', 'cy']);
        await d.engine.completeJob(jobs[0].key, { vote: 'yes' });
        await d.settle();
        await run.expectActive(['review', 'review', 'review']); // the body and the 2 open inner instances
        await d.engine.completeJob(jobs[1].key, { vote: 'no' });
        await d.settle();
        await run.completeJob('mi-decide');
        await run.expectState('COMPLETED');
        const review = (await run.details()).elements.filter((e) => e.elementId === 'review');
        expect(review.map((e) => e.state).sort()).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'TERMINATED']);
        const votes = (await run.details()).variables.votes as unknown[];
        expect(votes).toHaveLength(3);
        expect(votes.filter((v) => v !== null).sort()).toEqual(['no', 'yes']);
      });

      it('given a sequential multi-instance (mi-sequential-output.bpmn), then one inner instance runs at a time and the output collection follows the input order', async () => {
        await d.deploy('fixtures/mi-sequential-output.bpmn');
        const run = await d.start('mi-sequential-output', { numbers: [3, 1, 2] });
        const seen: unknown[] = [];
        for (let i = 0; i < 3; i++) {
          const jobs = await jobsOf('seq-double', run.key);
          expect(jobs).toHaveLength(1);
          seen.push([jobs[0].variables.loopCounter, jobs[0].variables.n]);
          await d.engine.completeJob(jobs[0].key, { doubled: Number(jobs[0].variables.n) * 2 });
          await d.settle();
        }
        expect(seen).toEqual([[1, 3], [2, 1], [3, 2]]);
        await run.expectState('COMPLETED');
        await run.expectVariables({ results: [{ n: 3, doubled: 6 }, { n: 1, doubled: 2 }, { n: 2, doubled: 4 }] });
        await run.expectNoVariables('doubled', 'doubledLocal', 'n', 'loopCounter');
      });
    });

    it('given a non-interrupting R3/PT1M timer boundary (ni-timer-cycle-boundary.bpmn), when 4 minutes pass, then it fired exactly 3 times and the task is still open', async () => {
      await d.deploy('fixtures/ni-timer-cycle-boundary.bpmn');
      const run = await d.start('ni-timer-cycle-boundary');
      for (let i = 0; i < 4; i++) await d.advance(60_000);
      expect(await run.completeAll('cycle-remind')).toHaveLength(3);
      await run.expectActive(['work']);
      const done = (await run.details()).elements.filter((e) => e.state === 'COMPLETED').map((e) => e.elementId);
      expect(done.filter((id) => id === 'everyMinute')).toHaveLength(3);
      await run.completeJob('cycle-work');
      await run.expectState('COMPLETED');
    });

    describe('compensation subscriptions of a terminated sub-process (compensation-terminated-subprocess.bpmn)', () => {
      it('given book completed inside trip, when the timer terminates trip, then the compensation throw finds nothing to compensate (Zeebe: shouldDeleteSubscriptionInTerminatedSubprocessScope)', async () => {
        await d.deploy('fixtures/compensation-terminated-subprocess.bpmn');
        const run = await d.start('compensation-terminated-subprocess');
        await run.completeJob('cts-book');
        await run.job('cts-pay');
        await d.advance(HOUR);
        await run.expectState('COMPLETED');
        await run.expectTerminated(['trip', 'pay']);
        expect(await jobsOf('cts-cancel-booking', run.key)).toEqual([]);
        expect((await run.details()).elements.filter((e) => e.elementId === 'cancelBooking')).toEqual([]);
      });

      it('given trip completed, when the throw after it runs, then book is compensated', async () => {
        await d.deploy('fixtures/compensation-terminated-subprocess.bpmn');
        const run = await d.start('compensation-terminated-subprocess');
        await run.completeJob('cts-book');
        await run.completeJob('cts-pay');
        await run.completeJob('cts-cancel-booking');
        await run.expectState('COMPLETED');
        expect((await run.details()).elements.filter((e) => e.elementId === 'cancelBooking').map((e) => e.state)).toEqual(['COMPLETED']);
      });
    });

    it('given binding-parent deployed with binding-child v1 and v2 deployed later (binding-parent.bpmn, binding-child-v1/v2.bpmn), then bindingType deployment and versionTag v1.0 call v1 and the default (latest) calls v2, as Zeebe 8.6+ binds', async () => {
      await d.deploy('fixtures/binding-parent.bpmn', 'fixtures/binding-child-v1.bpmn');
      await d.deploy('fixtures/binding-child-v2.bpmn');
      const run = await d.start('binding-parent');
      for (const [element, type] of [['byDeployment', 'binding-child-v1'], ['byTag', 'binding-child-v1'], ['byLatest', 'binding-child-v2']]) {
        await run.expectActive([element]);
        const job = await d.until(async () => (await d.engine.activateJobs({ type, worker: 'conformance', maxJobsToActivate: 1, timeout: 60_000 }))[0], `a ${type} job called by ${element}`);
        await d.engine.completeJob(job.key);
        await d.settle();
      }
      await run.expectState('COMPLETED');
    });

    it('given form-binding deployed with fb-form v1 and fb-form v2 deployed later (form-binding.bpmn, fb-form-v1/v2.form), then the user task with bindingType deployment shows v1', async () => {
      await d.deploy('fixtures/form-binding.bpmn', 'fixtures/fb-form-v1.form');
      await d.deploy('fixtures/fb-form-v2.form');
      const run = await d.start('form-binding');
      const task = await run.userTask('review');
      expect(task.form).toContain('form version 1');
      await run.completeUserTask('review');
      await run.expectState('COMPLETED');
    });

    describe('terminate end events (terminate-end-events.bpmn)', () => {
      it('given a terminate end inside a sub-process, then the sub-process\'s other children are terminated and it completes; the rest of the instance goes on', async () => {
        await d.deploy('fixtures/terminate-end-events.bpmn');
        const run = await d.start('terminate-in-subprocess');
        await run.job('term-inner');
        await run.completeJob('term-quick');
        await run.expectTerminated(['inner']);
        await run.expectActive(['outside', 'after']);
        expect(await jobsOf('term-inner', run.key)).toEqual([]);
        await run.completeJob('term-after');
        await run.completeJob('term-outside');
        await run.expectState('COMPLETED');
        await run.expectCompleted(['start', 'rootFork', 'sub', 'subStart', 'subFork', 'quick', 'subTerminate', 'after', 'end', 'outside']);
      });

      it('given a terminate end at process level, then every active element is terminated and the instance completes', async () => {
        await d.deploy('fixtures/terminate-end-events.bpmn');
        const run = await d.start('terminate-process');
        await run.job('tp-slow');
        await run.completeJob('tp-fast');
        await run.expectState('COMPLETED');
        await run.expectTerminated(['slow']);
        await run.expectCompleted(['tStart', 'tFork', 'fast', 'terminate']);
      });
    });

    it('given io mappings (io-mapping-scopes.bpmn), then inputs are local, job variables merge from the element outwards, output mappings merge into the flow scope', async () => {
      await d.deploy('fixtures/io-mapping-scopes.bpmn');
      const run = await d.start('io-mapping-scopes');
      const plain = await run.job('io-plain');
      expect(plain.variables).toMatchObject({ counter: 1 });
      await run.expectNoVariables('counter');
      await d.engine.completeJob(plain.key, { counter: 2, fresh: 'new' });
      await d.settle();
      // counter lives in the sub-process (input mapping): updated there; fresh is new: the root
      await run.expectNoVariables('counter');
      await run.expectVariables({ fresh: 'new' });
      await run.completeJob('io-mapped', { raw: 4 });
      // with an output mapping only `scaled` is merged (into the sub-process's scope, then outwards: the root)
      await run.expectVariables({ scaled: 40 });
      await run.expectNoVariables('raw');
      const check = await run.completeJob('io-check');
      expect(check.variables).toMatchObject({ counter: 2, scaled: 40, fresh: 'new' });
      await run.expectState('COMPLETED');
      await run.expectVariables({ counterFromSub: 2, fresh: 'new', scaled: 40 });
      await run.expectNoVariables('counter', 'raw');
    });

    it('given local variables of a sub-process that shadow the root\'s (gateway-condition-scope.bpmn), then its exclusive and inclusive gateways read the local values', async () => {
      await d.deploy('fixtures/gateway-condition-scope.bpmn');
      const run = await d.start('gateway-condition-scope', { approved: false, score: 0 });
      const decide = await run.job('gws-decide');
      expect(decide.variables).toMatchObject({ approved: null, score: 0 });
      await d.engine.completeJob(decide.key, { approved: true, score: 7 });
      await d.settle();
      await run.expectState('COMPLETED');
      await run.expectCompleted(['start', 'sub', 'subStart', 'decide', 'approvedXor', 'scoreOr', 'highEnd', 'positiveEnd', 'end']);
      await run.expectVariables({ approved: false, score: 0 });
    });

    describe('link events (link-catch-unthrown.bpmn)', () => {
      it('given a link catch whose throw is never reached, then its sub-process and the instance complete without it', async () => {
        await d.deploy('fixtures/link-catch-unthrown.bpmn');
        const run = await d.start('link-catch-unthrown');
        await run.completeJob('link-work', { retry: false });
        await run.expectState('COMPLETED');
        await run.expectPath(['start', 'sub', 'subStart', 'work', 'again', 'subEnd', 'end']);
        await run.expectTerminated([]);
      });

      it('given the link thrown once, then the catch continues the loop and the instance completes after the second pass', async () => {
        await d.deploy('fixtures/link-catch-unthrown.bpmn');
        const run = await d.start('link-catch-unthrown');
        await run.completeJob('link-work', { retry: true });
        await run.completeJob('link-work', { retry: false });
        await run.expectState('COMPLETED');
        await run.expectPath(['start', 'sub', 'subStart', 'work', 'again', 'throwBack', 'catchBack', 'work', 'again', 'subEnd', 'end']);
      });
    });

    it('given an error end event inside a sub-process (error-end-in-subprocess.bpmn), then the error event sub-process inside it catches the error before the sub-process\'s boundary', async () => {
      await d.deploy('fixtures/error-end-in-subprocess.bpmn');
      const run = await d.start('error-end-in-subprocess');
      await run.completeJob('eeis-inside');
      await run.expectState('COMPLETED');
      await run.expectIncidents([]);
      const done = (await run.details()).elements.filter((e) => e.state === 'COMPLETED').map((e) => e.elementId);
      // the error end event itself: Zeebe terminates it with the scope the event sub-process interrupts
      expect(done).toEqual(['start', 'sub', 'subStart', 'onFailure', 'failureStart', 'handleInside', 'handledEnd', 'end']);
      expect((await run.details()).elements.filter((e) => e.elementId === 'failed').map((e) => e.state)).toEqual(['TERMINATED']);
      expect(await jobsOf('eeis-outside', run.key)).toEqual([]);
    });

    it('given an error end event inside a sub-process with no boundary (error-end-in-subprocess.bpmn), then the error event sub-process inside it catches it: no UNHANDLED_ERROR_EVENT incident', async () => {
      await d.deploy('fixtures/error-end-in-subprocess.bpmn');
      const run = await d.start('error-end-in-subprocess-no-boundary');
      await run.expectIncidents([]);
      await run.completeJob('eeis-no-boundary');
      await run.expectState('COMPLETED');
      const done = (await run.details()).elements.filter((e) => e.state === 'COMPLETED').map((e) => e.elementId);
      expect(done).toEqual(['nbStart', 'nbSub', 'nbSubStart', 'nbOnFailure', 'nbFailureStart', 'nbHandle', 'nbHandledEnd', 'nbEnd']);
      expect((await run.details()).elements.filter((e) => e.elementId === 'nbFailed').map((e) => e.state)).toEqual(['TERMINATED']);
    });

    it('given a correlation key that evaluates to a number (numeric-correlation-key.bpmn), then a message with its string form correlates', async () => {
      await d.deploy('fixtures/numeric-correlation-key.bpmn');
      const orderId = 100_000 + Math.floor(Math.random() * 800_000);
      const run = await d.start('numeric-correlation-key', { orderId });
      await d.publish('order-paid', String(orderId), { paidAt: 'now' });
      await run.expectState('COMPLETED');
      await run.expectVariables({ orderId, paidAt: 'now' });
    });

    it('given a child that throws an error it does not catch (call-activity-child-error.bpmn), then the call activity\'s error boundary in the parent catches it and the child is terminated', async () => {
      await d.deploy('fixtures/call-activity-child-error.bpmn');
      await d.newInstances('call-activity-child-error-child');
      const run = await d.start('call-activity-child-error');
      const [child] = await d.newInstances('call-activity-child-error-child');
      expect(child).toBeDefined();
      await child.throwError('child-work', 'CHILD_FAILED', { errorMessage: 'no stock' });
      await child.expectState('TERMINATED');
      await child.expectIncidents([]);
      await run.completeJob('handle-child-error');
      await run.expectState('COMPLETED');
      await run.expectTerminated(['callChild']);
      await run.expectCompleted(['start', 'childFailed', 'handle', 'failedEnd']);
    });

    it('given active elements and a called child (cancel-instance.bpmn), when the instance is cancelled, then everything active is terminated, the child too', async () => {
      await d.deploy('fixtures/cancel-instance.bpmn');
      await d.newInstances('cancel-instance-child');
      const run = await d.start('cancel-instance');
      const [child] = await d.newInstances('cancel-instance-child');
      expect(child).toBeDefined();
      await child.job('cancel-child-waiting');
      await d.engine.cancelInstance(run.key);
      await d.settle();
      await run.expectState('TERMINATED');
      await run.expectTerminated(['waiting', 'callChild']);
      await run.expectActive([]);
      await child.expectState('TERMINATED');
      await child.expectTerminated(['childWaiting']);
      expect(await jobsOf('cancel-waiting', run.key)).toEqual([]);
    });

    it('given message starts of event sub-processes (message-event-subprocess.bpmn), then the non-interrupting one runs per message with its variables and the interrupting one ends the rest', async () => {
      await d.deploy('fixtures/message-event-subprocess.bpmn');
      const key = `k-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
      const run = await d.start('message-event-subprocess', { key });
      const work = await run.job('mesp-work');
      await d.publish('mesp-ping', key, { question: 'first' });
      expect((await run.completeJob('mesp-answer')).variables).toMatchObject({ question: 'first' });
      await d.publish('mesp-ping', key, { question: 'second' });
      expect((await run.completeJob('mesp-answer')).variables).toMatchObject({ question: 'second' });
      await run.expectActive(['work']);
      await d.publish('mesp-stop', key);
      await run.expectState('COMPLETED');
      await run.expectTerminated(['work']);
      await run.expectCompleted(['start', ...Array(2).fill(['onPing', 'pinged', 'answer', 'answered']).flat(), 'onStop', 'stopped', 'stoppedEnd']);
      await expect(d.engine.completeJob(work.key)).rejects.toThrow();
    });
  });
}
