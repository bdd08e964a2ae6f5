import { describe, expect, it } from 'vitest';
import { type Demand, maxMinFair } from '../../../../core/resilience/max-min.ts';

const plain = (entries: Record<string, number>) =>
  new Map<string, Demand>(Object.entries(entries).map(([k, demand]) => [k, { demand, weight: 1 }]));
const weighted = (entries: Record<string, [number, number]>) =>
  new Map<string, Demand>(Object.entries(entries).map(([k, [demand, weight]]) => [k, { demand, weight }]));
const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

describe('maxMinFair', () => {
  const exact: [string, number, Map<string, Demand>, Record<string, number>][] = [
    // share 4: a is served (2), 14 left over 3: b is served (4), 10 left over 2: c, d get 5.
    ['classic water-filling', 16, plain({ a: 2, b: 4, c: 10, d: 10 }), { a: 2, b: 4, c: 5, d: 5 }],
    ['everyone over the fair share', 12, plain({ a: 10, b: 20, c: 30 }), { a: 4, b: 4, c: 4 }],
    ['total demand below capacity', 100, plain({ a: 10, b: 20, c: 30 }), { a: 10, b: 20, c: 30 }],
    ['total demand equal to capacity', 60, plain({ a: 10, b: 20, c: 30 }), { a: 10, b: 20, c: 30 }],
    ['unbounded capacity', Number.POSITIVE_INFINITY, plain({ a: 1e12 }), { a: 1e12 }],
    ['zero demands get zero, the rest shares', 10, plain({ a: 0, b: 0, c: 20 }), { a: 0, b: 0, c: 10 }],
    ['zero capacity', 0, plain({ a: 5, b: 5 }), { a: 0, b: 0 }],
    [
      'weights split a contested capacity',
      12,
      weighted({ a: [100, 1], b: [100, 2], c: [100, 3] }),
      { a: 2, b: 4, c: 6 },
    ],
    // a's weighted share is 11/6 > 1: served; 10 left over weights 2 + 3.
    [
      'a light claimant is served, the rest split by weight',
      11,
      weighted({ a: [1, 1], b: [100, 2], c: [100, 3] }),
      { a: 1, b: 4, c: 6 },
    ],
    // c's share by weight (3/6 x 12 = 6) exceeds its demand 3: served; 9 left over weights 1 + 2.
    ['a heavy claimant with a small demand', 12, weighted({ a: [50, 1], b: [50, 2], c: [3, 3] }), { a: 3, b: 6, c: 3 }],
  ];
  it.each(exact)('%s', (_name, capacity, demands, expected) => {
    const got = maxMinFair(capacity, demands);
    expect(Object.fromEntries(got)).toEqual(expected);
    expect([...got.keys()]).toEqual([...demands.keys()]); // same keys, same order
  });

  it('the textbook example with fractions (Keshav): 10 over 2, 2.6, 4, 5', () => {
    const got = maxMinFair(10, plain({ a: 2, b: 2.6, c: 4, d: 5 }));
    expect(got.get('a')).toBe(2);
    expect(got.get('b')).toBe(2.6);
    expect(got.get('c')).toBeCloseTo(2.7, 12);
    expect(got.get('d')).toBeCloseTo(2.7, 12);
    expect(sum(got)).toBeLessThanOrEqual(10);
  });

  it('an empty map allocates nothing', () => {
    expect(maxMinFair(10, new Map())).toEqual(new Map());
  });

  it('never exceeds capacity in floating point: 0.1 + 0.1 + 0.1 > 0.3', () => {
    expect(0.1 + 0.1 + 0.1).toBeGreaterThan(0.3);
    const got = maxMinFair(0.3, plain({ a: 0.1, b: 0.1, c: 0.1 }));
    expect(sum(got)).toBeLessThanOrEqual(0.3);
    for (const v of got.values()) expect(v).toBeCloseTo(0.1, 15);
  });

  it('hands out the whole capacity, within demands, fairly, for awkward numbers', () => {
    // Deterministic pseudo-random demands and weights (a 32-bit LCG).
    let seed = 42;
    const next = () => {
      seed = (seed * 1_664_525 + 1_013_904_223) % 2 ** 32;
      return seed / 2 ** 32;
    };
    for (let round = 0; round < 20; round++) {
      const demands = new Map<string, Demand>();
      for (let i = 0; i < 25; i++) demands.set(`id${i}`, { demand: (next() * 1_000) / 7, weight: 0.1 + next() * 3 });
      let total = 0;
      for (const d of demands.values()) total += d.demand;
      const capacity = total * (0.2 + next() * 0.7);
      const got = maxMinFair(capacity, demands);
      expect(sum(got)).toBeLessThanOrEqual(capacity);
      expect(sum(got)).toBeCloseTo(capacity, 6);
      // Capped claimants all get the same amount per unit of weight, and at least as much
      // per weight as any served claimant.
      const capped: number[] = [];
      let servedMax = 0;
      for (const [k, d] of demands) {
        const v = got.get(k)!;
        expect(v).toBeLessThanOrEqual(d.demand);
        if (v < d.demand - 1e-9) capped.push(v / d.weight);
        else servedMax = Math.max(servedMax, d.demand / d.weight);
      }
      expect(capped.length).toBeGreaterThan(0);
      for (const level of capped) {
        expect(level).toBeCloseTo(capped[0]!, 9);
        expect(level).toBeGreaterThanOrEqual(servedMax - 1e-9);
      }
    }
  });

  const invalid: [string, number, Map<string, Demand>, string][] = [
    ['negative capacity', -1, plain({ a: 1 }), 'maxMinFair: capacity must be >= 0, got -1'],
    ['NaN capacity', Number.NaN, plain({ a: 1 }), 'maxMinFair: capacity must be >= 0, got NaN'],
    ['negative demand', 1, plain({ a: -1 }), 'maxMinFair: demand of "a" must be a finite number >= 0, got -1'],
    ['zero weight', 1, weighted({ a: [1, 0] }), 'maxMinFair: weight of "a" must be a finite number > 0, got 0'],
  ];
  it.each(invalid)('rejects %s', (_name, capacity, demands, message) => {
    expect(() => maxMinFair(capacity, demands)).toThrow(message);
  });
});
