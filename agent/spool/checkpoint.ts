/**
 * The spool's checkpoint: how far the shipper has acknowledged, and which not yet
 * compacted entries were evicted. `<dir>/checkpoint.json`, small JSON, replaced whole by
 * write-to-temp + rename, so a reader sees the old or the new checkpoint and never a torn one.
 *
 * A restart replays every entry after `ackedId` that is not in `tombstones`; entries acked
 * after the last checkpoint write are replayed again (at-least-once: duplicates, never loss).
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory, TEMP_SUFFIX } from './segment-files.ts';

export const CHECKPOINT_FILE = 'checkpoint.json';
const CHECKPOINT_VERSION = 1;

export interface Checkpoint {
  /** Every entry with an id up to this one is acknowledged; 0 = none (ids start at 1). */
  ackedId: number;
  /** Ids of evicted entries still present in some segment file, ascending. */
  tombstones: number[];
}

export const EMPTY_CHECKPOINT: Readonly<Checkpoint> = Object.freeze({ ackedId: 0, tombstones: [] });

export type CheckpointRead = { ok: true; checkpoint: Checkpoint } | { ok: false; problem: string };

/**
 * Reads the checkpoint; a missing file is the empty checkpoint. A file that is not a
 * checkpoint (edited by hand, written by a newer version) is reported, not thrown: the
 * caller replays from the start, which duplicates but loses nothing.
 */
export async function readCheckpoint(directory: string): Promise<CheckpointRead> {
  const path = join(directory, CHECKPOINT_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, checkpoint: { ...EMPTY_CHECKPOINT } };
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `${path}: not JSON (${(err as Error).message})` };
  }
  const c = parsed as { version?: unknown; ackedId?: unknown; tombstones?: unknown };
  if (c.version !== CHECKPOINT_VERSION) {
    return {
      ok: false,
      problem: `${path}: expected version ${CHECKPOINT_VERSION}, found ${JSON.stringify(c.version)}`,
    };
  }
  if (!isId(c.ackedId) || !Array.isArray(c.tombstones) || !c.tombstones.every(isId)) {
    return { ok: false, problem: `${path}: expected { ackedId: integer >= 0, tombstones: integer[] }` };
  }
  return { ok: true, checkpoint: { ackedId: c.ackedId, tombstones: c.tombstones } };
}

/** Replaces the checkpoint atomically; with `sync`, it is on disk when this resolves. */
export async function writeCheckpoint(directory: string, checkpoint: Checkpoint, sync: boolean): Promise<void> {
  const path = join(directory, CHECKPOINT_FILE);
  const temp = `${path}${TEMP_SUFFIX}`;
  const body = JSON.stringify({ version: CHECKPOINT_VERSION, ...checkpoint });
  const fh = await open(temp, 'w');
  try {
    await fh.writeFile(body);
    if (sync) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(temp, path);
  if (sync) await syncDirectory(directory);
}

function isId(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}
