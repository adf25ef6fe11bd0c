/**
 * `herald instances modify` against a listening API (issue #16): a token stuck at an incident is
 * moved past it; a bad instruction exits 1 with the problem naming the field; usage errors exit 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/herald.js';
import { startApi, type Api } from '../api/harness.js';

const id = 'cli-modification';
const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-${id}" targetNamespace="http://herald.test/mod-cli">
  <bpmn:process id="${id}" isExecutable="true">
    <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />
    <bpmn:serviceTask id="check"><bpmn:extensionElements><zeebe:taskDefinition type="${id}-check" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="send" />
    <bpmn:serviceTask id="send"><bpmn:extensionElements><zeebe:taskDefinition type="${id}-send" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="f3" sourceRef="send" targetRef="end" /><bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;

describe('herald instances modify / migrate', () => {
  let api: Api;
  const saved = { url: process.env.HERALD_URL, token: process.env.HERALD_TOKEN };
  async function herald(...argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
    return { code, stdout, stderr };
  }
  beforeAll(async () => {
    api = await startApi('pglite', { followTasks: false });
    await api.engine.deploy([{ name: `${id}.bpmn`, content: xml }]);
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = api.app.server.address() as { port: number };
    process.env.HERALD_URL = `http://127.0.0.1:${port}`;
    process.env.HERALD_TOKEN = api.tokens.eric;
  }, 120_000);
  afterAll(async () => {
    process.env.HERALD_URL = saved.url;
    process.env.HERALD_TOKEN = saved.token;
    if (saved.url === undefined) delete process.env.HERALD_URL;
    if (saved.token === undefined) delete process.env.HERALD_TOKEN;
    await api?.close();
  });

  it('moves a token stuck at an incident past it; names a bad instruction; refuses bad usage', async () => {
    const ref = await api.engine.createInstance({ bpmnProcessId: id });
    let job!: Awaited<ReturnType<Api['engine']['activateJobs']>>[number];
    await expect.poll(async () => ([job] = await api.engine.activateJobs({ type: `${id}-check`, worker: 'test', maxJobsToActivate: 1, timeout: 60_000 })).length, { timeout: 15_000 }).toBe(1);
    await api.engine.failJob(job.key, { retries: 0, errorMessage: 'bureau down' });

    expect((await herald('instances', 'modify', ref.processInstanceKey)).code).toBe(2);
    expect((await herald('instances', 'modify', 'abc', '--activate', 'send')).code).toBe(2);

    const bad = await herald('instances', 'modify', ref.processInstanceKey, '--activate', 'no-such-task', '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stderr)).toMatchObject({ field: 'body.activateInstructions[0].elementId', elementId: 'no-such-task' });

    const moved = await herald('instances', 'modify', ref.processInstanceKey, '--activate', 'send', '--variables', '{"skipped":"check"}', '--terminate', job.elementInstanceKey);
    expect(moved).toMatchObject({ code: 0, stdout: `instance ${ref.processInstanceKey} modified: activated send; terminated ${job.elementInstanceKey}\n` });
    let send: typeof job | undefined;
    await expect.poll(async () => ([send] = await api.engine.activateJobs({ type: `${id}-send`, worker: 'test', maxJobsToActivate: 1, timeout: 60_000 })).length, { timeout: 15_000 }).toBe(1);
    expect(send!.variables).toMatchObject({ skipped: 'check' });
    expect(await api.engine.listIncidents({ processInstanceKey: ref.processInstanceKey, state: 'ACTIVE' })).toEqual([]);
  });

  it('migrates an instance to a new version, and names the active element a plan leaves out', async () => {
    const ref = await api.engine.createInstance({ bpmnProcessId: id });
    await expect.poll(async () => (await api.engine.getInstance(ref.processInstanceKey))?.elements.some((e) => e.elementId === 'check' && e.state === 'ACTIVATED'), { timeout: 15_000 }).toBe(true);
    const v2 = (await api.engine.deploy([{ name: `${id}.bpmn`, content: xml.replace('<bpmn:endEvent id="end" />', '<bpmn:endEvent id="end" name="Sent" />') }])).processes[0];

    const unmapped = await herald('instances', 'migrate', ref.processInstanceKey, '--to', v2.processDefinitionKey, '--json');
    expect(unmapped.code).toBe(1);
    expect(JSON.parse(unmapped.stderr)).toMatchObject({ elementId: 'check', field: 'body.mappingInstructions' });
    expect((await herald('instances', 'migrate', ref.processInstanceKey, '--map', 'check')).code).toBe(2);

    const migrated = await herald('instances', 'migrate', ref.processInstanceKey, '--to', v2.processDefinitionKey, '--map', 'check');
    expect(migrated).toMatchObject({ code: 0, stdout: `instance ${ref.processInstanceKey} migrated to process definition ${v2.processDefinitionKey}\n` });
    expect((await api.engine.getInstance(ref.processInstanceKey))?.processDefinitionKey).toBe(v2.processDefinitionKey);
  });
});
