/**
 * Time source for every resilience primitive. Everything in core/resilience takes a
 * {@link Clock} instead of calling `Date.now()` so unit tests drive time by hand and assert
 * exact numbers, with no real timers.
 *
 * Milliseconds from `performance.now()`: monotonic, so an NTP step or a leap second never
 * makes an elapsed time negative or refills a token bucket in one go.
 */

/** A monotonic millisecond clock. Only differences between two readings mean anything. */
export interface Clock {
  /** Milliseconds since an arbitrary origin; never goes backwards. */
  now(): number;
}

/** The process clock: `performance.now()`, monotonic and sub-millisecond. */
export const systemClock: Clock = {
  now: () => performance.now(),
};

/**
 * A clock that only moves when told to. For tests (and simulations in bench/): exact,
 * reproducible time without fake timers.
 */
export class ManualClock implements Clock {
  #now: number;

  /** @param startMs the first reading. @default 0 */
  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /** Moves time forward by `ms` (must be >= 0: the clock is monotonic). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance: ms must be >= 0, got ${ms}`);
    this.#now += ms;
  }

  /** Jumps to `ms`, which must not be earlier than the current reading. */
  set(ms: number): void {
    if (!(ms >= this.#now)) throw new RangeError(`ManualClock.set: ${ms} is before the current time ${this.#now}`);
    this.#now = ms;
  }
}
