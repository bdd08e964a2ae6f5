/**
 * Client-side adaptive throttling from the Google SRE book, "Handling Overload", section
 * "Client-side throttling": https://sre.google/sre-book/handling-overload/
 *
 * Each client remembers, over a sliding window, how many requests it attempted
 * (`requests`) and how many the backend accepted (`accepts`), and rejects a new request
 * locally with probability
 *
 *     p = max(0, (requests - K * accepts) / (requests + 1))
 *
 * While the backend accepts everything, p stays 0. When it starts rejecting, the client
 * stops sending the share of traffic that would have been rejected anyway, so the backend
 * spends no work on rejections it cannot afford. Requests rejected locally still count as
 * requests (as in the book), which is what keeps p up while the backend is sick and lets it
 * fall once accepts come back.
 */
import { type Clock, systemClock } from './clock.ts';

/** The SRE book's suggested multiplier: allow up to 2x the accepted traffic to reach the backend. */
export const DEFAULT_THROTTLE_K = 2;
/**
 * The SRE book uses a 2-minute history. Log shipping is bursty and an overloaded sink
 * recovers within seconds once the gutter takes its overflow, so a 2-minute memory would
 * keep rejecting long after recovery; 10 s reacts within one agent flush cycle.
 */
export const DEFAULT_THROTTLE_WINDOW_MS = 10_000;
/** 10 buckets = 1 s resolution on the default window: old history leaves in 10 % steps. */
export const DEFAULT_THROTTLE_BUCKETS = 10;

export interface AdaptiveThrottleOptions {
  /** The multiplier K; lower is more aggressive (1.1 in the book's example), must be > 0. @default 2 */
  k?: number;
  /** Length of the sliding window. @default 10000 */
  windowMs?: number;
  /** Buckets in the window; history expires one bucket at a time. @default 10 */
  buckets?: number;
  /** @default systemClock */
  clock?: Clock;
}

/** One bucket of the sliding window: which bucket period it holds, and its counts. */
interface Slot {
  epoch: number;
  requests: number;
  accepts: number;
}

export class AdaptiveThrottle {
  readonly #k: number;
  readonly #bucketMs: number;
  readonly #clock: Clock;
  readonly #slots: Slot[];

  constructor(options: AdaptiveThrottleOptions = {}) {
    const k = options.k ?? DEFAULT_THROTTLE_K;
    const windowMs = options.windowMs ?? DEFAULT_THROTTLE_WINDOW_MS;
    const buckets = options.buckets ?? DEFAULT_THROTTLE_BUCKETS;
    if (!(k > 0)) throw new RangeError(`AdaptiveThrottle: k must be > 0, got ${k}`);
    if (!(windowMs > 0)) throw new RangeError(`AdaptiveThrottle: windowMs must be > 0, got ${windowMs}`);
    if (!(Number.isInteger(buckets) && buckets >= 1)) {
      throw new RangeError(`AdaptiveThrottle: buckets must be an integer >= 1, got ${buckets}`);
    }
    this.#k = k;
    this.#bucketMs = windowMs / buckets;
    this.#clock = options.clock ?? systemClock;
    this.#slots = Array.from({ length: buckets }, () => ({ epoch: Number.NEGATIVE_INFINITY, requests: 0, accepts: 0 }));
  }

  /** Requests and accepts in the current window (for metrics and tests). */
  counts(): { requests: number; accepts: number } {
    const current = this.#epoch();
    let requests = 0;
    let accepts = 0;
    for (const slot of this.#slots) {
      if (current - slot.epoch < this.#slots.length) {
        requests += slot.requests;
        accepts += slot.accepts;
      }
    }
    return { requests, accepts };
  }

  /** `max(0, (requests - K * accepts) / (requests + 1))` over the window. */
  rejectProbability(): number {
    const { requests, accepts } = this.counts();
    return Math.max(0, (requests - this.#k * accepts) / (requests + 1));
  }

  /**
   * Whether to send the next request. `false` means reject it locally; that rejection is
   * counted as a request here. On `true`, send it and report the outcome with {@link record}.
   *
   * @param rand uniform in [0, 1). @default Math.random
   */
  shouldAttempt(rand: () => number = Math.random): boolean {
    const p = this.rejectProbability();
    if (p > 0 && rand() < p) {
      this.#slot().requests++;
      return false;
    }
    return true;
  }

  /**
   * Records the outcome of a request that was sent: `accepted` false when the backend
   * rejected it for overload or quota (429/503, broker throttling). Do not record errors
   * that say nothing about the backend's capacity (a malformed batch), nor local rejections.
   */
  record(accepted: boolean): void {
    const slot = this.#slot();
    slot.requests++;
    if (accepted) slot.accepts++;
  }

  #epoch(): number {
    return Math.floor(this.#clock.now() / this.#bucketMs);
  }

  /** The current bucket's slot, reset if it still holds an older period. */
  #slot(): Slot {
    const epoch = this.#epoch();
    const n = this.#slots.length;
    const slot = this.#slots[((epoch % n) + n) % n]!;
    if (slot.epoch !== epoch) {
      slot.epoch = epoch;
      slot.requests = 0;
      slot.accepts = 0;
    }
    return slot;
  }
}
