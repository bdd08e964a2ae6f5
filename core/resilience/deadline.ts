/**
 * Deadlines passed along the whole path (agent -> router -> Kafka): each hop works with the
 * time the caller has left, not with its own fixed timeout, so no hop keeps working on a
 * request its caller already gave up on. See the SRE book, "Addressing Cascading Failures",
 * section "Deadline propagation": https://sre.google/sre-book/addressing-cascading-failures/
 *
 * On the wire the deadline travels as the time *remaining* (like gRPC's grpc-timeout), not
 * as an absolute time, so clock skew between machines does not matter; the network delay
 * is not subtracted, which errs on the side of giving the callee a little too long.
 */
import { type Clock, systemClock } from './clock.ts';

/** HTTP header carrying the milliseconds the caller has left, as a non-negative integer. */
export const DEADLINE_HEADER = 'x-spillway-deadline-ms';

/** At most 15 integer digits: every such value is exact as a double. */
const HEADER_VALUE = /^-?\d{1,15}$/;

export class Deadline {
  /** Clock reading at which the deadline passes. */
  readonly atMs: number;
  readonly #clock: Clock;
  #signal: AbortSignal | undefined;

  /** Prefer {@link Deadline.after} and {@link Deadline.fromHeader}. */
  constructor(atMs: number, clock: Clock = systemClock) {
    this.atMs = atMs;
    this.#clock = clock;
  }

  /** A deadline `ms` from now. */
  static after(ms: number, clock: Clock = systemClock): Deadline {
    return new Deadline(clock.now() + Math.max(0, ms), clock);
  }

  /**
   * The deadline a request carries in {@link DEADLINE_HEADER}, never later than `maxMs`
   * from now (a caller cannot make this process hold work longer than its own limit).
   * Absent or not an integer: `maxMs`. A negative integer means the caller already ran out
   * of time: an expired deadline.
   */
  static fromHeader(value: string | undefined, maxMs: number, clock: Clock = systemClock): Deadline {
    const trimmed = value?.trim();
    const remaining = trimmed !== undefined && HEADER_VALUE.test(trimmed) ? Number(trimmed) : maxMs;
    return Deadline.after(Math.min(remaining, maxMs), clock);
  }

  /** Milliseconds left, 0 once passed. */
  remainingMs(): number {
    return Math.max(0, this.atMs - this.#clock.now());
  }

  expired(): boolean {
    return this.remainingMs() <= 0;
  }

  /** The header value for the next hop: whole milliseconds left, rounded down so the callee never gets more time than we have. */
  toHeader(): string {
    return String(Math.floor(this.remainingMs()));
  }

  /**
   * The earlier of this deadline and `otherMs` from now, e.g. a per-attempt timeout inside
   * the overall deadline.
   */
  min(otherMs: number): Deadline {
    const other = this.#clock.now() + Math.max(0, otherMs);
    return other < this.atMs ? new Deadline(other, this.#clock) : this;
  }

  /**
   * An AbortSignal that aborts when the deadline passes, with a `TimeoutError` DOMException
   * like `AbortSignal.timeout`. One signal per Deadline (repeated calls return it). The
   * timer is unref'd so a pending deadline never keeps the process alive. The timer delay
   * is taken from the injected clock once; with a fake clock, drive it with fake timers.
   */
  signal(): AbortSignal {
    if (this.#signal !== undefined) return this.#signal;
    const remaining = this.remainingMs();
    if (remaining <= 0) {
      this.#signal = AbortSignal.abort(timeoutError());
      return this.#signal;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(timeoutError()), remaining);
    timer.unref?.();
    this.#signal = controller.signal;
    return this.#signal;
  }
}

function timeoutError(): DOMException {
  return new DOMException('deadline exceeded', 'TimeoutError');
}
