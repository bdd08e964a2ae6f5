import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../../../core/resilience/bounded-queue.ts';
import type { Criticality } from '../../../../core/resilience/criticality.ts';

interface Item {
  id: string;
  criticality: Criticality;
  bytes: number;
}
const item = (id: string, criticality: Criticality, bytes = 1): Item => ({ id, criticality, bytes });
const ids = (items: Item[]) => items.map((i) => i.id);
const zero = { CRITICAL_PLUS: 0, CRITICAL: 0, SHEDDABLE_PLUS: 0, SHEDDABLE: 0 };

describe('BoundedQueue shed-lowest', () => {
  it('evicts the oldest lowest item for a more critical one, rejects a new item that is the lowest', () => {
    const q = new BoundedQueue<Item>({ maxItems: 3, maxBytes: 1_000, whenFull: 'shed-lowest' });
    expect(q.offer(item('s1', 'SHEDDABLE'))).toEqual({ ok: true, evicted: [] });
    q.offer(item('sp1', 'SHEDDABLE_PLUS'));
    q.offer(item('s2', 'SHEDDABLE'));
    // Full. CRITICAL_PLUS evicts the oldest SHEDDABLE.
    expect(ids(okEvicted(q.offer(item('cp1', 'CRITICAL_PLUS'))))).toEqual(['s1']);
    // A SHEDDABLE is the lowest: rejected, nothing evicted.
    expect(q.offer(item('s3', 'SHEDDABLE'))).toEqual({ ok: false, reason: 'rejected' });
    // A SHEDDABLE_PLUS evicts the remaining SHEDDABLE (lower), not the older SHEDDABLE_PLUS.
    expect(ids(okEvicted(q.offer(item('sp2', 'SHEDDABLE_PLUS'))))).toEqual(['s2']);
    // Now the lowest present is SHEDDABLE_PLUS; a new SHEDDABLE_PLUS is not more critical: rejected.
    expect(q.offer(item('sp3', 'SHEDDABLE_PLUS'))).toEqual({ ok: false, reason: 'rejected' });
    expect(ids(okEvicted(q.offer(item('c1', 'CRITICAL'))))).toEqual(['sp1']);
    expect(ids(q.drain())).toEqual(['cp1', 'sp2', 'c1']);
    expect(q.stats().dropped).toEqual({
      evicted: { ...zero, SHEDDABLE: 2, SHEDDABLE_PLUS: 1 },
      rejected: { ...zero, SHEDDABLE: 1, SHEDDABLE_PLUS: 1 },
      'too-large': zero,
      closed: zero,
    });
  });

  it('bounds bytes: evicts as many lower items as needed, oldest first', () => {
    const q = new BoundedQueue<Item>({ maxItems: 10, maxBytes: 100, whenFull: 'shed-lowest' });
    for (const id of ['s1', 's2', 's3', 's4']) q.offer(item(id, 'SHEDDABLE', 25));
    expect(ids(okEvicted(q.offer(item('cp', 'CRITICAL_PLUS', 60))))).toEqual(['s1', 's2', 's3']);
    expect([q.size, q.bytes]).toEqual([2, 85]);
  });

  it('evicts lower criticalities lowest first, then oldest', () => {
    const q = new BoundedQueue<Item>({ maxItems: 4, maxBytes: 1_000, whenFull: 'shed-lowest' });
    q.offer(item('sp1', 'SHEDDABLE_PLUS'));
    q.offer(item('s1', 'SHEDDABLE'));
    q.offer(item('c1', 'CRITICAL'));
    q.offer(item('s2', 'SHEDDABLE'));
    expect(ids(okEvicted(q.offer(item('cp1', 'CRITICAL_PLUS', 1))))).toEqual(['s1']);
    expect(ids(okEvicted(q.offer(item('cp2', 'CRITICAL_PLUS', 1))))).toEqual(['s2']);
    expect(ids(okEvicted(q.offer(item('cp3', 'CRITICAL_PLUS', 1))))).toEqual(['sp1']);
  });

  it('evicts nothing when even evicting every lower item would not make room', () => {
    const q = new BoundedQueue<Item>({ maxItems: 10, maxBytes: 100, whenFull: 'shed-lowest' });
    q.offer(item('s1', 'SHEDDABLE', 40));
    q.offer(item('s2', 'SHEDDABLE', 40));
    q.offer(item('c1', 'CRITICAL', 10));
    expect(q.offer(item('cp1', 'CRITICAL_PLUS', 50))).toEqual({ ok: true, evicted: [item('s1', 'SHEDDABLE', 40)] });
    // 100 bytes held; a CRITICAL of 60 could free only s2 (40): rejected, s2 stays.
    expect(q.offer(item('c2', 'CRITICAL', 60))).toEqual({ ok: false, reason: 'rejected' });
    expect(ids(q.drain())).toEqual(['s2', 'c1', 'cp1']);
  });

  it('an item larger than maxBytes is too-large', async () => {
    const q = new BoundedQueue<Item>({ maxItems: 10, maxBytes: 100, whenFull: 'shed-lowest' });
    expect(await q.push(item('big', 'CRITICAL_PLUS', 101))).toEqual({ ok: false, reason: 'too-large' });
    expect(q.stats().dropped['too-large']).toEqual({ ...zero, CRITICAL_PLUS: 1 });
  });

  it('shift is FIFO across criticalities', () => {
    const q = new BoundedQueue<Item>({ maxItems: 10, maxBytes: 100, whenFull: 'shed-lowest' });
    for (const [id, c] of [
      ['a', 'SHEDDABLE'],
      ['b', 'CRITICAL'],
      ['c', 'SHEDDABLE'],
      ['d', 'CRITICAL_PLUS'],
    ] as const) {
      q.offer(item(id, c));
    }
    expect([q.shift()?.id, q.shift()?.id, q.shift()?.id, q.shift()?.id, q.shift()]).toEqual([
      'a',
      'b',
      'c',
      'd',
      undefined,
    ]);
  });
});

describe('BoundedQueue block', () => {
  it('push waits for room; waiting pushes are admitted in order, none overtakes', async () => {
    const q = new BoundedQueue<Item>({ maxItems: 10, maxBytes: 100, whenFull: 'block' });
    expect(await q.push(item('a', 'SHEDDABLE', 60))).toEqual({ ok: true, evicted: [] });
    const settled: string[] = [];
    const b = q.push(item('b', 'CRITICAL_PLUS', 50)).then((r) => settled.push(`b:${r.ok}`));
    const c = q.push(item('c', 'SHEDDABLE', 10)).then((r) => settled.push(`c:${r.ok}`)); // fits, but waits behind b
    await Promise.resolve();
    expect(settled).toEqual([]);
    expect(q.stats()).toMatchObject({ items: 1, bytes: 60, waiting: 2 });
    expect(q.shift()?.id).toBe('a');
    await Promise.all([b, c]);
    expect(settled).toEqual(['b:true', 'c:true']);
    expect(ids(q.drain())).toEqual(['b', 'c']);
  });

  it('offer refuses instead of waiting', () => {
    const q = new BoundedQueue<Item>({ maxItems: 1, maxBytes: 100, whenFull: 'block' });
    q.offer(item('a', 'CRITICAL'));
    expect(q.offer(item('b', 'CRITICAL_PLUS'))).toEqual({ ok: false, reason: 'rejected' });
    expect(q.stats().dropped.rejected).toEqual({ ...zero, CRITICAL_PLUS: 1 });
  });

  it('drain admits waiting pushes into the freed room', async () => {
    const q = new BoundedQueue<Item>({ maxItems: 1, maxBytes: 100, whenFull: 'block' });
    await q.push(item('a', 'CRITICAL'));
    const b = q.push(item('b', 'CRITICAL'));
    expect(ids(q.drain())).toEqual(['a']);
    expect(await b).toEqual({ ok: true, evicted: [] });
    expect(ids(q.drain())).toEqual(['b']);
  });
});

describe('BoundedQueue close', () => {
  it('flushes exactly once, settles waiting pushes and refuses later ones with closed', async () => {
    const q = new BoundedQueue<Item>({ maxItems: 2, maxBytes: 100, whenFull: 'block' });
    await q.push(item('a', 'SHEDDABLE'));
    await q.push(item('b', 'CRITICAL'));
    const waiting = q.push(item('c', 'SHEDDABLE_PLUS'));
    expect(ids(q.close())).toEqual(['a', 'b']);
    expect(await waiting).toEqual({ ok: false, reason: 'closed' });
    expect(q.close()).toEqual([]);
    expect(q.drain()).toEqual([]);
    expect(q.closed).toBe(true);
    expect(await q.push(item('d', 'CRITICAL_PLUS'))).toEqual({ ok: false, reason: 'closed' });
    expect(q.offer(item('e', 'CRITICAL_PLUS'))).toEqual({ ok: false, reason: 'closed' });
    expect(q.stats()).toEqual({
      items: 0,
      bytes: 0,
      waiting: 0,
      dropped: {
        evicted: zero,
        rejected: zero,
        'too-large': zero,
        closed: { ...zero, SHEDDABLE_PLUS: 1, CRITICAL_PLUS: 2 },
      },
    });
  });

  it('validates bounds', () => {
    expect(() => new BoundedQueue({ maxItems: 0, maxBytes: 1, whenFull: 'block' })).toThrow(
      'BoundedQueue: maxItems must be an integer >= 1, got 0',
    );
    expect(() => new BoundedQueue({ maxItems: 1, maxBytes: 0, whenFull: 'block' })).toThrow(
      'BoundedQueue: maxBytes must be > 0, got 0',
    );
  });
});

function okEvicted(r: { ok: true; evicted: Item[] } | { ok: false; reason: string }): Item[] {
  if (!r.ok) throw new Error(`expected admission, got ${r.reason}`);
  return r.evicted;
}
