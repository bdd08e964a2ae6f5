/**
 * The one retry helper: exponential backoff with full jitter, an attempt limit, an optional
 * deadline and abort signal, and Retry-After honoured.
 *
 * Full jitter, from AWS "Exponential Backoff And Jitter"
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/): of the
 * variants compared there it does the least total work and spreads clients that failed
 * together, so their retries do not arrive together. The SRE book, "Addressing Cascading
 * Failures", section "Retries", asks for the same plus a per-request retry budget
 * (https://sre.google/sre-book/addressing-cascading-failures/).
 */
import { setTimeout as sleepTimer } from 'node:timers/promises';

/** kafkajs' retry defaults: 300 ms initial, 30 s max; Spillway's batches are smaller and retried sooner, so 100 ms. */
export const DEFAULT_BACKOFF_BASE_MS = 100;
/** Cap of one wait (the AWS article caps too): an outage never becomes a tight loop, and a retried batch is never more than 10 s staler per attempt. */
export const DEFAULT_BACKOFF_CAP_MS = 10_000;
/** kafkajs' default `retries` is 5; counted here as attempts, the first one included. */
export const DEFAULT_MAX_ATTEMPTS = 5;

export interface BackoffOptions {
  /** First wait's upper bound. @default 100 */
  baseMs: number;
  /** Upper bound of any wait. @default 10000 */
  capMs: number;
}

/**
 * Full-jitter delay before retry number `attempt` (0 for the wait after the first failure):
 *
 *     delay = rand() * min(capMs, baseMs * 2 ** attempt)       // uniform in [0, min(cap, base * 2^attempt))
 *
 * @param rand uniform in [0, 1). @default Math.random
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, rand: () => number = Math.random): number {
  return rand() * Math.min(options.capMs, options.baseMs * 2 ** attempt);
}

/** Anything with the time it has left, e.g. a {@link Deadline}. */
export interface RemainingTime {
  remainingMs(): number;
}

/** What `onRetry` is told before each wait. */
export interface RetryEvent {
  /** The attempt that just failed, 1-based. */
  attempt: number;
  /** How long `retry` will wait before the next attempt. */
  delayMs: number;
  error: unknown;
}

export interface RetryOptions {
  /** Attempts in total, the first one included. @default 5 */
  maxAttempts?: number;
  /** @default 100 */
  baseMs?: number;
  /** @default 10000 */
  capMs?: number;
  /** Give up (with the last error) rather than wait past this. */
  deadline?: RemainingTime;
  /** Aborting stops the waiting at once; `retry` then rejects with the last error. */
  signal?: AbortSignal;
  /** Whether an error is worth another attempt. @default `err.retriable === true` (SpillwayError's flag) */
  isRetriable?: (err: unknown) => boolean;
  /**
   * The wait an error asks for (an HTTP Retry-After, Kafka's throttle time), in ms.
   * @default `err.retryAfterMs`, else `err.context.retryAfterMs`, when a finite number >= 0
   */
  retryAfterMs?: (err: unknown) => number | undefined;
  /** Called before each wait; for telemetry. */
  onRetry?: (event: RetryEvent) => void;
  /** @default Math.random */
  rand?: () => number;
  /** For tests. @default node:timers/promises setTimeout, aborted by `signal` */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Runs `fn` until it resolves, and retries failures that `isRetriable` accepts.
 *
 * Before attempt n+1 (n = 1, 2, ...) it waits `max(backoffDelayMs(n - 1), retryAfterMs(err))`:
 * jitter, but never sooner than the server asked. It rejects with the last error when the
 * error is not retriable, when `maxAttempts` attempts have failed, when the next wait would
 * reach the deadline (sleeping until the deadline only to fail is wasted time), or when
 * `signal` aborts during a wait. It rejects with `signal.reason` when `signal` is already
 * aborted before the first attempt.
 *
 * @param fn receives the 1-based attempt number.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1)) {
    throw new RangeError(`retry: maxAttempts must be an integer >= 1, got ${maxAttempts}`);
  }
  const backoff: BackoffOptions = {
    baseMs: options.baseMs ?? DEFAULT_BACKOFF_BASE_MS,
    capMs: options.capMs ?? DEFAULT_BACKOFF_CAP_MS,
  };
  const isRetriable = options.isRetriable ?? defaultIsRetriable;
  const retryAfter = options.retryAfterMs ?? defaultRetryAfterMs;
  const sleep = options.sleep ?? defaultSleep;
  const rand = options.rand ?? Math.random;
  const { signal, deadline } = options;

  signal?.throwIfAborted();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= maxAttempts || !isRetriable(error) || signal?.aborted) throw error;
      const delayMs = Math.max(backoffDelayMs(attempt - 1, backoff, rand), retryAfter(error) ?? 0);
      if (deadline !== undefined && delayMs >= deadline.remainingMs()) throw error;
      options.onRetry?.({ attempt, delayMs, error });
      try {
        await sleep(delayMs, signal);
      } catch {
        // Aborted while waiting: the caller knows it aborted; the last error says what was failing.
        throw error;
      }
      if (signal?.aborted) throw error;
    }
  }
}

function defaultIsRetriable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;
}

function defaultRetryAfterMs(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const own = (err as { retryAfterMs?: unknown }).retryAfterMs;
  if (isWait(own)) return own;
  const fromContext = (err as { context?: { retryAfterMs?: unknown } }).context?.retryAfterMs;
  return isWait(fromContext) ? fromContext : undefined;
}

function isWait(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return sleepTimer(ms, undefined, signal === undefined ? undefined : { signal });
}
