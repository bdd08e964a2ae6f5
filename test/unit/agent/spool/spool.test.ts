import { appendFile, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FsyncPolicy, Spool, type SpoolOptions } from '../../../../agent/spool/spool.ts';
import type { Criticality } from '../../../../core/resilience/criticality.ts';

const zero = { CRITICAL_PLUS: 0, CRITICAL: 0, SHEDDABLE_PLUS: 0, SHEDDABLE: 0 };

let dir: string;
const open: Spool[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spw-spool-'));
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

async function openSpool(options: Partial<SpoolOptions> = {}): Promise<Spool> {
  const s = await Spool.open({ directory: dir, maxBytes: 1_000_000, fsync: 'always', ...options });
  open.push(s);
  return s;
}
/** A batch whose bytes say which one it is: `n` as text, padded to `size`. */
const batch = (n: number, size = 100) =>
  Buffer.concat([Buffer.from(`${n}:`), Buffer.alloc(size - `${n}:`.length, 0x61)]);
const numberOf = (b: Buffer) => Number(b.toString('latin1').split(':')[0]);
async function drain(s: Spool): Promise<number[]> {
  const out: number[] = [];
  for (let e = await s.peek(); e !== undefined; e = await s.peek()) {
    out.push(numberOf(e.batch));
    await s.ack(e.id);
  }
  return out;
}
async function fill(s: Spool, from: number, to: number, criticality: Criticality = 'CRITICAL', size = 100) {
  for (let n = from; n <= to; n++) expect((await s.append(batch(n, size), criticality)).ok).toBe(true);
}
const segmentFiles = async () => (await readdir(dir)).filter((f) => f.endsWith('.spool')).sort();
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('Spool append and replay', () => {
  it('replays in append order across segment rotation, deleting drained segments', async () => {
    // 127-byte entries, 4 per 512-byte segment.
    const s = await openSpool({ segmentBytes: 512 });
    await fill(s, 1, 10);
    expect(await segmentFiles()).toEqual([
      '0000000000000001.spool',
      '0000000000000002.spool',
      '0000000000000003.spool',
    ]);
    expect(s.stats()).toMatchObject({ bytes: 10 * 127, entries: 10, segments: 3, diskBytes: 10 * 127 });
    const first = await s.peek();
    expect(first).toMatchObject({ id: 1, criticality: 'CRITICAL', encoding: 'none' });
    expect(await drain(s)).toEqual(range(1, 10));
    expect(await segmentFiles()).toEqual([]);
    expect(s.stats()).toMatchObject({ bytes: 0, entries: 0, segments: 0, diskBytes: 0, acked: 10 });
    // Appends after a full drain start a new segment and keep counting ids.
    const r = await s.append(batch(11), 'SHEDDABLE', { encoding: 'zstd', createdAtMs: 123 });
    expect(r).toEqual({ ok: true, id: 11, bytes: 127, evicted: [] });
    expect(await s.peek()).toEqual({
      id: 11,
      criticality: 'SHEDDABLE',
      createdAtMs: 123,
      encoding: 'zstd',
      batch: batch(11),
    });
    expect(await segmentFiles()).toEqual(['0000000000000004.spool']);
  });

  it('peek does not consume; ack is cumulative and ignores old ids', async () => {
    const s = await openSpool();
    await fill(s, 1, 3);
    expect((await s.peek())?.id).toBe(1);
    expect((await s.peek())?.id).toBe(1);
    await s.ack(2);
    expect((await s.peek())?.id).toBe(3);
    await s.ack(1);
    expect((await s.peek())?.id).toBe(3);
    await expect(s.ack(4)).rejects.toThrow('spool ack: 4 is not the id of an appended entry (ids so far: 1..3)');
  });

  it('an entry larger than the segment size gets a segment of its own', async () => {
    const s = await openSpool({ segmentBytes: 200 });
    await fill(s, 1, 1, 'CRITICAL', 50);
    await fill(s, 2, 2, 'CRITICAL', 500);
    await fill(s, 3, 3, 'CRITICAL', 50);
    expect(await segmentFiles()).toHaveLength(3);
    expect(await drain(s)).toEqual([1, 2, 3]);
  });
});

describe('Spool replay by criticality', () => {
  it('peek(criticality) returns the oldest entry of that criticality; ackEntry acks just it', async () => {
    const s = await openSpool({ segmentBytes: 512 });
    await fill(s, 1, 3, 'SHEDDABLE');
    await fill(s, 4, 4, 'CRITICAL_PLUS');
    await fill(s, 5, 6, 'SHEDDABLE');
    await fill(s, 7, 7, 'CRITICAL_PLUS');
    expect(s.stats().entriesByCriticality).toEqual({ ...zero, SHEDDABLE: 5, CRITICAL_PLUS: 2 });
    expect(numberOf((await s.peek('CRITICAL_PLUS'))!.batch)).toBe(4);
    expect(await s.peek('CRITICAL')).toBeUndefined();
    await s.ackEntry(4);
    expect(numberOf((await s.peek('CRITICAL_PLUS'))!.batch)).toBe(7);
    await s.ackEntry(7);
    // The older SHEDDABLE entries are still there, in order.
    expect(s.stats()).toMatchObject({ entries: 5, acked: 2, deadBytes: 2 * 127 });
    expect(s.stats().entriesByCriticality).toEqual({ ...zero, SHEDDABLE: 5 });
    expect(await drain(s)).toEqual([1, 2, 3, 5, 6]);
    expect(s.stats()).toMatchObject({ entries: 0, acked: 7 });
    expect(await segmentFiles()).toEqual([]);
  });

  it('an entry acked ahead of older ones is not replayed after a restart', async () => {
    const s = await openSpool();
    await fill(s, 1, 2, 'SHEDDABLE');
    await fill(s, 3, 3, 'CRITICAL');
    await fill(s, 4, 4, 'SHEDDABLE');
    await s.ackEntry(3);
    await s.ackEntry(3); // not live any more: a no-op
    await s.close();
    const again = await openSpool();
    expect(again.stats()).toMatchObject({ entries: 3, entriesByCriticality: { ...zero, SHEDDABLE: 3 } });
    expect(await drain(again)).toEqual([1, 2, 4]);
  });

  it('ackEntry of the oldest entry is an ordinary ack', async () => {
    const s = await openSpool();
    await fill(s, 1, 3, 'CRITICAL');
    await s.ackEntry(1);
    expect(s.stats()).toMatchObject({ entries: 2, acked: 1, deadBytes: 0 });
    await s.close();
    expect(JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8'))).toEqual({
      version: 1,
      ackedId: 1,
      tombstones: [],
    });
  });
});

describe('Spool restart', () => {
  it('ack + reopen resumes exactly after the last acked entry', async () => {
    const s = await openSpool({ segmentBytes: 512 });
    await fill(s, 1, 10);
    for (let i = 0; i < 6; i++) {
      const e = await s.peek();
      await s.ack(e!.id);
    }
    // No close: fsync 'always' has the checkpoint on disk already (a crash here loses nothing).
    const again = await Spool.open({ directory: dir, maxBytes: 1_000_000, fsync: 'always', segmentBytes: 512 });
    open.push(again);
    expect(again.stats()).toMatchObject({ entries: 4, bytes: 4 * 127, tornEntries: 0, corruptEntries: 0 });
    // Segment 1 (entries 1-4) was fully acked and deleted; segment 2 remains.
    expect(await drain(again)).toEqual([7, 8, 9, 10]);
    await fill(again, 11, 11);
    expect((await again.peek())?.id).toBe(11);
  });

  it.each<FsyncPolicy>(['interval', 'never'])(
    'fsync %s: close writes the checkpoint; reopen resumes',
    async (fsync) => {
      const s = await openSpool({ fsync });
      await fill(s, 1, 5);
      await s.ack(3);
      await s.close();
      const again = await openSpool({ fsync });
      expect(await drain(again)).toEqual([4, 5]);
    },
  );

  it('never reuses an id, even when every segment was deleted', async () => {
    const s = await openSpool();
    await fill(s, 1, 3);
    await drain(s);
    await s.close();
    const again = await openSpool();
    expect(await again.append(batch(4), 'CRITICAL')).toMatchObject({ ok: true, id: 4 });
  });

  it('an unreadable checkpoint replays everything (duplicates, no loss), counted', async () => {
    const s = await openSpool();
    await fill(s, 1, 3);
    await s.ack(2);
    await s.close();
    await writeFile(join(dir, 'checkpoint.json'), '{"version":1,"ackedId":');
    const again = await openSpool();
    expect(again.stats().checkpointResets).toBe(1);
    expect(await drain(again)).toEqual([1, 2, 3]);
  });

  it('removes temp files a crash left behind', async () => {
    const s = await openSpool();
    await fill(s, 1, 1);
    await s.close();
    await writeFile(join(dir, '0000000000000001.spool.tmp'), 'half a compaction');
    await writeFile(join(dir, 'checkpoint.json.tmp'), '{');
    const again = await openSpool();
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await drain(again)).toEqual([1]);
  });
});

describe('Spool recovery of torn and corrupt entries', () => {
  async function threeThenCrash(): Promise<string> {
    const s = await openSpool();
    await fill(s, 1, 3);
    await s.close();
    const [file] = await segmentFiles();
    return join(dir, file!);
  }

  it('a file cut mid-entry: one torn entry, truncated to the last good one, later appends fine', async () => {
    const path = await threeThenCrash();
    await truncate(path, 3 * 127 - 40);
    const s = await openSpool();
    expect(s.stats()).toMatchObject({ tornEntries: 1, corruptEntries: 0, entries: 2, bytes: 254 });
    expect((await stat(path)).size).toBe(2 * 127);
    await fill(s, 4, 5);
    expect(await drain(s)).toEqual([1, 2, 4, 5]);
  });

  it('a flipped byte in the last entry payload: one torn entry, counted once across reopens', async () => {
    const path = await threeThenCrash();
    const buf = await readFile(path);
    buf[3 * 127 - 1] = buf[3 * 127 - 1]! ^ 0x10;
    await writeFile(path, buf);
    const s = await openSpool();
    expect(s.stats()).toMatchObject({ tornEntries: 1, corruptEntries: 0, entries: 2 });
    await fill(s, 4, 4);
    await s.close();
    const again = await openSpool();
    expect(again.stats()).toMatchObject({ tornEntries: 0, corruptEntries: 0, entries: 3 });
    expect(await drain(again)).toEqual([1, 2, 4]);
  });

  it('a zero-filled tail (size reached disk before data) is one torn entry', async () => {
    const path = await threeThenCrash();
    await appendFile(path, Buffer.alloc(4096));
    const s = await openSpool();
    expect(s.stats()).toMatchObject({ tornEntries: 1, entries: 3 });
    expect((await stat(path)).size).toBe(3 * 127);
  });

  it('a damaged entry in the middle is skipped alone and counted corrupt', async () => {
    const path = await threeThenCrash();
    const buf = await readFile(path);
    buf[127 + 60] = buf[127 + 60]! ^ 0x01;
    await writeFile(path, buf);
    const s = await openSpool();
    expect(s.stats()).toMatchObject({ tornEntries: 0, corruptEntries: 1, corruptBytes: 127, entries: 2 });
    expect(await drain(s)).toEqual([1, 3]);
  });

  it('a damaged length in a sealed segment skips the rest of that segment only', async () => {
    const s = await openSpool({ segmentBytes: 3 * 127 });
    await fill(s, 1, 6);
    await s.close();
    const [first] = await segmentFiles();
    const path = join(dir, first!);
    const buf = await readFile(path);
    buf[127 + 2] = buf[127 + 2]! ^ 0x40;
    await writeFile(path, buf);
    const again = await openSpool({ segmentBytes: 3 * 127 });
    expect(again.stats()).toMatchObject({ tornEntries: 0, corruptEntries: 1, corruptBytes: 2 * 127, entries: 4 });
    expect(await drain(again)).toEqual([1, 4, 5, 6]);
  });

  it('an entry damaged after open is skipped at replay, counted', async () => {
    const path = await threeThenCrash();
    const s = await openSpool();
    const buf = await readFile(path);
    buf[127 + 60] = buf[127 + 60]! ^ 0x01;
    await writeFile(path, buf);
    expect(await drain(s)).toEqual([1, 3]);
    expect(s.stats()).toMatchObject({ corruptEntries: 1, corruptBytes: 127 });
  });
});

describe('Spool bounded by maxBytes', () => {
  // 100-byte batches are 127-byte entries; the spool holds 10.
  const maxBytes = 10 * 127;

  it('evicts the oldest SHEDDABLE first for a CRITICAL_PLUS, with exact counts and bytes', async () => {
    const s = await openSpool({ maxBytes, segmentBytes: 4 * 127 });
    // 1..10 alternate SHEDDABLE (odd) and CRITICAL (even).
    for (let n = 1; n <= 10; n++) await fill(s, n, n, n % 2 === 1 ? 'SHEDDABLE' : 'CRITICAL');
    expect(s.stats().bytes).toBe(maxBytes);
    const r = await s.append(batch(11), 'CRITICAL_PLUS');
    expect(r).toEqual({ ok: true, id: 11, bytes: 127, evicted: [{ id: 1, criticality: 'SHEDDABLE', bytes: 127 }] });
    // A 300-byte payload (327 bytes) needs three 127-byte entries out: the next three SHEDDABLE.
    const big = await s.append(batch(12, 300), 'CRITICAL_PLUS');
    expect(big.ok && big.evicted.map((e) => e.id)).toEqual([3, 5, 7]);
    // A SHEDDABLE is the lowest: rejected, nothing evicted.
    expect(await s.append(batch(13), 'SHEDDABLE')).toEqual({ ok: false, reason: 'rejected' });
    // A CRITICAL evicts the last SHEDDABLE, not an older CRITICAL.
    expect(await s.append(batch(14), 'CRITICAL')).toMatchObject({ ok: true, evicted: [{ id: 9 }] });
    // Only CRITICAL and above left: another CRITICAL is rejected.
    expect(await s.append(batch(15), 'CRITICAL')).toEqual({ ok: false, reason: 'rejected' });
    expect(await s.append(batch(16, 2000), 'CRITICAL_PLUS')).toEqual({ ok: false, reason: 'too-large' });
    const stats = s.stats();
    expect(stats.bytes).toBe(5 * 127 + 127 + 327 + 127);
    expect(stats.bytes).toBeLessThanOrEqual(maxBytes);
    expect(stats.entries).toBe(8);
    expect(stats.dropped).toEqual({
      evicted: { ...zero, SHEDDABLE: 5 },
      rejected: { ...zero, SHEDDABLE: 1, CRITICAL: 1 },
      'too-large': { ...zero, CRITICAL_PLUS: 1 },
      closed: zero,
      'io-error': zero,
    });
    expect(stats.droppedBytes.evicted).toEqual({ ...zero, SHEDDABLE: 5 * 127 });
    expect(stats.droppedBytes['too-large']).toEqual({ ...zero, CRITICAL_PLUS: 2027 });
    expect(await drain(s)).toEqual([2, 4, 6, 8, 10, 11, 12, 14]);
  });

  it('evictions survive a restart (tombstones in the checkpoint)', async () => {
    const s = await openSpool({ maxBytes, segmentBytes: 100_000, compactDeadBytes: 1_000_000 });
    await fill(s, 1, 10, 'SHEDDABLE');
    await fill(s, 11, 13, 'CRITICAL');
    expect(s.stats()).toMatchObject({ entries: 10, deadBytes: 3 * 127, diskBytes: 13 * 127 });
    // fsync 'always': the tombstones are on disk; no close.
    const again = await Spool.open({ directory: dir, maxBytes, fsync: 'always', compactDeadBytes: 1_000_000 });
    open.push(again);
    expect(again.stats()).toMatchObject({ entries: 10, bytes: maxBytes, deadBytes: 3 * 127, diskBytes: 13 * 127 });
    expect(await drain(again)).toEqual([...range(4, 10), 11, 12, 13]);
  });

  it('deletes a segment whose entries were all evicted', async () => {
    const s = await openSpool({ maxBytes, segmentBytes: 5 * 127, compactDeadBytes: 1_000_000 });
    await fill(s, 1, 5, 'SHEDDABLE');
    await fill(s, 6, 10, 'CRITICAL');
    expect(await segmentFiles()).toHaveLength(2);
    await fill(s, 11, 15, 'CRITICAL_PLUS');
    expect(await segmentFiles()).toEqual(['0000000000000002.spool', '0000000000000003.spool']);
    expect(s.stats()).toMatchObject({ segments: 2, deadBytes: 0, diskBytes: maxBytes, compactions: 0 });
  });

  it('compacts segments once dead bytes pass the threshold, keeping order and disk bounded', async () => {
    const s = await openSpool({ maxBytes, segmentBytes: 4 * 127, compactDeadBytes: 2 * 127 });
    // Interleaved, so no segment ever empties by eviction alone.
    for (let n = 1; n <= 10; n++) await fill(s, n, n, n % 2 === 1 ? 'SHEDDABLE' : 'CRITICAL');
    await fill(s, 11, 12, 'CRITICAL_PLUS');
    expect(s.stats()).toMatchObject({ deadBytes: 2 * 127, compactions: 0 });
    await fill(s, 13, 13, 'CRITICAL_PLUS');
    // Three dead (ids 1, 3, 5): the two-dead segment 1 is rewritten, leaving one.
    expect(s.stats()).toMatchObject({ deadBytes: 127, compactions: 1, bytes: maxBytes, diskBytes: maxBytes + 127 });
    expect((await stat(join(dir, '0000000000000001.spool'))).size).toBe(2 * 127);
    await s.close();
    const again = await openSpool({ maxBytes, segmentBytes: 4 * 127, compactDeadBytes: 2 * 127 });
    expect(again.stats()).toMatchObject({ entries: 10, deadBytes: 127, corruptEntries: 0, tornEntries: 0 });
    expect(await drain(again)).toEqual([2, 4, 6, 7, 8, 9, 10, 11, 12, 13]);
  });

  it('compacts the active segment and keeps appending to it', async () => {
    const s = await openSpool({ maxBytes, segmentBytes: 100_000, compactDeadBytes: 127 });
    for (let n = 1; n <= 10; n++) await fill(s, n, n, n % 2 === 1 ? 'SHEDDABLE' : 'CRITICAL');
    await fill(s, 11, 12, 'CRITICAL_PLUS');
    expect(s.stats()).toMatchObject({ segments: 1, compactions: 1, deadBytes: 0, diskBytes: maxBytes });
    await s.ack(2);
    await fill(s, 13, 13, 'SHEDDABLE');
    expect(await drain(s)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  });

  it('refuses appends after close, counted', async () => {
    const s = await openSpool();
    await s.close();
    await s.close();
    expect(await s.append(batch(1), 'CRITICAL')).toEqual({ ok: false, reason: 'closed' });
    expect(s.stats().dropped.closed).toEqual({ ...zero, CRITICAL: 1 });
  });
});

describe('Spool fsync policies', () => {
  it.each<FsyncPolicy>(['always', 'interval', 'never'])(
    '%s: appends resolve; data is on disk after close',
    async (fsync) => {
      const s = await openSpool({ fsync, segmentBytes: 512, fsyncIntervalMs: 10 });
      await fill(s, 1, 8);
      await s.ack(1);
      if (fsync !== 'always') await new Promise((r) => setTimeout(r, 30)); // let the timer run at least once
      await s.close();
      const files = await segmentFiles();
      const sizes = await Promise.all(files.map(async (f) => (await stat(join(dir, f))).size));
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(8 * 127);
      expect(JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8'))).toEqual({
        version: 1,
        ackedId: 1,
        tombstones: [],
      });
      const again = await openSpool({ fsync });
      expect(await drain(again)).toEqual(range(2, 8));
      expect(s.stats().syncErrors).toBe(0);
    },
  );

  it('interval: the timer writes the checkpoint without close', async () => {
    const s = await openSpool({ fsync: 'interval', fsyncIntervalMs: 10 });
    await fill(s, 1, 3);
    await s.ack(2);
    await expect
      .poll(async () => JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')).ackedId, { timeout: 2000 })
      .toBe(2);
  });
});
