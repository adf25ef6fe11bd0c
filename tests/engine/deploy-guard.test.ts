/**
 * Hostile and malformed resources are refused at deploy with a message naming the problem
 * (and the element), before anything is stored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { guardXml } from '../../engine/embedded/deploy.js';
import { EngineError } from '../../engine/types.js';
import { openTestDb, type TestDb } from '../support/db.js';

const process = (body: string, extra = '') => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">${extra}
  <bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="start" />${body}</bpmn:process>
</bpmn:definitions>`;

describe('deploy refuses bad input', () => {
  let t: TestDb;
  let engine: EmbeddedEngine;
  beforeAll(async () => {
    t = await openTestDb('pglite');
    engine = new EmbeddedEngine({ db: t.db, virtualClock: true });
    await engine.start();
  });
  afterAll(async () => {
    await engine.stop();
    await t.close();
  });

  const refused = async (content: string | Buffer, pattern: RegExp) => {
    const err = await engine.deploy([{ name: 'bad.bpmn', content }]).catch((e) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('DEPLOY_REFUSED');
    expect((err as Error).message).toMatch(pattern);
    return err as EngineError;
  };

  it('refuses malformed XML', async () => {
    await refused('<bpmn:definitions xmlns:bpmn="x"><bpmn:process id="p"></bpmn:definitions>', /bad\.bpmn/);
  });

  it('refuses a DOCTYPE, an external entity and entity expansion before parsing', async () => {
    await refused(`<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>${process('')}`, /DOCTYPE and ENTITY declarations/);
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>`;
    await refused(laughs, /DOCTYPE and ENTITY declarations/);
  });

  it('refuses a 20 MB diagram quickly without parsing it', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024, 'a');
    const heapBefore = globalThis.process.memoryUsage().heapUsed;
    const t0 = performance.now();
    await refused(big, /4 MiB/);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(globalThis.process.memoryUsage().heapUsed - heapBefore).toBeLessThan(100 * 1024 * 1024);
  });

  it('refuses 10,000 nesting levels', async () => {
    const deep = '<a>'.repeat(10_000) + '</a>'.repeat(10_000);
    expect(() => guardXml(deep, 'deep.bpmn')).toThrow(/256/);
  });

  it('refuses an empty file and a file without an executable process', async () => {
    await refused('', /empty/);
    await refused(process('').replace('isExecutable="true"', 'isExecutable="false"'), /no executable process/);
  });

  it('refuses a service task without a job type, naming the element', async () => {
    const err = await refused(process('<bpmn:serviceTask id="charge" /><bpmn:sequenceFlow id="f" sourceRef="start" targetRef="charge" />'), /charge: a service task needs a job type/);
    expect(err.details?.problems?.[0]).toMatchObject({ elementId: 'charge' });
  });

  it('refuses a message catch without a correlation key', async () => {
    await refused(
      process('<bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="m" /></bpmn:intermediateCatchEvent>', '<bpmn:message id="m" name="paid" />'),
      /wait: .*correlation key/,
    );
  });

  it('refuses an invalid FEEL expression, naming element and expression', async () => {
    await refused(
      process(`<bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="x" /><zeebe:ioMapping><zeebe:input source="=amount +* 2" target="y" /></zeebe:ioMapping></bpmn:extensionElements></bpmn:serviceTask>`),
      /t: .*amount \+\* 2/,
    );
  });

  it('refuses an io mapping without a source, naming element and target', async () => {
    await refused(
      process(`<bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="x" /><zeebe:ioMapping><zeebe:input target="y" /></zeebe:ioMapping></bpmn:extensionElements></bpmn:serviceTask>`),
      /t: the input mapping to 'y' has no source/,
    );
  });

  it('refuses JavaScript script tasks: they would run code on the server', async () => {
    await refused(process('<bpmn:scriptTask id="js" scriptFormat="javascript"><bpmn:script>process.exit(1)</bpmn:script></bpmn:scriptTask>'), /run code on the server/);
  });

  it('stores nothing when one resource of a deployment is refused', async () => {
    const good = fs.readFileSync(path.resolve(import.meta.dirname, '../../../shared/bpmn-corpus/order-process.bpmn'));
    await expect(engine.deploy([{ name: 'order-process.bpmn', content: good }, { name: 'bad.bpmn', content: '<x' }])).rejects.toThrow();
    expect(await t.db('engine_resources').where({ resource_id: 'order-process' })).toHaveLength(0);
  });

  it('accepts every diagram of the public corpus', async () => {
    const dir = path.resolve(import.meta.dirname, '../../../shared/bpmn-corpus');
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.bpmn'))) {
      await expect(engine.deploy([{ name: f, content: fs.readFileSync(path.join(dir, f)) }]), f).resolves.toBeDefined();
    }
  });
});
