import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/resilience/clock.ts';
import { QuotaBucket } from '../../../../router/quota/quota-bucket.ts';

describe('QuotaBucket', () => {
  it('gives the exact wait, and waiting it is enough', () => {
    const clock = new ManualClock();
    const b = new QuotaBucket(300, 300, clock);
    b.take(300);
    expect(b.waitMs(1)).toBe(4); // ceil(1000 / 300)
    clock.advance(4);
    expect(b.waitMs(1)).toBe(0);
  });

  it('admits a request above the burst on a full bucket and pays it back', () => {
    const clock = new ManualClock();
    const b = new QuotaBucket(100, 50, clock);
    expect(b.waitMs(80)).toBe(0);
    b.take(80);
    expect(b.available()).toBe(-30);
    expect(b.waitMs(80)).toBe(800); // back to a full 50 from -30 at 100/s
    clock.advance(800);
    expect(b.available()).toBe(50);
  });

  it('a new lease keeps the fill, clamped to the new burst; rate 0 waits forever', () => {
    const clock = new ManualClock();
    const b = new QuotaBucket(100, 100, clock);
    b.setRate(10, 20);
    expect(b.available()).toBe(20);
    b.setRate(0, 0);
    expect(b.waitMs(1)).toBe(Number.POSITIVE_INFINITY);
    expect(b.waitMs(0)).toBe(0);
  });
});
