/**
 * Issue 16's DMN findings, each against the behaviour of DMN-Scala (the engine inside Zeebe):
 * boxed expressions are evaluated, one decision the engine cannot evaluate leaves the rest of the
 * graph deployable, a COLLECT table without a match gives null, dates stay dates between decisions
 * and names with spaces and dashes are FEEL names.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DmnError, evaluateDecision, evaluateDecisionService, parseDmn } from '../../engine/embedded/dmn/index.js';
import { prepareDmn } from '../../engine/embedded/deploy.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'dmn');
const xml = fs.readFileSync(path.join(FIXTURES, 'boxed-expressions.dmn'), 'utf8');
const drg = parseDmn(xml, 'boxed-expressions.dmn');
const inputs = { 'Monthly Income': 1000.1, 'Applicant-Age': 17, invoiceDate: '2020-12-10' };

describe('boxed expressions (DMN-Scala ContextEvaluator, ListEvaluator, RelationEvaluator, InvocationEvaluator)', () => {
  it('given a boxed context with a function definition, when evaluated, then each entry sees the ones before it', () => {
    const r = evaluateDecision(drg, 'summary', inputs);
    expect(r.output).toEqual({ 'Yearly Income': 12001.2, 'Is-Adult': false, Double: null, 'Doubled Income': 2000.2 });
    expect(r.evaluatedDecisions[0].decisionType).toBe('CONTEXT');
  });

  it('given a boxed list and a relation, when evaluated, then a list and a list of contexts', () => {
    expect(evaluateDecision(drg, 'limits', inputs).output).toEqual([100, 500.05]);
    expect(evaluateDecision(drg, 'tiers', inputs).output).toEqual([
      { tier: 'gold', rate: 0.1 },
      { tier: 'silver', rate: 0.2 },
    ]);
  });

  it('given an invocation of a business knowledge model, when evaluated, then the BKM runs with the bound parameters', () => {
    const r = evaluateDecision(drg, 'fee', inputs);
    expect(r.output).toBe(100.01);
    expect(r.evaluatedDecisions[0].decisionType).toBe('INVOCATION');
  });
});

describe('typed values between decisions', () => {
  it('given a required decision giving a date, when a table compares it with dates, then it is compared as a date', () => {
    expect(evaluateDecision(drg, 'dunningLevel', inputs).output).toBe('current');
    expect(evaluateDecision(drg, 'dunningLevel', { ...inputs, invoiceDate: '2020-11-01' }).output).toBe('archived');
  });

  it('given a date result, when handed to the process, then it is the JSON Zeebe stores, and raw it is a FEEL date', () => {
    expect(evaluateDecision(drg, 'dueDate', inputs).output).toBe('2021-01-09');
    expect(typeof evaluateDecision(drg, 'dueDate', inputs, { raw: true }).output).toBe('object');
  });
});

describe('one decision the engine cannot evaluate', () => {
  it('given a Java function definition, when the graph is parsed and deployed, then the rest deploys', () => {
    expect(drg.decisions.find((d) => d.id === 'javaScoring')?.logic.type).toBe('unsupported');
    const prepared = prepareDmn(xml, 'boxed-expressions.dmn');
    expect(prepared.decisions.map((d) => d.id)).toContain('fee');
    expect(prepared.evaluate('fee', inputs, () => 0)).toBe(100.01);
  });

  it('given that decision, when evaluated, then it fails with a message naming it', () => {
    let err: unknown;
    try {
      evaluateDecision(drg, 'javaScoring', inputs);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DmnError);
    expect((err as DmnError).decisionId).toBe('javaScoring');
    expect((err as DmnError).message).toMatch(/^Expected to evaluate decision 'javaScoring', but decision 'javaScoring' cannot be evaluated: .*kind 'Java'/);
  });
});

describe('DMN-Scala results and messages', () => {
  it('given a COLLECT table where no rule matches, when evaluated, then null, not []', () => {
    expect(evaluateDecision(drg, 'noMatchCollect', inputs).output).toBeNull();
  });

  it('given an unknown decision id, when evaluated, then DMN-Scala\'s "no decision found with id" text', () => {
    expect(() => evaluateDecision(drg, 'nope', {})).toThrow(/no decision found with id 'nope'/);
  });
});

describe('names and DMN 1.5 boxed expressions (DMN TCK 0037, 1111, 1150, 1151)', () => {
  const model = (body: string) =>
    parseDmn(`<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" id="d" name="d" namespace="http://herald.test/dmn/names">${body}</definitions>`);

  it('given BKM parameters named like paths (Person.Name), when invoked, then they are names inside the BKM and paths outside', () => {
    const drg = model(`
      <businessKnowledgeModel id="greet" name="Greet"><variable name="Greet"/>
        <encapsulatedLogic><formalParameter name="Person.Name"/><literalExpression><text>"Hello " + Person.Name</text></literalExpression></encapsulatedLogic>
      </businessKnowledgeModel>
      <decision id="greeting" name="Greeting"><variable name="Greeting"/>
        <invocation><literalExpression><text>Greet</text></literalExpression>
          <binding><parameter name="Person.Name"/><literalExpression><text>Person.Name</text></literalExpression></binding>
        </invocation>
      </decision>`);
    expect(evaluateDecision(drg, 'greeting', { Person: { Name: 'Ada' } }).output).toBe('Hello Ada');
  });

  it('given a decision without an id, when evaluated, then its name stands in for the id', () => {
    const drg = model(`<decision name="no-id"><literalExpression><text>1 + 1</text></literalExpression></decision>`);
    expect(evaluateDecision(drg, 'no-id', {}).output).toBe(2);
  });

  it('given a conditional whose condition is not a boolean, or a filter whose match is not, when evaluated, then null', () => {
    const drg = model(`
      <decision id="cond" name="cond"><conditional>
        <if><literalExpression><text>"abc"</text></literalExpression></if>
        <then><literalExpression><text>"then"</text></literalExpression></then>
        <else><literalExpression><text>"else"</text></literalExpression></else>
      </conditional></decision>
      <decision id="filt" name="filt"><filter>
        <in><literalExpression><text>[1,2,3]</text></literalExpression></in>
        <match><literalExpression><text>if item &lt;= 2 then true else "no"</text></literalExpression></match>
      </filter></decision>
      <decision id="ok" name="ok"><filter>
        <in><literalExpression><text>[1,2,3]</text></literalExpression></in>
        <match><literalExpression><text>item &gt;= 2</text></literalExpression></match>
      </filter></decision>`);
    expect(evaluateDecision(drg, 'cond', {}).output).toBeNull();
    expect(evaluateDecision(drg, 'filt', {}).output).toBeNull();
    expect(evaluateDecision(drg, 'ok', {}).output).toEqual([2, 3]);
  });
});

describe('typed variables (DMN-Scala TypeChecker; DMN 1.4 coercion; TCK 0082)', () => {
  const model = (body: string) =>
    parseDmn(`<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" id="t" name="t" namespace="http://herald.test/dmn/types">
      <itemDefinition name="tNumbers" isCollection="true"><typeRef>number</typeRef></itemDefinition>
      <itemDefinition name="tPerson"><itemComponent name="name"><typeRef>string</typeRef></itemComponent><itemComponent name="age"><typeRef>number</typeRef></itemComponent></itemDefinition>
      ${body}</definitions>`);

  it('given a decision typed string that gives a number, when evaluated, then it fails with DMN-Scala\'s text', () => {
    const drg = model(`<decision id="s" name="s"><variable name="s" typeRef="string"/><literalExpression><text>1</text></literalExpression></decision>`);
    expect(() => evaluateDecision(drg, 's', {})).toThrow("Expected to evaluate decision 's', but expected 'string' but found 'ValNumber(1)'");
  });

  it('given singleton lists and single values, when bound to single and collection types, then they are coerced', () => {
    const drg = model(`
      <decision id="one" name="one"><variable name="one" typeRef="number"/><literalExpression><text>[10]</text></literalExpression></decision>
      <decision id="many" name="many"><variable name="many" typeRef="tNumbers"/><literalExpression><text>10</text></literalExpression></decision>
      <decision id="bad" name="bad"><variable name="bad" typeRef="tNumbers"/><literalExpression><text>[1, "x"]</text></literalExpression></decision>
      <decision id="person" name="person"><variable name="person" typeRef="tPerson"/><literalExpression><text>{name: "Ada"}</text></literalExpression></decision>`);
    expect(evaluateDecision(drg, 'one', {}).output).toBe(10);
    expect(evaluateDecision(drg, 'many', {}).output).toEqual([10]);
    expect(() => evaluateDecision(drg, 'bad', {})).toThrow(/expected 'tNumbers'/);
    expect(() => evaluateDecision(drg, 'person', {})).toThrow(/expected 'tPerson'/);
  });

  it('given invalid arithmetic (a date times a date), when evaluated, then null as in FEEL-scala, not NaN', () => {
    const drg = model(`<decision id="nan" name="nan"><literalExpression><text>date("2021-01-01") * date("2021-01-01")</text></literalExpression></decision>`);
    expect(evaluateDecision(drg, 'nan', {}, { raw: true }).output).toBeNull();
  });
});

describe('failure texts as Zeebe shows DMN-Scala\'s', () => {
  it('given a failing FEEL expression, when evaluated, then "Expected to evaluate decision \'id\', but" and FEEL\'s own failure, with the names as written', () => {
    const drg = parseDmn(`<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" id="f" name="f" namespace="http://herald.test/dmn/fail">
      <inputData id="in" name="Invoice-Amount"/>
      <decision id="checked" name="checked"><literalExpression><text>assert(Invoice-Amount, Invoice-Amount &gt; 0)</text></literalExpression></decision></definitions>`);
    expect(evaluateDecision(drg, 'checked', { 'Invoice-Amount': 5 }).output).toBe(5);
    expect(() => evaluateDecision(drg, 'checked', { 'Invoice-Amount': -1 })).toThrow(
      "Expected to evaluate decision 'checked', but Assertion failure on evaluate the expression 'assert(Invoice-Amount, Invoice-Amount > 0)': The condition is not fulfilled",
    );
  });
});

describe('decision services (TCK 0082, 0085)', () => {
  const drg = parseDmn(`<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" id="s" name="s" namespace="http://herald.test/dmn/services">
    <decisionService id="svc" name="Echo Service"><variable name="Echo Service"/><outputDecision href="#echo"/><inputData href="#in"/></decisionService>
    <decision id="echo" name="echo"><variable name="echo"/><informationRequirement><requiredInput href="#in"/></informationRequirement><literalExpression><text>word</text></literalExpression></decision>
    <inputData id="in" name="word"><variable name="word" typeRef="string"/></inputData>
    <decision id="caller" name="caller"><knowledgeRequirement><requiredKnowledge href="#svc"/></knowledgeRequirement><literalExpression><text>Echo Service(["hi"])</text></literalExpression></decision>
  </definitions>`);

  it('given a service invoked directly or from FEEL, when its input has the declared type or is a singleton list of it, then the output decision runs on it', () => {
    expect(evaluateDecisionService(drg, 'Echo Service', { word: 'hello' })).toBe('hello');
    expect(evaluateDecisionService(drg, 'Echo Service', { word: ['hello'] })).toBe('hello');
    expect(evaluateDecision(drg, 'caller', {}).output).toBe('hi');
  });

  it('given an input of another type, when the service is invoked, then it fails naming the parameter', () => {
    expect(() => evaluateDecisionService(drg, 'Echo Service', { word: 10 })).toThrow("parameter 'word' of decision service 'Echo Service': expected 'string' but found 'ValNumber(10)'");
  });
});

describe('paths into typed values (TCK 0007)', () => {
  it('given a required decision holding a date in a context, when a path reads its day, then the date property', () => {
    const drg = parseDmn(`<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" id="p" name="p" namespace="http://herald.test/dmn/paths">
      <decision id="dates" name="Dates"><variable name="Dates"/><context>
        <contextEntry><variable name="due" typeRef="date"/><literalExpression><text>date(dueText)</text></literalExpression></contextEntry>
      </context></decision>
      <decision id="dueDay" name="Due Day"><informationRequirement><requiredDecision href="#dates"/></informationRequirement>
        <literalExpression><text>Dates.due.day</text></literalExpression></decision></definitions>`);
    expect(evaluateDecision(drg, 'dueDay', { dueText: '2026-12-24' }).output).toBe(24);
  });
});

describe('temporal arithmetic FEEL gives no meaning (TCK 0100, which DMN-Scala passes)', () => {
  const drg = parseDmn(`<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" id="a" name="a" namespace="http://herald.test/dmn/arith">
    <decision id="zonedMinusLocal" name="zonedMinusLocal"><literalExpression><text>@"2021-01-02T10:10:10@Europe/Paris" - @"2021-01-01T10:10:10"</text></literalExpression></decision>
    <decision id="dateMinusTime" name="dateMinusTime"><literalExpression><text>@"2021-01-01" - @"10:10:10"</text></literalExpression></decision>
    <decision id="timePlusYears" name="timePlusYears"><literalExpression><text>@"10:10:10" + @"P1Y"</text></literalExpression></decision>
    <decision id="dateMinusZoned" name="dateMinusZoned"><literalExpression><text>@"2021-01-02" - @"2021-01-01T10:10:10@Europe/Paris"</text></literalExpression></decision>
    <decision id="zones" name="zones"><literalExpression><text>@"2021-01-02T10:10:10@Europe/Paris" - @"2021-01-01T10:10:10@Asia/Dhaka"</text></literalExpression></decision>
  </definitions>`);

  it('given a zoned minus a local date-time, a date minus a time or a time plus years, when evaluated, then null', () => {
    for (const id of ['zonedMinusLocal', 'dateMinusTime', 'timePlusYears']) expect(evaluateDecision(drg, id, {}).output, id).toBeNull();
  });

  it('given two date-times in different zones, when subtracted, then the time between the instants', () => {
    expect(evaluateDecision(drg, 'zones', {}).output).toBe('PT29H');
    // a date with a zoned date-time is its midnight UTC
    expect(evaluateDecision(drg, 'dateMinusZoned', {}).output).toBe('PT14H49M50S');
  });
});

describe('FEEL builtins called without arguments (TCK 0059, 0060, 1147, which DMN-Scala passes)', () => {
  it('given all(), any() and context merge() without a list, when evaluated in a decision, then null; with an empty list, their values', () => {
    const drg = parseDmn(`<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" id="b" name="b" namespace="http://herald.test/dmn/builtins">
      <decision id="noArgs" name="noArgs"><literalExpression><text>[all(), any(), context merge()]</text></literalExpression></decision>
      <decision id="empty" name="empty"><literalExpression><text>[all([]), any([])]</text></literalExpression></decision></definitions>`);
    expect(evaluateDecision(drg, 'noArgs', {}).output).toEqual([null, null, null]);
    expect(evaluateDecision(drg, 'empty', {}).output).toEqual([true, false]);
  });
});

describe('imported models (TCK 0086, 0089)', () => {
  const greeter = parseDmn(`<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" id="A" name="A" namespace="http://herald.test/dmn/a">
    <inputData id="person" name="Person name"/>
    <decision id="greet" name="Greet the Person"><variable name="Greet the Person"/><informationRequirement><requiredInput href="#person"/></informationRequirement>
      <literalExpression><text>"Hello, " + Person name</text></literalExpression></decision>
    <businessKnowledgeModel id="shout" name="Shout"><encapsulatedLogic><formalParameter name="s"/><literalExpression><text>upper case(s)</text></literalExpression></encapsulatedLogic></businessKnowledgeModel>
  </definitions>`);
  const main = parseDmn(
    `<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" id="C" name="C" namespace="http://herald.test/dmn/c">
      <import namespace="http://herald.test/dmn/a" name="modelA" importType="https://www.omg.org/spec/DMN/20230324/MODEL/"/>
      <decision id="reply" name="Reply"><informationRequirement><requiredDecision href="http://herald.test/dmn/a#greet"/></informationRequirement>
        <literalExpression><text>modelA.Shout(modelA.Greet the Person)</text></literalExpression></decision>
    </definitions>`,
    'c.dmn',
    { imports: [greeter] },
  );

  it('given a decision requiring a decision and a BKM of an imported model, when evaluated with the imported input data, then both are read under the import name', () => {
    const inputs = new Map([['http://herald.test/dmn/a', { 'Person name': 'Ada' }]]);
    expect(evaluateDecision(main, 'reply', {}, { importedInputs: inputs }).output).toBe('HELLO, ADA');
    expect(evaluateDecision(main, 'reply', { modelA: { 'Person name': 'Bob' } }).output).toBe('HELLO, BOB');
  });
});

describe('regular-expression flags (TCK 1109, which DMN-Scala passes)', () => {
  it('given replace() and matches() with the x flag, when evaluated, then whitespace in the pattern is ignored', () => {
    const drg = parseDmn(`<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" id="r" name="r" namespace="http://herald.test/dmn/regex">
      <decision id="x" name="x"><literalExpression><text>[replace("a b c d ", "[a-z]", "#", "x"), matches("abc", "a b c", "x"), matches("a.b", "a.b", "q"), matches("axb", "a.b", "q")]</text></literalExpression></decision></definitions>`);
    expect(evaluateDecision(drg, 'x', {}).output).toEqual(['# # # # ', true, true, false]);
  });
});

describe('FEEL number and duration texts (TCK 1100, 1120, which DMN-Scala passes)', () => {
  it('given decimal() with a fractional scale and duration() of "PT0.S", when evaluated, then the scale\'s integer part and zero seconds', () => {
    const drg = parseDmn(`<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" id="n" name="n" namespace="http://herald.test/dmn/numbers">
      <decision id="d" name="d"><literalExpression><text>[decimal(1/3, 2.5), string(duration("PT0.S")), string(duration("PT1,5S"))]</text></literalExpression></decision></definitions>`);
    expect(evaluateDecision(drg, 'd', {}).output).toEqual([0.33, 'P0D', 'PT1.5S']);
  });
});

describe('floor and ceiling with a null scale (TCK 1101, 1102, which DMN-Scala passes)', () => {
  it('given floor() or ceiling() with a null scale, when evaluated, then null; without a scale, scale 0', () => {
    const drg = parseDmn(`<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" id="fl" name="fl" namespace="http://herald.test/dmn/floor">
      <decision id="f" name="f"><literalExpression><text>[floor(1.56, null), ceiling(n: 1.56, scale: null), floor(1.56), ceiling(1.56, 1)]</text></literalExpression></decision></definitions>`);
    expect(evaluateDecision(drg, 'f', {}).output).toEqual([null, null, 1, 1.6]);
  });
});

describe('date-time offsets beyond java.time\'s ±18:00 (TCK 1117, which DMN-Scala passes)', () => {
  it('given date and time() of a text with offset +19:00, when evaluated, then null; +18:00 is a date-time', () => {
    const drg = parseDmn(`<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" id="o" name="o" namespace="http://herald.test/dmn/offsets">
      <decision id="o" name="o"><literalExpression><text>[date and time("2017-12-31T13:20+19:00"), string(date and time("2017-12-31T13:20+18:00"))]</text></literalExpression></decision></definitions>`);
    expect(evaluateDecision(drg, 'o', {}).output).toEqual([null, '2017-12-31T13:20:00+18:00']);
  });
});

describe('24:00 as the end of a day (TCK 0100, which DMN-Scala passes)', () => {
  it('given @"…T24:00:00" plus or minus a second, when evaluated, then the next day\'s first second or the day\'s last', () => {
    const drg = parseDmn(`<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" id="m" name="m" namespace="http://herald.test/dmn/midnight">
      <decision id="m" name="m"><literalExpression><text>[@"2021-01-01T24:00:00" + @"PT1S", @"2021-01-01T24:00:00" - @"PT1S", "T24:00:00 stays text"]</text></literalExpression></decision></definitions>`);
    expect(evaluateDecision(drg, 'm', {}).output).toEqual(['2021-01-02T00:00:01', '2021-01-01T23:59:59', 'T24:00:00 stays text']);
  });
});
