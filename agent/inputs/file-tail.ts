/**
 * The `file` input: tails files matching globs, follows rotation, and keeps checkpoints on
 * disk so a restart resumes where the settled lines end.
 *
 * - Polling, not fs.watch (which misses events across rename and on network filesystems):
 *   every `pollMs` the globs are evaluated again (new files are picked up) and every
 *   tailed file is fstat'ed and read from its position, in chunks, into its own
 *   LineStream (line-stream.ts: the input's format, multiline joining, container-log
 *   decoding). A partial last line stays in the parser until its newline arrives; a
 *   multiline message waits for its next line at most its timeout (checked every poll).
 * - Files are identified by (dev, ino). Rename rotation: when a tailed file is no longer
 *   under any matching path, its descriptor stays open and is read to its end; once it has
 *   not grown for `rotateWaitMs` (a writer may still append until it reopens), its partial
 *   last line is flushed and it is closed. The new file at the old path is read from 0.
 * - Copy-truncate: a file smaller than the read position was truncated in place; it is
 *   read again from 0 (logged, counted in `stats.truncations`). A file truncated and
 *   rewritten past the position between two polls is caught by its first bytes (the
 *   fingerprint of file-checkpoint.ts), checked whenever the file has grown.
 * - Delivery: per file, one `onLines` call at a time, in file order; lines parsed while it
 *   is in flight form the next call. A failed call is retried with backoff (at least once).
 * - Checkpoint: per file, the offset after the last settled line or rejection (blank
 *   lines between them are re-read harmlessly after a restart), never past a byte the
 *   parser still holds (an open multiline message, a partial container line). Written atomically at most
 *   every `checkpointIntervalMs` and on close. Lines read but not settled are read again
 *   after a restart: at-least-once, never loss.
 * - Back-pressure: a file is not read further while the lines parsed from it but not yet
 *   settled span `maxAheadBytes` or more, so a slow router backs up into the file, not
 *   into memory (per file: maxAheadBytes + a partial line up to maxLineBytes + one chunk).
 */
import { type FileHandle, glob, mkdir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import type { Logger } from '../../core/logger.ts';
import { JsonLineJudge } from '../parse/json-lines.ts';
import { LineStream } from '../parse/line-stream.ts';
import type { AgentLine, ParseOutput, Rejection } from '../parse/output.ts';
import type { Stamp } from '../parse/record.ts';
import {
  FINGERPRINT_BYTES,
  type FileCheckpoint,
  type Fingerprint,
  fileKey,
  readCheckpointFile,
  writeCheckpointFile,
} from './file-checkpoint.ts';
import { endStart, type Found, planScan, type StartAt, sizeChange, startDecision } from './file-scan.ts';

/** A quarter second: lines reach the agent promptly; a stat per file per poll is cheap. */
export const DEFAULT_POLL_MS = 250;
/** 256 KiB reads: large enough for throughput, small enough to interleave files. */
export const DEFAULT_READ_CHUNK_BYTES = 256 * 1024;
/** 4 MiB of unsettled lines per file: a few uplink batches (1 MiB each by default). */
export const DEFAULT_MAX_AHEAD_BYTES = 4 * 1024 * 1024;
/** Fluent Bit's Rotate_Wait default (5 s): time for a writer to reopen after a rename. */
export const DEFAULT_ROTATE_WAIT_MS = 5_000;
/** Checkpoint writes at most once a second: a restart re-reads at most about a second of lines. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 1_000;
/** Retry backoff for a failed onLines call, doubling up to this. */
const MAX_RETRY_DELAY_MS = 5_000;
/** startAt 'end' looks this far back for the last newline. */
const END_SCAN_BYTES = 64 * 1024;

export interface FileTailOptions {
  /** Globs of files to tail; relative ones are resolved against the working directory. */
  include: readonly string[];
  /** Globs of paths to skip. @default [] */
  exclude?: readonly string[] | undefined;
  /** Where to start in a file present at start-up with no checkpoint. New files start at 0. */
  startAt: StartAt;
  defaultLogId?: string | undefined;
  /** Where the checkpoint is kept (its directory is created). */
  checkpointFile: string;
  /** @default DEFAULT_POLL_MS */
  pollMs?: number | undefined;
  stamp: Stamp;
  /** Ships lines of one file, in order; resolves when they are settled (with the router or spooled). */
  onLines: (lines: AgentLine[], source: string) => Promise<void>;
  /** A line the parser rejected (counted as settled); its offset is the file offset. */
  onReject?: ((r: Rejection, source: string) => void) | undefined;
  /** Lines parsed and accepted, once per batch (not again when a delivery is retried). */
  onParsed?: ((accepted: number, source: string) => void) | undefined;
  log: Logger;
  /** @default DEFAULT_READ_CHUNK_BYTES */
  readChunkBytes?: number | undefined;
  /** @default DEFAULT_MAX_AHEAD_BYTES */
  maxAheadBytes?: number | undefined;
  /** @default DEFAULT_ROTATE_WAIT_MS */
  rotateWaitMs?: number | undefined;
  /** @default DEFAULT_CHECKPOINT_INTERVAL_MS */
  checkpointIntervalMs?: number | undefined;
  /** Passed to the parser. @default DEFAULT_MAX_LINE_BYTES of json-lines.ts */
  maxLineBytes?: number | undefined;
  /**
   * The parser of one file (format, logId from the path, multiline, container logs).
   * @default NDJSON with defaultLogId and maxLineBytes
   */
  parserFor?: ((filePath: string, out: ParseOutput) => LineStream) | undefined;
}

export interface FileTailStats {
  /** Files open now (tailed, or rotated away and draining). */
  files: number;
  bytesRead: number;
  /** Lines whose onLines call resolved. */
  lines: number;
  rejected: number;
  /** Rename rotations seen (a new file at a tailed file's path). */
  rotations: number;
  /** Copy-truncate: files found shorter than their read position. */
  truncations: number;
  /** onLines calls that failed (and were retried). */
  deliveryFailures: number;
  checkpointWrites: number;
}

interface Batch {
  generation: number;
  lines: AgentLine[];
  /** File offset the checkpoint may move to once the batch settles (never past a held byte); -1 when none. */
  end: number;
  /** File offset after the last line or rejection in it, held bytes or not; -1 when none. */
  rawEnd: number;
}

interface Tail {
  key: string;
  dev: string;
  ino: string;
  path: string;
  fh: FileHandle;
  /** Bumped on truncation: batches of an older generation no longer move the checkpoint. */
  generation: number;
  parser: LineStream;
  /** File offset of the parser's stream offset 0. */
  base: number;
  /** Next file offset to read. */
  readPos: number;
  /** File offset after the last line or rejection parsed. */
  emittedEnd: number;
  /** File offset up to which everything is settled: the checkpoint. */
  settled: number;
  /**
   * File offset after the last line handed on and settled, held bytes or not: what
   * back-pressure measures from. (`settled` may stay behind at a container's unfinished
   * partial line while the other stream flows; reading must not stop for that.)
   */
  delivered: number;
  /** Lines accepted since the last onParsed report. */
  parsed: number;
  fingerprint: Fingerprint;
  next: Batch;
  /** Not read further until lines settle. */
  blocked: boolean;
  /** Rotated away or deleted: draining. */
  gone: boolean;
  lastGrowth: number;
  reading: Promise<void> | undefined;
  readAgain: boolean;
  pumping: Promise<void> | undefined;
  finishing: boolean;
}

const hasWork = (b: Batch) => b.lines.length > 0 || b.end >= 0;

export class FileTailInput {
  readonly stats: FileTailStats = {
    files: 0,
    bytesRead: 0,
    lines: 0,
    rejected: 0,
    rotations: 0,
    truncations: 0,
    deliveryFailures: 0,
    checkpointWrites: 0,
  };
  readonly #o: FileTailOptions;
  readonly #include: string[];
  readonly #exclude: string[];
  readonly #pollMs: number;
  readonly #chunk: number;
  readonly #maxAhead: number;
  readonly #rotateWait: number;
  readonly #checkpointInterval: number;
  readonly #judge: JsonLineJudge;
  readonly #log: Logger;
  readonly #tails = new Map<string, Tail>();
  /** Checkpoints read at start, consumed by the first scan. */
  #resume = new Map<string, FileCheckpoint>();
  #firstScan = true;
  #started = false;
  #stopping = false;
  #closed: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  readonly #abort = new AbortController();
  #dirty = false;
  #lastCheckpointWrite = 0;
  #writing: Promise<void> = Promise.resolve();

  constructor(options: FileTailOptions) {
    if (options.include.length === 0) throw new TypeError('include: expected at least one glob');
    this.#o = options;
    this.#include = options.include.map((g) => path.resolve(g));
    this.#exclude = (options.exclude ?? []).map((g) => path.resolve(g));
    this.#pollMs = positive(options.pollMs ?? DEFAULT_POLL_MS, 'pollMs');
    this.#chunk = positive(options.readChunkBytes ?? DEFAULT_READ_CHUNK_BYTES, 'readChunkBytes');
    this.#maxAhead = positive(options.maxAheadBytes ?? DEFAULT_MAX_AHEAD_BYTES, 'maxAheadBytes');
    this.#rotateWait = nonNegative(options.rotateWaitMs ?? DEFAULT_ROTATE_WAIT_MS, 'rotateWaitMs');
    this.#checkpointInterval = nonNegative(
      options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
      'checkpointIntervalMs',
    );
    this.#judge = new JsonLineJudge({
      stamp: options.stamp,
      defaultLogId: options.defaultLogId,
      maxLineBytes: options.maxLineBytes,
    });
    this.#log = options.log;
  }

  /** Reads the checkpoint, does the first scan and read, then polls. */
  async start(): Promise<void> {
    if (this.#started) throw new Error('FileTailInput: already started');
    this.#started = true;
    await mkdir(path.dirname(path.resolve(this.#o.checkpointFile)), { recursive: true });
    const cp = await readCheckpointFile(this.#o.checkpointFile);
    if (cp.ok) {
      for (const f of cp.files) this.#resume.set(fileKey(f.dev, f.ino), f);
    } else {
      this.#log.warn({ problem: cp.problem }, 'file tail: checkpoint unreadable, starting without it');
    }
    await this.#tick();
    this.#schedule();
  }

  /** The files open now, for status and tests: settled = the checkpoint offset, read = the read position. */
  positions(): { path: string; settled: number; read: number; gone: boolean }[] {
    return [...this.#tails.values()].map((t) => ({ path: t.path, settled: t.settled, read: t.readPos, gone: t.gone }));
  }

  /** Stops polling, waits for in-flight reads and onLines calls, writes the checkpoint. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#ticking;
    const tails = [...this.#tails.values()];
    await Promise.all(tails.map((t) => t.reading));
    await Promise.all(tails.map((t) => t.pumping));
    if (this.#started) await this.#writeCheckpoint();
    await Promise.all(tails.map((t) => t.fh.close().catch(() => {})));
    this.#tails.clear();
    this.stats.files = 0;
  }

  #schedule(): void {
    if (this.#stopping) return;
    this.#timer = setTimeout(() => {
      this.#ticking = this.#tick().finally(() => {
        this.#ticking = undefined;
        this.#schedule();
      });
    }, this.#pollMs);
  }

  async #tick(): Promise<void> {
    try {
      await this.#scan();
    } catch (err) {
      this.#log.warn({ err }, 'file tail: scan failed');
    }
    if (this.#stopping) return;
    await Promise.all([...this.#tails.values()].map((t) => this.#kick(t)));
    const now = Date.now();
    for (const t of this.#tails.values()) {
      // A multiline message whose next line did not come within its timeout is sent.
      if (t.reading === undefined && !t.finishing) {
        t.parser.tick(now);
        this.#reportParsed(t);
        this.#pump(t);
      }
    }
    for (const t of this.#tails.values()) {
      if (t.gone && !t.finishing && !t.blocked && now - t.lastGrowth >= this.#rotateWait) void this.#finish(t);
    }
    if (this.#dirty && now - this.#lastCheckpointWrite >= this.#checkpointInterval) await this.#writeCheckpoint();
  }

  async #matches(): Promise<string[]> {
    const paths = new Set<string>();
    for await (const p of glob(this.#include)) {
      const abs = path.resolve(p);
      if (!this.#exclude.some((x) => path.matchesGlob(abs, x))) paths.add(abs);
    }
    return [...paths].sort();
  }

  async #scan(): Promise<void> {
    const found: Found[] = [];
    for (const p of await this.#matches()) {
      try {
        const st = await stat(p, { bigint: true });
        if (st.isFile()) found.push({ path: p, key: fileKey(st.dev, st.ino) });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
          this.#log.warn({ err, path: p }, 'file tail: stat failed');
      }
    }
    const plan = planScan(this.#tails, found);
    for (const m of plan.moved) {
      const t = this.#tails.get(m.key)!;
      this.#log.info({ from: t.path, to: m.path }, 'file tail: file renamed within the globs');
      t.path = m.path;
    }
    const goneKeys = new Set(plan.gone);
    for (const t of this.#tails.values()) {
      if (t.gone && !t.finishing && !goneKeys.has(t.key)) {
        t.gone = false;
        this.#log.info({ path: t.path }, 'file tail: file matches again; tailing it on');
      }
    }
    for (const key of plan.gone) {
      const t = this.#tails.get(key)!;
      if (t.gone) continue;
      t.gone = true;
      t.lastGrowth = Date.now();
      this.#log.info({ path: t.path }, 'file tail: file rotated away or deleted; draining it');
    }
    for (const a of plan.added) {
      if (this.#stopping) return;
      if (a.replaces !== undefined) {
        this.stats.rotations++;
        this.#log.info({ path: a.path }, 'file tail: rotated; reading the new file from the beginning');
      }
      try {
        await this.#openTail(a.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
          this.#log.warn({ err, path: a.path }, 'file tail: open failed');
      }
    }
    if (this.#firstScan) {
      this.#firstScan = false;
      this.#resume.clear();
      this.#dirty = true;
    }
  }

  async #openTail(p: string): Promise<void> {
    const fh = await open(p, 'r');
    let keep = false;
    try {
      // The descriptor's identity is authoritative: the path may have been replaced since the scan.
      const st = await fh.stat({ bigint: true });
      const key = fileKey(st.dev, st.ino);
      if (this.#tails.has(key) || !st.isFile()) return;
      const size = Number(st.size);
      const checkpoint = this.#resume.get(key);
      const fpMatches =
        checkpoint === undefined ||
        (checkpoint.fingerprint.bytes <= size &&
          (await fingerprintOf(fh, checkpoint.fingerprint.bytes)).crc === checkpoint.fingerprint.crc);
      const decision = startDecision(checkpoint, size, fpMatches, this.#firstScan, this.#o.startAt);
      let start = 0;
      if (decision.from === 'checkpoint') {
        start = decision.offset;
      } else if (decision.from === 'end') {
        start = endStart(await readAt(fh, Math.max(0, size - END_SCAN_BYTES), size), size);
      } else if (decision.reason === 'truncated-while-stopped' || decision.reason === 'content-changed') {
        this.stats.truncations++;
        this.#log.warn({ path: p, reason: decision.reason }, 'file tail: checkpoint no longer fits; reading from 0');
      }
      const t: Tail = {
        key,
        dev: String(st.dev),
        ino: String(st.ino),
        path: p,
        fh,
        generation: 0,
        parser: undefined as unknown as LineStream,
        base: start,
        readPos: start,
        emittedEnd: start,
        settled: start,
        delivered: start,
        parsed: 0,
        fingerprint: decision.from === 'checkpoint' ? checkpoint!.fingerprint : { bytes: 0, crc: 0 },
        next: { generation: 0, lines: [], end: -1, rawEnd: -1 },
        blocked: false,
        gone: false,
        lastGrowth: Date.now(),
        reading: undefined,
        readAgain: false,
        pumping: undefined,
        finishing: false,
      };
      t.parser = this.#parser(t);
      this.#tails.set(key, t);
      this.stats.files = this.#tails.size;
      this.#dirty = true;
      keep = true;
      this.#log.info({ path: p, offset: start, from: decision.from }, 'file tail: tailing');
    } finally {
      if (!keep) await fh.close();
    }
  }

  #parser(t: Tail): LineStream {
    const generation = t.generation;
    /** File offset the checkpoint may move to once this line settles: never past a byte still held. */
    const endOf = (offset: number, span: number) => {
      const held = parser.heldFrom;
      return t.base + (held === undefined ? offset + span : Math.min(offset + span, held));
    };
    const out: ParseOutput = {
      accept: (l) => {
        if (t.generation !== generation) return;
        const end = endOf(l.offset, l.span);
        t.next.lines.push(l);
        t.parsed++;
        if (end > t.next.end) t.next.end = end;
        t.emittedEnd = t.base + l.offset + l.span;
        if (t.emittedEnd > t.next.rawEnd) t.next.rawEnd = t.emittedEnd;
      },
      reject: (r) => {
        if (t.generation !== generation) return;
        const end = endOf(r.offset, r.span);
        if (end > t.next.end) t.next.end = end;
        t.emittedEnd = t.base + r.offset + r.span;
        if (t.emittedEnd > t.next.rawEnd) t.next.rawEnd = t.emittedEnd;
        this.stats.rejected++;
        try {
          this.#o.onReject?.({ ...r, offset: t.base + r.offset }, t.path);
        } catch (err) {
          this.#log.warn({ err }, 'file tail: onReject threw');
        }
      },
    };
    const parser =
      this.#o.parserFor?.(t.path, out) ??
      new LineStream({ judge: this.#judge, maxLineBytes: this.#o.maxLineBytes }, out);
    return parser;
  }

  /** Reads what is new in `t`; never two reads of one file at once. */
  #kick(t: Tail): Promise<void> {
    if (t.reading !== undefined) {
      t.readAgain = true;
      return t.reading;
    }
    t.reading = this.#read(t)
      .catch((err) => {
        this.#log.warn({ err, path: t.path }, 'file tail: read failed');
      })
      .finally(() => {
        t.reading = undefined;
        if (t.readAgain && !this.#stopping && !t.finishing) {
          t.readAgain = false;
          void this.#kick(t);
        }
      });
    return t.reading;
  }

  async #read(t: Tail): Promise<void> {
    if (this.#stopping || t.finishing) return;
    const size = Number((await t.fh.stat({ bigint: true })).size);
    const change = sizeChange(t.readPos, size);
    if (change === 'truncated') {
      this.#truncated(t, size);
    } else if (change === 'grown' && t.fingerprint.bytes > 0) {
      // Truncated and written past the old position between two polls: the first bytes differ.
      const fp = await fingerprintOf(t.fh, t.fingerprint.bytes);
      if (fp.bytes !== t.fingerprint.bytes || fp.crc !== t.fingerprint.crc) this.#truncated(t, size);
    }
    let available = size - t.readPos;
    while (available > 0 && !this.#stopping) {
      if (t.emittedEnd - t.delivered >= this.#maxAhead) {
        t.blocked = true;
        return;
      }
      const want = Math.min(this.#chunk, available);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await t.fh.read(buf, 0, want, t.readPos);
      if (bytesRead === 0) break;
      t.readPos += bytesRead;
      available -= bytesRead;
      t.lastGrowth = Date.now();
      this.stats.bytesRead += bytesRead;
      t.parser.push(bytesRead === want ? buf : buf.subarray(0, bytesRead));
      this.#reportParsed(t);
      this.#pump(t);
    }
    t.blocked = false;
    if (t.fingerprint.bytes < FINGERPRINT_BYTES && t.readPos > t.fingerprint.bytes) {
      t.fingerprint = await fingerprintOf(t.fh, Math.min(FINGERPRINT_BYTES, t.readPos));
    }
  }

  #truncated(t: Tail, size: number): void {
    this.stats.truncations++;
    this.#log.warn(
      { path: t.path, size, position: t.readPos, dropped: t.parser.pendingBytes },
      'file tail: file truncated (copy-truncate); reading it again from 0',
    );
    t.generation++;
    t.base = 0;
    t.readPos = 0;
    t.emittedEnd = 0;
    t.settled = 0;
    t.delivered = 0;
    t.fingerprint = { bytes: 0, crc: 0 };
    t.next = { generation: t.generation, lines: [], end: -1, rawEnd: -1 };
    t.parser = this.#parser(t);
    this.#dirty = true;
  }

  /** Hands the parsed lines of `t` to onLines, one call at a time, in order. */
  #pump(t: Tail): void {
    if (t.pumping !== undefined || this.#stopping || !hasWork(t.next)) return;
    t.pumping = this.#pumpLoop(t).finally(() => {
      t.pumping = undefined;
      this.#pump(t);
    });
  }

  async #pumpLoop(t: Tail): Promise<void> {
    while (!this.#stopping && hasWork(t.next)) {
      const b = t.next;
      t.next = { generation: t.generation, lines: [], end: -1, rawEnd: -1 };
      this.#reportParsed(t);
      if (b.lines.length > 0 && !(await this.#deliver(t, b.lines))) return;
      if (b.generation === t.generation) {
        if (b.end > t.settled) {
          t.settled = b.end;
          this.#dirty = true;
        }
        if (b.rawEnd > t.delivered) t.delivered = b.rawEnd;
      }
      if (t.blocked && t.emittedEnd - t.delivered < this.#maxAhead) void this.#kick(t);
    }
  }

  /** Accepted lines are counted once, as parsed (before delivery, so a slow delivery is not a quiet file). */
  #reportParsed(t: Tail): void {
    if (t.parsed === 0) return;
    const n = t.parsed;
    t.parsed = 0;
    this.#o.onParsed?.(n, t.path);
  }

  /** True once onLines resolved; false when closing stopped the retries (the lines are read again after a restart). */
  async #deliver(t: Tail, lines: AgentLine[]): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#o.onLines(lines, t.path);
        this.stats.lines += lines.length;
        return true;
      } catch (err) {
        this.stats.deliveryFailures++;
        this.#log.warn(
          { err, path: t.path, lines: lines.length, attempt },
          'file tail: shipping lines failed; retrying',
        );
      }
      if (this.#stopping) return false;
      try {
        await sleep(Math.min(this.#pollMs * 2 ** attempt, MAX_RETRY_DELAY_MS), undefined, {
          signal: this.#abort.signal,
        });
      } catch {
        return false;
      }
    }
  }

  /** A rotated-away file that stopped growing: its partial last line is final; settle and close it. */
  async #finish(t: Tail): Promise<void> {
    t.finishing = true;
    await t.reading;
    if (this.#stopping) return;
    t.parser.end();
    this.#reportParsed(t);
    this.#pump(t);
    while (t.pumping !== undefined) await t.pumping;
    if (this.#stopping) return;
    this.#tails.delete(t.key);
    this.stats.files = this.#tails.size;
    this.#dirty = true;
    await t.fh.close().catch(() => {});
    this.#log.info({ path: t.path, offset: t.settled }, 'file tail: rotated file drained and closed');
  }

  #writeCheckpoint(): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      this.#dirty = false;
      this.#lastCheckpointWrite = Date.now();
      const files: FileCheckpoint[] = [...this.#tails.values()].map((t) => ({
        dev: t.dev,
        ino: t.ino,
        offset: t.settled,
        path: t.path,
        fingerprint: t.fingerprint,
      }));
      try {
        await writeCheckpointFile(this.#o.checkpointFile, files);
        this.stats.checkpointWrites++;
      } catch (err) {
        this.#dirty = true;
        this.#log.warn({ err, file: this.#o.checkpointFile }, 'file tail: checkpoint write failed');
      }
    });
    return this.#writing;
  }
}

async function readAt(fh: FileHandle, from: number, to: number): Promise<Buffer> {
  const buf = Buffer.alloc(to - from);
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, from + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buf.subarray(0, done);
}

async function fingerprintOf(fh: FileHandle, bytes: number): Promise<Fingerprint> {
  const head = await readAt(fh, 0, bytes);
  return { bytes: head.length, crc: crc32(head) };
}

function positive(v: number, name: string): number {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name}: expected a positive number, found ${v}`);
  return v;
}

function nonNegative(v: number, name: string): number {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name}: expected a number >= 0, found ${v}`);
  return v;
}
