/**
 * Recovery: reads one segment's bytes front to back and sorts them into whole entries, a
 * torn tail, and corrupt stretches.
 *
 * - A bad entry (short, bad magic or length, CRC mismatch) at the tail of the **last**
 *   segment is the torn write of a process that died mid-append: counted once, and the
 *   caller truncates the file to `validBytes`, so later appends follow the last good entry.
 * - A bad entry anywhere else is corruption (bit rot, a bad disk), counted as one corrupt
 *   entry. Resync: when the bad entry's length field leads exactly to a valid entry, the
 *   length was intact and only that entry is skipped; otherwise nothing in the rest of the
 *   segment can be trusted to find the next entry boundary, so the rest of the segment is
 *   skipped (its bytes counted in `corruptBytes`). In the last segment a bad entry that
 *   cannot be resynced past counts as the torn tail instead.
 */
import { decodeEntry, type EntryHeader } from './record.ts';

/** A whole entry found by the scan, with its place in the segment. */
export interface ScannedEntry extends EntryHeader {
  offset: number;
  bytes: number;
}

export interface SegmentScan {
  entries: ScannedEntry[];
  /** Length of the prefix that holds only entries and skipped corrupt entries; the rest is torn (last segment). */
  validBytes: number;
  /** The last segment ends with a torn entry (everything from `validBytes` on). */
  torn: boolean;
  corruptEntries: number;
  corruptBytes: number;
}

export function scanSegment(buf: Buffer, isLast: boolean): SegmentScan {
  const entries: ScannedEntry[] = [];
  let corruptEntries = 0;
  let corruptBytes = 0;
  let off = 0;
  while (off < buf.length) {
    const r = decodeEntry(buf, off);
    if (r.ok) {
      const { payload: _payload, ...header } = r.entry;
      entries.push({ ...header, offset: off });
      off += r.entry.bytes;
      continue;
    }
    const next = r.bytes === undefined ? undefined : off + r.bytes;
    if (next !== undefined && next < buf.length && decodeEntry(buf, next).ok) {
      corruptEntries++;
      corruptBytes += next - off;
      off = next;
      continue;
    }
    if (isLast) return { entries, validBytes: off, torn: true, corruptEntries, corruptBytes };
    corruptEntries++;
    corruptBytes += buf.length - off;
    return { entries, validBytes: buf.length, torn: false, corruptEntries, corruptBytes };
  }
  return { entries, validBytes: off, torn: false, corruptEntries, corruptBytes };
}
