/**
 * A FIFO queue bounded in items and bytes that says what it does when full, counts every
 * drop with its reason and criticality, and hands out what it holds exactly once on
 * shutdown. Modelled on Vector's buffer `when_full` (block | drop_newest)
 * (https://vector.dev/docs/reference/configuration/sinks/#buffer.when_full) and the
 * OpenTelemetry batch processor's bounded queue; "shed-lowest" adds the SRE book's
 * criticality-aware shedding (https://sre.google/sre-book/handling-overload/).
 */
import { type Criticality, criticalityRank } from './criticality.ts';

/**
 * - `block`: `push` waits until the item fits (backpressure to the producer). Waiting
 *   pushes are admitted in arrival order.
 * - `shed-lowest`: `push` never waits. When the new item does not fit, the oldest items of
 *   the lowest criticality below the new item's are evicted until it fits; if even evicting
 *   every lower item would not make room (in particular when the new item is of the lowest
 *   criticality present), the new item is rejected and nothing is evicted.
 */
export type WhenFull = 'block' | 'shed-lowest';

/** What a queued item must tell the queue. */
export interface QueueItem {
  criticality: Criticality;
  bytes: number;
}

/**
 * - `evicted`: an queued item was evicted to admit a more critical one (shed-lowest).
 * - `rejected`: the new item was refused because the queue is full of items at least as critical (shed-lowest).
 * - `too-large`: the item alone is larger than `maxBytes`; it can never fit.
 * - `closed`: pushed after `close()`, or still waiting (block) when `close()` was called.
 */
export type QueueDropReason = 'evicted' | 'rejected' | 'too-large' | 'closed';

export type PushResult<T> = { ok: true; evicted: T[] } | { ok: false; reason: QueueDropReason };

export interface BoundedQueueOptions {
  /** Most items held. */
  maxItems: number;
  /** Most bytes held (sum of `bytes`). */
  maxBytes: number;
  whenFull: WhenFull;
}

export interface BoundedQueueStats {
  items: number;
  bytes: number;
  /** Pushes waiting for room (block). */
  waiting: number;
  /** Dropped items, per reason and criticality. */
  dropped: Record<QueueDropReason, Record<Criticality, number>>;
}

interface Entry<T> {
  seq: number;
  item: T;
}

interface Waiter<T> {
  item: T;
  resolve(result: PushResult<T>): void;
}

export class BoundedQueue<T extends QueueItem> {
  readonly #maxItems: number;
  readonly #maxBytes: number;
  readonly #whenFull: WhenFull;
  /** One FIFO per criticality (index = rank), so the oldest lowest item is found in O(1). */
  readonly #lanes: Entry<T>[][] = [[], [], [], []];
  readonly #waiters: Waiter<T>[] = [];
  #seq = 0;
  #items = 0;
  #bytes = 0;
  #closed: T[] | undefined;
  readonly #dropped: Record<QueueDropReason, Record<Criticality, number>> = {
    evicted: zeroCounts(),
    rejected: zeroCounts(),
    'too-large': zeroCounts(),
    closed: zeroCounts(),
  };

  constructor(options: BoundedQueueOptions) {
    if (!(Number.isInteger(options.maxItems) && options.maxItems >= 1)) {
      throw new RangeError(`BoundedQueue: maxItems must be an integer >= 1, got ${options.maxItems}`);
    }
    if (!(options.maxBytes > 0)) throw new RangeError(`BoundedQueue: maxBytes must be > 0, got ${options.maxBytes}`);
    this.#maxItems = options.maxItems;
    this.#maxBytes = options.maxBytes;
    this.#whenFull = options.whenFull;
  }

  get size(): number {
    return this.#items;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /**
   * Adds `item`, or says why not. With `shed-lowest` the promise is already settled (use
   * {@link offer} for a synchronous result); with `block` it settles when the item is
   * admitted or the queue closes. Never rejects.
   */
  push(item: T): Promise<PushResult<T>> {
    const immediate = this.#tryAdmit(item, this.#whenFull === 'shed-lowest');
    if (immediate !== undefined) return Promise.resolve(immediate);
    return new Promise((resolve) => this.#waiters.push({ item, resolve }));
  }

  /**
   * Synchronous push for `shed-lowest`. With `block`, an item that does not fit now is
   * refused with `rejected` (counted) instead of waiting.
   */
  offer(item: T): PushResult<T> {
    const result = this.#tryAdmit(item, this.#whenFull === 'shed-lowest');
    if (result !== undefined) return result;
    return this.#drop(item, 'rejected');
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    let lane: Entry<T>[] | undefined;
    for (const candidate of this.#lanes) {
      const head = candidate[0];
      if (head !== undefined && (lane === undefined || head.seq < lane[0]!.seq)) lane = candidate;
    }
    const entry = lane?.shift();
    if (entry === undefined) return undefined;
    this.#remove(entry.item);
    this.#admitWaiters();
    return entry.item;
  }

  /** Removes and returns every queued item, oldest first (a flush). Admits waiting pushes into the freed room. */
  drain(): T[] {
    const out = this.#takeAll();
    this.#admitWaiters();
    return out;
  }

  /**
   * Stops admitting: waiting pushes settle with `closed`, later pushes are refused with
   * `closed`, and the items still queued are returned, oldest first. The flush happens
   * exactly once: later calls return an empty array.
   */
  close(): T[] {
    if (this.#closed !== undefined) return [];
    const out = this.#takeAll();
    this.#closed = out;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(this.#drop(waiter.item, 'closed'));
    return out;
  }

  stats(): BoundedQueueStats {
    const dropped = {} as Record<QueueDropReason, Record<Criticality, number>>;
    for (const [reason, counts] of Object.entries(this.#dropped)) dropped[reason as QueueDropReason] = { ...counts };
    return { items: this.#items, bytes: this.#bytes, waiting: this.#waiters.length, dropped };
  }

  /** A settled result, or undefined when `block` should wait. */
  #tryAdmit(item: T, shed: boolean): PushResult<T> | undefined {
    if (this.#closed !== undefined) return this.#drop(item, 'closed');
    if (item.bytes > this.#maxBytes) return this.#drop(item, 'too-large');
    if (this.#waiters.length === 0 && this.#fits(item.bytes, 0, 0)) {
      this.#add(item);
      return { ok: true, evicted: [] };
    }
    if (!shed) return undefined;
    // Plan evictions before doing any, so a push that cannot be made to fit evicts nothing.
    const rank = criticalityRank(item.criticality);
    const victims: Entry<T>[] = [];
    let freedItems = 0;
    let freedBytes = 0;
    for (let r = 0; r < rank && !this.#fits(item.bytes, freedItems, freedBytes); r++) {
      for (const entry of this.#lanes[r]!) {
        victims.push(entry);
        freedItems++;
        freedBytes += entry.item.bytes;
        if (this.#fits(item.bytes, freedItems, freedBytes)) break;
      }
    }
    if (!this.#fits(item.bytes, freedItems, freedBytes)) return this.#drop(item, 'rejected');
    const evicted: T[] = [];
    for (const victim of victims) {
      const lane = this.#lanes[criticalityRank(victim.item.criticality)]!;
      lane.splice(lane.indexOf(victim), 1);
      this.#remove(victim.item);
      this.#dropped.evicted[victim.item.criticality]++;
      evicted.push(victim.item);
    }
    this.#add(item);
    return { ok: true, evicted };
  }

  #fits(bytes: number, freedItems: number, freedBytes: number): boolean {
    return this.#items - freedItems + 1 <= this.#maxItems && this.#bytes - freedBytes + bytes <= this.#maxBytes;
  }

  #add(item: T): void {
    this.#lanes[criticalityRank(item.criticality)]!.push({ seq: this.#seq++, item });
    this.#items++;
    this.#bytes += item.bytes;
  }

  #remove(item: T): void {
    this.#items--;
    this.#bytes -= item.bytes;
  }

  #drop(item: T, reason: QueueDropReason): { ok: false; reason: QueueDropReason } {
    this.#dropped[reason][item.criticality]++;
    return { ok: false, reason };
  }

  #takeAll(): T[] {
    const entries = this.#lanes.flatMap((lane) => lane.splice(0));
    entries.sort((a, b) => a.seq - b.seq);
    this.#items = 0;
    this.#bytes = 0;
    return entries.map((e) => e.item);
  }

  /** Block mode: admit waiting pushes, in order, while the head one fits. */
  #admitWaiters(): void {
    while (this.#waiters.length > 0 && this.#closed === undefined) {
      const head = this.#waiters[0]!;
      if (!this.#fits(head.item.bytes, 0, 0)) return;
      this.#waiters.shift();
      this.#add(head.item);
      head.resolve({ ok: true, evicted: [] });
    }
  }
}

function zeroCounts(): Record<Criticality, number> {
  return { CRITICAL_PLUS: 0, CRITICAL: 0, SHEDDABLE_PLUS: 0, SHEDDABLE: 0 };
}
