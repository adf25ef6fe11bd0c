/**
 * Ad-hoc sub-processes as Zeebe 8.8 runs them (AdHocSubProcessTest in camunda/camunda), on this
 * suite's fixture ad-hoc-subprocess.bpmn and every backend of the suite: the embedded engine kept
 * in memory and reloaded at every command, and Zeebe when one is configured. Only the elements
 * asked about are asserted (Zeebe 8.8 also records an inner instance per activated element).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Driver, type Run } from './harness.js';
import { backends } from './setup.js';

for (const backend of await backends()) {
  const suite = backend.skip ? describe.skip : describe;
  suite(`ad-hoc sub-processes on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let d: Driver;
    beforeAll(async () => {
      d = new Driver(await backend.create());
      await d.deploy('fixtures/ad-hoc-subprocess.bpmn');
    });
    afterEach(async () => {
      await d?.cleanup();
    });
    afterAll(async () => {
      await d?.under.close();
    });

    const states = async (run: Run, ...ids: string[]) => {
      const elements = (await run.details()).elements;
      return Object.fromEntries(ids.map((id) => [id, elements.filter((e) => e.elementId === id).map((e) => e.state)]));
    };

    it('given tools [lookup, draft], then only those start; the flow inside leads draft to review; the sub-process completes when review ends its path with resolved = true', async () => {
      const run = await d.start('ad-hoc-subprocess', { tools: ['lookup', 'draft'], resolved: false });
      expect(await states(run, 'triage', 'lookup', 'draft', 'notify', 'review')).toEqual({ triage: ['ACTIVATED'], lookup: ['ACTIVATED'], draft: ['ACTIVATED'], notify: [], review: [] });
      await run.completeJob('adhoc-lookup');
      await run.completeJob('adhoc-draft');
      expect(await states(run, 'triage', 'review')).toEqual({ triage: ['ACTIVATED'], review: ['ACTIVATED'] });
      await run.completeJob('adhoc-review', { resolved: true });
      await run.completeJob('adhoc-after');
      await run.expectState('COMPLETED');
      expect(await states(run, 'triage', 'notify')).toEqual({ triage: ['COMPLETED'], notify: [] });
    });

    it('given tools [lookup, notify], when lookup ends its path with resolved = true, then notify is terminated and the sub-process completes', async () => {
      const run = await d.start('ad-hoc-subprocess', { tools: ['lookup', 'notify'], resolved: false });
      await run.completeJob('adhoc-lookup', { resolved: true });
      expect(await states(run, 'triage', 'lookup', 'notify')).toEqual({ triage: ['COMPLETED'], lookup: ['COMPLETED'], notify: ['TERMINATED'] });
      await run.completeJob('adhoc-after');
      await run.expectState('COMPLETED');
    });

    it('given tools naming review (an inner element with an incoming flow), then an EXTRACT_VALUE_ERROR incident on the sub-process with Zeebe\'s text', async () => {
      const run = await d.start('ad-hoc-subprocess', { tools: ['lookup', 'review'], resolved: false });
      await run.expectIncidents([
        { errorType: 'EXTRACT_VALUE_ERROR', elementId: 'triage', errorMessage: /^Expected to activate activities for ad-hoc sub-process with key '[^']+', but the given elements \[review\] do not exist\.$/ },
      ]);
      expect(await states(run, 'lookup')).toEqual({ lookup: [] });
    });
  });
}
