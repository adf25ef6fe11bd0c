/**
 * ISO 8601 durations for `increase-time` and friends (P14D, PT15M, P1M, P1Y2M3DT4H), read and added
 * by the same module as the engine's timers, so a test that advances the clock by P1M lands where
 * a P1M timer fires (31 January + P1M = 28 February).
 */
import { durationMs, parseDuration as parseTimerDuration, TimerValueError, type IsoDuration } from '../embedded/timer-values.js';

export type Duration = IsoDuration;

export function parseDuration(text: string): Duration {
  try {
    return parseTimerDuration(text);
  } catch (err) {
    // the spec format reports range errors with the file and line
    if (err instanceof TimerValueError) throw new RangeError(err.message);
    throw err;
  }
}

/** Milliseconds from `from` to `from + duration`. */
export function durationToMs(text: string, from: number): number {
  parseDuration(text);
  return durationMs(text, from);
}
