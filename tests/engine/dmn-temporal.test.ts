/**
 * Dates, date-times and times in decisions as DMN-Scala 1.9.0 gives them in the DMN TCK
 * (../shared/dmn-tck, its published results beside the TCK files): years outside 0000-9999
 * (java.time's years; TCK 1115, 1117, 0100), fractional seconds in time(h, m, s, offset) (TCK
 * 0007), a date-time text with both an offset and a zone id refused (TCK 1117 error cases), and
 * a fixed offset equal to a zone id that has that offset then (TCK 0068 datetime_008).
 */
import { describe, expect, it } from 'vitest';
import { evaluateFeel } from '../../engine/embedded/feel/index.js';
import { evaluateDecision, parseDmn } from '../../engine/embedded/dmn/index.js';

const feel = (expression: string, vars: Record<string, unknown> = {}) => evaluateFeel(expression, vars).value;

describe('years outside 0000-9999 (DMN TCK 1115, 1117, 0100; DMN-Scala 1.9.0 passes them)', () => {
  it('given a negative year, when date() reads it, then string() writes it as java.time does, without Temporal’s padding', () => {
    expect(feel('string(date("-2017-12-31"))')).toBe('-2017-12-31');
    expect(feel('string(date(-2017, 12, 31))')).toBe('-2017-12-31');
    expect(feel('date("-2017-01-01")')).toBe('-2017-01-01');
  });

  it('given a negative year in an @ literal, when a duration is added, then the result keeps the year and the offset', () => {
    expect(feel('string(@"-2021-01-01T10:10:10+11:00" + @"P1M")')).toBe('-2021-02-01T10:10:10+11:00');
    expect(feel('string(@"-2021-01-01T10:10:10+11:00" - @"P1D")')).toBe('-2022-12-31T10:10:10+11:00');
  });

  it('given a five-digit year, then it is read; with a leading zero or a plus sign it is no date (TCK 1115 039, 1117 067/068)', () => {
    expect(feel('string(date and time("99999-12-31T11:22:33"))')).toBe('99999-12-31T11:22:33');
    expect(feel('date("01211-12-31")')).toBeNull();
    expect(feel('date and time("+99999-12-01T11:22:33")')).toBeNull();
    expect(feel('date("-2019-02-29")')).toBeNull();
  });

  it('given two negative date-times, then years and months duration() counts between them', () => {
    expect(feel('years and months duration(date and time("-2016-01-30T09:05:00"), date and time("-2017-02-28T02:02:02"))')).toBe('P-11M');
  });

  it('given years 0-99, then they compare as those years, not as 1900-1999', () => {
    expect(feel('date("0050-01-01") < date("1950-01-01")')).toBe(true);
    expect(feel('date("0050-01-01") = date("1950-01-01")')).toBe(false);
  });
});

describe('times and date-times (DMN TCK 0007, 1117, 0068)', () => {
  it('given a second with a fraction, when time(h, m, s, offset) builds a time, then the fraction is kept', () => {
    expect(feel('time(12, 59, 1.3, duration("-PT1H")) = time("12:59:01.3-01:00")')).toBe(true);
    expect(feel('time(12, 59, 1.3, duration("-PT1H"))')).toBe('12:59:01.300-01:00');
  });

  it('given a date-time text with an offset and a zone id at once, then it is no date-time', () => {
    expect(feel('date and time("2011-12-03T10:15:30+01:00@Europe/Paris")')).toBeNull();
  });

  it('given a fixed offset and a zone id with that offset, then the date-times are equal; two zone ids or two offsets are not', () => {
    expect(feel('date and time("2018-10-08T00:00:00+02:00") = date and time("2018-10-08T00:00:00@Europe/Paris")')).toBe(true);
    expect(feel('date and time("2018-12-08T00:00:00@Europe/Paris") = date and time("2018-12-08T00:00:00@Asia/Dhaka")')).toBe(false);
    expect(feel('@"2002-04-02T12:00:00-01:00" = @"2002-04-02T17:00:00+04:00"')).toBe(false);
  });

  it('given "days and time duration" and "date and time" around time(), then the names still parse', () => {
    expect(feel('duration("P1D") instance of days and time duration')).toBe(true);
    expect(feel('time(12, 59, 1.3) = time(date and time("2017-01-01T12:59:01.3"))')).toBe(true);
  });
});

describe('durations (DMN TCK 0099, 0103, cases added after DMN-Scala 1.9.0)', () => {
  it('given a negated duration, then it is the duration with the opposite sign, as java.time negated() (FEEL-scala)', () => {
    expect(feel('-@"P1D"')).toBe('PT-24H');
    expect(feel('-(-@"P1D")')).toBe('PT24H');
    expect(feel('-duration("P1Y")')).toBe('P-1Y');
  });

  it('given a zero years-and-months and a zero days-and-time duration, then is() is false: they are of two types', () => {
    expect(feel('is(@"P0Y", @"P0D")')).toBe(false);
    expect(feel('is(@"P1D", @"PT24H")')).toBe(true);
  });
});

describe('a decision over a negative year', () => {
  it('given a literal decision, when it adds a year to a date read from a string input, then the output is the java.time text Zeebe stores', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="http://herald/test">
  <inputData id="i" name="start"><variable name="start" typeRef="string"/></inputData>
  <decision id="next" name="next">
    <variable name="next" typeRef="date"/>
    <informationRequirement id="r"><requiredInput href="#i"/></informationRequirement>
    <literalExpression><text>date(start) + duration("P1Y")</text></literalExpression>
  </decision>
</definitions>`;
    const drg = parseDmn(xml, 'negative-year.dmn');
    expect(evaluateDecision(drg, 'next', { start: '-2017-12-31' }).output).toBe('-2016-12-31');
  });
});
