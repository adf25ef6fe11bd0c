import type { EngineClock } from '../types.js';

/** Wall-clock time, or a virtual clock that only moves when told (process tests, demos). */
export class Clock implements Omit<EngineClock, 'advance'> {
  private offset = 0;
  private frozenAt?: number;

  constructor(options: { virtual?: boolean; start?: number } = {}) {
    if (options.virtual) this.frozenAt = options.start ?? Date.now();
  }

  get virtual(): boolean {
    return this.frozenAt !== undefined;
  }

  now(): number {
    return (this.frozenAt ?? Date.now()) + this.offset;
  }

  move(ms: number): void {
    if (ms < 0) throw new RangeError('time only moves forward');
    this.offset += ms;
  }
}
