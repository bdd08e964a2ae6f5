/**
 * The agent's shipping path: lines from every input -> one batcher (count, bytes, linger)
 * -> compressed batch -> router, with a couple of quick retries (full jitter, Retry-After
 * honoured). A batch the router cannot take in time goes to the disk spool; while the spool
 * holds anything, new batches queue behind it so the router sees them in order, and a
 * replay loop drains it with exponential backoff once the router answers again.
 *
 * `ship()` resolves when its lines are settled: acknowledged by the router (acks=all
 * behind it) or written to the spool under its fsync policy. Inputs acknowledge their
 * clients only then, so a kill -9 of the agent loses nothing it acknowledged.
 */
import { Batcher, type BatchLimits } from '../core/batcher.ts';
import type { Logger } from '../core/logger.ts';
import { backoffDelayMs } from '../core/resilience/backoff.ts';
import { batchCriticality, type Criticality } from '../core/resilience/criticality.ts';
import type { Spool } from './spool/spool.ts';
import type { SendOutcome, UplinkClient, UplinkCompression } from './uplink/uplink-client.ts';

/** Quick retries before a batch goes to the spool: rides out a router restart of a second or two. */
export const SEND_ATTEMPTS = 3;
export const SEND_BACKOFF = { baseMs: 100, capMs: 2_000 };
/** Replay backoff while the router stays down: 0.5 s doubling to 5 s, full jitter; a router back up waits at most 5 s for its backlog (the client-side throttle keeps the probes cheap). */
export const REPLAY_BACKOFF = { baseMs: 500, capMs: 5_000 };

interface Pending {
  line: Buffer;
  criticality: Criticality;
  settle: () => void;
}

export interface ShipperStats {
  shipped: number;
  spooled: number;
  replayed: number;
  /** Lines the router refused for good (auth, bad batch) or the spool refused when full. */
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
  /** Batches go out one at a time, in order, so the spool order is the send order. */
  #chain: Promise<void> = Promise.resolve();
  #replaying = false;
  #closed = false;
  #replayTimer: NodeJS.Timeout | undefined;

  constructor(options: ShipperOptions) {
    this.#o = options;
    this.#batcher = new Batcher<Pending>(
      options.batch,
      (p) => p.line.length + 1,
      (_key, items) => {
        this.#chain = this.#chain.then(() => this.#ship(items));
      },
    );
  }

  /** Starts draining what an earlier run left in the spool. */
  start(): void {
    if (this.#o.spool.stats().entries > 0) this.#scheduleReplay(0);
  }

  /** Queues lines; resolves once they are with the router or in the spool. */
  ship(lines: readonly Buffer[], criticality: Criticality): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let left = lines.length;
      const settle = () => {
        if (--left === 0) resolve();
      };
      for (const line of lines) this.#batcher.add('uplink', { line, criticality, settle });
    });
  }

  async #ship(items: Pending[]): Promise<void> {
    const lines = items.map((i) => i.line);
    const criticality = batchCriticality(items.map((i) => i.criticality));
    try {
      // Behind a non-empty spool, go to the spool: the router gets batches in order.
      if (this.#o.spool.stats().entries === 0 && !this.#replaying) {
        const left = await this.#sendWithRetries(lines, criticality);
        if (left.length === 0) return;
        await this.#toSpool(left, criticality);
        return;
      }
      await this.#toSpool(lines, criticality);
    } catch (err) {
      this.#o.log.error({ err: (err as Error).message }, 'shipping a batch failed');
    } finally {
      for (const i of items) i.settle();
    }
  }

  /** Sends with quick retries; returns the lines still not taken (to spool). */
  async #sendWithRetries(lines: Buffer[], criticality: Criticality): Promise<Buffer[]> {
    let todo = lines;
    for (let attempt = 0; attempt < SEND_ATTEMPTS && todo.length > 0; attempt++) {
      const out = await this.#o.uplink.send(await this.#o.uplink.encode(todo), criticality);
      const next = this.#account(out, todo);
      if (next === undefined) return []; // settled (or dropped for good)
      todo = next.lines;
      if (attempt + 1 < SEND_ATTEMPTS) await sleep(Math.max(next.waitMs, backoffDelayMs(attempt, SEND_BACKOFF)));
    }
    return todo;
  }

  /** Books an answer; undefined when nothing is left to send, else what to resend and when. */
  #account(out: SendOutcome, lines: Buffer[]): { lines: Buffer[]; waitMs: number } | undefined {
    switch (out.kind) {
      case 'ok':
        this.stats.shipped += out.accepted;
        this.stats.rejectedByRouter += out.rejected.length;
        return undefined;
      case 'partial':
        this.stats.shipped += out.accepted;
        this.stats.rejectedByRouter += out.rejected.length;
        return { lines: out.retryLines.map((n) => lines[n - 1]!), waitMs: out.retryAfterMs };
      case 'retryable':
        return { lines, waitMs: out.retryAfterMs ?? 0 };
      case 'failed':
        this.stats.dropped += lines.length;
        this.#o.log.error({ reason: out.reason, lines: lines.length }, 'router refused a batch for good; dropped');
        return undefined;
    }
  }

  async #toSpool(lines: Buffer[], criticality: Criticality): Promise<void> {
    const body = await this.#o.uplink.encode(lines);
    const r = await this.#o.spool.append(body, criticality, { encoding: this.#o.compression });
    if (r.ok) {
      this.stats.spooled += lines.length;
      this.#scheduleReplay(REPLAY_BACKOFF.baseMs);
    } else {
      this.stats.dropped += lines.length;
      this.#o.log.warn({ reason: r.reason, criticality, lines: lines.length }, 'spool refused a batch');
    }
  }

  #scheduleReplay(ms: number, attempt = 0): void {
    if (this.#closed || this.#replaying || this.#replayTimer) return;
    this.#replayTimer = setTimeout(() => {
      this.#replayTimer = undefined;
      void this.#replay(attempt);
    }, ms);
    this.#replayTimer.unref();
  }

  /** Drains the spool in order; on failure waits with backoff and tries again. */
  async #replay(attempt: number): Promise<void> {
    if (this.#closed || this.#replaying) return;
    this.#replaying = true;
    try {
      for (;;) {
        if (this.#closed) return;
        const entry = await this.#o.spool.peek();
        if (!entry) return;
        const out = await this.#o.uplink.send(entry.batch, entry.criticality);
        if (out.kind === 'ok' || out.kind === 'failed') {
          if (out.kind === 'ok') {
            this.stats.replayed += out.accepted;
            this.stats.rejectedByRouter += out.rejected.length;
          } else {
            this.#o.log.error({ reason: out.reason }, 'router refused a spooled batch for good; dropped');
          }
          await this.#o.spool.ack(entry.id);
          attempt = 0;
          continue;
        }
        // partial or retryable: the whole entry is resent later (the router dedups nothing,
        // so the partial's accepted lines come twice: at-least-once, counted as replayed).
        const wait = out.kind === 'partial' ? out.retryAfterMs : (out.retryAfterMs ?? 0);
        this.#replaying = false;
        this.#scheduleReplay(Math.max(wait, backoffDelayMs(attempt, REPLAY_BACKOFF)), attempt + 1);
        return;
      }
    } finally {
      this.#replaying = false;
    }
  }

  /** Flushes what is batched (to the router or the spool) and stops replaying. */
  async close(): Promise<void> {
    this.#batcher.flushAll();
    await this.#chain;
    this.#closed = true;
    clearTimeout(this.#replayTimer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
