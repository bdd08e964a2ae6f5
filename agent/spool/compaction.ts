/**
 * Compaction: rewrites one segment keeping only the given byte ranges (its live entries),
 * dropping evicted, acknowledged and corrupt bytes. The new file is written next to the
 * old one and renamed over it, so a crash leaves either the old or the new segment, never
 * a mix. Entries are copied byte for byte, ids included: acks and tombstones name entries
 * by id, so they mean the same in either file and the checkpoint needs no coordinated update.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { segmentPath, syncDirectory, TEMP_SUFFIX } from './segment-files.ts';

export interface ByteRange {
  offset: number;
  bytes: number;
}

/**
 * Rewrites segment `seq` of `directory` to hold only `keep` (in order) and returns each
 * range's new offset. With `sync`, the new file and the rename are on disk on return.
 */
export async function compactSegment(
  directory: string,
  seq: number,
  keep: readonly ByteRange[],
  sync: boolean,
): Promise<number[]> {
  const path = segmentPath(directory, seq);
  const old = await readFile(path);
  const offsets: number[] = [];
  let size = 0;
  for (const r of keep) {
    if (r.offset + r.bytes > old.length) {
      throw new RangeError(`${path}: live entry at ${r.offset} (+${r.bytes}) is past the end (${old.length})`);
    }
    offsets.push(size);
    size += r.bytes;
  }
  const out = Buffer.allocUnsafe(size);
  keep.forEach((r, i) => {
    old.copy(out, offsets[i], r.offset, r.offset + r.bytes);
  });
  const temp = `${path}${TEMP_SUFFIX}`;
  const fh = await open(temp, 'w');
  try {
    await fh.writeFile(out);
    if (sync) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(temp, path);
  if (sync) await syncDirectory(directory);
  return offsets;
}
