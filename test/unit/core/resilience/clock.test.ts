import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../../../core/resilience/clock.ts';

describe('clock', () => {
  it('systemClock is monotonic', () => {
    const a = systemClock.now();
    const b = systemClock.now();
    expect(b).toBeGreaterThanOrEqual(a);
  });

  it('ManualClock moves only when told, never backwards', () => {
    const clock = new ManualClock(5);
    expect(clock.now()).toBe(5);
    clock.advance(10);
    expect(clock.now()).toBe(15);
    clock.set(20);
    expect(clock.now()).toBe(20);
    expect(() => clock.advance(-1)).toThrow('ManualClock.advance: ms must be >= 0, got -1');
    expect(() => clock.set(19)).toThrow('ManualClock.set: 19 is before the current time 20');
  });
});
