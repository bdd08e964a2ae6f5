/**
 * The file sink type: NDJSON files per logId and UTC hour, rotated by size and age,
 * optionally compressed one batch per gzip member / zstd frame (compress.ts). Key = logId.
 *
 * Writes of one logId run one after the other (a per-key chain), so concurrent batches
 * never interleave inside a compressed member. `write()` hands the bytes to the kernel;
 * `flush()` fdatasyncs every file written since the last flush and the directories that
 * got new entries, which is what the runtime waits for before committing offsets (with
 * `fsync: false` it does nothing). A file whose write failed is closed and never appended
 * to again: a torn member in the middle of a file would make the members after it
 * unreadable. For the same reason a restart always starts a new file (`seq` + 1), never
 * appends to an old one. The abort signal is checked before a batch starts; a started
 * local write is not interrupted (that would tear a member).
 *
 * Unwritable directory: permissions, read-only filesystem or a file in the way are
 * `failed` (no retry helps until an operator acts; records dead-letter, replayable);
 * disk full, too many open files and I/O errors are `retryable` (the gutter takes them).
 */
import { randomUUID } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import fs from 'node:fs/promises';
import path from 'node:path';
import type {
  Destination,
  DestinationFactory,
  ResolvedSinkConfig,
  SinkRecord,
  WriteResult,
} from '../core/destination.ts';
import { compressBatch } from './compress.ts';
import {
  type Compression,
  filePath,
  groupByHour,
  isPermanentFsError,
  isSafeLogId,
  type OpenFileState,
  type RotationLimits,
  shouldRotate,
} from './file-naming.ts';

type FileSinkConfig = Extract<ResolvedSinkConfig, { type: 'file' }>;

export type FileDestinationOptions = Pick<
  FileSinkConfig,
  'directory' | 'compression' | 'rotateBytes' | 'rotateMs' | 'fsync'
>;

interface OpenFile extends OpenFileState {
  path: string;
  handle: FileHandle;
  hour: number;
  /** Written since the last fdatasync. */
  dirty: boolean;
}

const NEWLINE = Buffer.from('\n');

function ndjson(records: readonly SinkRecord[]): Buffer {
  const parts: Buffer[] = [];
  for (const r of records) {
    const v = r.value;
    parts.push(v);
    if (v[v.length - 1] !== 0x0a) parts.push(NEWLINE);
  }
  return Buffer.concat(parts);
}

function fsErrorResult(err: unknown, what: string): WriteResult {
  const e = err as NodeJS.ErrnoException;
  const reason = `${what}: ${e.code ?? e.name}: ${e.message}`;
  return isPermanentFsError(e.code) ? { kind: 'failed', reason } : { kind: 'retryable', reason };
}

export function fileDestination(options: FileDestinationOptions, now: () => number = Date.now): Destination {
  const compression: Compression = options.compression;
  const limits: RotationLimits = { rotateBytes: options.rotateBytes, rotateMs: options.rotateMs };
  /** Open file per logId and hour. */
  const open = new Map<string, Map<number, OpenFile>>();
  /** Next seq to try per `<logId>/<hour>`. */
  const nextSeq = new Map<string, number>();
  /** Per-logId chain of writes. */
  const chains = new Map<string, Promise<unknown>>();
  /** Directories with entries created since the last flush. */
  const dirtyDirs = new Set<string>();
  const madeDirs = new Set<string>();

  function serial<T>(logId: string, task: () => Promise<T>): Promise<T> {
    const run = (chains.get(logId) ?? Promise.resolve()).then(task, task);
    chains.set(
      logId,
      run.catch(() => {}),
    );
    return run;
  }

  async function ensureDir(logId: string): Promise<string> {
    const dir = path.join(options.directory, logId);
    if (!madeDirs.has(dir)) {
      const created = await fs.mkdir(dir, { recursive: true });
      if (created !== undefined) dirtyDirs.add(path.dirname(dir)).add(path.dirname(path.dirname(dir)));
      madeDirs.add(dir);
    }
    return dir;
  }

  async function openFile(logId: string, hour: number): Promise<OpenFile> {
    const dir = await ensureDir(logId);
    const seqKey = `${logId}/${hour}`;
    for (let seq = nextSeq.get(seqKey) ?? 0; ; seq++) {
      const file = filePath(options.directory, logId, hour, seq, compression);
      try {
        const handle = await fs.open(file, 'wx');
        nextSeq.set(seqKey, seq + 1);
        dirtyDirs.add(dir);
        return { path: file, handle, hour, bytes: 0, openedAtMs: now(), dirty: false };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }

  async function closeFile(file: OpenFile, sync: boolean): Promise<void> {
    try {
      if (sync && file.dirty && options.fsync) await file.handle.datasync();
    } finally {
      await file.handle.close();
    }
  }

  async function writeHour(logId: string, files: Map<number, OpenFile>, hour: number, records: SinkRecord[]) {
    let file = files.get(hour);
    if (file && shouldRotate(file, now(), limits)) {
      files.delete(hour);
      await closeFile(file, true);
      file = undefined;
    }
    if (!file) {
      file = await openFile(logId, hour);
      files.set(hour, file);
    }
    const data = ndjson(records);
    const unit = await compressBatch(compression, data);
    try {
      await file.handle.write(unit, 0, unit.length);
    } catch (err) {
      files.delete(hour);
      await closeFile(file, false).catch(() => {});
      throw err;
    }
    file.bytes += data.length;
    file.dirty = true;
  }

  async function writeBatch(logId: string, records: readonly SinkRecord[]): Promise<WriteResult> {
    let files = open.get(logId);
    if (!files) {
      files = new Map();
      open.set(logId, files);
    }
    const groups = groupByHour(records);
    try {
      for (const [hour, group] of groups) await writeHour(logId, files, hour, group);
      // Files of hours older than the newest one written are done: late records open a new file.
      const newest = Math.max(...groups.keys());
      for (const [hour, file] of files) {
        if (hour < newest) {
          files.delete(hour);
          await closeFile(file, true);
        }
      }
      return { kind: 'ok' };
    } catch (err) {
      return fsErrorResult(err, `writing ${path.join(options.directory, logId)}`);
    }
  }

  async function flushLogId(logId: string): Promise<void> {
    if (!options.fsync) return;
    for (const file of open.get(logId)?.values() ?? []) {
      if (!file.dirty) continue;
      await file.handle.datasync();
      file.dirty = false;
    }
  }

  async function syncDirs(): Promise<void> {
    if (!options.fsync) return;
    for (const dir of [...dirtyDirs]) {
      dirtyDirs.delete(dir);
      const handle = await fs.open(dir, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  }

  return {
    keyOf: (record) => record.logId,
    write(logId, records, signal) {
      if (!isSafeLogId(logId))
        return Promise.resolve({ kind: 'failed', reason: `not a path-safe logId: ${JSON.stringify(logId)}` });
      if (signal.aborted) return Promise.resolve({ kind: 'retryable', reason: 'aborted before the write' });
      if (records.length === 0) return Promise.resolve({ kind: 'ok' });
      return serial(logId, () => writeBatch(logId, records));
    },
    async flush() {
      await Promise.all([...open.keys()].map((logId) => serial(logId, () => flushLogId(logId))));
      await syncDirs();
    },
    async healthCheck(signal) {
      const probe = path.join(options.directory, `.spillway-healthcheck-${randomUUID()}`);
      let step = `creating ${options.directory}`;
      try {
        signal.throwIfAborted();
        await fs.mkdir(options.directory, { recursive: true });
        step = `writing ${probe}`;
        const handle = await fs.open(probe, 'wx');
        try {
          await handle.write(await compressBatch(compression, Buffer.from('{"msg":"spillway health check probe"}\n')));
          step = `fsyncing ${probe}`;
          await handle.datasync();
        } finally {
          await handle.close();
        }
        step = `deleting ${probe}`;
        await fs.unlink(probe);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new Error(`file health check failed: ${step}: ${e.code ?? e.name}: ${e.message}`, { cause: err });
      }
    },
    async close() {
      await Promise.all(
        [...open.keys()].map((logId) =>
          serial(logId, async () => {
            const files = open.get(logId);
            open.delete(logId);
            for (const file of files?.values() ?? []) await closeFile(file, true);
          }),
        ),
      );
      await syncDirs();
    },
  };
}

export const createFileDestination: DestinationFactory<FileSinkConfig> = async (config) => fileDestination(config);
