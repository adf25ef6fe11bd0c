/**
 * The embedded engine's FEEL gives Zeebe's (FEEL-scala's) answers: decimal numbers, null for
 * missing variables (reported by name), Camunda's extra builtins, and syntax errors that say
 * what is wrong and where.
 */
import { describe, expect, it } from 'vitest';
import { compileFeel, evaluateFeel, evaluateUnaryTests, FeelError, parseFeel } from '../../engine/embedded/feel/index.js';

const value = (expression: string, context: Record<string, unknown> = {}) => evaluateFeel(expression, context).value;

describe('FEEL numbers are decimals, as in Zeebe', () => {
  it.each([
    ['0.1 + 0.2 = 0.3', true],
    ['0.1 + 0.2', 0.3],
    ['19600 * 0.05', 980],
    ['1.1 * 3', 3.3],
    ['0.3 - 0.1', 0.2],
    ['(0.1 + 0.2) * 3', 0.9],
    ['10 / 3', 3.3333333333333335],
    ['1 / 3 * 3 = 1', false],
    ['2 ** 10', 1024],
    ['-0.1 * 3', -0.3],
    ['0.7 * 0.1 < 0.07', false],
    ['0.7 * 0.1 = 0.07', true],
    ['1 / 0', null],
  ])('given no variables, when %s is evaluated, then it is %j', (expression, expected) => {
    expect(value(expression)).toEqual(expected);
  });

  it('given amounts in variables, when they are added and compared, then the answer is exact', () => {
    const ctx = { net: 0.1, vat: 0.2, items: [{ price: 0.1 }, { price: 0.2 }] };
    expect(value('net + vat', ctx)).toBe(0.3);
    expect(value('net + vat = 0.3', ctx)).toBe(true);
    expect(value('sum(items.price)', ctx)).toBe(0.3);
    expect(value('sum(items.price) = 0.3', ctx)).toBe(true);
    expect(value('for i in items return i.price * 3', ctx)).toEqual([0.3, 0.6]);
    expect(value('items[price * 3 = 0.3].price', ctx)).toEqual([0.1]);
  });

  it.each([
    ['sum([0.1, 0.2, 0.3])', 0.6],
    ['sum(0.1, 0.2)', 0.3],
    ['mean([0.1, 0.2])', 0.15],
    ['product([0.1, 3])', 0.3],
    ['min([3, 0.1 + 0.2])', 0.3],
    ['max(1.5, 2.5)', 2.5],
    ['decimal(1.125, 2)', 1.12],
    ['decimal(2.675, 2)', 2.68],
    ['round half up(1.125, 2)', 1.13],
    ['round half down(1.125, 2)', 1.12],
    ['round up(1.121, 2)', 1.13],
    ['round down(1.129, 2)', 1.12],
    ['floor(-1.5)', -2],
    ['ceiling(1.01)', 2],
    ['modulo(-12, 5)', 3],
    ['abs(-0.3)', 0.3],
  ])('given a number builtin, when %s is evaluated, then it is %j', (expression, expected) => {
    expect(value(expression)).toEqual(expected);
  });
});

describe('other FEEL is untouched', () => {
  it.each([
    ['"a" + "b"', 'ab'],
    ['string length("héllo")', 5],
    ['upper case("x") + string(1 + 1)', 'X2'],
    ['[1, 2, 3][item > 1]', [2, 3]],
    ['[1, 2, 3][1]', 1],
    ['{a: {b: 1 + 1}}.a.b', 2],
    ['some x in [1, 2, 3] satisfies x > 2', true],
    ['every x in [1, 2, 3] satisfies x > 2', false],
    ['5 in [1..10]', true],
    ['5 between 1 and 2 + 2', false],
    ['if 0.1 + 0.2 = 0.3 then "exact" else "float"', 'exact'],
    ['get value({k: 5}, "k")', 5],
    ['count(["a", "b"])', 2],
    ['date("2024-01-31") + duration("P1D")', '2024-02-01'],
    ['date and time("2024-01-01T10:00:00Z") + duration("PT1H")', '2024-01-01T11:00Z'],
    ['duration("P2D")', 'PT48H'],
    ['duration("P1Y2M")', 'P1Y2M'],
    ['duration("P2D") + duration("PT12H")', 'PT60H'],
    ['duration("P2D").days', 2],
  ])('given %s, when evaluated, then it is %j', (expression, expected) => {
    expect(value(expression)).toEqual(expected);
  });

  it('given paths into variables, when evaluated, then they read the value and map over lists', () => {
    const ctx = { order: { customer: { name: 'Ada' } }, lines: [{ qty: 1 }, { qty: 2 }] };
    expect(value('order.customer.name', ctx)).toBe('Ada');
    expect(value('lines.qty', ctx)).toEqual([1, 2]);
    expect(value('order.missing', ctx)).toBeNull();
  });

  it('given the engine clock, when now() and today() are evaluated, then they use it', () => {
    const now = () => Date.UTC(2031, 4, 6, 7, 8, 9);
    expect(evaluateFeel('now()', {}, { now }).value).toBe('2031-05-06T07:08:09Z');
    expect(evaluateFeel('today()', {}, { now }).value).toBe('2031-05-06');
    expect(evaluateFeel('now() + duration("P1D") > date and time("2031-05-07T00:00:00Z")', {}, { now }).value).toBe(true);
  });
});

describe('missing variables', () => {
  it('given a missing variable, when it is read, then the value is null and the name is reported', () => {
    expect(evaluateFeel('x', {})).toEqual({ value: null, missingVariables: ['x'] });
    expect(evaluateFeel('x + 1', { y: 1 })).toEqual({ value: null, missingVariables: ['x'] });
    expect(evaluateFeel('a.b', {})).toEqual({ value: null, missingVariables: ['a'] });
  });

  it('given all variables, when evaluated, then nothing is reported missing', () => {
    expect(evaluateFeel('x + y', { x: 1, y: null })).toEqual({ value: null, missingVariables: [] });
  });
});

describe('Camunda builtins', () => {
  it('given is defined, when the value is missing or null, then it is false (Zeebe 8.4+)', () => {
    expect(value('is defined(x)')).toBe(false);
    expect(value('is defined(x)', { x: null })).toBe(false);
    expect(value('is defined(x)', { x: 0 })).toBe(true);
  });

  it('given get or else, when the value is null, then the default is returned', () => {
    expect(value('get or else(x, "prio-99")')).toBe('prio-99');
    expect(value('get or else(x, "prio-99")', { x: 'prio-1' })).toBe('prio-1');
  });

  it('given assert with a condition that holds, when evaluated, then the value is returned', () => {
    expect(value('assert(x, x > 0)', { x: 4 })).toBe(4);
  });

  it('given assert with a failing condition and a cause, when evaluated, then it fails with the cause', () => {
    expect(() => evaluateFeel('assert(b, b >= 0, "\'b\' should be positive")', { b: -1 })).toThrow(/'b' should be positive/);
    expect(() => evaluateFeel('assert(a, a != null)', {})).toThrow(FeelError);
  });

  it('given other extensions, when evaluated, then they behave as in FEEL-scala', () => {
    expect(value('is empty([])')).toBe(true);
    expect(value('trim("  x ")')).toBe('x');
    expect(value('partition([1, 2, 3], 2)')).toEqual([[1, 2], [3]]);
  });
});

describe('syntax errors', () => {
  it.each([
    ['a +', /end of expression at position 4/],
    ['(1', /end of expression/],
    ['"abc', /unexpected '"' at position 1/],
    ['', /empty/],
  ])('given %j, when parsed, then it is refused with what and where', (expression, message) => {
    const r = parseFeel(expression);
    expect(r.ok).toBe(false);
    expect((r as { message: string }).message).toMatch(message);
  });

  it('given a valid expression, when parsed, then it is accepted', () => {
    expect(parseFeel('if a > 1 then "x" else get or else(b, "y")')).toEqual({ ok: true });
  });

  it('given an invalid expression, when evaluated, then a FeelError carries the expression', () => {
    try {
      evaluateFeel('1 +* 2', {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(FeelError);
      expect((err as FeelError).expression).toBe('1 +* 2');
    }
  });
});

describe('unary tests (DMN input entries)', () => {
  it.each([
    ['-', 'anything', true],
    ['', null, true],
    ['"Misc"', 'Misc', true],
    ['"budget", "exceptional"', 'exceptional', true],
    ['< 250', 100, true],
    ['< 250', '100', false],
    ['[250..1000]', 1000, true],
    ['[250..1000)', 1000, false],
    ['> 0.1 + 0.2', 0.3, false],
    ['>= 0.1 + 0.2', 0.3, true],
    ['not("a", "b")', 'c', true],
    ['not("a", "b")', 'a', false],
    ['? > 3', 4, true],
  ])('given %j, when tested against %j, then it is %j', (tests, input, expected) => {
    expect(evaluateUnaryTests(tests, input, {})).toBe(expected);
  });

  it('given a test using a variable, when tested, then the context is used', () => {
    expect(evaluateUnaryTests('< 0.7 * pi.annual_salary', 38639, { pi: { annual_salary: 55200 } })).toBe(true);
    expect(evaluateUnaryTests('< 0.7 * pi.annual_salary', 38640, { pi: { annual_salary: 55200 } })).toBe(false);
  });
});

describe('compiled expressions', () => {
  it('given a compiled expression, when evaluated with different contexts, then each answer is its own', () => {
    const fee = compileFeel('amount * rate');
    expect(fee({ amount: 19600, rate: 0.05 }, {}).value).toBe(980);
    expect(fee({ amount: 0.1, rate: 3 }, {}).value).toBe(0.3);
  });
});
