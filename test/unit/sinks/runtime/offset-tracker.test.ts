import { describe, expect, it } from 'vitest';
import { OffsetTracker } from '../../../../sinks/runtime/offset-tracker.ts';

describe('OffsetTracker', () => {
  it('commits only up to the first offset still in flight', () => {
    const t = new OffsetTracker();
    for (const o of [10n, 11n, 12n, 13n]) t.track(o, 100);
    expect(t.committable()).toBeUndefined();
    t.done(12n);
    t.done(11n);
    expect(t.committable()).toBeUndefined();
    expect(t.inFlight).toBe(2);
    t.done(10n);
    expect(t.committable()).toBe(13n);
    t.done(13n);
    expect(t.committable()).toBe(14n);
    expect([t.inFlight, t.inFlightBytes]).toEqual([0, 0]);
  });

  it('treats skipped records as done at once and done() as idempotent', () => {
    const t = new OffsetTracker();
    t.track(0n, 5);
    t.skip(1n);
    t.done(0n);
    t.done(0n);
    expect(t.committable()).toBe(2n);
    expect(t.inFlight).toBe(0);
  });

  it('stays exact across compaction with many out-of-order completions', () => {
    const t = new OffsetTracker();
    const n = 5000;
    for (let i = 0; i < n; i++) t.track(BigInt(i), 1);
    // Finish evens, then odds: the watermark only moves once the odd ones arrive.
    for (let i = 0; i < n; i += 2) t.done(BigInt(i));
    expect(t.committable()).toBe(1n);
    for (let i = 1; i < n; i += 2) t.done(BigInt(i));
    expect(t.committable()).toBe(BigInt(n));
    expect(t.inFlight).toBe(0);
  });
});
