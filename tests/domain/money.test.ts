import { describe, expect, it } from 'vitest';
import { addAmounts, compareAmounts, formatMoney, fromMinorUnits, minorUnits, MoneyError, parseAmount, toMinorUnits, validateAmount } from '../../domain/money.js';

describe('money', () => {
  it('adds decimal strings exactly: 0.1 + 0.2 is 0.3, not 0.30000000000000004', () => {
    // given amounts that binary floats cannot hold
    // when added
    const sum = addAmounts('0.1', '0.2');
    // then the decimal answer comes back
    expect(sum).toBe('0.3');
    expect(compareAmounts(sum, '0.3')).toBe(0);
    expect(addAmounts('19600.00', '-650.00', '0.01')).toBe('18950.01');
    expect(addAmounts('9007199254740993.01', '0.01')).toBe('9007199254740993.02');
  });

  it('formats with the currency minor units: USD 2, JPY 0, BHD 3', () => {
    expect(minorUnits('USD')).toBe(2);
    expect(minorUnits('JPY')).toBe(0);
    expect(minorUnits('BHD')).toBe(3);
    expect(formatMoney('19600', 'USD', 'en-US')).toBe('$19,600.00');
    expect(formatMoney('19600', 'JPY', 'ja-JP')).toBe('￥19,600');
    expect(formatMoney('19600.00', 'JPY', 'en-US')).toBe('¥19,600');
    expect(formatMoney('1.25', 'BHD', 'en-US')).toMatch(/^BHD\s1\.250$/);
    expect(formatMoney('19600.5', 'EUR', 'de-DE')).toBe('19.600,50\u00a0€');
    // more digits than a double keeps
    expect(formatMoney('12345678901234567.89', 'USD', 'en-US')).toBe('$12,345,678,901,234,567.89');
  });

  it('refuses amounts finer than the currency allows, malformed amounts and unknown currencies', () => {
    expect(() => formatMoney('10.005', 'USD', 'en-US')).toThrow(/more decimals than USD allows \(2\)/);
    expect(() => formatMoney('100.5', 'JPY', 'en-US')).toThrow(MoneyError);
    expect(() => parseAmount('1,000.00')).toThrow(/not a decimal amount/);
    expect(() => parseAmount('1e3')).toThrow(MoneyError);
    expect(() => parseAmount(0.1 as unknown as string)).toThrow(MoneyError);
    expect(() => formatMoney('1', 'XYZ', 'en')).toThrow(/not a known ISO 4217 currency/);
    expect(parseAmount('+019600.50')).toBe('19600.5');
    expect(validateAmount('7', 'KWD')).toBe('7.000');
  });

  it('converts to and from minor units exactly', () => {
    expect(toMinorUnits('19600.50', 'USD')).toBe(1960050n);
    expect(toMinorUnits('19600', 'JPY')).toBe(19600n);
    expect(fromMinorUnits(1250n, 'BHD')).toBe('1.250');
  });
});
