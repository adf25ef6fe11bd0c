/**
 * bindingType of business rule tasks (zeebe:calledDecision bindingType, Zeebe 8.6+), as Zeebe 8.8
 * resolves it, with two versions of one decision deployed: `latest` (the default) evaluates the
 * latest version, `deployment` the version deployed together with the process, `versionTag` the
 * version whose decision carries that zeebe:versionTag. The incidents and the deploy refusal have
 * the texts of Zeebe's BusinessRuleTaskTest / DeploymentClusteredTest. Real Postgres; the engine
 * reloads instances at every command in the second run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { openTestDb, type TestDb } from '../support/db.js';

/** The decision `tier` of one version: a literal whose answer names the version; an optional version tag. */
function decision(answer: string, versionTag?: string): string {
  const tag = versionTag ? `<extensionElements><zeebe:versionTag value="${versionTag}" /></extensionElements>` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="tiers" name="tiers" namespace="http://herald.test/binding">
  <decision id="tier" name="tier">${tag}
    <literalExpression><text>"${answer}"</text></literalExpression>
  </decision>
</definitions>`;
}

let seq = 0;
/** A process calling `tier` (or the decision id expression given) with the binding attributes given. */
function process(id: string, binding: string, decisionId = 'tier'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-${id}-${++seq}" targetNamespace="http://herald.test/binding">
  <bpmn:process id="${id}" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide" />
    <bpmn:businessRuleTask id="decide"><bpmn:extensionElements><zeebe:calledDecision decisionId="${decisionId}" resultVariable="tier" ${binding} /></bpmn:extensionElements></bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;
}

for (const reloaded of [false, true]) {
  describe(`bindingType of business rule tasks on Postgres${reloaded ? ', reloaded at every command' : ''}`, () => {
    let t: TestDb;
    let engine: EmbeddedEngine;
    const sfx = reloaded ? 'r' : 'm';

    beforeAll(async () => {
      t = await openTestDb('postgres');
      engine = new EmbeddedEngine({ db: t.db, virtualClock: true, ...(reloaded && { cacheSize: 0 }) });
      await engine.start();
      // version 1 (tag v1) deployed with the process bound by deployment; then version 2 (tag v2) alone
      await engine.deploy([
        { name: 'tiers.dmn', content: decision('one', 'v1') },
        { name: 'by-deployment.bpmn', content: process(`by-deployment-${sfx}`, 'bindingType="deployment"') },
      ]);
      const second = await engine.deploy([{ name: 'tiers.dmn', content: decision('two', 'v2') }]);
      expect(second.decisions).toMatchObject([{ decisionId: 'tier', version: 2 }]);
    }, 120_000);
    afterAll(async () => {
      await engine?.stop();
      await t?.close();
    });

    async function run(bpmnProcessId: string, variables: Record<string, unknown> = {}) {
      const ref = await engine.createInstance({ bpmnProcessId, variables });
      await engine.settle();
      const instance = await engine.getInstance(ref.processInstanceKey);
      const incidents = await engine.listIncidents({ processInstanceKey: ref.processInstanceKey, state: 'ACTIVE' });
      const vars = instance?.state === 'COMPLETED' ? await engine.getVariables(ref.processInstanceKey).catch(() => ({})) : {};
      return { state: instance?.state, incidents, vars, ref };
    }

    it('given two versions of a decision, when the task has no bindingType or latest, then the latest version is evaluated', async () => {
      await engine.deploy([
        { name: 'latest-default.bpmn', content: process(`latest-default-${sfx}`, '') },
        { name: 'latest.bpmn', content: process(`latest-${sfx}`, 'bindingType="latest"') },
      ]);
      for (const id of [`latest-default-${sfx}`, `latest-${sfx}`]) {
        const r = await run(id);
        expect(r.incidents).toEqual([]);
        expect(r.state).toBe('COMPLETED');
        expect(r.vars).toMatchObject({ tier: 'two' });
      }
    });

    it('given bindingType deployment, then the version deployed together with the process is evaluated, not the newer one', async () => {
      const r = await run(`by-deployment-${sfx}`);
      expect(r.incidents).toEqual([]);
      expect(r.vars).toMatchObject({ tier: 'one' });
    });

    it('given bindingType deployment and a decision carried unchanged by the process\'s deployment, then that version is evaluated', async () => {
      await engine.deploy([
        { name: 'tiers.dmn', content: decision('two', 'v2') },
        { name: 'with-unchanged.bpmn', content: process(`with-unchanged-${sfx}`, 'bindingType="deployment"') },
      ]);
      await engine.deploy([{ name: 'tiers.dmn', content: decision('three') }]);
      const r = await run(`with-unchanged-${sfx}`);
      expect(r.incidents).toEqual([]);
      expect(r.vars).toMatchObject({ tier: 'two' });
    });

    it('given bindingType versionTag, then the version with that tag is evaluated; an unknown tag is Zeebe\'s CALLED_DECISION_ERROR', async () => {
      await engine.deploy([
        { name: 'tag-v1.bpmn', content: process(`tag-v1-${sfx}`, 'bindingType="versionTag" versionTag="v1"') },
        { name: 'tag-v2.bpmn', content: process(`tag-v2-${sfx}`, 'bindingType="versionTag" versionTag="v2"') },
        { name: 'tag-v9.bpmn', content: process(`tag-v9-${sfx}`, 'bindingType="versionTag" versionTag="v9"') },
      ]);
      expect((await run(`tag-v1-${sfx}`)).vars).toMatchObject({ tier: 'one' });
      expect((await run(`tag-v2-${sfx}`)).vars).toMatchObject({ tier: 'two' });
      const missing = await run(`tag-v9-${sfx}`);
      expect(missing.incidents).toMatchObject([
        {
          errorType: 'CALLED_DECISION_ERROR',
          elementId: 'decide',
          errorMessage: "Expected to evaluate decision with id 'tier' and version tag 'v9', but no such decision found. To resolve this incident, deploy a decision with the given id and version tag.",
        },
      ]);
    });

    it('given bindingType deployment and a static decision id that the deployment lacks, then the deployment is refused naming the element (Zeebe\'s deploy check)', async () => {
      const refused = await engine.deploy([{ name: 'alone.bpmn', content: process(`alone-${sfx}`, 'bindingType="deployment"') }]).catch((err: Error & { details?: unknown }) => err);
      expect(refused).toBeInstanceOf(Error);
      expect((refused as Error).message).toContain("Expected to find decision with id 'tier' in current deployment, but not found.");
      expect(JSON.stringify((refused as Error & { details?: unknown }).details ?? refused)).toContain('decide');
    });

    it('given bindingType deployment and a decision id expression naming a decision the deployment lacks, then the incident is Zeebe\'s CALLED_DECISION_ERROR with the deployment key', async () => {
      const deployment = await engine.deploy([{ name: 'expression.bpmn', content: process(`expression-${sfx}`, 'bindingType="deployment"', '=decisionId') }]);
      const r = await run(`expression-${sfx}`, { decisionId: 'tier' });
      expect(r.incidents).toMatchObject([
        {
          errorType: 'CALLED_DECISION_ERROR',
          errorMessage: `Expected to evaluate decision 'tier' with binding type 'deployment', but no such decision found in the deployment with key ${deployment.deploymentKey} which contained the current process. To resolve this incident, migrate the process instance to a process definition that is deployed together with the intended decision to evaluate.`,
        },
      ]);
    });
  });
}
