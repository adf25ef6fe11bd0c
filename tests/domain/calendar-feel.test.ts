/**
 * Business days in FEEL (#19): `is business day`, `next business day` and `add business days`
 * answer from domain/calendar's public holidays per country, with positional or named arguments;
 * a bad argument or an unknown country is null, as a FEEL function that cannot answer.
 */
import { describe, expect, it } from 'vitest';
import { evaluateFeel } from '../../engine/embedded/feel/index.js';

const value = (expression: string, context: Record<string, unknown> = {}) => evaluateFeel(expression, context).value;

describe('business days in FEEL', () => {
  it.each([
    // Christmas in Germany: 25 and 26 December are holidays, the 24th is a working day
    ['next business day(date("2026-12-25"), "DE")', '2026-12-28'],
    ['next business day(date("2026-12-24"), "DE")', '2026-12-24'],
    ['is business day(date("2026-12-24"), "DE")', true],
    ['is business day(date("2026-12-26"), "DE")', false],
    // the UK: Boxing Day on a Saturday moves to Monday the 28th
    ['add business days(date("2026-12-23"), 2, "GB")', '2026-12-29'],
    ['add business days(date("2026-12-29"), -2, "GB")', '2026-12-23'],
    ['add business days(date("2026-12-25"), 0, "US")', '2026-12-28'],
    // a date and time counts by its date; named arguments as FEEL allows
    ['add business days(date and time("2026-12-24T18:00:00Z"), 1, "DE")', '2026-12-28'],
    ['next business day(date: date("2026-12-26"), country: "GB")', '2026-12-29'],
    ['add business days(date: date("2026-12-23"), n: 3, country: "DE")', '2026-12-29'],
  ])('%s = %j', (expression, expected) => {
    expect(value(expression)).toEqual(expected);
  });

  it('reads a date from a variable (an ISO date string, as a process variable holds it)', () => {
    expect(value('add business days(dueDate, 3, country)', { dueDate: '2026-12-23', country: 'DE' })).toBe('2026-12-29');
    // a dunning cadence: remind 5 business days after the due date, and compare
    expect(value('add business days(dueDate, 5, "GB") > date("2026-12-31")', { dueDate: '2026-12-24' })).toBe(true);
  });

  it.each([
    ['next business day(date("2026-12-25"), "XX")'],
    ['next business day("not a date", "DE")'],
    ['add business days(date("2026-12-25"), 1.5, "DE")'],
    ['add business days(date("2026-12-25"), 99999, "DE")'],
    ['is business day(null, "DE")'],
  ])('%s is null', (expression) => {
    expect(value(expression)).toBeNull();
  });
});
