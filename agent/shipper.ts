/**
 * The agent's shipping path: lines from every input -> a batcher per criticality (count,
 * bytes, linger) -> priority lanes -> compressed batch -> router, with a couple of quick
 * retries (full jitter, Retry-After honoured up to a cap). A batch the router cannot take
 * in time goes to the disk spool, and a replay loop drains it with backoff once the router
 * answers again.
 *
 * Priority (DESIGN.md invariant 3, issue #11): batches wait for the uplink in
 * PriorityLanes (strict priority with a floor), one batch of each criticality out at a
 * time, so under an INFO flood an ERROR batch goes out at once, without waiting for the
 * INFO batch in flight to be answered. A batch goes to the spool instead of the router while the spool holds a
 * batch of its criticality or higher (the router then sees each criticality's batches in
 * order, and nothing overtakes a more critical batch waiting there), or while the bytes
 * queued at its criticality or higher pass MAX_QUEUED_BYTES (a flood of INFO spills INFO,
 * not ERROR). The replay takes the spool's highest criticality first, with the same floor.
 *
 * `ship()` resolves when every one of its lines is settled — acknowledged by the router
 * (acks=all behind it) or written to the spool under its fsync policy — and rejects when
 * any line could be neither (the router refused it for good, the spool refused it, an I/O
 * error). Inputs acknowledge their clients only on resolve, so a kill -9 of the agent loses
 * nothing it acknowledged, and nothing is acknowledged that was not stored.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { Batcher, type BatchLimits } from '../core/batcher.ts';
import { splitLines } from '../core/lines.ts';
import type { Logger } from '../core/logger.ts';
import { backoffDelayMs } from '../core/resilience/backoff.ts';
import { CRITICALITIES, type Criticality, criticalityRank } from '../core/resilience/criticality.ts';
import { FloorScheduler, PriorityLanes } from '../core/resilience/priority-lanes.ts';
import type { Spool } from './spool/spool.ts';
import type { SendOutcome, UplinkClient, UplinkCompression } from './uplink/uplink-client.ts';

/** Quick retries before a batch goes to the spool: rides out a router restart of a second or two. */
export const SEND_ATTEMPTS = 3;
export const SEND_BACKOFF = { baseMs: 100, capMs: 2_000 };
/** Replay backoff while the router stays down: 0.5 s doubling to 5 s, full jitter; a router back up waits at most 5 s for its backlog (the client-side throttle keeps the probes cheap). */
export const REPLAY_BACKOFF = { baseMs: 500, capMs: 5_000 };
/** Lines waiting to be sent at a criticality or above past this many bytes go straight to the spool: memory stays bounded while the router is slow. */
export const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

const gunzip = promisify(zlib.gunzip);
const zstdDecompress = promisify(zlib.zstdDecompress);

interface Pending {
  line: Buffer;
  criticality: Criticality;
  settle: (error?: Error) => void;
}

export interface ShipperStats {
  shipped: number;
  spooled: number;
  replayed: number;
  /** Lines neither the router nor the spool took; their ship() rejected, so no client got an OK for them. */
  dropped: number;
  rejectedByRouter: number;
}

export interface ShipperOptions {
  uplink: UplinkClient;
  compression: UplinkCompression;
  spool: Spool;
  batch: BatchLimits;
  log: Logger;
}

export class Shipper {
  readonly #o: ShipperOptions;
  readonly #batcher: Batcher<Pending>;
  readonly stats: ShipperStats = { shipped: 0, spooled: 0, replayed: 0, dropped: 0, rejectedByRouter: 0 };
  /**
   * Batches waiting for the uplink, highest criticality first. One batch per criticality is
   * out at a time (each criticality's batches reach the router in order), so a batch never
   * waits for a less critical one to be answered.
   */
  readonly #queue = new PriorityLanes<Pending[]>();
  readonly #sending = new Set<Criticality>();
  /** close() waiting for the last batch to be settled. */
  #drained: (() => void) | undefined;
  /** Bytes accepted and not yet sent or spooled, per criticality rank. */
  readonly #queuedBytes = [0, 0, 0, 0];
  readonly #replayOrder = new FloorScheduler();
  #replaying = false;
  #closing = false;
  #closed = false;
  #replayTimer: NodeJS.Timeout | undefined;
  #replayDone: Promise<void> = Promise.resolve();

  constructor(options: ShipperOptions) {
    this.#o = options;
    // One batch per criticality: a batch's criticality is its highest record's, so mixing
    // would let INFO ride as CRITICAL and leave spool eviction and router shedding no victim.
    this.#batcher = new Batcher<Pending>(
      options.batch,
      (p) => p.line.length + 1,
      (_key, items) => {
        this.#queue.push(items[0]!.criticality, items);
        this.#pump();
      },
    );
  }

  /** Starts the next batch of every criticality that has none out. */
  #pump(): void {
    for (;;) {
      const next = this.#queue.shift((c) => !this.#sending.has(c));
      if (next === undefined) break;
      this.#sending.add(next.criticality);
      void this.#ship(next.item).finally(() => {
        this.#sending.delete(next.criticality);
        this.#pump();
      });
    }
    if (this.#sending.size === 0 && this.#queue.size === 0) this.#drained?.();
  }

  /** Bytes of lines accepted but not yet sent or spooled. */
  get queuedBytes(): number {
    return this.#queuedBytes.reduce((a, b) => a + b, 0);
  }

  /** Bytes queued at `c` or a higher criticality. */
  #queuedAtOrAbove(c: Criticality): number {
    let sum = 0;
    for (let r = criticalityRank(c); r < this.#queuedBytes.length; r++) sum += this.#queuedBytes[r]!;
    return sum;
  }

  /** True while the spool holds a batch of `c` or a higher criticality. */
  #spoolHoldsAtOrAbove(c: Criticality): boolean {
    const rank = criticalityRank(c);
    return CRITICALITIES.some((k) => criticalityRank(k) >= rank && this.#o.spool.entriesOf(k) > 0);
  }

  /** Starts draining what an earlier run left in the spool. */
  start(): void {
    if (this.#o.spool.stats().entries > 0) this.#scheduleReplay(0);
  }

  /** Queues lines; resolves once all are with the router or in the spool, rejects if any could not be stored. */
  ship(lines: readonly Buffer[], criticality: Criticality): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error('agent is shutting down'));
    return new Promise<void>((resolve, reject) => {
      let left = lines.length;
      let failure: Error | undefined;
      const settle = (error?: Error) => {
        failure ??= error;
        if (--left === 0) {
          if (failure) reject(failure);
          else resolve();
        }
      };
      const rank = criticalityRank(criticality);
      for (const line of lines) {
        this.#queuedBytes[rank]! += line.length + 1;
        this.#batcher.add(criticality, { line, criticality, settle });
      }
    });
  }

  async #ship(items: Pending[]): Promise<void> {
    const lines = items.map((i) => i.line);
    const criticality = items[0]!.criticality;
    const bytes = lines.reduce((s, l) => s + l.length + 1, 0);
    let error: Error | undefined;
    try {
      // Behind a spooled batch of this criticality or higher, while the queue at this
      // criticality or higher is over budget, or when closing: to the spool (see the module
      // comment: each criticality's batches reach the router in order).
      const direct =
        !this.#spoolHoldsAtOrAbove(criticality) &&
        !this.#closing &&
        this.#queuedAtOrAbove(criticality) <= MAX_QUEUED_BYTES;
      const left = direct ? await this.#sendWithRetries(lines, criticality) : lines;
      if (left === undefined) error = new Error('the router refused the batch for good');
      else if (left.length > 0) await this.#toSpool(left, criticality);
    } catch (err) {
      error = err as Error;
      this.stats.dropped += lines.length;
      this.#o.log.error({ err: error.message, lines: lines.length }, 'shipping a batch failed');
    } finally {
      this.#queuedBytes[criticalityRank(criticality)]! -= bytes;
      for (const i of items) i.settle(error);
    }
  }

  /** Sends with quick retries; returns the lines still not taken (to spool), undefined when refused for good. */
  async #sendWithRetries(lines: Buffer[], criticality: Criticality): Promise<Buffer[] | undefined> {
    let todo = lines;
    for (let attempt = 0; attempt < SEND_ATTEMPTS && todo.length > 0; attempt++) {
      const out = await this.#o.uplink.send(await this.#o.uplink.encode(todo), criticality);
      const next = this.#account(out, todo);
      if (next === 'refused') return undefined;
      if (next === undefined) return [];
      todo = next.lines;
      // A long Retry-After is the spool's job, not a stall of every batch behind this one.
      if (next.waitMs > SEND_BACKOFF.capMs) break;
      if (attempt + 1 < SEND_ATTEMPTS) await sleep(Math.max(next.waitMs, backoffDelayMs(attempt, SEND_BACKOFF)));
    }
    return todo;
  }

  /** Books an answer: undefined when settled, 'refused' when refused for good, else what to resend and when. */
  #account(out: SendOutcome, lines: Buffer[]): { lines: Buffer[]; waitMs: number } | 'refused' | undefined {
    switch (out.kind) {
      case 'ok':
        this.stats.shipped += out.accepted;
        this.stats.rejectedByRouter += out.rejected.length;
        return undefined;
      case 'partial':
        this.stats.shipped += out.accepted;
        this.stats.rejectedByRouter += out.rejected.length;
        return { lines: out.retryLines.map((n) => lines[n - 1]!).filter(Boolean), waitMs: out.retryAfterMs };
      case 'retryable':
        return { lines, waitMs: out.retryAfterMs ?? 0 };
      case 'failed':
        this.stats.dropped += lines.length;
        this.#o.log.error({ reason: out.reason, lines: lines.length }, 'router refused a batch for good');
        return 'refused';
    }
  }

  async #toSpool(lines: Buffer[], criticality: Criticality): Promise<void> {
    const body = await this.#o.uplink.encode(lines);
    const r = await this.#o.spool.append(body, criticality, { encoding: this.#o.compression });
    if (!r.ok) {
      // Counted as dropped by #ship's catch, which also fails the lines' ship() promises.
      this.#o.log.warn({ reason: r.reason, criticality, lines: lines.length }, 'spool refused a batch');
      throw new Error(`the spool refused the batch (${r.reason})`);
    }
    for (const e of r.evicted)
      this.#o.log.warn(
        { id: e.id, criticality: e.criticality, bytes: e.bytes },
        'spool full: evicted a lower-criticality batch',
      );
    this.stats.spooled += lines.length;
    this.#scheduleReplay(REPLAY_BACKOFF.baseMs);
  }

  #scheduleReplay(ms: number, attempt = 0): void {
    if (this.#closed || this.#replaying || this.#replayTimer) return;
    this.#replayTimer = setTimeout(() => {
      this.#replayTimer = undefined;
      this.#replayDone = this.#replay(attempt).catch((err) => {
        // A spool I/O error (disk full, no descriptors) must not kill the agent: try later.
        this.#o.log.error({ err: (err as Error).message }, 'spool replay failed; retrying');
        this.#scheduleReplay(backoffDelayMs(attempt, REPLAY_BACKOFF) + REPLAY_BACKOFF.baseMs, attempt + 1);
      });
    }, ms);
    this.#replayTimer.unref();
  }

  /** The lines of a spooled entry (to resend the ones a partial answer left). */
  async #linesOf(batch: Buffer, encoding: UplinkCompression): Promise<Buffer[]> {
    return splitLines(
      encoding === 'zstd' ? await zstdDecompress(batch) : encoding === 'gzip' ? await gunzip(batch) : batch,
    );
  }

  /** Drains the spool, highest criticality first (with the floor); on failure waits with backoff and tries again. */
  async #replay(attempt: number): Promise<void> {
    if (this.#closed || this.#replaying) return;
    this.#replaying = true;
    try {
      for (;;) {
        if (this.#closed) return;
        const lane = this.#replayOrder.pick((c) => this.#o.spool.entriesOf(c) > 0);
        if (lane === undefined) return;
        const entry = await this.#o.spool.peek(lane);
        if (!entry) return;
        const out = await this.#o.uplink.send(entry.batch, entry.criticality, undefined, entry.encoding);
        if (out.kind === 'retryable') {
          this.#replaying = false;
          this.#scheduleReplay(Math.max(out.retryAfterMs ?? 0, backoffDelayMs(attempt, REPLAY_BACKOFF)), attempt + 1);
          return;
        }
        if (out.kind === 'failed') {
          // 400 / 413: the router will never take this entry. Counted, not silently gone.
          const n = (await this.#linesOf(entry.batch, entry.encoding)).length;
          this.stats.dropped += n;
          this.#o.log.error(
            { reason: out.reason, id: entry.id, lines: n },
            'router refused a spooled batch for good; dropped',
          );
        } else {
          this.stats.replayed += out.accepted;
          this.stats.rejectedByRouter += out.rejected.length;
          if (out.kind === 'partial' && out.retryLines.length > 0) {
            // Only the lines still to send go back, as a new entry: no duplicates of the rest,
            // and the head of the spool moves on instead of blocking fresh traffic.
            const lines = await this.#linesOf(entry.batch, entry.encoding);
            const again = out.retryLines.map((n) => lines[n - 1]!).filter(Boolean);
            const body = await this.#o.uplink.encode(again);
            const r = await this.#o.spool.append(body, entry.criticality, { encoding: this.#o.compression });
            if (!r.ok) {
              this.stats.dropped += again.length;
              this.#o.log.warn(
                { reason: r.reason, lines: again.length },
                'spool refused the lines a partial answer left; dropped',
              );
            }
          }
        }
        await this.#o.spool.ackEntry(entry.id);
        attempt = 0;
      }
    } finally {
      this.#replaying = false;
    }
  }

  /** Spools what is batched or queued (no more network round trips), stops replaying. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#batcher.flushAll();
    if (this.#sending.size > 0 || this.#queue.size > 0) {
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
    }
    this.#closed = true;
    clearTimeout(this.#replayTimer);
    await this.#replayDone.catch(() => {});
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
