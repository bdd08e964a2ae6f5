/**
 * Where a record goes on disk and when a file is full: the pure decisions of the file sink.
 *
 * `<directory>/<logId>/<yyyy-MM-dd-HH>-<seq>.ndjson[.gz|.zst]`, the hour from the record's
 * Kafka timestamp in UTC, `seq` zero-padded to 4 digits so a listing sorts in write order.
 */
import path from 'node:path';

export type Compression = 'gzip' | 'zstd' | 'none';

const HOUR_MS = 3_600_000;
/** logIds are path-safe by config (config/log-id.ts); a key that is not is refused, never joined into a path. */
const SAFE_LOG_ID = /^[A-Za-z0-9_-]{1,64}$/;

export const EXTENSIONS: Record<Compression, string> = { gzip: '.ndjson.gz', zstd: '.ndjson.zst', none: '.ndjson' };

export function isSafeLogId(logId: string): boolean {
  return SAFE_LOG_ID.test(logId);
}

/** The UTC hour a timestamp falls in, as ms since epoch of its start. */
export function hourStart(timestampMs: number): number {
  return Math.floor(timestampMs / HOUR_MS) * HOUR_MS;
}

/** `yyyy-MM-dd-HH` of an hour (UTC). */
export function hourLabel(hourStartMs: number): string {
  const iso = new Date(hourStartMs).toISOString(); // 2026-11-26T18:00:00.000Z
  return `${iso.slice(0, 10)}-${iso.slice(11, 13)}`;
}

export function fileName(hourStartMs: number, seq: number, compression: Compression): string {
  return `${hourLabel(hourStartMs)}-${String(seq).padStart(4, '0')}${EXTENSIONS[compression]}`;
}

export function filePath(
  directory: string,
  logId: string,
  hourStartMs: number,
  seq: number,
  compression: Compression,
): string {
  return path.join(directory, logId, fileName(hourStartMs, seq, compression));
}

export interface OpenFileState {
  /** Uncompressed bytes written so far. */
  bytes: number;
  openedAtMs: number;
}

export interface RotationLimits {
  rotateBytes: number;
  rotateMs: number;
}

/** Whether the next batch must start a new file: this one reached rotateBytes or is rotateMs old. An empty file never rotates. */
export function shouldRotate(state: OpenFileState, nowMs: number, limits: RotationLimits): boolean {
  if (state.bytes === 0) return false;
  return state.bytes >= limits.rotateBytes || nowMs - state.openedAtMs >= limits.rotateMs;
}

/** Groups a batch by UTC hour, keeping record order inside each hour. */
export function groupByHour<T extends { timestampMs: number }>(records: readonly T[]): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const r of records) {
    const hour = hourStart(r.timestampMs);
    let list = groups.get(hour);
    if (!list) {
      list = [];
      groups.set(hour, list);
    }
    list.push(r);
  }
  return groups;
}

/**
 * Whether an fs error is the directory's fault for good (permissions, a file where a
 * directory should be, read-only filesystem): `failed`. Anything else (disk full, too many
 * open files, I/O errors) may pass: `retryable`.
 */
const PERMANENT_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'ELOOP']);

export function isPermanentFsError(code: string | undefined): boolean {
  return code !== undefined && PERMANENT_CODES.has(code);
}
