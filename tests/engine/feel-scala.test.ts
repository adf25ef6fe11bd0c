/**
 * Issue 16's FEEL findings, each as FEEL-scala (Zeebe's FEEL engine) answers it: lists of
 * different lengths are unequal, values of different types are not comparable (null, not a
 * boolean), and typed temporal inputs stay typed through variables, expressions and the input
 * entries of a decision table. The cases cite FEEL-scala's own tests (InterpreterListExpressionTest,
 * ComparisonTypeTest, InterpreterUnaryTest at camunda/feel-scala 392c537).
 */
import { describe, expect, it } from 'vitest';
import { FeelDate, FeelDuration, parseDate } from 'feelin';
import {
  compileFeelValue,
  compileUnaryTests,
  compileUnaryTestsValue,
  evaluateFeel,
  evaluateFeelValue,
  evaluateUnaryTestsValue,
  FeelError,
} from '../../engine/embedded/feel/index.js';

const value = (expression: string, context: Record<string, unknown> = {}) => evaluateFeelValue(expression, context).value;

describe('issue 16: list equality compares item by item (InterpreterListExpressionTest L50-L71)', () => {
  it.each([
    ['[1] != []', true],
    ['[] != [1]', true],
    ['[1] = []', false],
    ['[] = [1]', false],
    ['[1] = [true]', false],
    ['[1] != [true]', true],
    ['[1, 2] = [1, 2]', true],
    ['[[1], {a: 2}] = [[1], {a: 2}]', true],
  ])('given %s, when evaluated, then it is %s', (expression, expected) => {
    expect(value(expression)).toBe(expected);
  });
});

describe('issue 16: values of different types are not comparable (ComparisonTypeTest)', () => {
  it.each([
    ['"2016-11-01" <= date("2016-10-01")'],
    ['"a" <= 1'],
    ['true <= 1'],
    ['1 = true'],
    ['"1" != 1'],
    ['date("2020-01-01") < date and time("2020-01-01T00:00:00")'],
    ['duration("P1M") < duration("P1D")'],
  ])('given %s, when evaluated, then it is null rather than a boolean', (expression) => {
    expect(value(expression)).toBeNull();
  });

  it('given null on one side of =, when evaluated, then only null equals null', () => {
    expect(value('null = null')).toBe(true);
    expect(value('1 = null')).toBe(false);
    expect(value('null != "a"')).toBe(true);
  });

  it('given an input entry of another type than the input, when tested, then the answer is null and the rule does not match', () => {
    expect(evaluateUnaryTestsValue('< 1', 'a')).toBeNull();
    expect(evaluateUnaryTestsValue('[1..10]', '5')).toBeNull();
    expect(evaluateUnaryTestsValue('< 3', null)).toBeNull();
    expect(compileUnaryTests('< 1')('a', {})).toBe(false);
  });
});

describe('issue 16: typed temporal inputs stay typed', () => {
  const due = parseDate('2016-10-01') as FeelDate;

  it('given a date in a variable, when the variable is read, then the value is still a date', () => {
    expect(value('due', { due })).toBe(due);
    expect(compileFeelValue('due')({ due }).value).toBeInstanceOf(FeelDate);
  });

  it('given a date in a variable, when it is compared and shifted, then date semantics apply', () => {
    expect(value('due < date("2016-11-01")', { due })).toBe(true);
    expect(value('"2016-11-01" <= due', { due })).toBeNull();
    expect(String(value('due + duration("P1M")', { due }))).toBe('2016-11-01');
    expect(value('due - duration("PT1H")', { due })).toBeInstanceOf(FeelDate);
  });

  it('given a typed date as the input of a decision table, when its input entries are tested, then they compare dates', () => {
    const input = compileFeelValue('due')({ due }).value;
    expect(compileUnaryTestsValue('< date("2016-11-01")')(input, {})).toBe(true);
    expect(compileUnaryTestsValue('[date("2016-01-01")..date("2016-12-31")]')(input, {})).toBe(true);
    expect(compileUnaryTestsValue('"2016-10-01"')(input, {})).toBeNull();
  });

  it('given a typed result, when the engine stores it, then it is the java.time text Zeebe stores', () => {
    expect(evaluateFeel('due', { due }).value).toBe('2016-10-01');
    expect(evaluateFeel('duration("P1DT2H") * 2', {}).value).toBe('PT52H');
    expect(value('duration("P1DT2H") * 2')).toBeInstanceOf(FeelDuration);
  });
});

describe('FEEL-scala built-ins feelin lacks or answers otherwise', () => {
  it.each([
    ['decimal(2.5, 0, "HALF_UP")', 3],
    ['decimal(-2.5, 0, "HALF_EVEN")', -2],
    ['during(5, [1..10])', true],
    ['before(point: 1, range: [2..3])', true],
    ['before("a", "b")', null],
    ['overlaps before([1..5], [5..8])', true],
    ['and([true, null, false])', false],
    ['or(false, null, true)', true],
    ['duplicate values([1, 2, 1])', [1]],
    ['to json({a: 1, b: "x"})', '{"a":1,"b":"x"}'],
    ['from json("[1, 2]")', [1, 2]],
    ['string({a: 1, b: 2})', '{a:1, b:2}'],
    ['sublist([1, 2, 3], 0)', null],
    ['{`a b`: 1, c: 2}.c', 2],
    ['{foo+bar: 1}.`foo+bar`', 1],
    ['{a+b: 2, c: `a+b` + 3}.c', 5],
  ])('given %s, when evaluated, then it is %j', (expression, expected) => {
    expect(value(expression)).toEqual(expected);
  });
});

describe('filters as FEEL-scala applies them (InterpreterListExpressionTest)', () => {
  const orders = [
    { amount: 50, id: 'a' },
    { amount: 150, id: 'b' },
  ];
  it.each([
    ['[1, 2, null, 4][item = null]', {}, [null]],
    ['[true, false][item = false]', {}, [false]],
    ['[1, 2, 3, 4][odd(item)]', {}, [1, 3]],
    ['[1, 2, 3, 4][if item < 3 then true else null]', {}, [1, 2]],
    ['orders[amount > limit].id', { orders, limit: 100 }, ['b']],
    ['orders[count(orders)].id', { orders }, 'b'],
    ['[{item: 1}, {item: 2}][item >= 2]', {}, [{ item: 2 }]],
    ['missing[even(item)]', {}, null],
  ])('given %s, when evaluated, then it is %j', (expression, context, expected) => {
    expect(evaluateFeel(expression, context).value).toEqual(expected);
  });
});

describe('syntax FEEL-scala reads otherwise than lezer-feel (InterpreterExpressionTest)', () => {
  it('given a keyword as a name, when parsed, then it is a syntax error', () => {
    expect(() => value('{ null: 1 }.null')).toThrow(FeelError);
    expect(() => value('{ true: 1 }.true')).toThrow(/keyword/);
  });

  it('given instance of after a product, when evaluated, then the whole product is tested', () => {
    expect(value('2 * 3 instance of number')).toBe(true);
  });

  it('given instance of function, when evaluated, then functions and only functions match', () => {
    expect(value('(function() "foo") instance of function')).toBe(true);
    expect(value('1 instance of function')).toBe(false);
  });

  it('given ? outside an input entry, when evaluated, then the evaluation fails as there is no input value', () => {
    expect(() => value('? < 10')).toThrow(/No input value available/);
    expect(evaluateUnaryTestsValue('? < 10', 5)).toBe(true);
  });

  it('given x in a test reading ?, when evaluated, then ? is x', () => {
    expect(value('5 in ? < 10')).toBe(true);
    expect(value('x in ? < 3', { x: 5 })).toBe(false);
    expect(value('x in ? + 1', { x: 5 })).toBeNull();
  });
});
