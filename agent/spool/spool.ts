/**
 * The agent's disk spool: batches the agent could not ship (router slow or down) wait here
 * and are replayed in append order once the router is healthy again. Bounded in bytes,
 * sheds by criticality when full, and survives kill -9. Issue 4.
 *
 * Layout of `directory`: segment files `<seq, 16 digits>.spool` (entries appended in order,
 * see record.ts for the bytes) and `checkpoint.json` (see checkpoint.ts).
 *
 * **Replay.** `peek()` returns the oldest live entry, `ack(id)` marks it (and anything
 * older) shipped. Only the checkpoint records acks; a restart resumes after the last
 * checkpointed ack, so entries acked since then are replayed once more (at-least-once).
 * A segment with no live entry left is deleted. Replay by criticality (issue #11: ERROR
 * batches spooled behind an INFO flood must not wait for it): `peek(criticality)` returns
 * the oldest entry of one criticality, and `ackEntry(id)` marks just that entry shipped; an
 * entry acked ahead of older ones is recorded like an eviction's tombstone (so a restart
 * does not replay it), counted as acked.
 *
 * **Eviction design: tombstones + compaction.** Segments are append-only, so an evicted
 * entry cannot be cut out where it sits. Eviction only marks it dead: its id joins the
 * owning segment's tombstone set, which is persisted in the checkpoint (so a restart does
 * not resurrect it), and `maxBytes` bounds the *live* bytes (entries neither acked nor
 * evicted), which keeps admission exact and cheap. Dead bytes still take disk space, so:
 * a segment left with no live entry is deleted outright, and once dead bytes exceed
 * `compactDeadBytes` (default maxBytes/8), the segments holding the most dead bytes are
 * rewritten without them (compaction.ts) until dead bytes are under half of that. Disk use
 * is therefore at most maxBytes + compactDeadBytes + the acked prefix of the oldest segment
 * (< segmentBytes). Entries carry a spool-wide id in their header, and acks and
 * tombstones refer to ids, not offsets, so compaction can move entries without touching
 * the checkpoint, and a crash mid-compaction is harmless. Which entries are evicted is
 * eviction.ts: strictly less critical ones only, lowest first, oldest first.
 *
 * **Durability** (`fsync`): `always` fdatasyncs each append (and the directory after a new
 * segment, and the checkpoint after each ack or eviction) before it resolves; `interval`
 * does that work once a second on an unref'd timer; `never` leaves it to the OS (the
 * checkpoint is still written once a second, without fsync). kill -9 loses nothing in any
 * mode (written data sits in the page cache); a power cut loses up to a second (`interval`)
 * or whatever the OS had not written (`never`).
 *
 * One process per directory: two spools on one directory corrupt each other (not locked).
 */
import { type FileHandle, mkdir, open, readFile, truncate, unlink } from 'node:fs/promises';
import type { Logger } from '../../core/logger.ts';
import { CRITICALITIES, type Criticality, criticalityRank } from '../../core/resilience/criticality.ts';
import { readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { compactSegment } from './compaction.ts';
import { planEviction } from './eviction.ts';
import { decodeEntry, encodeEntryHead, entryBytes, type SpoolEncoding } from './record.ts';
import { listSegments, removeTempFiles, segmentPath, syncDirectory } from './segment-files.ts';
import { scanSegment } from './segment-scan.ts';

/** 16 MiB: 16 full uplink batches (1 MiB each); deleting a drained segment frees 1/64 of the default 1 GiB spool, and recovery reads one segment at a time into memory. */
export const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
/** A segment is at most a quarter of the spool, so the partly acked oldest segment wastes little of a small spool. */
const MAX_SEGMENT_SHARE = 4;
/** `interval` fsync period: once a second, the Kafka/Fluent Bit style trade of a second of data on power loss for throughput. */
export const DEFAULT_FSYNC_INTERVAL_MS = 1_000;
/** Dead (evicted) bytes tolerated before compacting: maxBytes/8 keeps disk use within 12.5 % of maxBytes while rewriting a segment reclaims at least 1/9 of its size. */
const COMPACT_DEAD_SHARE = 8;

export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface SpoolOptions {
  /** Created if missing. */
  directory: string;
  /** Bound on live bytes (entries neither acked nor evicted, framing included). */
  maxBytes: number;
  fsync: FsyncPolicy;
  /** Rotate to a new segment file when the next entry would pass this size. @default min(16 MiB, maxBytes/4) */
  segmentBytes?: number;
  /** Period of the `interval` fsync and of lazy checkpoint writes. @default 1000 */
  fsyncIntervalMs?: number;
  /** Compact once evicted entries take more than this on disk. @default maxBytes/8 */
  compactDeadBytes?: number;
  /** Warnings (torn/corrupt entries found, failed background sync); silent when absent. */
  logger?: Logger;
  /** @default Date.now */
  now?: () => number;
}

/**
 * - `evicted`: a spooled entry was dropped to admit a more critical one.
 * - `rejected`: the spool is full of entries at least as critical as the new one.
 * - `too-large`: the entry alone is larger than `maxBytes`.
 * - `closed`: appended after `close()`.
 * - `io-error`: the write failed (disk full, I/O error); the spool holds nothing of it.
 */
export type SpoolDropReason = 'evicted' | 'rejected' | 'too-large' | 'closed' | 'io-error';
export const SPOOL_DROP_REASONS: readonly SpoolDropReason[] = [
  'evicted',
  'rejected',
  'too-large',
  'closed',
  'io-error',
];

export interface EvictedEntry {
  id: number;
  criticality: Criticality;
  bytes: number;
}

export type AppendResult =
  | { ok: true; id: number; bytes: number; evicted: EvictedEntry[] }
  | { ok: false; reason: Exclude<SpoolDropReason, 'evicted'>; error?: Error };

export interface AppendOptions {
  /** How `batch` is compressed, for the replaying shipper. @default 'none' */
  encoding?: SpoolEncoding;
  /** @default now() */
  createdAtMs?: number;
}

/** One spooled batch, as replayed. */
export interface SpoolEntry {
  id: number;
  criticality: Criticality;
  createdAtMs: number;
  encoding: SpoolEncoding;
  batch: Buffer;
}

export type CountsByCriticality = Record<Criticality, number>;

export interface SpoolStats {
  /** Live bytes (the quantity `maxBytes` bounds). */
  bytes: number;
  /** Live entries. */
  entries: number;
  /** Live entries per criticality. */
  entriesByCriticality: CountsByCriticality;
  segments: number;
  /** Size of all segment files. */
  diskBytes: number;
  /** Bytes of evicted entries not yet compacted away. */
  deadBytes: number;
  /** Entries dropped, per reason and criticality. */
  dropped: Record<SpoolDropReason, CountsByCriticality>;
  /** Bytes dropped, per reason and criticality. */
  droppedBytes: Record<SpoolDropReason, CountsByCriticality>;
  acked: number;
  /** Torn last entries found at open (each truncated away). */
  tornEntries: number;
  /** Damaged entries skipped (at open or when replayed). */
  corruptEntries: number;
  /** Bytes skipped with them (a corrupt entry whose length is untrusted skips the rest of its segment). */
  corruptBytes: number;
  compactions: number;
  /** Checkpoints that could not be read at open (replay started from the oldest entry). */
  checkpointResets: number;
  /** Background (interval) syncs or checkpoint writes that failed. */
  syncErrors: number;
}

interface Segment {
  seq: number;
  path: string;
  size: number;
  live: Set<Live>;
  /** Tombstones: ids of evicted entries in this file, with their sizes. */
  dead: Map<number, number>;
  deadBytes: number;
}

interface Live {
  id: number;
  criticality: Criticality;
  createdAtMs: number;
  encoding: SpoolEncoding;
  bytes: number;
  offset: number;
  segment: Segment;
}

const zeroCounts = (): CountsByCriticality => ({ CRITICAL_PLUS: 0, CRITICAL: 0, SHEDDABLE_PLUS: 0, SHEDDABLE: 0 });
const zeroByReason = (): Record<SpoolDropReason, CountsByCriticality> =>
  Object.fromEntries(SPOOL_DROP_REASONS.map((r) => [r, zeroCounts()])) as Record<SpoolDropReason, CountsByCriticality>;

export class Spool {
  readonly directory: string;
  readonly maxBytes: number;
  readonly segmentBytes: number;
  readonly fsync: FsyncPolicy;
  readonly #compactDeadBytes: number;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  readonly #segments: Segment[] = [];
  /** Live entries per criticality rank (0 = SHEDDABLE), oldest first: eviction and replay both take from the front. */
  readonly #lanes: Set<Live>[] = CRITICALITIES.map(() => new Set<Live>());
  #active: { segment: Segment; fh: FileHandle } | undefined;
  #liveBytes = 0;
  #liveCount = 0;
  #deadBytes = 0;
  #nextId = 1;
  #nextSeq = 1;
  #ackedId = 0;
  #checkpointDirty = false;
  #dataDirty = false;
  #dirDirty = false;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #dropped = zeroByReason();
  readonly #droppedBytes = zeroByReason();
  #acked = 0;
  #tornEntries = 0;
  #corruptEntries = 0;
  #corruptBytes = 0;
  #compactions = 0;
  #checkpointResets = 0;
  #syncErrors = 0;

  private constructor(options: SpoolOptions) {
    if (!(Number.isSafeInteger(options.maxBytes) && options.maxBytes > 0)) {
      throw new RangeError(`spool maxBytes must be a positive integer, got ${options.maxBytes}`);
    }
    this.directory = options.directory;
    this.maxBytes = options.maxBytes;
    this.fsync = options.fsync;
    const share = Math.max(1, Math.floor(options.maxBytes / MAX_SEGMENT_SHARE));
    this.segmentBytes = options.segmentBytes ?? Math.min(DEFAULT_SEGMENT_BYTES, share);
    if (!(this.segmentBytes > 0)) throw new RangeError(`spool segmentBytes must be > 0, got ${this.segmentBytes}`);
    this.#compactDeadBytes = options.compactDeadBytes ?? Math.floor(options.maxBytes / COMPACT_DEAD_SHARE);
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Opens (creating if needed) the spool in `options.directory` and recovers it: removes
   * leftover temp files, scans every segment (a torn last entry is counted and truncated
   * away, corrupt entries are counted and skipped, see segment-scan.ts), applies the
   * checkpoint, and deletes segments with nothing left to replay. Appends go to a new segment.
   */
  static async open(options: SpoolOptions): Promise<Spool> {
    const spool = new Spool(options);
    await spool.#recover();
    const period = options.fsyncIntervalMs ?? DEFAULT_FSYNC_INTERVAL_MS;
    if (spool.fsync !== 'always') {
      spool.#timer = setInterval(() => spool.#backgroundFlush(), period);
      spool.#timer.unref();
    }
    return spool;
  }

  /**
   * Spools one batch (opaque bytes, usually a compressed uplink body). Evicts less critical
   * entries if the spool is full (listed in the result), or refuses the batch; every drop
   * is counted in {@link stats}. With `fsync: 'always'` the entry is on disk when this
   * resolves. A failed write is an `io-error` result; only a failed fsync of a written entry
   * rejects (the entry stays spooled: its durability is unknown, not its presence).
   */
  append(batch: Buffer, criticality: Criticality, options: AppendOptions = {}): Promise<AppendResult> {
    return this.#exclusive(() => this.#append(batch, criticality, options));
  }

  /**
   * The oldest entry not yet acked or evicted (of `criticality`, when given), or undefined
   * when there is none.
   */
  peek(criticality?: Criticality): Promise<SpoolEntry | undefined> {
    return this.#exclusive(() => this.#peek(criticality));
  }

  /**
   * Marks just entry `id` shipped, whether or not older entries are (replay by criticality).
   * Acking an entry that is not live (acked, evicted) is a no-op.
   */
  ackEntry(id: number): Promise<void> {
    return this.#exclusive(() => this.#ackEntry(id));
  }

  /**
   * Marks entry `id` and every older entry as shipped (call it once the router acknowledged
   * the batch). With `fsync: 'always'` the checkpoint is on disk when this resolves;
   * otherwise within `fsyncIntervalMs`. Acking an id already acked or evicted is a no-op
   * (an entry being shipped can still be evicted meanwhile: it is then counted as evicted
   * although the router got it; eviction never waits for the shipper).
   */
  ack(id: number): Promise<void> {
    return this.#exclusive(() => this.#ack(id));
  }

  /** Syncs and writes the checkpoint as the fsync policy allows, then releases the files. Idempotent. */
  close(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#closed) return;
      this.#closed = true;
      clearInterval(this.#timer);
      try {
        await this.#flush(this.fsync !== 'never');
      } finally {
        await this.#active?.fh.close();
        this.#active = undefined;
      }
    });
  }

  /** Live entries of `c` (cheap: what stats() reports per criticality, without the rest). */
  entriesOf(c: Criticality): number {
    return this.#lanes[criticalityRank(c)]!.size;
  }

  stats(): SpoolStats {
    const clone = (r: Record<SpoolDropReason, CountsByCriticality>) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, { ...v }])) as Record<
        SpoolDropReason,
        CountsByCriticality
      >;
    return {
      bytes: this.#liveBytes,
      entries: this.#liveCount,
      entriesByCriticality: Object.fromEntries(CRITICALITIES.map((c) => [c, this.entriesOf(c)])) as CountsByCriticality,
      segments: this.#segments.length,
      diskBytes: this.#segments.reduce((sum, s) => sum + s.size, 0),
      deadBytes: this.#deadBytes,
      dropped: clone(this.#dropped),
      droppedBytes: clone(this.#droppedBytes),
      acked: this.#acked,
      tornEntries: this.#tornEntries,
      corruptEntries: this.#corruptEntries,
      corruptBytes: this.#corruptBytes,
      compactions: this.#compactions,
      checkpointResets: this.#checkpointResets,
      syncErrors: this.#syncErrors,
    };
  }

  // --- recovery -----------------------------------------------------------------------

  async #recover(): Promise<void> {
    const dir = this.directory;
    await mkdir(dir, { recursive: true });
    await removeTempFiles(dir);
    const read = await readCheckpoint(dir);
    let checkpoint = { ackedId: 0, tombstones: [] as number[] };
    if (read.ok) checkpoint = read.checkpoint;
    else {
      this.#checkpointResets++;
      this.#logger?.warn({ problem: read.problem }, 'spool checkpoint unreadable; replaying from the oldest entry');
    }
    this.#ackedId = checkpoint.ackedId;
    const tombstones = new Set(checkpoint.tombstones);
    let maxId = checkpoint.tombstones.reduce((max, id) => Math.max(max, id), checkpoint.ackedId);
    const seqs = await listSegments(dir);
    for (const [i, seq] of seqs.entries()) {
      const path = segmentPath(dir, seq);
      const buf = await readFile(path);
      const scan = scanSegment(buf, i === seqs.length - 1);
      this.#corruptEntries += scan.corruptEntries;
      this.#corruptBytes += scan.corruptBytes;
      if (scan.corruptEntries > 0) {
        this.#logger?.warn(
          { path, entries: scan.corruptEntries, bytes: scan.corruptBytes },
          'spool: corrupt entries skipped',
        );
      }
      if (scan.torn) {
        this.#tornEntries++;
        this.#logger?.warn(
          { path, offset: scan.validBytes, bytes: buf.length - scan.validBytes },
          'spool: torn entry truncated',
        );
        await truncate(path, scan.validBytes);
        if (this.fsync !== 'never') await syncFile(path);
      }
      const segment: Segment = { seq, path, size: scan.validBytes, live: new Set(), dead: new Map(), deadBytes: 0 };
      for (const e of scan.entries) {
        maxId = Math.max(maxId, e.id);
        if (e.id <= this.#ackedId) continue;
        if (tombstones.has(e.id)) {
          segment.dead.set(e.id, e.bytes);
          segment.deadBytes += e.bytes;
          continue;
        }
        this.#addLive({ ...e, segment });
      }
      this.#deadBytes += segment.deadBytes;
      this.#segments.push(segment);
    }
    this.#nextId = maxId + 1;
    this.#nextSeq = (seqs.at(-1) ?? 0) + 1;
    await this.#reclaim();
    await this.#flush(this.fsync !== 'never');
  }

  // --- append -------------------------------------------------------------------------

  async #append(batch: Buffer, criticality: Criticality, options: AppendOptions): Promise<AppendResult> {
    const bytes = entryBytes(batch.length);
    if (this.#closed) return this.#refuse('closed', criticality, bytes);
    const plan = planEviction(this.#lanes, this.#liveBytes, this.maxBytes, { criticality, bytes });
    if (!plan.ok) return this.#refuse(plan.reason, criticality, bytes);
    // An id is never reused, not even after a failed write that may have left part of it on disk.
    const id = this.#nextId++;
    const createdAtMs = options.createdAtMs ?? this.#now();
    const encoding = options.encoding ?? 'none';
    const head = encodeEntryHead({ id, criticality, createdAtMs, encoding }, batch);
    let segment: Segment;
    try {
      segment = await this.#writeEntry(Buffer.concat([head, batch]));
    } catch (err) {
      this.#logger?.warn({ err }, 'spool: append failed');
      return this.#refuse('io-error', criticality, bytes, err as Error);
    }
    const evicted = plan.victims.map((v) => this.#evict(v));
    this.#addLive({ id, criticality, createdAtMs, encoding, bytes, offset: segment.size - bytes, segment });
    if (evicted.length > 0) {
      this.#checkpointDirty = true;
      await this.#reclaim();
    }
    if (this.fsync === 'always') await this.#flush(true);
    return { ok: true, id, bytes, evicted };
  }

  /** Appends `entry` to the active segment (rotating first if it would overflow) and returns that segment. */
  async #writeEntry(entry: Buffer): Promise<Segment> {
    if (this.#active !== undefined && this.#active.segment.size > 0) {
      if (this.#active.segment.size + entry.length > this.segmentBytes) await this.#seal();
    }
    if (this.#active === undefined) {
      const seq = this.#nextSeq++;
      const path = segmentPath(this.directory, seq);
      const fh = await open(path, 'ax');
      const segment: Segment = { seq, path, size: 0, live: new Set(), dead: new Map(), deadBytes: 0 };
      this.#segments.push(segment);
      this.#active = { segment, fh };
      this.#dirDirty = true;
    }
    const { segment, fh } = this.#active;
    try {
      let written = 0;
      while (written < entry.length) {
        const r = await fh.write(entry, written, entry.length - written);
        written += r.bytesWritten;
      }
    } catch (err) {
      // Part of the entry may be in the file. Cut it off so later entries follow a whole
      // one; if even that fails, stop appending to this file (recovery then skips the
      // damaged tail of a non-last segment as corrupt, and nothing follows it there).
      try {
        await fh.truncate(segment.size);
      } catch {
        await this.#seal().catch(() => undefined);
      }
      throw err;
    }
    segment.size += entry.length;
    this.#dataDirty = true;
    return segment;
  }

  /** Closes the active segment for appends (its data synced first, per policy). */
  async #seal(): Promise<void> {
    const active = this.#active;
    if (active === undefined) return;
    this.#active = undefined;
    try {
      if (this.#dataDirty && this.fsync !== 'never') await active.fh.datasync();
      this.#dataDirty = false;
    } finally {
      await active.fh.close();
    }
  }

  #refuse(
    reason: Exclude<SpoolDropReason, 'evicted'>,
    criticality: Criticality,
    bytes: number,
    error?: Error,
  ): AppendResult {
    this.#dropped[reason][criticality]++;
    this.#droppedBytes[reason][criticality] += bytes;
    return error === undefined ? { ok: false, reason } : { ok: false, reason, error };
  }

  // --- replay -------------------------------------------------------------------------

  async #peek(criticality?: Criticality): Promise<SpoolEntry | undefined> {
    for (;;) {
      const head =
        criticality === undefined ? this.#head() : this.#lanes[criticalityRank(criticality)]!.values().next().value;
      if (head === undefined) return undefined;
      const fh = await open(head.segment.path, 'r');
      const buf = Buffer.allocUnsafe(head.bytes);
      try {
        const { bytesRead } = await fh.read(buf, 0, head.bytes, head.offset);
        const r = decodeEntry(buf.subarray(0, bytesRead), 0);
        if (r.ok && r.entry.id === head.id) {
          const { id, criticality, createdAtMs, encoding, payload } = r.entry;
          return { id, criticality, createdAtMs, encoding, batch: payload };
        }
      } finally {
        await fh.close();
      }
      // Damaged since recovery checked it: count it and move on, as recovery would have.
      this.#corruptEntries++;
      this.#corruptBytes += head.bytes;
      this.#logger?.warn({ path: head.segment.path, offset: head.offset, id: head.id }, 'spool: corrupt entry skipped');
      this.#bury(head);
      await this.#reclaim();
    }
  }

  async #ackEntry(id: number): Promise<void> {
    const head = this.#head();
    // The oldest live entry: an ordinary (cumulative) ack moves the acked id, no tombstone.
    if (head?.id === id) return this.#ack(id);
    let entry: Live | undefined;
    for (const lane of this.#lanes) {
      for (const e of lane) {
        if (e.id === id) entry = e;
        if (e.id >= id) break;
      }
      if (entry) break;
    }
    if (entry === undefined) return;
    this.#bury(entry);
    this.#acked++;
    await this.#reclaim();
    if (this.fsync === 'always') await this.#flush(true);
  }

  /** Takes a live entry out and tombstones it (kept out of a replay after a restart). */
  #bury(e: Live): void {
    this.#removeLive(e);
    e.segment.dead.set(e.id, e.bytes);
    e.segment.deadBytes += e.bytes;
    this.#deadBytes += e.bytes;
    this.#checkpointDirty = true;
  }

  async #ack(id: number): Promise<void> {
    if (!Number.isSafeInteger(id) || id >= this.#nextId) {
      throw new RangeError(`spool ack: ${id} is not the id of an appended entry (ids so far: 1..${this.#nextId - 1})`);
    }
    if (id <= this.#ackedId) return;
    this.#ackedId = id;
    for (const lane of this.#lanes) {
      for (const e of lane) {
        if (e.id > id) break;
        this.#removeLive(e);
        this.#acked++;
      }
    }
    // Tombstones at or below `id` are now redundant but harmless (recovery checks the
    // acked id first); they go with their segment when it is deleted or compacted.
    this.#checkpointDirty = true;
    await this.#reclaim();
    if (this.fsync === 'always') await this.#flush(true);
  }

  #head(): Live | undefined {
    let head: Live | undefined;
    for (const lane of this.#lanes) {
      const first = lane.values().next().value;
      if (first !== undefined && (head === undefined || first.id < head.id)) head = first;
    }
    return head;
  }

  // --- bookkeeping --------------------------------------------------------------------

  #addLive(e: Live): void {
    e.segment.live.add(e);
    this.#lanes[criticalityRank(e.criticality)]!.add(e);
    this.#liveBytes += e.bytes;
    this.#liveCount++;
  }

  #removeLive(e: Live): void {
    e.segment.live.delete(e);
    this.#lanes[criticalityRank(e.criticality)]!.delete(e);
    this.#liveBytes -= e.bytes;
    this.#liveCount--;
  }

  #evict(e: Live): EvictedEntry {
    this.#bury(e);
    this.#dropped.evicted[e.criticality]++;
    this.#droppedBytes.evicted[e.criticality] += e.bytes;
    return { id: e.id, criticality: e.criticality, bytes: e.bytes };
  }

  /** Deletes segments with no live entry; compacts when dead bytes pass the threshold. */
  async #reclaim(): Promise<void> {
    for (const s of [...this.#segments]) {
      if (s.live.size > 0) continue;
      if (this.#active?.segment === s) {
        const { fh } = this.#active;
        this.#active = undefined;
        this.#dataDirty = false;
        await fh.close();
      }
      await unlink(s.path);
      this.#segments.splice(this.#segments.indexOf(s), 1);
      this.#deadBytes -= s.deadBytes;
      if (s.dead.size > 0) this.#checkpointDirty = true;
      this.#dirDirty = true;
    }
    if (this.#deadBytes <= this.#compactDeadBytes) return;
    const byDead = this.#segments.filter((s) => s.deadBytes > 0).sort((a, b) => b.deadBytes - a.deadBytes);
    for (const s of byDead) {
      if (this.#deadBytes <= this.#compactDeadBytes / 2) break;
      await this.#compact(s);
    }
  }

  async #compact(s: Segment): Promise<void> {
    const active = this.#active?.segment === s ? this.#active : undefined;
    if (active !== undefined) {
      if (this.#dataDirty && this.fsync !== 'never') await active.fh.datasync();
      this.#dataDirty = false;
      await active.fh.close();
      this.#active = undefined;
    }
    const live = [...s.live];
    const offsets = await compactSegment(this.directory, s.seq, live, this.fsync !== 'never');
    live.forEach((e, i) => {
      e.offset = offsets[i]!;
    });
    s.size = live.reduce((sum, e) => sum + e.bytes, 0);
    this.#deadBytes -= s.deadBytes;
    s.dead.clear();
    s.deadBytes = 0;
    this.#checkpointDirty = true;
    this.#compactions++;
    if (active !== undefined) this.#active = { segment: s, fh: await open(s.path, 'a') };
  }

  // --- durability ---------------------------------------------------------------------

  /** Makes pending segment data, directory changes and the checkpoint durable (`sync`) or at least written. */
  async #flush(sync: boolean): Promise<void> {
    if (sync && this.#dataDirty && this.#active !== undefined) await this.#active.fh.datasync();
    this.#dataDirty = false;
    if (sync && this.#dirDirty) await syncDirectory(this.directory);
    this.#dirDirty = false;
    if (this.#checkpointDirty) {
      this.#checkpointDirty = false;
      try {
        await writeCheckpoint(this.directory, this.#checkpoint(), sync);
      } catch (err) {
        this.#checkpointDirty = true;
        throw err;
      }
    }
  }

  #checkpoint(): { ackedId: number; tombstones: number[] } {
    const tombstones: number[] = [];
    for (const s of this.#segments) tombstones.push(...s.dead.keys());
    return { ackedId: this.#ackedId, tombstones: tombstones.sort((a, b) => a - b) };
  }

  #backgroundFlush(): void {
    this.#exclusive(() => (this.#closed ? Promise.resolve() : this.#flush(this.fsync === 'interval'))).catch(
      (err: unknown) => {
        this.#syncErrors++;
        this.#logger?.warn({ err }, 'spool: background sync failed');
      },
    );
  }

  /** Runs `fn` after every earlier operation: appends, acks, syncs and compaction never interleave. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
