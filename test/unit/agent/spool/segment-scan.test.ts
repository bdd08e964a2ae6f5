import { describe, expect, it } from 'vitest';
import { encodeEntry } from '../../../../agent/spool/record.ts';
import { scanSegment } from '../../../../agent/spool/segment-scan.ts';

const entry = (id: number, size = 50) =>
  encodeEntry({ id, criticality: 'CRITICAL', createdAtMs: 1000 + id, encoding: 'none' }, Buffer.alloc(size, id));
const E = entry(1).length; // 77 bytes each
const three = () => Buffer.concat([entry(1), entry(2), entry(3)]);
const flipAt = (buf: Buffer, at: number) => {
  buf[at] = buf[at]! ^ 0xff;
  return buf;
};
const ids = (buf: Buffer, isLast: boolean) => {
  const s = scanSegment(buf, isLast);
  return { ...s, entries: s.entries.map((e) => [e.id, e.offset]) };
};

describe('scanSegment', () => {
  it('reads whole entries with their offsets', () => {
    expect(ids(three(), true)).toEqual({
      entries: [
        [1, 0],
        [2, E],
        [3, 2 * E],
      ],
      validBytes: 3 * E,
      torn: false,
      corruptEntries: 0,
      corruptBytes: 0,
    });
  });

  it.each([
    ['cut mid-payload', three().subarray(0, 3 * E - 10)],
    ['cut mid-prefix', three().subarray(0, 2 * E + 4)],
    ['last payload byte flipped', flipAt(three(), 3 * E - 1)],
    ['zero-filled tail', Buffer.concat([three().subarray(0, 2 * E), Buffer.alloc(300)])],
  ])('last segment, %s: one torn entry, valid up to the last good entry', (_name, buf) => {
    const s = scanSegment(buf, true);
    expect(s.entries.map((e) => e.id)).toEqual([1, 2]);
    expect([s.validBytes, s.torn, s.corruptEntries, s.corruptBytes]).toEqual([2 * E, true, 0, 0]);
  });

  it('a damaged payload whose length is intact is skipped alone (resync by length)', () => {
    for (const isLast of [true, false]) {
      const s = scanSegment(flipAt(three(), E + 40), isLast);
      expect(s.entries.map((e) => e.id)).toEqual([1, 3]);
      expect([s.validBytes, s.torn, s.corruptEntries, s.corruptBytes]).toEqual([3 * E, false, 1, E]);
    }
  });

  it('a damaged length in a sealed segment skips the rest of the segment, counted', () => {
    const s = scanSegment(flipAt(three(), E + 2), false);
    expect(s.entries.map((e) => e.id)).toEqual([1]);
    expect([s.validBytes, s.torn, s.corruptEntries, s.corruptBytes]).toEqual([3 * E, false, 1, 2 * E]);
  });

  it('a damaged length in the last segment is the torn tail', () => {
    const s = scanSegment(flipAt(three(), E + 2), true);
    expect(s.entries.map((e) => e.id)).toEqual([1]);
    expect([s.validBytes, s.torn, s.corruptEntries]).toEqual([E, true, 0]);
  });

  it('a short tail in a sealed segment is corrupt, not torn', () => {
    const s = scanSegment(three().subarray(0, 3 * E - 1), false);
    expect([s.entries.length, s.torn, s.corruptEntries, s.corruptBytes]).toEqual([2, false, 1, E - 1]);
  });

  it('an empty segment holds nothing', () => {
    expect(scanSegment(Buffer.alloc(0), true)).toEqual({
      entries: [],
      validBytes: 0,
      torn: false,
      corruptEntries: 0,
      corruptBytes: 0,
    });
  });
});
