import { describe, expect, it } from 'vitest';
import { SpillwayError } from '../../../../core/errors.ts';
import { backoffDelayMs, type RetryEvent, retry } from '../../../../core/resilience/backoff.ts';
import { ManualClock } from '../../../../core/resilience/clock.ts';
import { Deadline } from '../../../../core/resilience/deadline.ts';

describe('backoffDelayMs', () => {
  const table: [number, number, number][] = [
    // attempt, rand, expected = rand * min(cap=1000, base=100 * 2^attempt)
    [0, 0.5, 50],
    [1, 0.5, 100],
    [2, 0.5, 200],
    [3, 0.25, 200],
    [4, 0.5, 500], // 1600 capped to 1000
    [10, 0.999, 999],
    [2000, 0.5, 500], // 2^2000 is Infinity; still capped
    [3, 0, 0],
  ];
  it.each(table)('attempt %i, rand %d -> %d ms', (attempt, r, expected) => {
    expect(backoffDelayMs(attempt, { baseMs: 100, capMs: 1_000 }, () => r)).toBe(expected);
  });
});

/** A fake sleep on a ManualClock: records the waits and advances time. */
function fakeSleep(clock: ManualClock) {
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
    clock.advance(ms);
  };
  return { waits, sleep };
}

const retriable = () => new SpillwayError('SPW_ERR_KAFKA_PRODUCE', 'not acknowledged');

describe('retry', () => {
  it('returns the first success and counts attempts', async () => {
    const clock = new ManualClock();
    const { waits, sleep } = fakeSleep(clock);
    const attempts: number[] = [];
    const events: RetryEvent[] = [];
    const value = await retry(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 3) throw retriable();
        return 'ok';
      },
      { baseMs: 100, capMs: 1_000, rand: () => 0.5, sleep, onRetry: (e) => events.push(e) },
    );
    expect(value).toBe('ok');
    expect(attempts).toEqual([1, 2, 3]);
    expect(waits).toEqual([50, 100]);
    expect(events.map((e) => [e.attempt, e.delayMs])).toEqual([
      [1, 50],
      [2, 100],
    ]);
  });

  it('gives up with the last error after maxAttempts', async () => {
    const { waits, sleep } = fakeSleep(new ManualClock());
    let calls = 0;
    const errors: Error[] = [];
    const promise = retry(
      async () => {
        calls++;
        const err = retriable();
        errors.push(err);
        throw err;
      },
      { maxAttempts: 4, baseMs: 100, capMs: 1_000, rand: () => 0.5, sleep },
    );
    const thrown = await promise.catch((e) => e);
    expect(calls).toBe(4);
    expect(waits).toEqual([50, 100, 200]);
    expect(thrown).toBe(errors[3]);
  });

  it('does not retry an error that is not retriable', async () => {
    const { waits, sleep } = fakeSleep(new ManualClock());
    let calls = 0;
    const err = new SpillwayError('SPW_ERR_CONFIG_INVALID', 'bad');
    await expect(
      retry(
        async () => {
          calls++;
          throw err;
        },
        { sleep },
      ),
    ).rejects.toBe(err);
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it('honours a Retry-After the error carries: waits max(jitter, retryAfter)', async () => {
    const { waits, sleep } = fakeSleep(new ManualClock());
    const withRetryAfter = (ms: number) =>
      new SpillwayError('SPW_ERR_KAFKA_PRODUCE', 'throttled', { context: { retryAfterMs: ms } });
    const plan = [withRetryAfter(700), withRetryAfter(10), Object.assign(retriable(), { retryAfterMs: 900 })];
    await retry(
      async (attempt) => {
        const err = plan[attempt - 1];
        if (err) throw err;
      },
      { baseMs: 100, capMs: 1_000, rand: () => 0.5, sleep },
    );
    // jitter 50, 100, 200; retry-after 700, 10, 900
    expect(waits).toEqual([700, 100, 900]);
  });

  it('custom isRetriable and retryAfterMs', async () => {
    const { waits, sleep } = fakeSleep(new ManualClock());
    await retry(
      async (attempt) => {
        if (attempt === 1) throw { status: 429, retryAfterSec: 2 };
      },
      {
        isRetriable: (e) => (e as { status: number }).status === 429,
        retryAfterMs: (e) => (e as { retryAfterSec: number }).retryAfterSec * 1000,
        rand: () => 0,
        sleep,
      },
    );
    expect(waits).toEqual([2_000]);
  });

  it('never sleeps past the deadline: gives up with the last error when the next wait would cross it', async () => {
    const clock = new ManualClock();
    const { waits, sleep } = fakeSleep(clock);
    const deadline = Deadline.after(320, clock);
    const errors: Error[] = [];
    const promise = retry(
      async () => {
        clock.advance(10); // each attempt takes 10 ms
        const err = retriable();
        errors.push(err);
        throw err;
      },
      { maxAttempts: 10, baseMs: 100, capMs: 10_000, rand: () => 0.5, deadline, sleep },
    );
    const thrown = await promise.catch((e) => e);
    // t=10 fail, wait 50 -> t=60; t=70 fail, wait 100 -> t=170; t=180 fail, next wait 200 >= 140 left: give up.
    expect(waits).toEqual([50, 100]);
    expect(errors).toHaveLength(3);
    expect(thrown).toBe(errors[2]);
    expect(clock.now()).toBe(180);
  });

  it('abort during a wait rejects with the last error; abort before the start rejects with the reason', async () => {
    const controller = new AbortController();
    const err = retriable();
    const sleep = (_ms: number, signal?: AbortSignal) =>
      new Promise<void>((_resolve, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason));
      });
    let calls = 0;
    const promise = retry(
      async () => {
        calls++;
        throw err;
      },
      { signal: controller.signal, sleep },
    );
    await Promise.resolve();
    await Promise.resolve();
    controller.abort(new Error('shutdown'));
    await expect(promise).rejects.toBe(err);
    expect(calls).toBe(1);

    await expect(retry(async () => 1, { signal: controller.signal })).rejects.toThrow('shutdown');
  });

  it('uses the real timer sleep by default (0 ms waits)', async () => {
    let calls = 0;
    const value = await retry(
      async () => {
        calls++;
        if (calls < 2) throw retriable();
        return calls;
      },
      { rand: () => 0 },
    );
    expect(value).toBe(2);
  });

  it('validates maxAttempts', async () => {
    await expect(retry(async () => 1, { maxAttempts: 0 })).rejects.toThrow(
      'retry: maxAttempts must be an integer >= 1, got 0',
    );
  });
});
