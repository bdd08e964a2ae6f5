/**
 * The file tail's decisions, pure so they are tested alone: what a glob scan means for the
 * files being tailed (rename rotation, new files, files gone), what a size change means
 * (growth or copy-truncate), and where a file is read from when first opened.
 */
import type { FileCheckpoint } from './file-checkpoint.ts';

/** A regular file a scan found: its path and identity `dev:ino`. */
export interface Found {
  path: string;
  key: string;
}

export interface ScanPlan {
  /** Tailed files now found under another path (renamed within the globs): keep tailing. */
  moved: Found[];
  /** Tailed files no longer under any matching path (renamed away or deleted): drain, then close. */
  gone: string[];
  /**
   * Files to start tailing. `replaces` is set when the path belonged to a tailed file
   * that is now gone or moved: a rename rotation, so the new file is read from offset 0.
   */
  added: (Found & { replaces?: string })[];
}

/**
 * `tailing`: key -> the path it was last seen at. A file found under two paths (hard
 * links) is tailed once, under the first path found.
 */
export function planScan(tailing: ReadonlyMap<string, { path: string }>, found: readonly Found[]): ScanPlan {
  const seen = new Set<string>();
  const moved: Found[] = [];
  const added: (Found & { replaces?: string })[] = [];
  const byPath = new Map<string, string>();
  for (const [key, t] of tailing) byPath.set(t.path, key);
  for (const f of found) {
    if (seen.has(f.key)) continue;
    seen.add(f.key);
    const t = tailing.get(f.key);
    if (t === undefined) {
      const previous = byPath.get(f.path);
      added.push(previous === undefined ? { ...f } : { ...f, replaces: previous });
    } else if (t.path !== f.path) {
      moved.push(f);
    }
  }
  const gone = [...tailing.keys()].filter((k) => !seen.has(k));
  return { moved, gone, added };
}

/**
 * `position`: how far the file has been read; `size`: its size now. Smaller than what was
 * read means it was truncated in place (copy-truncate rotation): read again from 0.
 */
export function sizeChange(position: number, size: number): 'grown' | 'unchanged' | 'truncated' {
  return size < position ? 'truncated' : size > position ? 'grown' : 'unchanged';
}

export type StartAt = 'beginning' | 'end';

export type StartDecision =
  /** Resume from the checkpoint's offset. */
  | { from: 'checkpoint'; offset: number }
  /** Read from offset 0. `reason` says why, for the log. */
  | { from: 'beginning'; reason: 'startAt' | 'new-file' | 'truncated-while-stopped' | 'content-changed' }
  /** Start after the last complete line (startAt: 'end'). */
  | { from: 'end' };

/**
 * Where to start reading a file first opened in this process.
 *
 * - With a checkpoint for its (dev, ino): resume there, unless the file is now shorter
 *   than the offset (truncated while the agent was stopped) or its first bytes differ
 *   (`fingerprintMatches` false: the inode was reused, or truncated and rewritten) — then
 *   from 0, since the content is new since the agent last looked.
 * - Without one, in the first scan: `startAt` (files that were there before the agent).
 * - Without one, in a later scan: from 0, since the file appeared while the agent was
 *   watching and everything in it is new (a rotated-in file, a new service's log).
 */
export function startDecision(
  checkpoint: FileCheckpoint | undefined,
  size: number,
  fingerprintMatches: boolean,
  firstScan: boolean,
  startAt: StartAt,
): StartDecision {
  if (checkpoint !== undefined) {
    if (size < checkpoint.offset) return { from: 'beginning', reason: 'truncated-while-stopped' };
    if (!fingerprintMatches) return { from: 'beginning', reason: 'content-changed' };
    return { from: 'checkpoint', offset: checkpoint.offset };
  }
  if (!firstScan) return { from: 'beginning', reason: 'new-file' };
  return startAt === 'beginning' ? { from: 'beginning', reason: 'startAt' } : { from: 'end' };
}

/**
 * startAt 'end': the offset just after the last newline in `tail`, the last bytes of a
 * file of `size` bytes, so a line being written is read whole rather than from its
 * middle. No newline: 0 when `tail` is the whole file (one partial line), else `size`.
 */
export function endStart(tail: Buffer, size: number): number {
  const nl = tail.lastIndexOf(0x0a);
  if (nl !== -1) return size - tail.length + nl + 1;
  return tail.length >= size ? 0 : size;
}
