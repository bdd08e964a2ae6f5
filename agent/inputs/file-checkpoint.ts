/**
 * The file tail's checkpoint: per file, identified by (dev, ino), the byte offset up to
 * which its lines are settled (shipped or rejected). One small JSON file, replaced whole
 * by write-to-temp + fsync + rename, so a reader sees the old or the new one, never a torn one.
 *
 * dev and ino are kept as decimal strings: inode numbers can exceed 2^53 (XFS, btrfs,
 * network filesystems), so they are read with `stat({ bigint: true })` and never rounded.
 *
 * A fingerprint (CRC-32 of the file's first bytes, up to FINGERPRINT_BYTES) guards against
 * inode reuse and against a file truncated and rewritten while the agent was down: when it
 * no longer matches, the checkpoint does not describe this content and the file is read
 * from the beginning.
 */
import { open, readFile, rename } from 'node:fs/promises';

const CHECKPOINT_VERSION = 1;
/** 1 KiB: several log lines, enough to tell two files apart; read once per file and resume. */
export const FINGERPRINT_BYTES = 1024;
export const CHECKPOINT_TEMP_SUFFIX = '.tmp';

export interface Fingerprint {
  /** How many leading bytes the CRC covers (0..FINGERPRINT_BYTES). */
  bytes: number;
  /** CRC-32 of those bytes. */
  crc: number;
}

export interface FileCheckpoint {
  dev: string;
  ino: string;
  /** Lines before this byte offset are settled. */
  offset: number;
  /** Where the file was last seen; for the operator only, files are matched by dev + ino. */
  path: string;
  fingerprint: Fingerprint;
}

export type CheckpointDecode = { ok: true; files: FileCheckpoint[] } | { ok: false; problem: string };

export const fileKey = (dev: string | bigint, ino: string | bigint): string => `${dev}:${ino}`;

export function encodeCheckpoint(files: readonly FileCheckpoint[]): string {
  return JSON.stringify({
    version: CHECKPOINT_VERSION,
    files: files.map((f) => ({
      dev: f.dev,
      ino: f.ino,
      offset: f.offset,
      path: f.path,
      fingerprint: { bytes: f.fingerprint.bytes, crc: f.fingerprint.crc },
    })),
  });
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isDecimal = (v: unknown): v is string => typeof v === 'string' && /^[0-9]{1,40}$/.test(v);

/** Never throws: anything that is not a version-1 checkpoint is reported as a problem. */
export function decodeCheckpoint(text: string): CheckpointDecode {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `not JSON (${(err as Error).message})` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, problem: 'expected a JSON object' };
  }
  const c = parsed as { version?: unknown; files?: unknown };
  if (c.version !== CHECKPOINT_VERSION) {
    return { ok: false, problem: `expected version ${CHECKPOINT_VERSION}, found ${JSON.stringify(c.version)}` };
  }
  if (!Array.isArray(c.files)) return { ok: false, problem: 'files: expected an array' };
  const files: FileCheckpoint[] = [];
  for (const [i, raw] of c.files.entries()) {
    const f = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const fp = (typeof f.fingerprint === 'object' && f.fingerprint !== null ? f.fingerprint : {}) as Record<
      string,
      unknown
    >;
    if (
      !isDecimal(f.dev) ||
      !isDecimal(f.ino) ||
      !isCount(f.offset) ||
      typeof f.path !== 'string' ||
      !isCount(fp.bytes) ||
      fp.bytes > FINGERPRINT_BYTES ||
      !isCount(fp.crc) ||
      fp.crc > 0xffff_ffff
    ) {
      return {
        ok: false,
        problem: `files[${i}]: expected { dev, ino: decimal strings, offset: integer >= 0, path: string, fingerprint: { bytes: 0..${FINGERPRINT_BYTES}, crc: uint32 } }`,
      };
    }
    files.push({
      dev: f.dev,
      ino: f.ino,
      offset: f.offset,
      path: f.path,
      fingerprint: { bytes: fp.bytes, crc: fp.crc },
    });
  }
  return { ok: true, files };
}

/** A missing file is an empty checkpoint; a damaged one is reported (the caller starts afresh). */
export async function readCheckpointFile(file: string): Promise<CheckpointDecode> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, files: [] };
    throw err;
  }
  const d = decodeCheckpoint(text);
  return d.ok ? d : { ok: false, problem: `${file}: ${d.problem}` };
}

/** Atomic replace: temp file, fsync, rename. */
export async function writeCheckpointFile(file: string, files: readonly FileCheckpoint[]): Promise<void> {
  const temp = `${file}${CHECKPOINT_TEMP_SUFFIX}`;
  const fh = await open(temp, 'w');
  try {
    await fh.writeFile(encodeCheckpoint(files));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(temp, file);
}
