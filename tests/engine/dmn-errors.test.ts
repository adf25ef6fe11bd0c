/**
 * DMN evaluation failures carry DMN-Scala's texts, which Zeebe puts into its
 * DECISION_EVALUATION_ERROR incidents ("Expected to evaluate decision 'd', but ...") and which
 * users' tests match on: the hit policy failures of DMN-Scala's DecisionTableEvaluator and the
 * type failures of its TypeChecker, with values as FEEL-scala's Scala values print themselves.
 * The expected texts are those of DMN-Scala's own tests (numbers.dmn: CountryRiskManualTest;
 * discount: AuditLogTest).
 */
import { describe, expect, it } from 'vitest';
import { DmnError, evaluateDecision, parseDmn } from '../../engine/embedded/dmn/index.js';
import { scalaVal } from '../../engine/embedded/dmn/scala-text.js';
import { evaluateFeelValue } from '../../engine/embedded/feel/index.js';

/** A decision table `d` over input `n` with the given hit policy, outputs and rules (`[input test, ...output entries]`). */
function table(hitPolicy: string, outputs: [string, string][], rules: string[][], aggregation = ''): string {
  const outs = outputs.map(([name, typeRef], i) => `<output id="o${i}" name="${name}" typeRef="${typeRef}" />`).join('');
  const rows = rules
    .map((r, i) => `<rule id="r${i + 1}"><inputEntry id="r${i + 1}i"><text>${r[0]}</text></inputEntry>${r.slice(1).map((o, j) => `<outputEntry id="r${i + 1}o${j}"><text>${o}</text></outputEntry>`).join('')}</rule>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="t" name="t" namespace="http://herald.test/errors">
  <decision id="d" name="d">
    <decisionTable id="dt" hitPolicy="${hitPolicy}"${aggregation ? ` aggregation="${aggregation}"` : ''}>
      <input id="i0"><inputExpression id="ie0" typeRef="number"><text>n</text></inputExpression></input>${outs}${rows}
    </decisionTable>
  </decision>
</definitions>`;
}

function failure(xml: string, variables: Record<string, unknown>): DmnError {
  try {
    evaluateDecision(parseDmn(xml, 't.dmn'), 'd', variables);
  } catch (err) {
    expect(err).toBeInstanceOf(DmnError);
    return err as DmnError;
  }
  throw new Error('expected the evaluation to fail');
}

describe("DMN-Scala's failure texts", () => {
  it('given UNIQUE with two outputs and two matching rules, then the text lists both rows as Scala maps (DMN-Scala numbers.dmn)', () => {
    const xml = table('UNIQUE', [['result', 'number'], ['otherResult', 'string']], [['1', '1', '"first"'], ['&lt; 5', '2', '"second"']]);
    expect(failure(xml, { n: 1 }).message).toBe(
      "Expected to evaluate decision 'd', but multiple values aren't allowed for UNIQUE hit policy. found: 'List(Map(result -> ValNumber(1), otherResult -> ValString(first)), Map(result -> ValNumber(2), otherResult -> ValString(second)))'",
    );
  });

  it('given UNIQUE with decimals, then the numbers print as BigDecimal does (DMN-Scala discount)', () => {
    const xml = table('UNIQUE', [['discount', 'number']], [['> 1', '0.1'], ['> 2', '0.15']]);
    expect(failure(xml, { n: 3 }).message).toBe("Expected to evaluate decision 'd', but multiple values aren't allowed for UNIQUE hit policy. found: 'List(Map(discount -> ValNumber(0.1)), Map(discount -> ValNumber(0.15)))'");
  });

  it('given ANY and differing outputs, then the text lists the distinct rows', () => {
    const xml = table('ANY', [['verdict', 'string']], [['> 1', '"ok"'], ['> 2', '"ok"'], ['> 3', '"no"']]);
    expect(failure(xml, { n: 5 }).message).toBe("Expected to evaluate decision 'd', but different values aren't allowed for ANY hit policy. found: 'List(Map(verdict -> ValString(ok)), Map(verdict -> ValString(no)))'");
  });

  it('given COLLECT SUM over a string output, then "expected number but found" the value as a Scala value', () => {
    const xml = table('COLLECT', [['score', '']], [['> 1', '1'], ['> 2', '"two"']], 'SUM');
    expect(failure(xml, { n: 5 }).message).toBe("Expected to evaluate decision 'd', but expected number but found 'ValString(two)'");
  });

  it('given COLLECT SUM over two outputs, then "multiple values aren\'t allowed" with the rows', () => {
    const xml = table('COLLECT', [['a', 'number'], ['b', 'number']], [['> 1', '1', '2']], 'SUM');
    expect(failure(xml, { n: 5 }).message).toBe("Expected to evaluate decision 'd', but multiple values aren't allowed. found: List(Map(a -> ValNumber(1), b -> ValNumber(2)))");
  });

  it('given a decision typed feel:number that gives a string, then TypeChecker\'s text without the feel: prefix', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="t" name="t" namespace="http://herald.test/errors">
  <decision id="d" name="d"><variable name="d" typeRef="feel:number" /><literalExpression><text>"high"</text></literalExpression></decision>
</definitions>`;
    expect(failure(xml, {}).message).toBe("Expected to evaluate decision 'd', but expected 'number' but found 'ValString(high)'");
  });

  it('given an input expression whose assert() fails, then the text is Zeebe\'s (BusinessRuleTaskTest: jedi_or_sith)', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="t" name="t" namespace="http://herald.test/errors">
  <decision id="d" name="d">
    <decisionTable id="dt"><input id="i0"><inputExpression id="ie0" typeRef="string"><text>assert(lightsaberColor, lightsaberColor != null)</text></inputExpression></input>
      <output id="o0" name="side" typeRef="string" />
      <rule id="r1"><inputEntry id="r1i"><text>"blue"</text></inputEntry><outputEntry id="r1o"><text>"Jedi"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>`;
    expect(failure(xml, {}).message).toBe("Expected to evaluate decision 'd', but Assertion failure on evaluate the expression 'assert(lightsaberColor, lightsaberColor != null)': The condition is not fulfilled");
  });

  it('given values of every kind, then each prints as FEEL-scala\'s Val does', () => {
    const v = (e: string) => scalaVal(evaluateFeelValue(e, {}).value);
    expect(v('null')).toBe('ValNull');
    expect(v('true')).toBe('ValBoolean(true)');
    expect(v('[1, "a"]')).toBe('ValList(List(ValNumber(1), ValString(a)))');
    expect(v('date("2019-08-12")')).toBe('ValDate(2019-08-12)');
    expect(v('date and time("2019-08-12T22:22:22")')).toBe('ValLocalDateTime(2019-08-12T22:22:22)');
    expect(v('duration("PT1H")')).toBe('ValDayTimeDuration(PT1H)');
    expect(v('duration("P1Y")')).toBe('ValYearMonthDuration(P1Y)');
    expect(v('time("10:00:00")')).toBe('ValLocalTime(10:00)');
  });
});
