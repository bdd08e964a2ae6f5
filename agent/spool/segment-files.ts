/**
 * Segment files: `<dir>/<seq, 16 digits>.spool`. The zero-padded sequence number makes the
 * lexical order of the names the append order, so `ls` shows the spool as it replays.
 * Sixteen digits outlast any agent (one new segment a second for 300 million years).
 */
import { open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export const SEGMENT_SUFFIX = '.spool';
/** Suffix of a file being written before it is renamed into place (compaction, checkpoint). */
export const TEMP_SUFFIX = '.tmp';
const SEGMENT_NAME = /^(\d{16})\.spool$/;

export function segmentName(seq: number): string {
  if (!(Number.isSafeInteger(seq) && seq >= 0)) throw new RangeError(`segment sequence must be >= 0, got ${seq}`);
  return `${String(seq).padStart(16, '0')}${SEGMENT_SUFFIX}`;
}

export function segmentPath(directory: string, seq: number): string {
  return join(directory, segmentName(seq));
}

/** The sequence number of a segment file name, or undefined for any other file. */
export function parseSegmentName(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  return m === null ? undefined : Number(m[1]);
}

/** Segment sequence numbers in `directory`, ascending. */
export async function listSegments(directory: string): Promise<number[]> {
  const seqs: number[] = [];
  for (const name of await readdir(directory)) {
    const seq = parseSegmentName(name);
    if (seq !== undefined) seqs.push(seq);
  }
  return seqs.sort((a, b) => a - b);
}

/** Removes `*.tmp` leftovers of a write that a crash interrupted before its rename. */
export async function removeTempFiles(directory: string): Promise<number> {
  let removed = 0;
  for (const name of await readdir(directory)) {
    if (!name.endsWith(TEMP_SUFFIX)) continue;
    await unlink(join(directory, name));
    removed++;
  }
  return removed;
}

/**
 * fsyncs a directory, so a file created, renamed or removed in it stays so after a crash
 * (POSIX makes the directory entry durable only through the directory's own fsync).
 */
export async function syncDirectory(directory: string): Promise<void> {
  const fh = await open(directory, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
