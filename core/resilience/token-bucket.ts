/**
 * Token bucket: `ratePerSec` tokens refill continuously up to `burst`. Used for per-logId
 * and per-destination quotas; `setRate` follows a quota lease when it changes.
 *
 * Same model as Go's golang.org/x/time/rate: tokens are computed lazily from the elapsed
 * time on each call, so there is no timer, and a bucket with an injected clock is exact.
 */
import { type Clock, systemClock } from './clock.ts';

/** Tolerance for floating-point refill: waiting exactly `retryAfterMs` must make `take` succeed. */
const EPSILON_TOKENS = 1e-9;

export interface TokenBucketOptions {
  /** Tokens added per second. 0 is allowed (a lease of nothing): then only the current fill can be spent. */
  ratePerSec: number;
  /** Most tokens the bucket holds: the largest `take(n)` that can ever succeed. */
  burst: number;
  /** Tokens at construction. @default burst (a new bucket can spend its whole burst at once, as x/time/rate) */
  initialTokens?: number;
  /** @default systemClock */
  clock?: Clock;
}

export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

export class TokenBucket {
  #rate: number;
  #burst: number;
  #tokens: number;
  #last: number;
  readonly #clock: Clock;

  constructor(options: TokenBucketOptions) {
    checkRate(options.ratePerSec, options.burst);
    this.#rate = options.ratePerSec;
    this.#burst = options.burst;
    this.#clock = options.clock ?? systemClock;
    this.#tokens = Math.min(options.burst, Math.max(0, options.initialTokens ?? options.burst));
    this.#last = this.#clock.now();
  }

  /** Tokens per second. */
  get ratePerSec(): number {
    return this.#rate;
  }

  get burst(): number {
    return this.#burst;
  }

  /** Tokens available now (fractional: the refill is continuous). */
  available(): number {
    this.#refill();
    return this.#tokens;
  }

  /**
   * Takes `n` tokens if all are available; takes nothing otherwise.
   *
   * On failure `retryAfterMs` is the time until `n` tokens will be available if nobody else
   * takes any: `ceil((n - available) * 1000 / ratePerSec)` ms, rounded up to a whole
   * millisecond so that waiting that long is enough. It is `Infinity` when `n` can never be
   * available: `n > burst`, or `ratePerSec` is 0 and the fill is short. Callers must treat
   * Infinity as "split the request or give up", never sleep on it.
   *
   * @param n tokens to take, >= 0. @default 1
   */
  take(n = 1): TakeResult {
    if (!(n >= 0)) throw new RangeError(`TokenBucket.take: n must be >= 0, got ${n}`);
    if (n > this.#burst) return { ok: false, retryAfterMs: Number.POSITIVE_INFINITY };
    this.#refill();
    if (this.#tokens + EPSILON_TOKENS >= n) {
      this.#tokens = Math.max(0, this.#tokens - n);
      return { ok: true };
    }
    if (this.#rate === 0) return { ok: false, retryAfterMs: Number.POSITIVE_INFINITY };
    return { ok: false, retryAfterMs: Math.ceil(((n - this.#tokens) * 1000) / this.#rate - EPSILON_TOKENS) };
  }

  /**
   * Changes the rate and burst, e.g. when a quota lease changes. Tokens earned so far are
   * settled at the old rate first; the fill is then kept as is, clamped to the new burst.
   * Raising the burst does not grant tokens (a lease renewal must not become a free burst);
   * lowering it takes away what no longer fits.
   */
  setRate(ratePerSec: number, burst: number): void {
    checkRate(ratePerSec, burst);
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

function checkRate(ratePerSec: number, burst: number): void {
  if (!(ratePerSec >= 0 && Number.isFinite(ratePerSec))) {
    throw new RangeError(`TokenBucket: ratePerSec must be a finite number >= 0, got ${ratePerSec}`);
  }
  if (!(burst >= 0 && Number.isFinite(burst))) {
    throw new RangeError(`TokenBucket: burst must be a finite number >= 0, got ${burst}`);
  }
}
