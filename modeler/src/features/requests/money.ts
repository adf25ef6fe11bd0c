/**
 * Money as people read it: a decimal string (the API never sends floats) formatted with
 * Intl.NumberFormat in the reader's locale and the amount's own currency, e.g. "$12,500.00" or
 * "12.500,00 €". The string is split, not parsed as a float, so no cent is lost on the way.
 */
export function money(amount: string | number | null | undefined, currency = 'USD', locale?: string): string {
  if (amount === null || amount === undefined || amount === '') return '';
  const text = String(amount).trim();
  if (!/^-?\d+(\.\d+)?$/.test(text)) return `${text} ${currency}`;
  try {
    // Intl takes a decimal string exactly (ES2023 "string as exact decimal"), so no float rounding
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(text as unknown as number);
  } catch {
    return `${text} ${currency}`;
  }
}

/** A duration in words a person scans: "3 h 20 min", "overdue by 45 min". */
export function remaining(ms: number | null): string {
  if (ms === null) return '—';
  const abs = Math.abs(ms);
  const d = Math.floor(abs / 86_400_000);
  const h = Math.floor((abs % 86_400_000) / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const text = d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min`;
  return ms < 0 ? `overdue by ${text}` : `${text} left`;
}
