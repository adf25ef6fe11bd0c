/**
 * Quiet hours and business calendars with fixed instants: across time zones, over daylight-saving
 * changes, and over the Christmas holidays of Germany, the UK and the US.
 */
import { describe, expect, it } from 'vitest';
import { addBusinessDays, businessDaysBetween, CalendarError, isBusinessDay, isInsideWindow, nextAllowedInstant, nextBusinessDay } from '../../domain/calendar/index.js';

const at = (iso: string) => new Date(iso);

describe('quiet hours', () => {
  it('a reminder due at 03:00 in Sydney waits for the window start in Sydney', () => {
    // 2026-12-10 03:00 AEDT (UTC+11) = 2026-12-09T16:00Z
    const due = at('2026-12-09T16:00:00Z');
    expect(nextAllowedInstant(due, { timeZone: 'Australia/Sydney', window: { start: '09:00', end: '20:00' } }).toISOString()).toBe('2026-12-09T22:00:00.000Z'); // 09:00 local
    expect(nextAllowedInstant(due, { timeZone: 'Australia/Sydney' }).toISOString()).toBe('2026-12-09T21:00:00.000Z'); // default 08:00 local
  });

  it('the same instant is fine in London and is sent at once', () => {
    const due = at('2026-12-09T16:00:00Z');
    expect(isInsideWindow(due, { timeZone: 'Europe/London' })).toBe(true);
    expect(nextAllowedInstant(due, { timeZone: 'Europe/London' })).toBe(due);
  });

  it('after the window closes it waits for tomorrow morning; the end is exclusive', () => {
    expect(nextAllowedInstant(at('2026-12-09T19:00:00Z'), { timeZone: 'Europe/Berlin' }).toISOString()).toBe('2026-12-10T07:00:00.000Z');
    expect(isInsideWindow(at('2026-12-09T18:59:59Z'), { timeZone: 'Europe/Berlin' })).toBe(true);
  });

  it('follows daylight-saving changes: the window opens at 08:00 local on both sides of the switch', () => {
    // Sydney leaves DST on 2026-04-05 (UTC+11 -> UTC+10); New York enters DST on 2026-03-08 (UTC-5 -> UTC-4)
    expect(nextAllowedInstant(at('2026-04-04T12:00:00Z'), { timeZone: 'Australia/Sydney' }).toISOString()).toBe('2026-04-04T22:00:00.000Z');
    expect(nextAllowedInstant(at('2026-04-03T12:00:00Z'), { timeZone: 'Australia/Sydney' }).toISOString()).toBe('2026-04-03T21:00:00.000Z');
    expect(nextAllowedInstant(at('2026-03-08T02:00:00Z'), { timeZone: 'America/New_York' }).toISOString()).toBe('2026-03-08T12:00:00.000Z');
    expect(nextAllowedInstant(at('2026-03-07T02:00:00Z'), { timeZone: 'America/New_York' }).toISOString()).toBe('2026-03-07T13:00:00.000Z');
    // a window starting at 02:30 on the spring-forward night opens at the first instant that exists (03:30 EDT)
    expect(nextAllowedInstant(at('2026-03-08T05:00:00Z'), { timeZone: 'America/New_York', window: { start: '02:30', end: '20:00' } }).toISOString()).toBe('2026-03-08T07:30:00.000Z');
  });

  it('a window over midnight (22:00–06:00) is honoured', () => {
    const rule = { timeZone: 'Asia/Tokyo', window: { start: '22:00', end: '06:00' } };
    expect(isInsideWindow(at('2026-12-09T16:00:00Z'), rule)).toBe(true); // 01:00 JST
    expect(nextAllowedInstant(at('2026-12-09T03:00:00Z'), rule).toISOString()).toBe('2026-12-09T13:00:00.000Z'); // 12:00 -> 22:00 JST
  });

  it('on business days only, a Friday-evening reminder in Germany over Christmas waits for Monday 28 December', () => {
    // Thursday 24 Dec 2026 21:00 CET; 25 and 26 Dec are public holidays, 27 is Sunday
    expect(nextAllowedInstant(at('2026-12-24T20:00:00Z'), { timeZone: 'Europe/Berlin', businessDaysOf: 'DE' }).toISOString()).toBe('2026-12-28T07:00:00.000Z');
    // in the UK Monday 28 December is the Boxing Day substitute: Tuesday 29th
    expect(nextAllowedInstant(at('2026-12-24T20:00:00Z'), { timeZone: 'Europe/London', businessDaysOf: 'GB' }).toISOString()).toBe('2026-12-29T08:00:00.000Z');
    expect(isInsideWindow(at('2026-12-25T10:00:00Z'), { timeZone: 'Europe/Berlin', businessDaysOf: 'DE' })).toBe(false);
  });

  it('bad input names the field', () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof CalendarError ? e.field : String(e);
      }
      return 'no error';
    };
    expect(field(() => nextAllowedInstant(at('2026-12-09T16:00:00Z'), { timeZone: 'Mars/Olympus' }))).toBe('timeZone');
    expect(field(() => nextAllowedInstant(at('2026-12-09T16:00:00Z'), { timeZone: 'UTC', window: { start: '8am', end: '20:00' } }))).toBe('window.start');
    expect(field(() => nextAllowedInstant(at('2026-12-09T16:00:00Z'), { timeZone: 'UTC', window: { start: '08:00', end: '08:00' } }))).toBe('window.end');
    expect(field(() => isBusinessDay('2026-12-25', 'XX'))).toBe('country');
    expect(field(() => isBusinessDay('25.12.2026', 'DE'))).toBe('date');
  });
});

describe('business calendars', () => {
  it('a cadence over 24–26 December moves past the holidays in Germany and the UK', () => {
    // reminder 1 business day after Thursday 24 December
    expect(addBusinessDays('2026-12-24', 1, 'DE')).toBe('2026-12-28');
    expect(addBusinessDays('2026-12-24', 1, 'GB')).toBe('2026-12-29');
    expect(addBusinessDays('2026-12-24', 1, 'US')).toBe('2026-12-28');
    // a 3-step cadence every 2 business days from 21 December
    const cadence = (country: string) => [1, 2, 3].reduce<string[]>((acc) => [...acc, addBusinessDays(acc.at(-1) ?? '2026-12-21', 2, country)], []);
    expect(cadence('DE')).toEqual(['2026-12-23', '2026-12-28', '2026-12-30']);
    expect(cadence('GB')).toEqual(['2026-12-23', '2026-12-29', '2026-12-31']);
    for (const c of ['DE', 'GB', 'US']) for (const d of cadence(c)) expect(isBusinessDay(d, c), `${c} ${d}`).toBe(true);
    expect(['DE', 'GB', 'US'].map((c) => isBusinessDay('2026-12-25', c))).toEqual([false, false, false]);
  });

  it('rolls forward, counts backwards, and counts the business days in a span (no SLA breach over a weekend)', () => {
    expect(nextBusinessDay('2026-12-25', 'DE')).toBe('2026-12-28');
    expect(nextBusinessDay('2026-12-09', 'DE')).toBe('2026-12-09');
    expect(addBusinessDays('2026-12-28', -1, 'DE')).toBe('2026-12-24');
    expect(addBusinessDays('2026-12-05', 0, 'US')).toBe('2026-12-07');
    // Friday 4 Dec to Monday 7 Dec is one business day
    expect(businessDaysBetween('2026-12-04', '2026-12-07', 'GB')).toBe(1);
    expect(businessDaysBetween('2026-12-23', '2027-01-04', 'GB')).toBe(5); // 24, 29, 30, 31 Dec and 4 Jan (1 Jan is a holiday)
  });
});
