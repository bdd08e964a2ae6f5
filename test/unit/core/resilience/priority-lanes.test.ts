import { describe, expect, it } from 'vitest';
import type { Criticality } from '../../../../core/resilience/criticality.ts';
import { PriorityLanes } from '../../../../core/resilience/priority-lanes.ts';

const take = (q: PriorityLanes<string>, n: number): string[] => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const next = q.shift();
    if (!next) break;
    out.push(next.item);
  }
  return out;
};

const fill = (q: PriorityLanes<string>, c: Criticality, prefix: string, n: number) => {
  for (let i = 0; i < n; i++) q.push(c, `${prefix}${i}`);
};

describe('PriorityLanes', () => {
  it('serves the highest lane first and keeps FIFO order inside a lane', () => {
    const q = new PriorityLanes<string>();
    q.push('SHEDDABLE', 's0');
    q.push('SHEDDABLE_PLUS', 'sp0');
    q.push('CRITICAL_PLUS', 'cp0');
    q.push('CRITICAL', 'c0');
    q.push('CRITICAL_PLUS', 'cp1');
    expect(q.size).toBe(5);
    expect(q.sizeOf('CRITICAL_PLUS')).toBe(2);
    // Two lanes below the top earn 10 % per turn each: none reaches a whole turn in 5 turns.
    expect(take(q, 5)).toEqual(['cp0', 'cp1', 'c0', 'sp0', 's0']);
    expect(q.shift()).toBeUndefined();
    expect(q.size).toBe(0);
  });

  it('gives a saturated lower lane exactly its floor: one turn in ten at 10 %', () => {
    const q = new PriorityLanes<string>(10);
    fill(q, 'CRITICAL', 'e', 100);
    fill(q, 'SHEDDABLE', 'i', 100);
    const served = take(q, 100);
    const info = served.filter((s) => s.startsWith('i'));
    expect(info).toEqual(['i0', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7', 'i8', 'i9']);
    // Turn 10, 20, ... went to the lower lane.
    expect(served.indexOf('i0')).toBe(9);
    expect(served.indexOf('i1')).toBe(19);
    expect(served.filter((s) => s.startsWith('e'))).toHaveLength(90);
  });

  it('honours a configured floor (25 %: one turn in four)', () => {
    const q = new PriorityLanes<string>(25);
    fill(q, 'CRITICAL_PLUS', 'e', 40);
    fill(q, 'SHEDDABLE_PLUS', 'i', 40);
    const served = take(q, 40);
    expect(served.filter((s) => s.startsWith('i'))).toHaveLength(10);
    expect(served.slice(0, 4)).toEqual(['e0', 'e1', 'e2', 'i0']);
  });

  it('never starves any of several lower lanes while the top lane stays full', () => {
    const q = new PriorityLanes<string>(10);
    fill(q, 'CRITICAL_PLUS', 'a', 1000);
    fill(q, 'CRITICAL', 'b', 1000);
    fill(q, 'SHEDDABLE_PLUS', 'c', 1000);
    fill(q, 'SHEDDABLE', 'd', 1000);
    const served = take(q, 1000);
    const count = (p: string) => served.filter((s) => s.startsWith(p)).length;
    // Each lower lane gets its 10 % (the two that tie with a higher one for a turn run one
    // turn behind it, so 99 by turn 1000), the top lane the rest.
    expect([count('a'), count('b'), count('c'), count('d')]).toEqual([702, 100, 99, 99]);
  });

  it('wastes no turn: a lower lane gets everything once the higher lanes are empty', () => {
    const q = new PriorityLanes<string>(10);
    fill(q, 'CRITICAL', 'e', 3);
    fill(q, 'SHEDDABLE', 'i', 5);
    expect(take(q, 8)).toEqual(['e0', 'e1', 'e2', 'i0', 'i1', 'i2', 'i3', 'i4']);
  });

  it('banks no credit while a lane is empty: a lane that arrives late waits its ten turns', () => {
    const q = new PriorityLanes<string>(10);
    fill(q, 'CRITICAL', 'e', 30);
    take(q, 15);
    fill(q, 'SHEDDABLE', 'i', 3);
    const served = take(q, 10);
    expect(served.indexOf('i0')).toBe(9);
  });

  it('shift(eligible) takes only from the lanes it allows', () => {
    const q = new PriorityLanes<string>();
    q.push('CRITICAL_PLUS', 'cp');
    q.push('SHEDDABLE', 's');
    expect(q.shift((c) => c !== 'CRITICAL_PLUS')).toEqual({ criticality: 'SHEDDABLE', item: 's' });
    expect(q.shift((c) => c !== 'CRITICAL_PLUS')).toBeUndefined();
    expect(q.size).toBe(1);
    expect(q.shift()).toEqual({ criticality: 'CRITICAL_PLUS', item: 'cp' });
  });

  it('unshift puts an item back at the head of its lane', () => {
    const q = new PriorityLanes<string>();
    fill(q, 'SHEDDABLE', 'i', 2);
    const first = q.shift()!;
    expect(first).toEqual({ criticality: 'SHEDDABLE', item: 'i0' });
    q.unshift(first.criticality, first.item);
    expect(take(q, 2)).toEqual(['i0', 'i1']);
  });

  it('drain empties every lane, highest first', () => {
    const q = new PriorityLanes<string>();
    q.push('SHEDDABLE', 's');
    q.push('CRITICAL_PLUS', 'cp');
    q.push('CRITICAL', 'c');
    expect(q.drain()).toEqual(['cp', 'c', 's']);
    expect(q.size).toBe(0);
  });

  it.each([0, -1, 51, Number.NaN])('refuses floorPct %s with a message naming the range', (pct) => {
    expect(() => new PriorityLanes<string>(pct)).toThrow(`priority floor: floorPct must be in (0, 50], got ${pct}`);
  });
});
