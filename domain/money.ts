/**
 * Money is exact: amounts are decimal strings ("19600.00"), computed with decimal.js and never
 * held in a binary float. Formatting uses the currency's ISO 4217 minor units (USD 2, JPY 0,
 * BHD 3), not CLDR's display digits, and hands Intl the decimal string so no digit is lost.
 */
import { Decimal } from 'decimal.js';

/** A decimal string: optional minus, digits, optional fraction. No exponent, no separators. */
export type Amount = string;

export class MoneyError extends Error {
  override readonly name = 'MoneyError';
  constructor(message: string, readonly field?: string) {
    super(message);
  }
}

// A private constructor: the global Decimal configuration belongs to whoever else uses decimal.js.
const D = Decimal.clone({ precision: 200, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -1e9, toExpPos: 1e9 });
type Dec = InstanceType<typeof D>;

const AMOUNT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** ISO 4217 currencies whose minor unit is not 2. */
const MINOR_UNITS: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

let knownCurrencies: Set<string> | undefined;

/** The currency code, upper-cased, or an error naming it when Intl does not know it. */
export function parseCurrency(currency: string): string {
  const code = typeof currency === 'string' ? currency.trim().toUpperCase() : '';
  if (!/^[A-Z]{3}$/.test(code)) throw new MoneyError(`currency "${String(currency)}" is not a three-letter ISO 4217 code`, 'currency');
  knownCurrencies ??= new Set(Intl.supportedValuesOf('currency'));
  if (!knownCurrencies.has(code) && !(code in MINOR_UNITS)) throw new MoneyError(`currency "${code}" is not a known ISO 4217 currency`, 'currency');
  return code;
}

/** Digits after the decimal point in the currency's minor unit (ISO 4217). */
export function minorUnits(currency: string): number {
  return MINOR_UNITS[parseCurrency(currency)] ?? 2;
}

function dec(amount: Amount, field = 'amount'): Dec {
  if (typeof amount !== 'string' || !AMOUNT.test(amount.trim())) {
    throw new MoneyError(`${field} "${String(amount)}" is not a decimal amount (digits with an optional "." fraction, e.g. "19600.00")`, field);
  }
  return new D(amount.trim());
}

/** Validates and normalises an amount ("+019600.50" -> "19600.5"). Numbers are refused: they may already be inexact. */
export function parseAmount(input: string, field = 'amount'): Amount {
  return dec(input, field).toFixed();
}

export function isAmount(input: unknown): input is Amount {
  return typeof input === 'string' && AMOUNT.test(input.trim());
}

/**
 * Checks that an amount fits the currency: no more decimals than its minor unit
 * ("10.005 USD" is refused, "19600.00 JPY" is fine because the zeros carry nothing).
 */
export function validateAmount(amount: Amount, currency: string, field = 'amount'): Amount {
  const d = dec(amount, field);
  const digits = minorUnits(currency);
  if (d.decimalPlaces() > digits) {
    throw new MoneyError(`${field} ${amount} has more decimals than ${parseCurrency(currency)} allows (${digits})`, field);
  }
  return d.toFixed(digits);
}

export function addAmounts(...amounts: Amount[]): Amount {
  return amounts.reduce<Dec>((sum, a, i) => sum.plus(dec(a, `amounts[${i}]`)), new D(0)).toFixed();
}

export function subtractAmounts(a: Amount, b: Amount): Amount {
  return dec(a, 'a').minus(dec(b, 'b')).toFixed();
}

/** -1, 0 or 1, exactly ("0.1" + "0.2" compares equal to "0.3"). */
export function compareAmounts(a: Amount, b: Amount): -1 | 0 | 1 {
  return dec(a, 'a').comparedTo(dec(b, 'b')) as -1 | 0 | 1;
}

export function amountsEqual(a: Amount, b: Amount): boolean {
  return compareAmounts(a, b) === 0;
}

/** Rounds to the currency's minor unit, half away from zero (commercial rounding). */
export function roundToCurrency(amount: Amount, currency: string): Amount {
  return dec(amount).toDecimalPlaces(minorUnits(currency), D.ROUND_HALF_UP).toFixed(minorUnits(currency));
}

/** The amount in minor units ("19600.50" USD -> 1960050n); refuses amounts finer than the minor unit. */
export function toMinorUnits(amount: Amount, currency: string): bigint {
  const fixed = validateAmount(amount, currency);
  return BigInt(fixed.replace('.', ''));
}

export function fromMinorUnits(minor: bigint, currency: string): Amount {
  return new D(minor.toString()).dividedBy(new D(10).pow(minorUnits(currency))).toFixed(minorUnits(currency));
}

const formatters = new Map<string, { f: Intl.NumberFormat; code: string; digits: number }>();

/**
 * "$19,600.00", "￥19,600", "19.600,00 €", "BHD 1.250": the locale's symbols and grouping with
 * the currency's minor units. An amount finer than the minor unit is an error, not rounded away.
 */
const PLAIN = /^-?\d{1,30}(?:\.(\d{1,30}))?$/;

export function formatMoney(amount: Amount, currency: string, locale: string): string {
  const key = `${locale}\u0000${currency}`;
  let entry = formatters.get(key);
  if (!entry) {
    const code = parseCurrency(currency);
    const digits = minorUnits(code);
    let f: Intl.NumberFormat;
    try {
      f = new Intl.NumberFormat(locale, { style: 'currency', currency: code, minimumFractionDigits: digits, maximumFractionDigits: digits });
    } catch {
      throw new MoneyError(`locale "${locale}" is not a valid BCP 47 locale`, 'locale');
    }
    entry = { f, code, digits };
    formatters.set(key, entry);
  }
  // the common shape ("19600.00") needs no Decimal: only trailing zeros may go past the minor unit
  const m = typeof amount === 'string' ? PLAIN.exec(amount) : null;
  const fixed = m && (m[1] === undefined || m[1].length <= entry.digits || /^0*$/.test(m[1].slice(entry.digits))) ? amount : validateAmount(amount, entry.code);
  // Intl.NumberFormat v3 formats a decimal string exactly; a number would go through a double.
  return entry.f.format(fixed as unknown as number);
}

const numberFormatters = new Map<string, Intl.NumberFormat>();

/** A decimal amount with the locale's grouping and decimal sign, all its digits kept. */
export function formatDecimal(amount: Amount, locale: string): string {
  const fixed = dec(amount).toFixed();
  let f = numberFormatters.get(locale);
  if (!f) {
    f = new Intl.NumberFormat(locale, { maximumFractionDigits: 20 });
    numberFormatters.set(locale, f);
  }
  return f.format(fixed as unknown as number);
}
