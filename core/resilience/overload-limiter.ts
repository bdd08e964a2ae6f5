/**
 * BBR-style adaptive overload limiter, after Kratos' BBR
 * (https://github.com/go-kratos/aegis/tree/main/ratelimit/bbr), made criticality-aware as
 * the SRE book's "Handling Overload" asks (https://sre.google/sre-book/handling-overload/).
 *
 * By Little's law, the requests this process can hold in flight without queueing is
 * throughput x latency. Over a rolling window (default 10 s in 100 buckets of 100 ms) it
 * keeps, per bucket, how many requests completed ("pass") and their mean response time:
 *
 *     maxPass     = the largest pass count of one completed bucket         (>= 1)
 *     minRt       = ceil(the smallest per-bucket mean response time), ms   (>= 1)
 *     maxInFlight = ceil(maxPass * bucketsPerSecond * minRt / 1000)
 *
 * (best throughput seen x best latency seen: an estimate of capacity that queueing cannot
 * inflate). The current bucket is left out, as in Kratos, because it is still filling.
 * Nothing is rejected while CPU is fine: a high in-flight count on an idle CPU is slow IO
 * downstream, and rejecting would not help it.
 *
 * Overloaded = CPU (smoothed) above `cpuThreshold`, or in cool-down: within `coolDownMs`
 * of the last CPU-driven drop. The cool-down is Kratos' `prevDropTime`: CPU lags load, and
 * admitting everything the moment the average dips would refill the queues at once. Unlike
 * Kratos, the cool-down runs from the *last* CPU-driven drop rather than the first, so a
 * long overload still gets a full cool-down; drops made during the cool-down do not extend
 * it, so it always ends.
 *
 * Shedding by criticality, while overloaded, a request of criticality c is rejected when
 *
 *     inFlight > 1  and  inFlight > allowance(c) * maxInFlight
 *
 * with allowance SHEDDABLE 1.0, SHEDDABLE_PLUS 1.25, CRITICAL 1.5, CRITICAL_PLUS 2.0.
 * The allowances strictly increase, so at any in-flight count the rejected criticalities
 * are a bottom slice: SHEDDABLE goes first, and when CRITICAL_PLUS is rejected (in-flight
 * above 2x) every lower criticality is being rejected too. CRITICAL_PLUS is therefore shed
 * only when nothing else is left to shed and in-flight is twice the estimated capacity, the
 * point where admitting more would hurt the CRITICAL_PLUS requests already in flight.
 */
import { type Clock, systemClock } from './clock.ts';
import { CRITICALITIES, type Criticality } from './criticality.ts';

/** Kratos' BBR default window is 10 s. */
export const DEFAULT_LIMITER_WINDOW_MS = 10_000;
/** Kratos' BBR default: 100 buckets, i.e. 100 ms each. */
export const DEFAULT_LIMITER_BUCKETS = 100;
/** Kratos' BBR default CPU threshold (800 per mille). */
export const DEFAULT_CPU_THRESHOLD = 0.8;
/** Kratos' BBR keeps dropping for 1 s after it started dropping. */
export const DEFAULT_COOL_DOWN_MS = 1_000;
/**
 * Share of maxInFlight each criticality may use while overloaded. Spillway's choice, not
 * Kratos' (which has one limit): steps of 25 % so each class is shed at a distinct in-flight
 * level, and CRITICAL_PLUS bounded at 2x so even the top class cannot queue without limit.
 */
export const DEFAULT_CRITICALITY_ALLOWANCE: Readonly<Record<Criticality, number>> = {
  SHEDDABLE: 1.0,
  SHEDDABLE_PLUS: 1.25,
  CRITICAL: 1.5,
  CRITICAL_PLUS: 2.0,
};

/** Why a request was rejected: CPU above the threshold, or the cool-down after such a drop. */
export type OverloadDropReason = 'overload' | 'cool-down';

export type AcquireResult =
  | { ok: true; done(): void }
  | { ok: false; reason: OverloadDropReason; retryAfterMs: number };

export interface OverloadLimiterOptions {
  /** Smoothed CPU usage in [0, 1], e.g. `() => cpuSampler.current()`. */
  cpu: () => number;
  /** @default DEFAULT_LIMITER_WINDOW_MS (10000) */
  windowMs?: number;
  /** @default DEFAULT_LIMITER_BUCKETS (100) */
  buckets?: number;
  /** @default DEFAULT_CPU_THRESHOLD (0.8) */
  cpuThreshold?: number;
  /** @default DEFAULT_COOL_DOWN_MS (1000) */
  coolDownMs?: number;
  /** Must increase strictly from SHEDDABLE to CRITICAL_PLUS. @default DEFAULT_CRITICALITY_ALLOWANCE */
  allowance?: Readonly<Record<Criticality, number>>;
  /** @default systemClock */
  clock?: Clock;
}

export interface OverloadLimiterStats {
  inFlight: number;
  maxInFlight: number;
  maxPass: number;
  minRtMs: number;
  cpu: number;
  /** CPU above threshold or in cool-down. */
  overloaded: boolean;
  /** Admitted requests since construction, per criticality. */
  admitted: Record<Criticality, number>;
  /** Rejected requests since construction, per reason and criticality. */
  dropped: Record<OverloadDropReason, Record<Criticality, number>>;
}

interface Bucket {
  epoch: number;
  pass: number;
  rtSumMs: number;
}

export class OverloadLimiter {
  readonly #cpu: () => number;
  readonly #clock: Clock;
  readonly #bucketMs: number;
  readonly #bucketsPerSecond: number;
  readonly #cpuThreshold: number;
  readonly #coolDownMs: number;
  readonly #allowance: Readonly<Record<Criticality, number>>;
  readonly #buckets: Bucket[];
  #inFlight = 0;
  #lastCpuDropAt: number | undefined;
  #cache: { epoch: number; maxPass: number; minRtMs: number } | undefined;
  readonly #admitted = zeroCounts();
  readonly #dropped: Record<OverloadDropReason, Record<Criticality, number>> = {
    overload: zeroCounts(),
    'cool-down': zeroCounts(),
  };

  constructor(options: OverloadLimiterOptions) {
    const windowMs = options.windowMs ?? DEFAULT_LIMITER_WINDOW_MS;
    const buckets = options.buckets ?? DEFAULT_LIMITER_BUCKETS;
    if (!(windowMs > 0)) throw new RangeError(`OverloadLimiter: windowMs must be > 0, got ${windowMs}`);
    if (!(Number.isInteger(buckets) && buckets >= 2)) {
      throw new RangeError(`OverloadLimiter: buckets must be an integer >= 2, got ${buckets}`);
    }
    const allowance = options.allowance ?? DEFAULT_CRITICALITY_ALLOWANCE;
    const ascending = [...CRITICALITIES].reverse().map((c) => allowance[c]);
    for (let i = 1; i < ascending.length; i++) {
      if (!(ascending[i]! > ascending[i - 1]!)) {
        throw new RangeError('OverloadLimiter: allowance must increase strictly from SHEDDABLE to CRITICAL_PLUS');
      }
    }
    this.#cpu = options.cpu;
    this.#clock = options.clock ?? systemClock;
    this.#bucketMs = windowMs / buckets;
    this.#bucketsPerSecond = 1000 / this.#bucketMs;
    this.#cpuThreshold = options.cpuThreshold ?? DEFAULT_CPU_THRESHOLD;
    this.#coolDownMs = options.coolDownMs ?? DEFAULT_COOL_DOWN_MS;
    this.#allowance = allowance;
    this.#buckets = Array.from({ length: buckets }, () => ({ epoch: Number.NEGATIVE_INFINITY, pass: 0, rtSumMs: 0 }));
  }

  /**
   * Admits a request or rejects it (see the module comment for the rule). On admission,
   * call `done()` exactly once when the request completes (success or failure): it records
   * the response time and the pass, and frees the in-flight slot. On rejection,
   * `retryAfterMs` is the cool-down: by then the estimate has had time to change.
   */
  tryAcquire(criticality: Criticality): AcquireResult {
    const reason = this.#shouldDrop(criticality);
    if (reason !== undefined) {
      this.#dropped[reason][criticality]++;
      return { ok: false, reason, retryAfterMs: this.#coolDownMs };
    }
    this.#inFlight++;
    this.#admitted[criticality]++;
    const start = this.#clock.now();
    let finished = false;
    return {
      ok: true,
      done: () => {
        if (finished) return;
        finished = true;
        this.#inFlight--;
        const now = this.#clock.now();
        const bucket = this.#bucket(now);
        bucket.pass++;
        bucket.rtSumMs += now - start;
      },
    };
  }

  stats(): OverloadLimiterStats {
    const { maxPass, minRtMs } = this.#estimate();
    return {
      inFlight: this.#inFlight,
      maxInFlight: this.maxInFlight(),
      maxPass,
      minRtMs,
      cpu: this.#cpu(),
      overloaded: this.#overloadState() !== undefined,
      admitted: { ...this.#admitted },
      dropped: { overload: { ...this.#dropped.overload }, 'cool-down': { ...this.#dropped['cool-down'] } },
    };
  }

  /** `ceil(maxPass * bucketsPerSecond * minRt / 1000)`. */
  maxInFlight(): number {
    const { maxPass, minRtMs } = this.#estimate();
    return Math.ceil((maxPass * this.#bucketsPerSecond * minRtMs) / 1000);
  }

  /** Whether the system counts as overloaded now, and why; refreshes or clears the cool-down. */
  #overloadState(): OverloadDropReason | undefined {
    if (this.#cpu() > this.#cpuThreshold) return 'overload';
    if (this.#lastCpuDropAt === undefined) return undefined;
    if (this.#clock.now() - this.#lastCpuDropAt <= this.#coolDownMs) return 'cool-down';
    this.#lastCpuDropAt = undefined;
    return undefined;
  }

  #shouldDrop(criticality: Criticality): OverloadDropReason | undefined {
    const state = this.#overloadState();
    if (state === undefined) return undefined;
    const inFlight = this.#inFlight;
    const drop = inFlight > 1 && inFlight > this.#allowance[criticality] * this.maxInFlight();
    if (!drop) return undefined;
    if (state === 'overload') this.#lastCpuDropAt = this.#clock.now();
    return state;
  }

  /** maxPass and minRt over the completed buckets of the window; cached for the current bucket period. */
  #estimate(): { maxPass: number; minRtMs: number } {
    const current = Math.floor(this.#clock.now() / this.#bucketMs);
    if (this.#cache?.epoch === current) return this.#cache;
    let maxPass = 1;
    let minRt = Number.POSITIVE_INFINITY;
    const n = this.#buckets.length;
    for (const b of this.#buckets) {
      // Completed buckets still in the window: the n - 1 periods before the current one.
      if (b.epoch >= current || current - b.epoch >= n || b.pass === 0) continue;
      maxPass = Math.max(maxPass, b.pass);
      minRt = Math.min(minRt, b.rtSumMs / b.pass);
    }
    const minRtMs = Number.isFinite(minRt) ? Math.max(1, Math.ceil(minRt)) : 1;
    this.#cache = { epoch: current, maxPass, minRtMs };
    return this.#cache;
  }

  #bucket(now: number): Bucket {
    const epoch = Math.floor(now / this.#bucketMs);
    const n = this.#buckets.length;
    const bucket = this.#buckets[((epoch % n) + n) % n]!;
    if (bucket.epoch !== epoch) {
      bucket.epoch = epoch;
      bucket.pass = 0;
      bucket.rtSumMs = 0;
    }
    return bucket;
  }
}

function zeroCounts(): Record<Criticality, number> {
  return { CRITICAL_PLUS: 0, CRITICAL: 0, SHEDDABLE_PLUS: 0, SHEDDABLE: 0 };
}
