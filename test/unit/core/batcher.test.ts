import { afterEach, describe, expect, it, vi } from 'vitest';
import { Batcher } from '../../../core/batcher.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('Batcher', () => {
  it('emits per key at maxRecords, at maxBytes, and after lingerMs', () => {
    vi.useFakeTimers();
    const out: [string, number[]][] = [];
    const b = new Batcher<number>(
      { maxRecords: 3, maxBytes: 100, lingerMs: 50 },
      (n) => n,
      (k, items) => out.push([k, items]),
    );
    b.add('a', 1);
    b.add('b', 10);
    b.add('a', 2);
    b.add('a', 3);
    expect(out).toEqual([['a', [1, 2, 3]]]);
    b.add('b', 60);
    b.add('b', 40); // 10 + 60 + 40 > 100: [10, 60] goes first
    expect(out).toEqual([
      ['a', [1, 2, 3]],
      ['b', [10, 60]],
    ]);
    vi.advanceTimersByTime(49);
    expect(out).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(out).toEqual([
      ['a', [1, 2, 3]],
      ['b', [10, 60]],
      ['b', [40]],
    ]);
  });

  it('flushAll emits every open batch once', () => {
    const out: [string, number[]][] = [];
    const b = new Batcher<number>(
      { maxRecords: 10, maxBytes: 1000, lingerMs: 10_000 },
      () => 1,
      (k, items) => out.push([k, items]),
    );
    b.add('x', 1);
    b.add('y', 2);
    expect(b.openRecords).toBe(2);
    b.flushAll();
    b.flushAll();
    expect(out).toEqual([
      ['x', [1]],
      ['y', [2]],
    ]);
  });
});
