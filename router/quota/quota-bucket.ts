/**
 * The token bucket behind one quota dimension (records or bytes of one logId).
 *
 * Not core/resilience/token-bucket.ts, for two reasons the quota needs: a check spans two
 * buckets (records and bytes) and must admit a request whole or not at all, so it asks
 * `waitMs` of both before it `take`s from either; and a request larger than the burst (an
 * agent batch above rate * burstMs) must be able to pass, once the bucket is full, and then
 * be paid back: the fill goes negative (debt) and refills from there, so the long-run rate
 * holds exactly and `waitMs` stays exact. Otherwise the same lazy model as golang.org/x/time/rate.
 */
import type { Clock } from '../../core/resilience/clock.ts';

/** Tolerance for floating-point refill: waiting exactly `waitMs` must be enough. */
const EPSILON_TOKENS = 1e-9;

export class QuotaBucket {
  #rate: number;
  #burst: number;
  #tokens: number;
  #last: number;
  readonly #clock: Clock;

  /** A full bucket of `burst` tokens refilling at `ratePerSec`. */
  constructor(ratePerSec: number, burst: number, clock: Clock) {
    this.#rate = ratePerSec;
    this.#burst = burst;
    this.#tokens = burst;
    this.#clock = clock;
    this.#last = clock.now();
  }

  get ratePerSec(): number {
    return this.#rate;
  }

  get burst(): number {
    return this.#burst;
  }

  /** Tokens now; negative while a request above the burst is being paid back. */
  available(): number {
    this.#refill();
    return this.#tokens;
  }

  /**
   * 0 if `n` tokens can be taken now, else the ms until they can:
   * `ceil((min(n, burst) - tokens) * 1000 / rate)`. A request above the burst needs a full
   * bucket. `Infinity` when the rate is 0 and the fill is short.
   */
  waitMs(n: number): number {
    if (n <= 0) return 0;
    this.#refill();
    const need = Math.min(n, this.#burst);
    if (this.#tokens + EPSILON_TOKENS >= need && !(this.#burst === 0 && this.#tokens <= 0)) return 0;
    if (this.#rate === 0) return Number.POSITIVE_INFINITY;
    return Math.ceil(((need - this.#tokens) * 1000) / this.#rate - EPSILON_TOKENS);
  }

  /** Takes `n` tokens unconditionally (after `waitMs(n) === 0`); the fill may go negative. */
  take(n: number): void {
    this.#refill();
    this.#tokens -= n;
  }

  /** New lease: settles the refill at the old rate, then clamps the fill to the new burst (no free burst on renewal). */
  setRate(ratePerSec: number, burst: number): void {
    this.#refill();
    this.#rate = ratePerSec;
    this.#burst = burst;
    this.#tokens = Math.min(this.#tokens, burst);
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = now - this.#last;
    this.#last = now;
    if (elapsed > 0) this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#rate) / 1000);
  }
}
