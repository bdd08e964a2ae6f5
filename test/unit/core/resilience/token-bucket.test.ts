import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/resilience/clock.ts';
import { TokenBucket } from '../../../../core/resilience/token-bucket.ts';

function bucket(ratePerSec: number, burst: number, initialTokens?: number) {
  const clock = new ManualClock();
  return { clock, b: new TokenBucket({ ratePerSec, burst, clock, initialTokens }) };
}

describe('TokenBucket', () => {
  it('starts full, spends the burst, then refills at the rate', () => {
    const { clock, b } = bucket(10, 5);
    expect(b.available()).toBe(5);
    expect(b.take(5)).toEqual({ ok: true });
    expect(b.take(1)).toEqual({ ok: false, retryAfterMs: 100 });
    clock.advance(250);
    expect(b.available()).toBe(2.5);
    expect(b.take(2)).toEqual({ ok: true });
    expect(b.available()).toBe(0.5);
  });

  it('retryAfterMs is the exact time until n tokens, and waiting that long is enough', () => {
    const { clock, b } = bucket(3, 10, 0);
    const result = b.take(1);
    expect(result).toEqual({ ok: false, retryAfterMs: 334 }); // 1000 / 3 = 333.33 ms, rounded up
    clock.advance(334);
    expect(b.take(1)).toEqual({ ok: true });

    const { clock: c2, b: b2 } = bucket(10, 10, 0);
    expect(b2.take(7)).toEqual({ ok: false, retryAfterMs: 700 });
    c2.advance(700);
    expect(b2.take(7)).toEqual({ ok: true });
  });

  it('a failed take takes nothing', () => {
    const { b } = bucket(1, 10, 3);
    expect(b.take(4)).toEqual({ ok: false, retryAfterMs: 1000 });
    expect(b.available()).toBe(3);
  });

  it('never fills beyond the burst', () => {
    const { clock, b } = bucket(100, 4, 0);
    clock.advance(60_000);
    expect(b.available()).toBe(4);
  });

  const never: [string, number, number, number, number][] = [
    ['n > burst', 10, 5, 5, 6],
    ['rate 0 and short', 0, 5, 2, 3],
  ];
  it.each(never)('retryAfterMs is Infinity when it can never succeed: %s', (_name, rate, burst, initial, n) => {
    const { clock, b } = bucket(rate, burst, initial);
    expect(b.take(n)).toEqual({ ok: false, retryAfterMs: Number.POSITIVE_INFINITY });
    clock.advance(1_000_000);
    expect(b.take(n).ok).toBe(false);
  });

  it('take(0) always succeeds; a negative n is a programming error', () => {
    const { b } = bucket(1, 1, 0);
    expect(b.take(0)).toEqual({ ok: true });
    expect(() => b.take(-1)).toThrow('TokenBucket: n must be >= 0, got -1');
  });

  it('setRate settles at the old rate, keeps the fill, clamps to the new burst', () => {
    const { clock, b } = bucket(10, 20, 0);
    clock.advance(500); // 5 tokens at the old rate
    b.setRate(100, 50);
    expect(b.available()).toBe(5); // raising the burst grants nothing
    clock.advance(100); // +10 at the new rate
    expect(b.available()).toBe(15);
    b.setRate(1, 4);
    expect(b.available()).toBe(4); // lowering the burst takes away what no longer fits
    expect(b.ratePerSec).toBe(1);
    expect(b.burst).toBe(4);
  });

  it('validates rate and burst', () => {
    expect(() => new TokenBucket({ ratePerSec: -1, burst: 1 })).toThrow(
      'TokenBucket: ratePerSec must be a finite number >= 0, got -1',
    );
    expect(() => new TokenBucket({ ratePerSec: 1, burst: Number.NaN })).toThrow(
      'TokenBucket: burst must be a finite number >= 0, got NaN',
    );
  });
});

describe('TokenBucket in debt mode (quotas)', () => {
  it('gives the exact wait, and waiting it is enough', () => {
    const clock = new ManualClock();
    const b = new TokenBucket({ ratePerSec: 300, burst: 300, clock, oversize: 'debt' });
    b.force(300);
    expect(b.waitMs(1)).toBe(4); // ceil(1000 / 300)
    clock.advance(4);
    expect(b.waitMs(1)).toBe(0);
  });

  it('admits a request above the burst on a full bucket and pays it back', () => {
    const clock = new ManualClock();
    const b = new TokenBucket({ ratePerSec: 100, burst: 50, clock, oversize: 'debt' });
    expect(b.take(80)).toEqual({ ok: true });
    expect(b.available()).toBe(-30);
    expect(b.waitMs(80)).toBe(800); // back to a full 50 from -30 at 100/s
    expect(b.take(80)).toEqual({ ok: false, retryAfterMs: 800 });
    clock.advance(800);
    expect(b.available()).toBe(50);
  });

  it('a new lease keeps the fill, clamped to the new burst; rate 0 waits forever', () => {
    const clock = new ManualClock();
    const b = new TokenBucket({ ratePerSec: 100, burst: 100, clock, oversize: 'debt' });
    b.setRate(10, 20);
    expect(b.available()).toBe(20);
    b.setRate(0, 0);
    expect(b.waitMs(1)).toBe(Number.POSITIVE_INFINITY);
    expect(b.waitMs(0)).toBe(0);
  });
});
