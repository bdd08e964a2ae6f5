import { describe, expect, it } from 'vitest';
import { AdaptiveThrottle } from '../../../../core/resilience/adaptive-throttle.ts';
import { ManualClock } from '../../../../core/resilience/clock.ts';

function record(t: AdaptiveThrottle, accepted: number, rejected: number): void {
  for (let i = 0; i < accepted; i++) t.record(true);
  for (let i = 0; i < rejected; i++) t.record(false);
}

describe('AdaptiveThrottle', () => {
  const table: [string, number, number, number, number][] = [
    // name, k, accepts, backend rejections, expected p = max(0, (req - k*acc) / (req + 1))
    ['all accepted', 2, 10, 0, 0],
    ['half accepted, K=2', 2, 5, 5, 0],
    ['half accepted, K=1', 1, 5, 5, 5 / 11],
    ['4 of 10 accepted, K=2', 2, 4, 6, 2 / 11],
    ['4 of 10 accepted, K=1', 1, 4, 6, 6 / 11],
    ['none accepted', 2, 0, 10, 10 / 11],
    ['nothing yet', 2, 0, 0, 0],
  ];
  it.each(table)('%s', (_name, k, accepts, rejects, expected) => {
    const t = new AdaptiveThrottle({ k, clock: new ManualClock() });
    record(t, accepts, rejects);
    expect(t.rejectProbability()).toBe(expected);
  });

  it('local rejections count as requests, accepted attempts as requests and accepts', () => {
    const t = new AdaptiveThrottle({ clock: new ManualClock() });
    record(t, 0, 10); // p = 10/11
    expect(t.shouldAttempt(() => 0.5)).toBe(false);
    expect(t.counts()).toEqual({ requests: 11, accepts: 0 });
    expect(t.rejectProbability()).toBe(11 / 12);
    expect(t.shouldAttempt(() => 0.99)).toBe(true); // 0.99 >= 11/12: send it
    expect(t.counts()).toEqual({ requests: 11, accepts: 0 }); // counted by record(), not here
    t.record(true);
    expect(t.counts()).toEqual({ requests: 12, accepts: 1 });
    expect(t.rejectProbability()).toBe(10 / 13);
  });

  it('never calls rand while p is 0', () => {
    const t = new AdaptiveThrottle({ clock: new ManualClock() });
    record(t, 3, 0);
    expect(
      t.shouldAttempt(() => {
        throw new Error('rand must not be called');
      }),
    ).toBe(true);
  });

  it('history expires one bucket at a time, and entirely after windowMs', () => {
    const clock = new ManualClock();
    const t = new AdaptiveThrottle({ windowMs: 10_000, buckets: 10, clock });
    record(t, 0, 4); // bucket [0, 1000)
    clock.advance(1_000);
    record(t, 0, 6); // bucket [1000, 2000)
    expect(t.rejectProbability()).toBe(10 / 11);
    // The window is the current bucket and the 9 before it: at 9_999 (bucket 9) both count.
    clock.set(9_999);
    expect(t.counts()).toEqual({ requests: 10, accepts: 0 });
    clock.set(10_000); // bucket 10: bucket 0 left the window, bucket 1 remains
    expect(t.counts()).toEqual({ requests: 6, accepts: 0 });
    expect(t.rejectProbability()).toBe(6 / 7);
    clock.set(11_000); // windowMs after the second batch: nothing left
    expect(t.rejectProbability()).toBe(0);
    record(t, 1, 0); // reusing a ring slot starts from zero
    expect(t.counts()).toEqual({ requests: 1, accepts: 1 });
  });

  it('validates options', () => {
    expect(() => new AdaptiveThrottle({ k: 0 })).toThrow('AdaptiveThrottle: k must be > 0, got 0');
    expect(() => new AdaptiveThrottle({ buckets: 0 })).toThrow(
      'AdaptiveThrottle: buckets must be an integer >= 1, got 0',
    );
    expect(() => new AdaptiveThrottle({ windowMs: 0 })).toThrow('AdaptiveThrottle: windowMs must be > 0, got 0');
  });
});
