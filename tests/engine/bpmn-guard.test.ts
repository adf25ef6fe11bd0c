/**
 * The deploy gate before any XML parser: hostile or broken resources are refused by a linear
 * scan, quickly, with a message naming the resource and what to do; then the moddle parse
 * refuses malformed XML with its position and reports what it did not understand.
 */
import { describe, expect, it } from 'vitest';
import { guardXml } from '../../engine/bpmn/guard.js';
import { parseBpmn } from '../../engine/bpmn/parse.js';
import { validateDefinitions } from '../../engine/bpmn/validate.js';
import { prepareBpmn } from '../../engine/embedded/deploy.js';
import { parseFeel } from '../../engine/embedded/feel/index.js';
import { EngineError } from '../../engine/types.js';

const diagram = (body = '<bpmn:startEvent id="start" />') => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs" targetNamespace="http://herald.test">
  <bpmn:process id="guarded" isExecutable="true">${body}</bpmn:process>
</bpmn:definitions>`;

function refusal(fn: () => unknown): EngineError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('DEPLOY_REFUSED');
    return err as EngineError;
  }
  throw new Error('expected the resource to be refused');
}

async function parseRefusal(xml: string, name: string): Promise<EngineError> {
  const err = await parseBpmn(xml, name).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EngineError);
  expect((err as EngineError).code).toBe('DEPLOY_REFUSED');
  return err as EngineError;
}

describe('guardXml', () => {
  it('returns the text of a well-formed diagram, from a string or a UTF-8 Buffer (BOM dropped)', () => {
    const xml = diagram('<bpmn:startEvent id="start" name="Größe &gt; 5 &amp; &#34;x&#34;" />');
    expect(guardXml(xml, 'ok.bpmn')).toBe(xml);
    expect(guardXml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml)]), 'ok.bpmn')).toBe(xml);
  });

  it('accepts ">" inside attribute values, comments and CDATA without miscounting depth', () => {
    const body = '<!-- <a><b> --><bpmn:startEvent id="s" name="a > b" /><bpmn:sequenceFlow id="f"><bpmn:conditionExpression><![CDATA[=x > 1 and y < 2]]></bpmn:conditionExpression></bpmn:sequenceFlow>';
    expect(() => guardXml(diagram(body), 'ok.bpmn', { maxDepth: 4 })).not.toThrow();
  });

  it('refuses an empty or whitespace-only file', () => {
    expect(refusal(() => guardXml('', 'empty-file.bpmn')).message).toMatch(/^empty-file\.bpmn: the file is empty/);
    expect(refusal(() => guardXml(Buffer.alloc(0), 'empty-file.bpmn')).message).toMatch(/empty/);
    expect(refusal(() => guardXml(' \n\t ', 'blank-file.bpmn')).message).toMatch(/blank-file\.bpmn: the file is empty/);
  });

  it('refuses binary junk and text that is not UTF-8', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0xff, 0xfe]);
    expect(refusal(() => guardXml(png, 'image.bpmn')).message).toMatch(/image\.bpmn: the file is not UTF-8 text/);
    const latin1 = Buffer.from(diagram('<bpmn:startEvent id="s" name="Gr\u00f6\u00dfe" />'), 'latin1');
    expect(refusal(() => guardXml(latin1, 'latin1.bpmn')).message).toMatch(/not UTF-8/);
    expect(refusal(() => guardXml(diagram('<bpmn:startEvent id="s" />\u0000\u0001'), 'nul.bpmn')).message).toMatch(/control character \(U\+0000\) at line 3/);
    expect(refusal(() => guardXml('hello, not xml', 'plain.bpmn')).message).toMatch(/not XML/);
  });

  it('refuses a DOCTYPE before any parser sees it', () => {
    const xml = `<?xml version="1.0"?>\n<!DOCTYPE definitions>\n${diagram().replace(/^<\?xml[^>]*>/, '')}`;
    const err = refusal(() => guardXml(xml, 'doctype.bpmn'));
    expect(err.message).toMatch(/doctype\.bpmn: the markup declaration <!DOCTYPE at line 2, column 1 is refused/);
    expect(err.details).toMatchObject({ resource: 'doctype.bpmn', problems: [{ resource: 'doctype.bpmn' }] });
  });

  it('refuses an external entity (XXE reading file:///etc/passwd)', async () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${diagram('<bpmn:startEvent id="s" name="&xxe;" />').replace(/^<\?xml[^>]*>/, '')}`;
    expect(refusal(() => guardXml(xxe, 'xxe.bpmn')).message).toMatch(/DOCTYPE and ENTITY declarations can read server files/);
    // parseBpmn guards first: the parser never sees the entity.
    expect((await parseRefusal(xxe, 'xxe.bpmn')).message).toMatch(/^xxe\.bpmn: the markup declaration <!DOCTYPE/);
  });

  it('refuses billion laughs, and a bare <!ENTITY or undeclared entity reference', () => {
    const lol = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>`;
    const t0 = performance.now();
    expect(refusal(() => guardXml(lol, 'laughs.bpmn')).message).toMatch(/laughs\.bpmn: .*<!DOCTYPE.*billion laughs/);
    expect(performance.now() - t0).toBeLessThan(50);
    expect(refusal(() => guardXml('<a><!ENTITY x "y"></a>', 'entity.bpmn')).message).toMatch(/<!ENTITY/);
    expect(refusal(() => guardXml('<a><!ELEMENT a ANY></a>', 'element-decl.bpmn')).message).toMatch(/<!ELEMENT/);
    expect(refusal(() => guardXml(diagram('<bpmn:startEvent id="s" name="&lol;" />'), 'undeclared.bpmn')).message).toMatch(/entity reference &lol; at line 3/);
  });

  it('refuses a 20 MB diagram in milliseconds, without reading it into a parser', async () => {
    const head = diagram().replace('</bpmn:process>', '');
    const filler = '<bpmn:task id="t" name="' + 'x'.repeat(1000) + '" />\n';
    const big = head + filler.repeat(Math.ceil((20 * 1024 * 1024) / filler.length)) + '</bpmn:process></bpmn:definitions>';
    const bigBuffer = Buffer.from(big);
    expect(bigBuffer.length).toBeGreaterThan(20 * 1024 * 1024);
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    expect(refusal(() => guardXml(bigBuffer, 'huge.bpmn')).message).toMatch(/^huge\.bpmn: the file is 20 MiB; the limit is 4 MiB/);
    expect(refusal(() => guardXml(big, 'huge.bpmn')).message).toMatch(/limit is 4 MiB/);
    expect((await parseRefusal(big, 'huge.bpmn')).message).toMatch(/limit is 4 MiB/);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(100);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50 * 1024 * 1024);
  });

  it('honours a custom size limit and counts bytes, not characters', () => {
    const xml = diagram('<bpmn:startEvent id="s" name="' + 'é'.repeat(600) + '" />');
    expect(() => guardXml(xml, 'small.bpmn', { maxBytes: 1100 })).toThrow(/small\.bpmn: the file is 1\.\d KiB; the limit is 1\.1 KiB/);
    expect(() => guardXml(xml, 'small.bpmn', { maxBytes: 2000 })).not.toThrow();
  });

  it('refuses 10,000 nesting levels quickly, and honours a custom depth', () => {
    const deep = '<a>'.repeat(10_000) + '</a>'.repeat(10_000);
    const t0 = performance.now();
    expect(refusal(() => guardXml(deep, 'deep.bpmn')).message).toMatch(/^deep\.bpmn: elements are nested more than 256 levels deep \(at line 1, column 769\)/);
    expect(performance.now() - t0).toBeLessThan(50);
    const nine = '<a>'.repeat(9) + '<b/>' + '</a>'.repeat(9);
    expect(() => guardXml(nine, 'nine.bpmn', { maxDepth: 9 })).not.toThrow();
    expect(() => guardXml(nine, 'nine.bpmn', { maxDepth: 8 })).toThrow(/more than 8 levels/);
  });

  it('scans a 4 MiB diagram at the limit in well under a second', () => {
    const head = diagram().replace('</bpmn:process>', '');
    const filler = '<bpmn:task id="t" name="a &amp; b > c" />\n';
    const body = filler.repeat(Math.floor((4 * 1024 * 1024 - head.length - 100) / filler.length));
    const xml = head + body + '</bpmn:process></bpmn:definitions>';
    const t0 = performance.now();
    expect(guardXml(xml, 'at-limit.bpmn')).toBe(xml);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('parseBpmn', () => {
  it('parses a Zeebe diagram into moddle definitions with zeebe extensions', async () => {
    const { definitions, warnings } = await parseBpmn(
      diagram('<bpmn:startEvent id="s" /><bpmn:serviceTask id="charge"><bpmn:extensionElements><zeebe:taskDefinition type="charge-card" retries="5" /></bpmn:extensionElements></bpmn:serviceTask>'),
      'parsed.bpmn',
    );
    expect(warnings).toEqual([]);
    const task = definitions.rootElements[0].flowElements[1];
    expect(task.extensionElements.values[0]).toMatchObject({ $type: 'zeebe:TaskDefinition', type: 'charge-card', retries: '5' });
  });

  it('refuses malformed XML with the line and column', async () => {
    const err = await parseRefusal(diagram('<bpmn:startEvent id="s">\n</bpmn:process>'), 'malformed.bpmn');
    expect(err.message).toMatch(/^malformed\.bpmn: the XML is malformed at line 4, column 1: closing tag mismatch/);
  });

  it('refuses XML that is not a BPMN diagram', async () => {
    const err = await parseRefusal('<html><body>hi</body></html>', 'page.bpmn');
    expect(err.message).toMatch(/page\.bpmn: the file is not a BPMN diagram/);
  });

  it('reports unknown elements and unresolved references as problems naming the element', async () => {
    const { warnings } = await parseBpmn(
      diagram('<bpmn:startEvent id="s" />\n<bpmn:fancyTask id="mystery" />\n<bpmn:sequenceFlow id="toNowhere" sourceRef="s" targetRef="missing" />'),
      'warned.bpmn',
    );
    expect(warnings).toEqual([
      expect.objectContaining({ resource: 'warned.bpmn', elementId: 'mystery', message: expect.stringMatching(/^mystery: the element <bpmn:fancyTask> at line 4, column 1 is not understood \(unknown type <bpmn:FancyTask>\)/) }),
      expect.objectContaining({ elementId: 'toNowhere', message: "toNowhere: targetRef points to 'missing', which does not exist in the file" }),
    ]);
  });
});

describe('finding 9: inline JavaScript beside a zeebe:script is refused', () => {
  const feelScript = (inline: string) =>
    diagram(
      `<bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="compute" />` +
        `<bpmn:scriptTask id="compute" ${inline}><bpmn:extensionElements><zeebe:script expression="=1 + 1" resultVariable="two" /></bpmn:extensionElements>${inline ? '<bpmn:script>require("child_process").execSync("id")</bpmn:script>' : ''}</bpmn:scriptTask>` +
        `<bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="e" /><bpmn:endEvent id="e" />`,
    );
  const problems = async (xml: string) => validateDefinitions((await parseBpmn(xml, 'script.bpmn')).definitions, 'script.bpmn', { checkFeel: parseFeel });

  it('given a <bpmn:script> body with scriptFormat javascript beside a FEEL zeebe:script, names the element and refuses it at deploy', async () => {
    const xml = feelScript('scriptFormat="javascript"');
    expect(await problems(xml)).toEqual([expect.objectContaining({ elementId: 'compute', message: expect.stringMatching(/inline 'javascript' script beside its zeebe:script, which would run code on the server/) })]);
    const err = await prepareBpmn(xml, 'script.bpmn').then(
      () => undefined,
      (e: unknown) => e as EngineError,
    );
    expect(err).toBeInstanceOf(EngineError);
    expect(err!.code).toBe('DEPLOY_REFUSED');
    expect(JSON.stringify(err!.details?.problems)).toContain('compute');
  });

  it('refuses a scriptFormat alone, or a script body alone, beside a zeebe:script', async () => {
    const formatOnly = diagram('<bpmn:scriptTask id="fmt" scriptFormat="javascript"><bpmn:extensionElements><zeebe:script expression="=1" resultVariable="x" /></bpmn:extensionElements></bpmn:scriptTask>');
    expect((await problems(formatOnly)).map((p) => p.elementId)).toContain('fmt');
    const bodyOnly = diagram('<bpmn:scriptTask id="body"><bpmn:extensionElements><zeebe:script expression="=1" resultVariable="x" /></bpmn:extensionElements><bpmn:script>1</bpmn:script></bpmn:scriptTask>');
    expect((await problems(bodyOnly)).map((p) => p.elementId)).toContain('body');
  });

  it('still accepts a FEEL zeebe:script with nothing beside it', async () => {
    expect(await problems(feelScript(''))).toEqual([]);
  });
});
