/**
 * Deploy validation of Zeebe-dialect diagrams: every rule is shown failing (the problem names
 * the element and the rule) and, where it makes sense, passing; the published Zeebe corpus
 * must validate with no problem at all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseExpression } from 'feelin';
import { describe, expect, it } from 'vitest';
import { parseBpmn } from '../../engine/bpmn/parse.js';
import { UNSUPPORTED, validateDefinitions, type FeelCheck } from '../../engine/bpmn/validate.js';
import type { DeployProblem } from '../../engine/types.js';

/** A stand-in for the engine's FEEL syntax check: feelin's parser, refusing any error node. */
const checkFeel: FeelCheck = (expression) => {
  if (!expression.trim()) return { ok: false, message: 'the expression is empty' };
  const cursor = parseExpression(expression, {}, undefined).cursor();
  do {
    if (cursor.type.isError) return { ok: false, message: `syntax error at position ${cursor.from}` };
  } while (cursor.next());
  return { ok: true };
};

const NS =
  'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const diagram = (body: string, roots = '', start = '<bpmn:startEvent id="start" />') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions ${NS} id="defs" targetNamespace="http://herald.test">${roots}<bpmn:process id="p" isExecutable="true">${start}${body}</bpmn:process></bpmn:definitions>`;
const ext = (inner: string) => `<bpmn:extensionElements>${inner}</bpmn:extensionElements>`;
const td = (type: string, retries?: string) => ext(`<zeebe:taskDefinition type="${type}"${retries ? ` retries="${retries}"` : ''} />`);
const msg = (id: string, name?: string, key?: string) =>
  `<bpmn:message id="${id}"${name !== undefined ? ` name="${name}"` : ''}>${key !== undefined ? ext(`<zeebe:subscription correlationKey="${key}" />`) : ''}</bpmn:message>`;
const timer = (kind: string, value: string) => `<bpmn:timerEventDefinition><bpmn:${kind} xsi:type="bpmn:tFormalExpression">${value}</bpmn:${kind}></bpmn:timerEventDefinition>`;
const cond = (body: string) => `<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${body}</bpmn:conditionExpression>`;

async function problemsOf(xml: string, resource = 'case.bpmn') {
  const { definitions, warnings } = await parseBpmn(xml, resource);
  expect(warnings).toEqual([]);
  return validateDefinitions(definitions, resource, { checkFeel });
}

async function expectProblem(xml: string, elementId: string, pattern: RegExp) {
  const problems = await problemsOf(xml);
  const match = problems.find((p) => p.elementId === elementId && pattern.test(p.message));
  expect(match, `expected a problem on ${elementId} matching ${pattern}, got ${JSON.stringify(problems.map((p) => p.message))}`).toBeDefined();
  expect(match!.message.startsWith(`${elementId}: `)).toBe(true);
  expect(match!.resource).toBe('case.bpmn');
}

async function expectClean(xml: string) {
  expect((await problemsOf(xml)).map((p) => p.message)).toEqual([]);
}

const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'invalid', `${name}.bpmn`), 'utf8');

describe('processes', () => {
  it('refuses a file with no executable process', async () => {
    const problems = await problemsOf(diagram('').replace('isExecutable="true"', 'isExecutable="false"'));
    expect(problems).toEqual([{ resource: 'case.bpmn', message: expect.stringMatching(/no executable process in the file: set isExecutable="true" .*\(p\)/) }]);
  });

  it('refuses a process without a start event, and two none start events', async () => {
    await expectProblem(diagram('<bpmn:endEvent id="end" />', '', ''), 'p', /the process has no start event/);
    await expectProblem(diagram('<bpmn:startEvent id="start2" />'), 'p', /more than one none start event/);
  });

  it('accepts message, timer and signal start events as the way in', async () => {
    await expectClean(diagram('', `${msg('m', 'order-placed')}<bpmn:signal id="sig" name="go" />`, `<bpmn:startEvent id="byMessage"><bpmn:messageEventDefinition messageRef="m" /></bpmn:startEvent><bpmn:startEvent id="byTimer">${timer('timeCycle', 'R/P1D')}</bpmn:startEvent><bpmn:startEvent id="bySignal"><bpmn:signalEventDefinition signalRef="sig" /></bpmn:startEvent>`));
  });

  it('refuses an error start event at process level', async () => {
    await expectProblem(diagram('', '<bpmn:error id="e" errorCode="X" />', '<bpmn:startEvent id="onError"><bpmn:errorEventDefinition errorRef="e" /></bpmn:startEvent>'), 'onError', /must be a none, message, timer or signal start event, not error/);
  });
});

describe('job-based elements need a job type', () => {
  const cases: [string, string][] = [
    ['ServiceTask_1', '<bpmn:serviceTask id="ServiceTask_1" />'],
    ['notify', '<bpmn:sendTask id="notify" />'],
    ['score', '<bpmn:scriptTask id="score" />'],
    ['decide', '<bpmn:businessRuleTask id="decide" />'],
    ['announce', '<bpmn:intermediateThrowEvent id="announce"><bpmn:messageEventDefinition /></bpmn:intermediateThrowEvent>'],
    ['reply', '<bpmn:endEvent id="reply"><bpmn:messageEventDefinition /></bpmn:endEvent>'],
  ];
  it.each(cases)('refuses %s without zeebe:taskDefinition type', async (id, xml) => {
    await expectProblem(diagram(xml), id, /needs a job type \(zeebe:taskDefinition type\)/);
  });

  it('names the rule in the words of the brief', async () => {
    const problems = await problemsOf(diagram('<bpmn:serviceTask id="ServiceTask_1" />'));
    expect(problems.map((p) => p.message)).toEqual(['ServiceTask_1: a service task needs a job type (zeebe:taskDefinition type)']);
  });

  it('refuses an empty type attribute', async () => {
    await expectProblem(diagram(`<bpmn:serviceTask id="blankType">${td('')}</bpmn:serviceTask>`), 'blankType', /needs a job type/);
  });

  it('accepts each of them with a job type, a script task with zeebe:script and a business rule task with a decision', async () => {
    await expectClean(
      diagram(
        `<bpmn:serviceTask id="a">${td('charge-card', '5')}</bpmn:serviceTask>` +
          `<bpmn:sendTask id="b">${td('=&quot;send-&quot; + channel')}</bpmn:sendTask>` +
          `<bpmn:scriptTask id="c">${td('score-customer')}</bpmn:scriptTask>` +
          `<bpmn:scriptTask id="d">${ext('<zeebe:script expression="=amount * 2" resultVariable="doubled" />')}</bpmn:scriptTask>` +
          `<bpmn:businessRuleTask id="e">${ext('<zeebe:calledDecision decisionId="risk" resultVariable="risk" />')}</bpmn:businessRuleTask>` +
          `<bpmn:businessRuleTask id="f">${td('evaluate-risk')}</bpmn:businessRuleTask>` +
          `<bpmn:intermediateThrowEvent id="g">${td('publish-reply')}<bpmn:messageEventDefinition /></bpmn:intermediateThrowEvent>` +
          `<bpmn:endEvent id="h">${td('publish-reply')}<bpmn:messageEventDefinition /></bpmn:endEvent>`,
      ),
    );
  });

  it('does not ask a user task for a job type (Zeebe ignores its taskDefinition)', async () => {
    await expectClean(diagram(`<bpmn:userTask id="approve">${ext('<zeebe:taskDefinition />')}</bpmn:userTask><bpmn:userTask id="review" />`));
  });

  it('refuses a script task with zeebe:script but no result variable, and a business rule task with a decision but no result variable', async () => {
    await expectProblem(diagram(`<bpmn:scriptTask id="calc">${ext('<zeebe:script expression="=1 + 1" />')}</bpmn:scriptTask>`), 'calc', /needs a result variable \(zeebe:script resultVariable\)/);
    await expectProblem(diagram(`<bpmn:scriptTask id="calc">${ext('<zeebe:script expression="1 + 1" resultVariable="x" />')}</bpmn:scriptTask>`), 'calc', /must be a FEEL expression starting with '='/);
    await expectProblem(diagram(`<bpmn:businessRuleTask id="rate">${ext('<zeebe:calledDecision decisionId="rating" />')}</bpmn:businessRuleTask>`), 'rate', /calls a decision needs a result variable \(zeebe:calledDecision resultVariable\)/);
  });
});

describe('messages', () => {
  it.each([
    ['a message catch event', (m: string) => `<bpmn:intermediateCatchEvent id="waitPaid"><bpmn:messageEventDefinition messageRef="${m}" /></bpmn:intermediateCatchEvent>`, 'waitPaid'],
    ['a receive task', (m: string) => `<bpmn:receiveTask id="waitPaid" messageRef="${m}" />`, 'waitPaid'],
    ['a message boundary event', (m: string) => `<bpmn:userTask id="work" /><bpmn:boundaryEvent id="waitPaid" attachedToRef="work"><bpmn:messageEventDefinition messageRef="${m}" /></bpmn:boundaryEvent>`, 'waitPaid'],
    ['a message start event of an event sub-process', (m: string) => `<bpmn:subProcess id="onPaid" triggeredByEvent="true"><bpmn:startEvent id="waitPaid" isInterrupting="false"><bpmn:messageEventDefinition messageRef="${m}" /></bpmn:startEvent></bpmn:subProcess>`, 'waitPaid'],
  ])('%s needs a message name and a correlation key', async (_what, body, id) => {
    await expectProblem(diagram(body('m'), msg('m', undefined, '=invoiceId')), id, /needs a message with a name/);
    await expectProblem(diagram(body('m'), msg('m', 'paid')), id, /needs a correlation key \(zeebe:subscription correlationKey on message 'm'\)/);
    await expectProblem(diagram(body('m'), msg('m', 'paid', '')), id, /needs a correlation key/);
    await expectClean(diagram(body('m'), msg('m', 'paid', '=invoiceId')));
  });

  it('a message catch event needs a message at all', async () => {
    await expectProblem(diagram('<bpmn:intermediateCatchEvent id="waitAny"><bpmn:messageEventDefinition /></bpmn:intermediateCatchEvent>'), 'waitAny', /needs a message \(messageRef\)/);
  });

  it('a process message start event needs a name but no correlation key', async () => {
    const start = '<bpmn:startEvent id="onOrder"><bpmn:messageEventDefinition messageRef="m" /></bpmn:startEvent>';
    await expectClean(diagram('', msg('m', 'order-placed'), start));
    await expectProblem(diagram('', msg('m'), start), 'onOrder', /message start event needs a message with a name/);
  });
});

describe('timers', () => {
  const catchTimer = (kind: string, value: string) => diagram(`<bpmn:intermediateCatchEvent id="wait">${timer(kind, value)}</bpmn:intermediateCatchEvent>`);
  const startTimer = (kind: string, value: string) => diagram('', '', `<bpmn:startEvent id="tick">${timer(kind, value)}</bpmn:startEvent>`);

  it.each(['PT15M', 'P1DT2H', 'P1Y2M', 'PT0.5S', 'P2W', '=duration(rentDuration)'])('accepts the duration %s', async (v) => {
    await expectClean(catchTimer('timeDuration', v));
  });
  it.each(['PT', 'P', '15 minutes', 'PT15X', 'P1DT', '=duration('])('refuses the duration %s', async (v) => {
    await expectProblem(catchTimer('timeDuration', v), 'wait', v.startsWith('=') ? /the timer timeDuration 'duration\(' is not valid FEEL/ : /the timer timeDuration '.*' is not valid: expected an ISO 8601 duration/);
  });
  it.each(['2025-03-01T09:00:00Z', '2025-03-01T09:00:00+02:00', '2025-03-01T09:00:00.250+0200', '2025-03-01T09:00:00[Europe/Berlin]', '=orderExpiryDate'])('accepts the date %s', async (v) => {
    await expectClean(catchTimer('timeDate', v));
  });
  it.each(['tomorrow', '2025-13-45T00:00:00Z', '2025-03-01', '=date and time('])('refuses the date %s', async (v) => {
    await expectProblem(catchTimer('timeDate', v), 'wait', /the timer timeDate/);
  });
  it.each(['R/P1D', 'R3/PT10M', 'R20/PT10S', 'R/2025-03-01T09:00:00Z/P1D', '0 0 9 * * MON-FRI', '0 */15 * ? * *', '@daily', '=cycle(duration("PT1H"))'])('accepts the cycle %s', async (v) => {
    await expectClean(startTimer('timeCycle', v));
  });
  it.each(['R/banana', 'P1D', 'R3', 'R3/PT1H/extra/parts', '0 0 9 * *', '=cycle('])('refuses the cycle %s', async (v) => {
    await expectProblem(startTimer('timeCycle', v), 'tick', /the timer timeCycle/);
  });
  it('refuses a timer without a value, a duration on a process timer start, and a cycle on an intermediate catch', async () => {
    await expectProblem(diagram('<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition /></bpmn:intermediateCatchEvent>'), 'wait', /a timer needs a value/);
    await expectProblem(startTimer('timeDuration', 'PT1H'), 'tick', /a timer start event needs a timeCycle or timeDate/);
    await expectProblem(catchTimer('timeCycle', 'R/PT1H'), 'wait', /needs a timeDuration or timeDate/);
  });
});

describe('FEEL expressions are parsed, naming element, attribute and expression', () => {
  const bad = '=amount +';
  const cases: [string, string, string, RegExp][] = [
    ['a sequence flow condition', `<bpmn:exclusiveGateway id="gw" default="flowElse" /><bpmn:endEvent id="e1" /><bpmn:endEvent id="e2" /><bpmn:sequenceFlow id="flowBig" sourceRef="gw" targetRef="e1">${cond(bad)}</bpmn:sequenceFlow><bpmn:sequenceFlow id="flowElse" sourceRef="gw" targetRef="e2" />`, 'flowBig', /the condition 'amount \+' is not valid FEEL: syntax error/],
    ['an input mapping', `<bpmn:serviceTask id="t">${ext(`<zeebe:taskDefinition type="x" /><zeebe:ioMapping><zeebe:input source="${bad}" target="total" /></zeebe:ioMapping>`)}</bpmn:serviceTask>`, 't', /the input mapping to 'total' \(zeebe:input source\) 'amount \+' is not valid FEEL/],
    ['an output mapping', `<bpmn:serviceTask id="t">${ext(`<zeebe:taskDefinition type="x" /><zeebe:ioMapping><zeebe:output source="${bad}" target="total" /></zeebe:ioMapping>`)}</bpmn:serviceTask>`, 't', /the output mapping to 'total' \(zeebe:output source\)/],
    ['a job type', `<bpmn:serviceTask id="t">${td(bad)}</bpmn:serviceTask>`, 't', /the job type \(zeebe:taskDefinition type\) 'amount \+'/],
    ['job retries', `<bpmn:serviceTask id="t">${td('x', bad)}</bpmn:serviceTask>`, 't', /the job retries \(zeebe:taskDefinition retries\)/],
    ['a correlation key', `<bpmn:receiveTask id="t" messageRef="m" />`, 'm', /the correlation key 'amount \+'/],
    ['a called process id', `<bpmn:callActivity id="t">${ext(`<zeebe:calledElement processId="${bad}" />`)}</bpmn:callActivity>`, 't', /the called process id \(zeebe:calledElement processId\)/],
    ['a called decision id', `<bpmn:businessRuleTask id="t">${ext(`<zeebe:calledDecision decisionId="${bad}" resultVariable="r" />`)}</bpmn:businessRuleTask>`, 't', /the decision id \(zeebe:calledDecision decisionId\)/],
    ['an input collection', `<bpmn:serviceTask id="t">${td('x')}<bpmn:multiInstanceLoopCharacteristics>${ext(`<zeebe:loopCharacteristics inputCollection="${bad}" />`)}</bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>`, 't', /the input collection \(zeebe:loopCharacteristics inputCollection\)/],
    ['an output element', `<bpmn:serviceTask id="t">${td('x')}<bpmn:multiInstanceLoopCharacteristics>${ext(`<zeebe:loopCharacteristics inputCollection="=items" outputCollection="results" outputElement="${bad}" />`)}</bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>`, 't', /the output element \(zeebe:loopCharacteristics outputElement\)/],
    ['a completion condition', `<bpmn:serviceTask id="t">${td('x')}<bpmn:multiInstanceLoopCharacteristics>${ext('<zeebe:loopCharacteristics inputCollection="=items" />')}<bpmn:completionCondition xsi:type="bpmn:tFormalExpression">${bad}</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>`, 't', /the completion condition 'amount \+'/],
    ['an assignee', `<bpmn:userTask id="t">${ext(`<zeebe:assignmentDefinition assignee="${bad}" />`)}</bpmn:userTask>`, 't', /the assignee \(zeebe:assignmentDefinition\)/],
    ['candidate groups', `<bpmn:userTask id="t">${ext(`<zeebe:assignmentDefinition candidateGroups="${bad}" />`)}</bpmn:userTask>`, 't', /the candidateGroups \(zeebe:assignmentDefinition\)/],
    ['a due date', `<bpmn:userTask id="t">${ext(`<zeebe:taskSchedule dueDate="${bad}" />`)}</bpmn:userTask>`, 't', /the dueDate \(zeebe:taskSchedule\)/],
    ['a script', `<bpmn:scriptTask id="t">${ext(`<zeebe:script expression="${bad}" resultVariable="r" />`)}</bpmn:scriptTask>`, 't', /the script expression \(zeebe:script expression\)/],
    ['a timer', `<bpmn:intermediateCatchEvent id="t">${timer('timeDuration', bad)}</bpmn:intermediateCatchEvent>`, 't', /the timer timeDuration 'amount \+'/],
    ['a thrown error code', `<bpmn:endEvent id="t"><bpmn:errorEventDefinition errorRef="err" /></bpmn:endEvent>`, 't', /the error code 'amount \+'/],
    ['a thrown escalation code', `<bpmn:endEvent id="t"><bpmn:escalationEventDefinition escalationRef="esc" /></bpmn:endEvent>`, 't', /the escalation code 'amount \+'/],
  ];
  const roots = `${msg('m', 'paid', bad)}<bpmn:error id="err" errorCode="${bad}" /><bpmn:escalation id="esc" escalationCode="${bad}" />`;
  it.each(cases)('checks %s', async (_what, body, id, pattern) => {
    await expectProblem(diagram(body, roots), id, pattern);
  });

  it('requires conditions to be FEEL (a leading =)', async () => {
    const body = `<bpmn:exclusiveGateway id="gw" default="flowElse" /><bpmn:endEvent id="e1" /><bpmn:endEvent id="e2" /><bpmn:sequenceFlow id="flowBig" sourceRef="gw" targetRef="e1">${cond('amount &gt; 100')}</bpmn:sequenceFlow><bpmn:sequenceFlow id="flowElse" sourceRef="gw" targetRef="e2" />`;
    await expectProblem(diagram(body), 'flowBig', /the condition 'amount > 100' must be a FEEL expression starting with '='/);
    await expectClean(diagram(body.replace('amount &gt; 100', '= amount &gt; 100')));
  });
});

describe('code that would run on the server is refused', () => {
  it('refuses a JavaScript script task (fixture javascript-script-task)', async () => {
    await expectProblem(fixture('javascript-script-task'), 'readSecrets', /inline 'javascript' script, which would run code on the server/);
  });

  it('refuses Camunda 7 listeners, a delegate on a task without a job type and JavaScript conditions (fixture camunda7-extensions)', async () => {
    const xml = fixture('camunda7-extensions');
    await expectProblem(xml, 'start', /camunda:executionListener extension would run code on the server/);
    await expectProblem(xml, 'notify', /camunda:delegateExpression would run code on the server/);
    await expectProblem(xml, 'toOther', /written in 'javascript', which would run code on the server/);
  });

  it('warns about and ignores an inert camunda:class beside a zeebe:taskDefinition, as Zeebe ignores Camunda 7 attributes (fixture camunda7-extensions)', async () => {
    const warnings: DeployProblem[] = [];
    const { definitions } = await parseBpmn(fixture('camunda7-extensions'), 'camunda7-extensions.bpmn');
    const problems = validateDefinitions(definitions, 'camunda7-extensions.bpmn', { checkFeel, warnings });
    expect(problems.filter((p) => p.elementId === 'charge')).toEqual([]);
    expect(warnings).toEqual([
      { resource: 'camunda7-extensions.bpmn', elementId: 'charge', severity: 'warning', message: expect.stringMatching(/^charge: camunda:class is a Camunda 7 attribute that Zeebe ignores; the task runs as a job of its zeebe:taskDefinition type/) },
    ]);
    // camunda:asyncBefore names no code: neither refused nor warned about
    expect(JSON.stringify(warnings)).not.toMatch(/asyncBefore/);
  });

  it('refuses a JUEL condition and an activiti expression', async () => {
    const body = `<bpmn:exclusiveGateway id="gw" default="flowElse" /><bpmn:endEvent id="e1" /><bpmn:endEvent id="e2" /><bpmn:sequenceFlow id="flowBig" sourceRef="gw" targetRef="e1">${cond('${amount &gt; 100}')}</bpmn:sequenceFlow><bpmn:sequenceFlow id="flowElse" sourceRef="gw" targetRef="e2" />`;
    await expectProblem(diagram(body), 'flowBig', /JUEL\/script expression, which would run code on the server/);
    const activiti = diagram('<bpmn:serviceTask id="legacy" activiti:expression="${bean.run()}" />').replace(NS, `${NS} xmlns:activiti="http://activiti.org/bpmn"`);
    await expectProblem(activiti, 'legacy', /activiti:expression would run code on the server/);
  });

  it('leaves harmless Camunda modeler attributes alone', async () => {
    await expectClean(diagram('').replace('id="defs"', 'id="defs" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" camunda:diagramRelationId="abc"'));
  });
});

describe('task listeners (zeebe:taskListeners)', () => {
  const userTask = (inner: string, camunda = true) => `<bpmn:userTask id="approve">${ext(`${camunda ? '<zeebe:userTask />' : ''}<zeebe:taskListeners>${inner}</zeebe:taskListeners>`)}</bpmn:userTask>`;
  it('accepts assigning, updating, completing and canceling listeners with a job type on a Camunda user task', async () => {
    await expectClean(diagram(userTask(['assigning', 'updating', 'completing', 'canceling'].map((e) => `<zeebe:taskListener eventType="${e}" type="sod-${e}" />`).join(''))));
  });
  it('refuses a listener without a type, an unknown event, a creating listener and listeners on a job-worker user task', async () => {
    await expectProblem(diagram(userTask('<zeebe:taskListener eventType="completing" />')), 'approve', /the completing task listener needs a job type/);
    await expectProblem(diagram(userTask('<zeebe:taskListener eventType="finishing" type="x" />')), 'approve', /eventType of assigning, updating, completing, canceling \(got 'finishing'\)/);
    await expectProblem(diagram(userTask('<zeebe:taskListener eventType="creating" type="x" />')), 'approve', /'creating' task listener is not supported/);
    await expectProblem(diagram(userTask('<zeebe:taskListener eventType="completing" type="x" />', false)), 'approve', /only supported on a Camunda user task/);
  });
});

describe('bindingType of a business rule task (zeebe:calledDecision, Zeebe 8.6+)', () => {
  const task = (attrs: string) => diagram(`<bpmn:businessRuleTask id="decide">${ext(`<zeebe:calledDecision decisionId="d" resultVariable="r" ${attrs} />`)}</bpmn:businessRuleTask>`);
  it('deploys latest, deployment and versionTag (with its tag) without a warning', async () => {
    for (const attrs of ['bindingType="latest"', 'bindingType="deployment"', 'bindingType="versionTag" versionTag="v1"']) {
      const warnings: DeployProblem[] = [];
      const { definitions } = await parseBpmn(task(attrs), 'case.bpmn');
      expect(validateDefinitions(definitions, 'case.bpmn', { checkFeel, warnings })).toEqual([]);
      expect(warnings).toEqual([]);
    }
  });
  it('refuses an unknown bindingType and versionTag without the tag, naming the element', async () => {
    await expectProblem(task('bindingType="newest"'), 'decide', /bindingType 'newest' is not one of latest, deployment, versionTag/);
    await expectProblem(task('bindingType="versionTag"'), 'decide', /bindingType 'versionTag' needs the versionTag/);
  });
});

describe('execution listeners (zeebe:executionListeners)', () => {
  it('accepts them on tasks, refuses them where the embedded engine does not run them yet (the process), naming the element', async () => {
    const listeners = ext('<zeebe:executionListeners><zeebe:executionListener eventType="start" type="audit-start" /></zeebe:executionListeners>');
    const onTask = diagram(`<bpmn:serviceTask id="work">${ext('<zeebe:taskDefinition type="w" />').replace('</bpmn:extensionElements>', '<zeebe:executionListeners><zeebe:executionListener eventType="end" type="audit-end" /></zeebe:executionListeners></bpmn:extensionElements>')}</bpmn:serviceTask>`);
    expect(await problemsOf(onTask)).toEqual([]);
    await expectProblem(diagram('').replace('<bpmn:process id="p" isExecutable="true">', `<bpmn:process id="p" isExecutable="true">${listeners}`), 'p', /execution listeners \(start: audit-start\) on a Process are not run by the embedded engine yet/);
  });
});

describe('elements the embedded engine does not run', () => {
  it('lists every refused feature in one table', () => {
    expect(Object.keys(UNSUPPORTED)).toEqual(expect.arrayContaining(['bpmn:ComplexGateway', 'bpmn:Transaction', 'bpmn:AdHocSubProcess (job worker implementation: zeebe:taskDefinition)', 'bpmn:CancelEventDefinition', 'bpmn:ConditionalEventDefinition', 'bpmn:StandardLoopCharacteristics']));
    for (const reason of Object.values(UNSUPPORTED)) expect(reason.length).toBeGreaterThan(20);
  });

  it('refuses a complex gateway (fixture complex-gateway)', async () => {
    await expectProblem(fixture('complex-gateway'), 'join', /complex gateways are not supported/);
  });

  it.each([
    ['a transaction', '<bpmn:transaction id="tx"><bpmn:startEvent id="txStart" /></bpmn:transaction>', 'tx', /transaction sub-processes are not supported/],
    ['a cancel end event', '<bpmn:endEvent id="cancelIt"><bpmn:cancelEventDefinition /></bpmn:endEvent>', 'cancelIt', /cancel events/],
    ['a conditional catch event', '<bpmn:intermediateCatchEvent id="whenReady"><bpmn:conditionalEventDefinition><bpmn:condition xsi:type="bpmn:tFormalExpression">=ready</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>', 'whenReady', /conditional events are not run/],
    ['an ad-hoc sub-process run by a job worker', '<bpmn:adHocSubProcess id="adhoc"><bpmn:extensionElements><zeebe:taskDefinition type="agent" /></bpmn:extensionElements><bpmn:task id="inside" /></bpmn:adHocSubProcess>', 'adhoc', /job worker implementation of an ad-hoc sub-process/],
    ['an ad-hoc sub-process without an activity', '<bpmn:adHocSubProcess id="adhoc"><bpmn:intermediateThrowEvent id="shout" /></bpmn:adHocSubProcess>', 'adhoc', /needs at least one activity/],
    ['an end event inside an ad-hoc sub-process', '<bpmn:adHocSubProcess id="adhoc"><bpmn:task id="inside" /><bpmn:endEvent id="innerEnd" /></bpmn:adHocSubProcess>', 'innerEnd', /ad-hoc sub-process cannot contain an end event/],
    ['an active elements collection that is no expression', '<bpmn:adHocSubProcess id="adhoc"><bpmn:extensionElements><zeebe:adHoc activeElementsCollection="A" /></bpmn:extensionElements><bpmn:task id="A" /></bpmn:adHocSubProcess>', 'adhoc', /active elements collection \(zeebe:adHoc activeElementsCollection\) 'A' must be a FEEL expression/],
    ['a completion condition that is no expression', '<bpmn:adHocSubProcess id="adhoc"><bpmn:task id="inside" /><bpmn:completionCondition xsi:type="bpmn:tFormalExpression">done</bpmn:completionCondition></bpmn:adHocSubProcess>', 'adhoc', /completion condition of the ad-hoc sub-process 'done' must be a FEEL expression/],
    ['a multi-instance without inputCollection', `<bpmn:serviceTask id="each">${td('x')}<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>`, 'each', /needs an input collection \(zeebe:loopCharacteristics inputCollection\)/],
    ['an output collection without an output element', `<bpmn:serviceTask id="each">${td('x')}<bpmn:multiInstanceLoopCharacteristics>${ext('<zeebe:loopCharacteristics inputCollection="=items" outputCollection="results" />')}</bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>`, 'each', /output collection needs an output element/],
    ['a standard loop', `<bpmn:serviceTask id="again">${td('x')}<bpmn:standardLoopCharacteristics /></bpmn:serviceTask>`, 'again', /standard \(while\) loops are not supported/],
    ['an event-based gateway with one outgoing event', `<bpmn:eventBasedGateway id="race" /><bpmn:intermediateCatchEvent id="late">${timer('timeDuration', 'PT1H')}</bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="f1" sourceRef="race" targetRef="late" />`, 'race', /needs at least two outgoing flows/],
    ['an event-based gateway followed by a task', `<bpmn:eventBasedGateway id="race" /><bpmn:intermediateCatchEvent id="late">${timer('timeDuration', 'PT1H')}</bpmn:intermediateCatchEvent><bpmn:userTask id="oops" /><bpmn:sequenceFlow id="f1" sourceRef="race" targetRef="late" /><bpmn:sequenceFlow id="f2" sourceRef="race" targetRef="oops" />`, 'race', /may only lead to message, timer or signal intermediate catch events; 'oops' is a user task/],
    ['a call activity without a process id', '<bpmn:callActivity id="callIt" />', 'callIt', /needs the id of the process to call \(zeebe:calledElement processId\)/],
    ['a boundary event on a gateway', `<bpmn:exclusiveGateway id="gw" /><bpmn:boundaryEvent id="onGw" attachedToRef="gw">${timer('timeDuration', 'PT1H')}</bpmn:boundaryEvent>`, 'onGw', /can only be attached to an activity, not to exclusive gateway 'gw'/],
    ['a non-interrupting error boundary', '<bpmn:userTask id="work" /><bpmn:boundaryEvent id="onErr" attachedToRef="work" cancelActivity="false"><bpmn:errorEventDefinition /></bpmn:boundaryEvent>', 'onErr', /error boundary event must be interrupting/],
    ['a compensation boundary without a handler', '<bpmn:userTask id="work" /><bpmn:boundaryEvent id="undo" attachedToRef="work"><bpmn:compensateEventDefinition /></bpmn:boundaryEvent>', 'undo', /needs an association to its compensation handler/],
    ['a compensation handler not marked isForCompensation', `<bpmn:userTask id="work" /><bpmn:boundaryEvent id="undo" attachedToRef="work"><bpmn:compensateEventDefinition /></bpmn:boundaryEvent><bpmn:serviceTask id="refund">${td('refund')}</bpmn:serviceTask><bpmn:association id="a1" associationDirection="One" sourceRef="undo" targetRef="refund" />`, 'undo', /must be marked as a compensation activity/],
    ['an error end event without an error', '<bpmn:endEvent id="fail"><bpmn:errorEventDefinition /></bpmn:endEvent>', 'fail', /error end event needs an error \(errorRef\)/],
    ['a signal throw without a signal', '<bpmn:intermediateThrowEvent id="shout"><bpmn:signalEventDefinition /></bpmn:intermediateThrowEvent>', 'shout', /signal event needs a signal \(signalRef\)/],
    ['an escalation throw without an escalation', '<bpmn:endEvent id="up"><bpmn:escalationEventDefinition /></bpmn:endEvent>', 'up', /escalation throw event needs an escalation \(escalationRef\)/],
    ['a link throw without a catch', '<bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition name="nowhere" /></bpmn:intermediateThrowEvent>', 'jump', /no link catch event named 'nowhere'/],
    ['an embedded sub-process without a start event', '<bpmn:subProcess id="inner"><bpmn:task id="innerTask" /></bpmn:subProcess>', 'inner', /an embedded sub-process needs exactly one start event \(found 0\)/],
  ])('refuses %s', async (_what, body, id, pattern) => {
    await expectProblem(diagram(body), id, pattern);
  });

  it('refuses an error end event whose error code is empty, a signal without a name and an escalation without a code', async () => {
    await expectProblem(diagram('<bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="err" /></bpmn:endEvent>', '<bpmn:error id="err" name="Failure" errorCode="" />'), 'fail', /error end event needs an error code \(error 'err' has an empty errorCode\)/);
    await expectProblem(diagram('<bpmn:intermediateThrowEvent id="shout"><bpmn:signalEventDefinition signalRef="sig" /></bpmn:intermediateThrowEvent>', '<bpmn:signal id="sig" />'), 'shout', /signal event needs a signal with a name/);
    await expectProblem(diagram('<bpmn:endEvent id="up"><bpmn:escalationEventDefinition escalationRef="esc" /></bpmn:endEvent>', '<bpmn:escalation id="esc" name="late" />'), 'up', /needs an escalation code/);
  });

  it('accepts error catch events without an error (catch-all) and a compensation boundary with its handler', async () => {
    await expectClean(
      diagram(
        `<bpmn:serviceTask id="work">${td('work')}</bpmn:serviceTask><bpmn:boundaryEvent id="onAnyError" attachedToRef="work"><bpmn:errorEventDefinition /></bpmn:boundaryEvent>` +
          `<bpmn:boundaryEvent id="undo" attachedToRef="work"><bpmn:compensateEventDefinition /></bpmn:boundaryEvent><bpmn:serviceTask id="refund" isForCompensation="true">${td('refund')}</bpmn:serviceTask>` +
          '<bpmn:association id="a1" associationDirection="One" sourceRef="undo" targetRef="refund" />',
      ),
    );
  });

  it('refuses a catching error code that is an expression', async () => {
    await expectProblem(diagram(`<bpmn:serviceTask id="work">${td('w')}</bpmn:serviceTask><bpmn:boundaryEvent id="onErr" attachedToRef="work"><bpmn:errorEventDefinition errorRef="err" /></bpmn:boundaryEvent>`, '<bpmn:error id="err" errorCode="=code" />'), 'onErr', /error code of a catching error event cannot be an expression/);
  });
});

describe('gateway conditions', () => {
  const xor = (type: string, flows: string, dflt = '') =>
    diagram(`<bpmn:${type} id="gw"${dflt ? ` default="${dflt}"` : ''} /><bpmn:endEvent id="e1" /><bpmn:endEvent id="e2" />${flows}`);
  const flow = (id: string, target: string, condition?: string) => `<bpmn:sequenceFlow id="${id}" sourceRef="gw" targetRef="${target}">${condition ? cond(condition) : ''}</bpmn:sequenceFlow>`;

  it.each(['exclusiveGateway', 'inclusiveGateway'])('a diverging %s needs a condition on every non-default flow', async (type) => {
    await expectProblem(xor(type, flow('big', 'e1', '=amount &gt; 100') + flow('small', 'e2')), 'small', /leaves the .* gateway 'gw' without a condition/);
    await expectClean(xor(type, flow('big', 'e1', '=amount &gt; 100') + flow('small', 'e2'), 'small'));
    await expectClean(xor(type, flow('only', 'e1')));
  });

  it('the default flow must not have a condition', async () => {
    await expectProblem(xor('exclusiveGateway', flow('big', 'e1', '=amount &gt; 100') + flow('small', 'e2', '=true'), 'small'), 'small', /default flow of gateway 'gw' must not have a condition/);
  });
});

describe('the Zeebe corpus', () => {
  const dir = path.resolve(import.meta.dirname, '../../../shared/bpmn-corpus');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.bpmn')) : [];

  it('has diagrams to check', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  it.each(files)('%s parses and validates with no problems', async (file) => {
    const { definitions, warnings } = await parseBpmn(fs.readFileSync(path.join(dir, file), 'utf8'), file);
    expect(warnings).toEqual([]);
    expect(validateDefinitions(definitions, file, { checkFeel })).toEqual([]);
  });
});
