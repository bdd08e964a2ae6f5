import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../../core/resilience/clock.ts';
import { DEADLINE_HEADER, Deadline } from '../../../../core/resilience/deadline.ts';

describe('Deadline', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('after(ms): remaining time, expiry, header', () => {
    const clock = new ManualClock(1_000);
    const d = Deadline.after(500, clock);
    expect(d.atMs).toBe(1_500);
    expect(d.remainingMs()).toBe(500);
    clock.advance(200.7);
    expect(d.remainingMs()).toBeCloseTo(299.3, 10);
    expect(d.toHeader()).toBe('299'); // rounded down: the callee never gets more than we have
    expect(d.expired()).toBe(false);
    clock.advance(400);
    expect(d.remainingMs()).toBe(0);
    expect(d.expired()).toBe(true);
    expect(d.toHeader()).toBe('0');
  });

  it('the header name is fixed', () => {
    expect(DEADLINE_HEADER).toBe('x-spillway-deadline-ms');
  });

  const headers: [string, string | undefined, number][] = [
    ['absent', undefined, 30_000],
    ['empty', '', 30_000],
    ['valid', '1200', 1_200],
    ['surrounding spaces', ' 1200 ', 1_200],
    ['above the max: clamped', '90000', 30_000],
    ['zero: already expired', '0', 0],
    ['negative: caller already out of time', '-5', 0],
    ['fractional: invalid', '12.5', 30_000],
    ['not a number', 'soon', 30_000],
    ['trailing garbage', '100ms', 30_000],
    ['too many digits', '1234567890123456', 30_000],
  ];
  it.each(headers)('fromHeader: %s', (_name, value, expected) => {
    const clock = new ManualClock(10);
    expect(Deadline.fromHeader(value, 30_000, clock).remainingMs()).toBe(expected);
  });

  it('min(otherMs) picks the earlier deadline', () => {
    const clock = new ManualClock();
    const d = Deadline.after(1_000, clock);
    expect(d.min(300).remainingMs()).toBe(300);
    expect(d.min(5_000)).toBe(d);
    clock.advance(900);
    expect(d.min(300).remainingMs()).toBe(100);
  });

  it('signal() aborts at the deadline with a TimeoutError, once per deadline', () => {
    vi.useFakeTimers();
    const clock = new ManualClock();
    const d = Deadline.after(250, clock);
    const signal = d.signal();
    expect(d.signal()).toBe(signal);
    vi.advanceTimersByTime(249);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('signal() of an expired deadline is already aborted', () => {
    const d = Deadline.after(0, new ManualClock());
    expect(d.signal().aborted).toBe(true);
  });
});
