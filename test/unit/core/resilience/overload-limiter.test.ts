import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/resilience/clock.ts';
import { CRITICALITIES, type Criticality } from '../../../../core/resilience/criticality.ts';
import { type AcquireResult, OverloadLimiter } from '../../../../core/resilience/overload-limiter.ts';

/**
 * A limiter with a known estimate: 8 requests completed in bucket 0 (t = 0..100 ms), each
 * taking 50 ms; the clock then stands at t = 100 (bucket 1). So maxPass = 8, minRt = 50 ms,
 * maxInFlight = ceil(8 * 10 buckets/s * 50 / 1000) = 4.
 */
function primed(cpu = 0.9) {
  const clock = new ManualClock();
  const state = { cpu: 0.1 };
  const limiter = new OverloadLimiter({ cpu: () => state.cpu, clock });
  const held = Array.from({ length: 8 }, () => limiter.tryAcquire('SHEDDABLE'));
  clock.advance(50);
  for (const r of held) if (r.ok) r.done();
  clock.advance(50);
  state.cpu = cpu;
  return { clock, state, limiter };
}

function hold(limiter: OverloadLimiter, c: Criticality, n: number): (() => void)[] {
  const dones: (() => void)[] = [];
  for (let i = 0; i < n; i++) {
    const r = limiter.tryAcquire(c);
    if (!r.ok) throw new Error(`could not hold ${c} #${i}`);
    dones.push(r.done);
  }
  return dones;
}

describe('OverloadLimiter estimate', () => {
  it('maxPass, minRt and maxInFlight from completed buckets', () => {
    const { limiter } = primed();
    const s = limiter.stats();
    expect([s.maxPass, s.minRtMs, s.maxInFlight]).toEqual([8, 50, 4]);
  });

  it('minRt is the smallest per-bucket mean, rounded up; the current bucket is left out', () => {
    const clock = new ManualClock();
    const limiter = new OverloadLimiter({ cpu: () => 0, clock });
    // bucket 0: two requests of 30 and 61 ms -> mean 45.5
    const a = limiter.tryAcquire('CRITICAL');
    const b = limiter.tryAcquire('CRITICAL');
    clock.advance(30);
    if (a.ok) a.done();
    clock.advance(31);
    if (b.ok) b.done();
    clock.set(150); // bucket 1: one request of 10 ms, still filling
    const c = limiter.tryAcquire('CRITICAL');
    clock.advance(10);
    if (c.ok) c.done();
    expect(limiter.stats()).toMatchObject({ maxPass: 2, minRtMs: 46, maxInFlight: 1 });
    clock.set(200); // bucket 1 completed: its mean of 10 ms is now the minimum
    expect(limiter.stats()).toMatchObject({ maxPass: 2, minRtMs: 10, maxInFlight: 1 });
  });

  it('with no completed request the estimate is Kratos default: maxInFlight 1', () => {
    const limiter = new OverloadLimiter({ cpu: () => 0.95, clock: new ManualClock() });
    expect(limiter.stats()).toMatchObject({ maxPass: 1, minRtMs: 1, maxInFlight: 1 });
    const results = Array.from({ length: 3 }, () => limiter.tryAcquire('CRITICAL_PLUS').ok);
    expect(results).toEqual([true, true, true]); // CRITICAL_PLUS may reach 2 x 1 in flight
    expect(limiter.tryAcquire('SHEDDABLE').ok).toBe(false); // 3 > 1
  });

  it('history leaves the 10 s window', () => {
    const { clock, limiter } = primed();
    clock.set(9_999); // bucket 99: bucket 0 still among the 99 completed ones
    expect(limiter.stats().maxPass).toBe(8);
    clock.set(10_000);
    expect(limiter.stats()).toMatchObject({ maxPass: 1, minRtMs: 1, maxInFlight: 1 });
  });
});

describe('OverloadLimiter admission', () => {
  it('admits everything while CPU is below the threshold', () => {
    const { limiter } = primed(0.5);
    const results = Array.from({ length: 100 }, () => limiter.tryAcquire('SHEDDABLE').ok);
    expect(results.filter(Boolean)).toHaveLength(100);
    expect(limiter.stats()).toMatchObject({ inFlight: 100, overloaded: false });
  });

  it('CPU equal to the threshold is not overload', () => {
    const { limiter } = primed(0.8);
    hold(limiter, 'SHEDDABLE', 10);
  });

  it('rejects when CPU is high and in-flight is over maxInFlight', () => {
    const { limiter } = primed(0.9);
    const dones = hold(limiter, 'SHEDDABLE', 5); // admitted at in-flight 0..4
    expect(limiter.tryAcquire('SHEDDABLE')).toEqual({ ok: false, reason: 'overload', retryAfterMs: 1_000 });
    dones[0]!();
    dones[0]!(); // done() is idempotent
    expect(limiter.stats().inFlight).toBe(4);
    expect(limiter.tryAcquire('SHEDDABLE').ok).toBe(true);
    expect(limiter.stats().dropped.overload.SHEDDABLE).toBe(1);
  });

  it('cool-down: keeps rejecting after CPU dips while in-flight is over the limit, stops after coolDownMs', () => {
    const { clock, state, limiter } = primed(0.9);
    const dones = hold(limiter, 'SHEDDABLE', 5);
    expect(limiter.tryAcquire('SHEDDABLE').ok).toBe(false); // CPU-driven drop at t = 100
    clock.advance(400);
    expect(limiter.tryAcquire('SHEDDABLE').ok).toBe(false); // t = 500, still overload: drop time moves to 500
    state.cpu = 0.3;
    clock.set(1_000);
    expect(limiter.tryAcquire('SHEDDABLE')).toEqual({ ok: false, reason: 'cool-down', retryAfterMs: 1_000 });
    dones.pop()!(); // in-flight 4: not over the limit, admitted even in cool-down
    const r = limiter.tryAcquire('SHEDDABLE');
    expect(r.ok).toBe(true);
    clock.set(1_500); // last CPU-driven drop + 1000: still cool-down
    expect(limiter.tryAcquire('SHEDDABLE')).toMatchObject({ ok: false, reason: 'cool-down' });
    expect(limiter.stats().overloaded).toBe(true);
    clock.set(1_501); // cool-down-driven drops did not extend it
    expect(limiter.tryAcquire('SHEDDABLE').ok).toBe(true);
    expect(limiter.stats()).toMatchObject({ overloaded: false, inFlight: 6 });
    expect(limiter.stats().dropped).toEqual({
      overload: { CRITICAL_PLUS: 0, CRITICAL: 0, SHEDDABLE_PLUS: 0, SHEDDABLE: 2 },
      'cool-down': { CRITICAL_PLUS: 0, CRITICAL: 0, SHEDDABLE_PLUS: 0, SHEDDABLE: 2 },
    });
  });
});

describe('OverloadLimiter criticality', () => {
  // maxInFlight = 4; a criticality is rejected when in-flight > allowance x 4:
  // SHEDDABLE > 4, SHEDDABLE_PLUS > 5, CRITICAL > 6, CRITICAL_PLUS > 8.
  const ladder: [number, Criticality[]][] = [
    [0, ['CRITICAL_PLUS', 'CRITICAL', 'SHEDDABLE_PLUS', 'SHEDDABLE']],
    [4, ['CRITICAL_PLUS', 'CRITICAL', 'SHEDDABLE_PLUS', 'SHEDDABLE']],
    [5, ['CRITICAL_PLUS', 'CRITICAL', 'SHEDDABLE_PLUS']],
    [6, ['CRITICAL_PLUS', 'CRITICAL']],
    [7, ['CRITICAL_PLUS']],
    [8, ['CRITICAL_PLUS']],
    [9, []],
  ];
  it.each(ladder)('with %i in flight, admits %j', (inFlight, admitted) => {
    const { limiter } = primed(0.95);
    hold(limiter, 'CRITICAL_PLUS', inFlight);
    const got = CRITICALITIES.filter((c) => {
      const r = limiter.tryAcquire(c);
      if (r.ok) r.done();
      return r.ok;
    });
    expect(got).toEqual(admitted);
  });

  it('a mixed load at overload sheds SHEDDABLE, then SHEDDABLE_PLUS, then CRITICAL, then CRITICAL_PLUS', () => {
    const { limiter } = primed(0.95);
    const order: Criticality[] = ['SHEDDABLE', 'SHEDDABLE_PLUS', 'CRITICAL', 'CRITICAL_PLUS'];
    const firstDrop: string[] = [];
    for (let round = 1; round <= 10; round++) {
      for (const c of order) {
        const r: AcquireResult = limiter.tryAcquire(c);
        if (!r.ok && !firstDrop.some((f) => f.startsWith(`${c}@`))) firstDrop.push(`${c}@${round}`);
      }
    }
    expect(firstDrop).toEqual(['SHEDDABLE@3', 'SHEDDABLE_PLUS@3', 'CRITICAL@3', 'CRITICAL_PLUS@4']);
    const s = limiter.stats();
    expect(s.inFlight).toBe(9);
    // The 8 SHEDDABLE of primed() count as admitted too.
    expect(s.admitted).toEqual({ SHEDDABLE: 10, SHEDDABLE_PLUS: 2, CRITICAL: 2, CRITICAL_PLUS: 3 });
    expect(s.dropped.overload).toEqual({ SHEDDABLE: 8, SHEDDABLE_PLUS: 8, CRITICAL: 8, CRITICAL_PLUS: 7 });
    expect(s.dropped['cool-down']).toEqual({ SHEDDABLE: 0, SHEDDABLE_PLUS: 0, CRITICAL: 0, CRITICAL_PLUS: 0 });
  });

  it('allowances must increase strictly', () => {
    expect(
      () =>
        new OverloadLimiter({
          cpu: () => 0,
          allowance: { SHEDDABLE: 1, SHEDDABLE_PLUS: 1, CRITICAL: 1.5, CRITICAL_PLUS: 2 },
        }),
    ).toThrow('OverloadLimiter: allowance must increase strictly from SHEDDABLE to CRITICAL_PLUS');
  });
});
