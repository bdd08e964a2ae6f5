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
  /**
   * What a request above the burst gets. `refuse`: it can never fit (retryAfterMs Infinity).
   * `debt`: it passes once the bucket is full and is paid back, the fill going negative and
   * refilling from there, so the long-run rate still holds (quotas: an agent batch may be
   * larger than rate x burst window and must still get through).
   * @default 'refuse'
   */
  oversize?: 'refuse' | 'debt';
}

export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

export class TokenBucket {
  #rate: number;
  #burst: number;
  #tokens: number;
  #last: number;
  readonly #clock: Clock;
  readonly #debt: boolean;

  constructor(options: TokenBucketOptions) {
    this.#debt = options.oversize === 'debt';
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
   * 0 if `n` tokens can be taken now, else the ms until they can, if nobody else takes any:
   * `ceil((need - available) * 1000 / ratePerSec)` rounded up so that waiting that long is
   * enough, where need = n (or min(n, burst) in debt mode: a full bucket suffices).
   * `Infinity` when `n` can never fit: `n > burst` in refuse mode, or `ratePerSec` is 0 and
   * the fill is short. Callers must treat Infinity as "split the request or give up".
   */
  waitMs(n: number): number {
    if (!(n >= 0)) throw new RangeError(`TokenBucket: n must be >= 0, got ${n}`);
    if (n === 0) return 0;
    if (n > this.#burst && !this.#debt) return Number.POSITIVE_INFINITY;
    this.#refill();
    const need = Math.min(n, this.#burst);
    if (this.#tokens + EPSILON_TOKENS >= need && !(this.#burst === 0 && this.#tokens <= 0)) return 0;
    if (this.#rate === 0) return Number.POSITIVE_INFINITY;
    return Math.ceil(((need - this.#tokens) * 1000) / this.#rate - EPSILON_TOKENS);
  }

  /**
   * Takes `n` tokens if they are available (see waitMs); takes nothing otherwise and says
   * how long to wait.
   * @param n tokens to take, >= 0. @default 1
   */
  take(n = 1): TakeResult {
    const wait = this.waitMs(n);
    if (wait > 0) return { ok: false, retryAfterMs: wait };
    this.#tokens = this.#debt ? this.#tokens - n : Math.max(0, this.#tokens - n);
    return { ok: true };
  }

  /**
   * Takes `n` tokens whatever the fill (debt mode): for a decision spanning several buckets,
   * made with waitMs() on all of them first, so a request is admitted whole or not at all.
   */
  force(n: number): void {
    this.#refill();
    this.#tokens -= n;
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
