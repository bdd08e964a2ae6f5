import { describe, expect, it } from 'vitest';
import type { Importance } from '../../../../config/common.ts';
import {
  computeLease,
  type Demand,
  globalAllocation,
  instanceShare,
  type LogIdQuotaSpec,
} from '../../../../router/quota/allocation.ts';
import { maxMinFair } from '../../../../router/quota/fair-share.ts';

const W: Record<Importance, number> = { S: 8, A: 4, B: 2, C: 1 };

function claims(entries: [string, number, number][]) {
  return new Map(entries.map(([k, demand, weight]) => [k, { demand, weight }]));
}

describe('maxMinFair', () => {
  it.each([
    [
      'two over capacity split by weight 8:1',
      900,
      [
        ['s', 1000, 8],
        ['c', 1000, 1],
      ],
      { s: 800, c: 100 },
    ],
    [
      'a small demand is fully served, the rest goes to the other',
      900,
      [
        ['s', 1000, 8],
        ['c', 50, 1],
      ],
      { s: 850, c: 50 },
    ],
    [
      'under capacity everyone gets its demand',
      900,
      [
        ['s', 100, 8],
        ['c', 200, 1],
      ],
      { s: 100, c: 200 },
    ],
    [
      'demands of the whole capacity share by weight',
      700,
      [
        ['a', 700, 4],
        ['b', 700, 2],
        ['c', 700, 1],
      ],
      { a: 400, b: 200, c: 100 },
    ],
    [
      'zero demand gets zero',
      100,
      [
        ['a', 0, 8],
        ['b', 500, 1],
      ],
      { a: 0, b: 100 },
    ],
    ['zero capacity', 0, [['a', 10, 1]], { a: 0 }],
  ] as const)('%s', (_name, capacity, entries, expected) => {
    const got = maxMinFair(capacity, claims(entries.map((e) => [...e])));
    expect(Object.fromEntries(got)).toEqual(expected);
  });

  it('does not depend on the order of the claims', () => {
    const a = maxMinFair(
      1000,
      claims([
        ['x', 300, 1],
        ['y', 900, 2],
        ['z', 50, 4],
      ]),
    );
    const b = maxMinFair(
      1000,
      claims([
        ['z', 50, 4],
        ['y', 900, 2],
        ['x', 300, 1],
      ]),
    );
    expect(Object.fromEntries(a)).toEqual(Object.fromEntries(b));
    expect(Object.fromEntries(a)).toEqual({ x: 300, y: 650, z: 50 });
  });
});

const specs = (entries: [string, Importance, number?][]) =>
  new Map<string, LogIdQuotaSpec>(
    entries.map(([id, importance, recordsPerSec]) => [id, { importance, recordsPerSec }]),
  );

describe('globalAllocation', () => {
  const records = (s: LogIdQuotaSpec) => s.recordsPerSec;

  it('caps the fair share at the logId quota and gives the rest to the others', () => {
    const got = globalAllocation(
      specs([
        ['s', 'S', 300],
        ['c', 'C'],
      ]),
      W,
      900,
      new Map([
        ['s', 1000],
        ['c', 1000],
      ]),
      records,
    );
    expect(Object.fromEntries(got)).toEqual({
      s: { global: 300, limitedBy: 'logid-quota' },
      c: { global: 600, limitedBy: 'global-quota' },
    });
  });

  it('gives S and C 8:1 when both exceed the capacity', () => {
    const got = globalAllocation(
      specs([
        ['s', 'S'],
        ['c', 'C'],
      ]),
      W,
      900,
      new Map([
        ['s', 5000],
        ['c', 5000],
      ]),
      records,
    );
    expect(got.get('s')).toEqual({ global: 800, limitedBy: 'global-quota' });
    expect(got.get('c')).toEqual({ global: 100, limitedBy: 'global-quota' });
  });

  it('shares out capacity nobody asked for by weight, up to the quotas, so idle logIds can start', () => {
    const got = globalAllocation(
      specs([
        ['s', 'S'],
        ['c', 'C'],
        ['idle', 'A', 50],
      ]),
      W,
      1000,
      new Map([
        ['s', 100],
        ['c', 100],
      ]),
      records,
    );
    // 800 left over: idle takes its quota 50, S and C split the other 750 8:1.
    expect(got.get('idle')).toEqual({ global: 50, limitedBy: 'logid-quota' });
    expect(got.get('s')!.global).toBeCloseTo(100 + (750 * 8) / 9, 9);
    expect(got.get('c')!.global).toBeCloseTo(100 + 750 / 9, 9);
  });

  it('without a global capacity is the logId quota, or unlimited', () => {
    const got = globalAllocation(
      specs([
        ['q', 'B', 70],
        ['free', 'C'],
      ]),
      W,
      undefined,
      new Map(),
      records,
    );
    expect(Object.fromEntries(got)).toEqual({
      q: { global: 70, limitedBy: 'logid-quota' },
      free: { global: Infinity, limitedBy: 'none' },
    });
  });
});

describe('instanceShare', () => {
  it.each([
    ['proportional to demand with a 5% even floor', 1000, 300, 400, 2, 737.5],
    ['the other router', 1000, 100, 400, 2, 262.5],
    ['a router with no demand gets the floor', 1000, 0, 400, 2, 25],
    ['no demand anywhere: even split', 1000, 0, 0, 4, 250],
    ['unlimited stays unlimited', Infinity, 5, 10, 2, Infinity],
  ] as const)('%s', (_name, allocation, own, total, n, expected) => {
    expect(instanceShare(allocation, own, total, n)).toBeCloseTo(expected, 9);
  });
});

describe('computeLease', () => {
  const d = (records: number, bytes = 0): Demand => ({ records, bytes });

  it('splits a logId allocation over routers by demand; the shares sum to the allocation', () => {
    const input = {
      logIds: new Map<string, LogIdQuotaSpec>([
        ['s', { importance: 'S', recordsPerSec: undefined, bytesPerSec: 1_000_000 }],
        ['c', { importance: 'C' }],
      ]),
      weights: W,
      globalRecordsPerSec: 900,
      demands: new Map([
        [
          'r1',
          new Map([
            ['s', d(900, 10_000)],
            ['c', d(600)],
          ]),
        ],
        [
          'r2',
          new Map([
            ['s', d(300, 30_000)],
            ['c', d(600)],
          ]),
        ],
      ]),
    };
    const r1 = computeLease(input, 'r1');
    const r2 = computeLease(input, 'r2');
    expect(r1.get('s')!.records).toEqual({ global: 800, instance: 590, limitedBy: 'global-quota' });
    expect(r2.get('s')!.records).toEqual({ global: 800, instance: 210, limitedBy: 'global-quota' });
    expect(r1.get('c')!.records).toEqual({ global: 100, instance: 50, limitedBy: 'global-quota' });
    // bytes: no global capacity, the logId quota split 1:3 by demand (plus the floor)
    expect(r1.get('s')!.bytes.instance).toBeCloseTo(1_000_000 * (0.95 * 0.25 + 0.025), 6);
    expect(r2.get('s')!.bytes.instance).toBeCloseTo(1_000_000 * (0.95 * 0.75 + 0.025), 6);
    expect(r1.get('c')!.bytes).toEqual({ global: Infinity, instance: Infinity, limitedBy: 'none' });
  });

  it('counts a router missing from the snapshot as one more router', () => {
    const lease = computeLease(
      {
        logIds: new Map([['a', { importance: 'A', recordsPerSec: 100 }]]),
        weights: W,
        demands: new Map([['old', new Map([['a', d(50)]])]]),
      },
      'new',
    );
    expect(lease.get('a')!.records.instance).toBeCloseTo(2.5, 9);
  });
});
