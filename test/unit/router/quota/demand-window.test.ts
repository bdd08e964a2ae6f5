import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/resilience/clock.ts';
import { DemandWindow } from '../../../../router/quota/demand-window.ts';

describe('DemandWindow', () => {
  it('reports rates over the time covered so far, then over the window', () => {
    const clock = new ManualClock(10_000);
    const w = new DemandWindow(1000, clock); // 10 slots of 100 ms
    w.add('a', 10, 1000);
    clock.advance(500);
    expect(w.rates()).toEqual(new Map([['a', { records: 20, bytes: 2000 }]]));
    for (let t = 500; t < 2000; t += 100) {
      w.add('a', 10, 1000);
      clock.advance(100);
    }
    // at 2000 ms: slots 11..20 cover 900 ms + the 0 ms of the current slot; 9 adds of 10 in them
    expect(w.rates().get('a')).toEqual({ records: 100, bytes: 10_000 });
    w.add('b', 5, 50);
    clock.advance(50);
    // the rate is over the whole window (950 ms covered), not since b's first record
    expect(w.rates().get('b')).toEqual({ records: 5000 / 950, bytes: 50_000 / 950 });
  });

  it('forgets a key once its demand has left the window', () => {
    const clock = new ManualClock();
    const w = new DemandWindow(1000, clock);
    w.add('a', 1, 1);
    clock.advance(999);
    expect(w.rates().size).toBe(1);
    clock.advance(1);
    expect(w.rates().size).toBe(0);
  });
});
