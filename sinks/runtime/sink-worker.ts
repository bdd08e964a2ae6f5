/**
 * One sink's consumer group on every cluster it reads, with bounded in-flight work:
 * fetch -> filter by logId (from the Kafka key, before any JSON parsing) -> batch per
 * destination key -> write under a per-key adaptive throttle and timeout -> mark done ->
 * commit each partition's contiguous done offsets (after destination.flush()).
 *
 * Isolation (DESIGN.md invariants 2-3): a key whose writes fail or time out has its
 * records spilled to the gutter topic and the partition moves on; a key the throttle
 * rejects goes straight to the gutter without a request. When every key fails (the whole
 * destination is down) the worker opens its breaker: it pauses every partition and probes
 * with one batch at a time instead of copying its whole input into the gutter.
 *
 * Channel priority (DESIGN.md invariant 3, issue #11): every record has the criticality of
 * its channel (criticalityOfTopic: importance x level class of its topic). In-flight work
 * is budgeted per criticality tier: a tier's partitions pause when the records in flight of
 * that tier *and the tiers above it* reach the bound, so the lowest tiers pause first and a
 * high tier is never paused because low tiers filled the budget (the whole worker holds at
 * most about twice the bound: the lowest tier up to the bound, everything above it up to
 * the bound again). Resuming goes the other way, highest first. Batches are formed per
 * (tier, destination key) and wait in PriorityLanes: when a request slot frees, the highest
 * tier with a batch goes, and each lower tier with batches keeps a floor of the turns
 * (`priorityFloorPct`). Fetches ask for the partitions highest tier first.
 *
 * The same worker, in `gutter` mode, is the gutter drainer: it reads the gutter topic with
 * its own group and a capped share of the sink's concurrency, honours each record's
 * backoff (`spw-not-before`), re-spills what fails again and dead-letters a record after
 * maxAttempts or maxAgeMs.
 */

import { Batcher } from '../../core/batcher.ts';
import {
  type ConsumedRecord,
  type KafkaCluster,
  KafkaConsumer,
  type PartitionBatch,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../../core/kafka/index.ts';
import type { Logger } from '../../core/logger.ts';
import { AdaptiveThrottle } from '../../core/resilience/adaptive-throttle.ts';
import { backoffDelayMs } from '../../core/resilience/backoff.ts';
import { CRITICALITIES, type Criticality, criticalityRank } from '../../core/resilience/criticality.ts';
import { PriorityLanes } from '../../core/resilience/priority-lanes.ts';
import type { Telemetry } from '../../core/telemetry.ts';
import { channelOfTopic, criticalityOfTopic, FALLBACK_HEADER } from '../../router/placement.ts';
import {
  type Destination,
  logIdOfKey,
  type ResolvedSinkConfig,
  type SinkRecord,
  type WriteResult,
} from '../core/destination.ts';
import { OffsetTracker } from './offset-tracker.ts';
import { fromSpilled, type Spilled, type SpillwayWriter } from './spillway-writer.ts';

/**
 * Commit every second: after a crash, what finished since the last commit comes again (plus,
 * behind a record still held for its gutter backoff, the records after it on its partition).
 */
export const COMMIT_INTERVAL_MS = 1_000;
/** Resume paused partitions once in-flight work falls below this share of the bound (hysteresis, so they do not flap). */
export const RESUME_AT = 0.7;
/** Consecutive whole-batch failures, with no success in between, that mean "the destination is down". */
export const BREAKER_FAILURES = 3;
/** Keys dispatched within this window count as active when deciding whether all of them fail. */
export const BREAKER_ACTIVE_WINDOW_MS = 10_000;
/** How often an open breaker lets one probe batch through (half-open). */
export const BREAKER_PROBE_MS = 2_000;
/** Gutter retry backoff: full jitter between 1 s and 60 s (attempt-based). */
export const GUTTER_BACKOFF = { baseMs: 1_000, capMs: 60_000 };
/** A gutter record older than this is dead-lettered even with attempts left: a day-old log is news for an operator, not a retry. */
export const GUTTER_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/**
 * Fetch sizes of sink consumers, in wire (compressed) bytes: 256 KiB per partition, 1 MiB per
 * fetch. Log lines compress about 10:1 with zstd, so Kafka's 1 MiB default per partition
 * meant ~40,000 records per partition per fetch, four times the whole in-flight bound: most
 * of them were decoded, then dropped when their tier paused, and fetched again. Measured
 * with bench/channels.ts under a 20,000/s flood: the sink's peak RSS went from ~500 to
 * ~360 MiB, the event-loop stalls behind the ERROR latency spikes (up to 1.3 s) went away,
 * and the destination stayed as busy (0.95x of its capacity); backlog drain speed of the
 * blackhole sink unchanged within noise.
 */
export const SINK_FETCH_PARTITION_BYTES = 256 * 1024;
export const SINK_FETCH_MAX_BYTES = 1024 * 1024;
/** A destination key idle this long is forgotten (its throttle state with it). */
const KEY_IDLE_MS = 10 * 60 * 1000;
/** Idle keys are looked for every this many dispatches. */
const PRUNE_EVERY = 1_000;
/** Pause before retrying to start a consumer whose cluster was down. */
const CONSUMER_RETRY_MS = 5_000;
/** Pause before retrying a spill when no cluster took it. */
const SPILL_RETRY_MS = 1_000;

export type WorkerMode = 'main' | 'gutter';

export interface WorkerSource {
  cluster: KafkaCluster;
  topics: string[];
}

export interface SinkWorkerOptions {
  mode: WorkerMode;
  sink: ResolvedSinkConfig;
  groupId: string;
  sources: WorkerSource[];
  destination: Destination;
  spill: SpillwayWriter;
  /**
   * logId a record is delivered as, or undefined when the sink does not take it (main mode).
   * `writtenAsUnknown`: the router placed it as the fallback logId (FALLBACK_HEADER).
   */
  accept: (
    keyLogId: string | undefined,
    writtenAsUnknown: boolean,
    cluster: string,
    topic: string,
  ) => string | undefined;
  concurrency: number;
  telemetry: Telemetry;
  log: Logger;
  commitIntervalMs?: number;
  /** Consumer fetch wait; short in tests so pause/resume reacts fast. */
  maxWaitMs?: number;
  /** The drainer holds its writes while this says the destination is down (the main worker's breaker). */
  destinationDown?: () => boolean;
  /** Gutter retry backoff (drainer). @default GUTTER_BACKOFF */
  gutterBackoff?: { baseMs: number; capMs: number };
}

interface Item {
  rec: SinkRecord;
  /** Where this item sits in the consumed topic (main topic, or gutter topic in gutter mode). */
  src: string;
  offset: bigint;
  firstFailedAt: number;
  /** Criticality of the record's channel (its origin topic's, in the drainer). */
  tier: Criticality;
}

interface TopicInfo {
  tier: Criticality;
  /** Metric labels of the topic's channel: importance and level class (bounded by the config). */
  labels: { importance: string; level_class: string };
}

/** One destination request's worth of records of one tier. */
interface Queued {
  key: string;
  items: Item[];
}

type BreakerState = 'closed' | 'open' | 'half-open';

const tpKey = (cluster: string, topic: string, partition: number) => `${cluster}\u0000${topic}\u0000${partition}`;

export class SinkWorker {
  readonly #o: SinkWorkerOptions;
  readonly #consumers = new Map<string, KafkaConsumer>();
  readonly #trackers = new Map<string, OffsetTracker>();
  readonly #committed = new Map<string, bigint>();
  /** Partitions paused now (tpKey). */
  readonly #paused = new Set<string>();
  readonly #throttles = new Map<string, AdaptiveThrottle>();
  readonly #batcher: Batcher<Item>;
  readonly #queue: PriorityLanes<Queued>;
  #running = 0;
  /** Records and bytes in flight per tier, index = criticalityRank. */
  readonly #tierRecords = [0, 0, 0, 0];
  readonly #tierBytes = [0, 0, 0, 0];
  /** Tiers paused by the in-flight budget, index = criticalityRank (always a bottom slice). */
  readonly #tierPaused = [false, false, false, false];
  /** Whether every partition was paused at the last #applyPauses (breaker, failing spill, stop). */
  #allPaused = false;
  /** Spills that found no cluster and are retrying: every partition stays paused meanwhile. */
  #spillsFailing = 0;
  /** Tier and metric labels of each topic, from its name (computed once per topic). */
  readonly #topics = new Map<string, TopicInfo>();
  #breaker: BreakerState = 'closed';
  #failuresInARow = 0;
  readonly #failingKeys = new Set<string>();
  /** Last dispatch time per destination key, to tell "all keys failing" from "one key failing". */
  readonly #activeKeys = new Map<string, number>();
  #dispatches = 0;
  #probeTimer: NodeJS.Timeout | undefined;
  #heldTimer: NodeJS.Timeout | undefined;
  #commitTimer: NodeJS.Timeout | undefined;
  #stopping = false;
  /** Set once close() has waited its grace period: nothing new starts after it. */
  #closed = false;
  #idle: (() => void) | undefined;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #label: { sink: string; worker: string };

  constructor(options: SinkWorkerOptions) {
    this.#o = options;
    this.#label = { sink: options.sink.name, worker: options.mode };
    this.#queue = new PriorityLanes<Queued>(options.sink.priorityFloorPct);
    // Batch key: the tier's rank (one digit) then the destination key, so a batch never
    // mixes tiers and an ERROR record never waits for an INFO batch to fill.
    this.#batcher = new Batcher<Item>(
      options.sink.batch,
      (i) => i.rec.value.length,
      (key, items) => this.#enqueue(items[0]!.tier, key.slice(1), items),
    );
  }

  async start(): Promise<void> {
    for (const src of this.#o.sources) {
      if (src.topics.length === 0) continue;
      const consumer = new KafkaConsumer(src.cluster, {
        clientId: `spillway-sink-${this.#o.sink.name}-${this.#o.mode}`,
        groupId: this.#o.groupId,
        topics: src.topics,
        maxWaitMs: this.#o.maxWaitMs,
        // A fetch is decoded whole before its records are handled, so it must stay near the
        // in-flight bound instead of pulling tens of MiB of backlog at once (see the constants).
        maxBytes: SINK_FETCH_MAX_BYTES,
        maxBytesPerPartition: SINK_FETCH_PARTITION_BYTES,
        priorityOf: (tp) => criticalityRank(this.#tierOf(tp.topic)),
        onBatch: (b) => this.#onBatch(src.cluster.name, b),
        onAssign: (_assigned, revoked) => {
          for (const tp of revoked) {
            const k = tpKey(src.cluster.name, tp.topic, tp.partition);
            this.#trackers.delete(k);
            this.#committed.delete(k);
            this.#paused.delete(k);
          }
          // Partitions gained while their tier is paused start paused.
          this.#applyPauses(true);
        },
        onError: (err) => this.#o.log.warn({ cluster: src.cluster.name, err: err.message }, 'consumer error'),
      });
      this.#consumers.set(src.cluster.name, consumer);
    }
    // A cluster that is down at start-up must not keep the sink from working on the others
    // (e.g. the gutter cluster): its consumer keeps retrying in the background.
    await Promise.all([...this.#consumers].map(([cluster, c]) => this.#startConsumer(cluster, c)));
    this.#commitTimer = setInterval(() => void this.commit(), this.#o.commitIntervalMs ?? COMMIT_INTERVAL_MS);
    this.#commitTimer.unref();
  }

  async #startConsumer(cluster: string, consumer: KafkaConsumer): Promise<void> {
    try {
      await consumer.start();
    } catch (err) {
      if (this.#stopping) return;
      this.#o.log.warn({ cluster, err: (err as Error).message }, 'consumer could not start; retrying');
      const t = setTimeout(() => {
        this.#timers.delete(t);
        void this.#startConsumer(cluster, consumer);
      }, CONSUMER_RETRY_MS);
      this.#timers.add(t);
    }
  }

  /** Records handed out and not yet finished (delivered, spilled or dead-lettered). */
  get inFlight(): number {
    return this.#tierRecords.reduce((a, b) => a + b, 0);
  }

  get breaker(): BreakerState {
    return this.#breaker;
  }

  /** Highest rejection probability among destination keys (0 = healthy). */
  throttleProbability(): number {
    let p = 0;
    for (const t of this.#throttles.values()) p = Math.max(p, t.rejectProbability());
    return p;
  }

  #topic(topic: string): TopicInfo {
    let info = this.#topics.get(topic);
    if (info === undefined) {
      const ch = channelOfTopic(topic);
      info = {
        tier: criticalityOfTopic(topic),
        labels: ch ? { importance: ch.importance, level_class: ch.levelClass } : NO_CHANNEL,
      };
      this.#topics.set(topic, info);
    }
    return info;
  }

  #tierOf(topic: string): Criticality {
    return this.#topic(topic).tier;
  }

  /** Tiers whose partitions the in-flight budget has paused now, highest first. */
  pausedTiers(): Criticality[] {
    return CRITICALITIES.filter((c) => this.#tierPaused[criticalityRank(c)]);
  }

  #onBatch(cluster: string, batch: PartitionBatch): void {
    const k = tpKey(cluster, batch.topic, batch.partition);
    let tracker = this.#trackers.get(k);
    if (!tracker) {
      tracker = new OffsetTracker();
      this.#trackers.set(k, tracker);
    }
    const now = Date.now();
    const tier = this.#tierOf(batch.topic);
    for (const r of batch.records) {
      const got = this.#itemOf(cluster, r, k, tier);
      if (!got) {
        tracker.skip(r.offset);
        continue;
      }
      const { item, notBefore } = got;
      tracker.track(r.offset, item.rec.value.length);
      this.#count(item, 1);
      if (notBefore > now) {
        // Backoff of a gutter record: hold it (counted in flight, so the bound still applies).
        const t = setTimeout(() => {
          this.#timers.delete(t);
          this.#batch(item);
        }, notBefore - now);
        this.#timers.add(t);
      } else {
        this.#batch(item);
      }
    }
    // Pausing here (not after the whole fetch) stops the rest of this fetch's partitions of
    // a paused tier from being delivered: the consumer drops them and fetches them again.
    this.#applyPauses();
    this.#gauges();
  }

  #batch(item: Item): void {
    this.#batcher.add(`${criticalityRank(item.tier)}${this.#o.destination.keyOf(item.rec)}`, item);
  }

  /** Books `sign` (1 or -1) items in flight in its tier. */
  #count(item: Item, sign: 1 | -1): void {
    const rank = criticalityRank(item.tier);
    this.#tierRecords[rank]! += sign;
    this.#tierBytes[rank]! += item.rec.value.length * sign;
  }

  /** @param tier the consumed partition's tier (main mode; the drainer uses each record's origin topic) */
  #itemOf(
    cluster: string,
    r: ConsumedRecord,
    src: string,
    tier: Criticality,
  ): { item: Item; notBefore: number } | undefined {
    if (!r.value) return undefined;
    if (this.#o.mode === 'main') {
      const logId = this.#o.accept(
        logIdOfKey(r.key),
        r.headers.some(([k]) => k === FALLBACK_HEADER),
        cluster,
        r.topic,
      );
      if (logId === undefined) return undefined;
      return {
        item: {
          rec: {
            cluster,
            topic: r.topic,
            partition: r.partition,
            offset: r.offset,
            logId,
            value: r.value,
            timestampMs: r.timestampMs,
            attempts: 0,
          },
          src,
          offset: r.offset,
          firstFailedAt: 0,
          tier,
        },
        notBefore: 0,
      };
    }
    const s = fromSpilled(r.headers, r.value, logIdOfKey(r.key) ?? '');
    return {
      item: {
        rec: s.record,
        src,
        offset: r.offset,
        firstFailedAt: s.firstFailedAt,
        // The drainer serves a gutter record by its origin channel: ERROR retries before INFO ones.
        tier: this.#tierOf(s.record.topic),
      },
      notBefore: s.notBeforeMs,
    };
  }

  /**
   * Updates which tiers the in-flight budget pauses (see the module comment): tier r is over
   * its budget when the records (or bytes) in flight of r and every tier above it reach the
   * bound, and back under it below RESUME_AT of the bound (hysteresis, so it does not flap).
   * Then, when a tier or the pause-everything state changed (or `assigned`: partitions came
   * or went), pauses and resumes partitions to match, changing only what differs.
   */
  #applyPauses(assigned = false): void {
    const s = this.#o.sink;
    let records = 0;
    let bytes = 0;
    let changed = false;
    for (let r = this.#tierPaused.length - 1; r >= 0; r--) {
      records += this.#tierRecords[r]!;
      bytes += this.#tierBytes[r]!;
      const over = this.#tierPaused[r]
        ? records > s.maxInFlightRecords * RESUME_AT || bytes > s.maxInFlightBytes * RESUME_AT
        : records >= s.maxInFlightRecords || bytes >= s.maxInFlightBytes;
      if (over !== this.#tierPaused[r]) {
        this.#tierPaused[r] = over;
        changed = true;
      }
    }
    const all = this.#stopping || this.#breaker !== 'closed' || this.#spillsFailing > 0;
    if (!changed && !assigned && all === this.#allPaused) return;
    this.#allPaused = all;
    for (const [cluster, c] of this.#consumers) {
      const pause: TopicPartition[] = [];
      const resume: TopicPartition[] = [];
      for (const tp of c.assignments()) {
        const k = tpKey(cluster, tp.topic, tp.partition);
        const want = all || this.#tierPaused[criticalityRank(this.#tierOf(tp.topic))]!;
        if (want === this.#paused.has(k)) continue;
        if (want) {
          this.#paused.add(k);
          pause.push(tp);
        } else {
          this.#paused.delete(k);
          resume.push(tp);
        }
      }
      if (pause.length > 0) c.pause(pause);
      if (resume.length > 0) c.resume(resume);
    }
  }

  /** Runs fn after ms unless the worker closes first (the timer is cleared at close). */
  #later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (!this.#closed) fn();
    }, ms);
    this.#timers.add(t);
  }

  #enqueue(tier: Criticality, key: string, items: Item[]): void {
    this.#queue.push(tier, { key, items });
    this.#pump();
  }

  #pump(): void {
    if (this.#closed) return;
    if (this.#o.destinationDown?.() && this.#queue.size > 0) {
      // Replaying the gutter into a destination that is down only makes more retries.
      this.#heldTimer ??= setTimeout(() => {
        this.#heldTimer = undefined;
        this.#pump();
      }, BREAKER_PROBE_MS / 2);
      return;
    }
    while (this.#running < this.#o.concurrency && this.#queue.size > 0) {
      if (this.#breaker === 'open') return;
      const next = this.#queue.shift()!;
      this.#running++;
      if (this.#breaker === 'half-open') this.#breaker = 'open'; // exactly one probe
      void this.#dispatch(next.criticality, next.item.key, next.item.items).finally(() => {
        this.#running--;
        this.#pump();
        if (this.#running === 0 && (this.#queue.size === 0 || this.#blocked())) this.#idle?.();
      });
    }
  }

  /** Forgets keys idle for a while (daily indices, unknown logIds): the maps stay bounded. */
  #pruneIdleKeys(now: number): void {
    for (const [k, at] of this.#activeKeys) {
      if (now - at > KEY_IDLE_MS) {
        this.#activeKeys.delete(k);
        this.#throttles.delete(k);
      }
    }
  }

  #throttle(key: string): AdaptiveThrottle {
    let t = this.#throttles.get(key);
    if (!t) {
      t = new AdaptiveThrottle({ k: this.#o.sink.gutter.throttleK, windowMs: this.#o.sink.gutter.throttleWindowMs });
      this.#throttles.set(key, t);
    }
    return t;
  }

  async #write(key: string, items: Item[]): Promise<WriteResult> {
    const signal = AbortSignal.timeout(this.#o.sink.requestTimeoutMs);
    try {
      const r = await this.#o.destination.write(
        key,
        items.map((i) => i.rec),
        signal,
      );
      return r;
    } catch (err) {
      // A destination should return results, not throw; a throw is treated as retryable.
      return {
        kind: 'retryable',
        reason: signal.aborted ? `timed out after ${this.#o.sink.requestTimeoutMs} ms` : (err as Error).message,
      };
    }
  }

  async #dispatch(tier: Criticality, key: string, items: Item[]): Promise<void> {
    const throttle = this.#throttle(key);
    const gutterEnabled = this.#o.sink.gutter.enabled;
    const now = Date.now();
    this.#activeKeys.set(key, now);
    if (++this.#dispatches % PRUNE_EVERY === 0) this.#pruneIdleKeys(now);
    if (this.#o.mode === 'main' && gutterEnabled && this.#breaker === 'closed' && !throttle.shouldAttempt()) {
      // A throttled key counts as failing: when every active key is, the destination is down.
      if (this.#tripped(key)) {
        this.#queue.unshift(tier, { key, items });
        return;
      }
      await this.#spill(
        items,
        `throttled: destination "${key}" is rejecting or timing out (p=${throttle.rejectProbability().toFixed(2)})`,
        'gutter',
      );
      return;
    }
    let result = await this.#write(key, items);
    if (result.kind === 'partial' && result.failed.length === items.length && result.failed.every((f) => f.retryable)) {
      // Every item refused as retryable (a bulk answer of all 429s): the destination is
      // pushing back as a whole, so it counts as a whole-batch failure for throttle and breaker.
      result = { kind: 'retryable', reason: result.failed[0]!.reason };
    }
    switch (result.kind) {
      case 'ok':
        throttle.record(true);
        this.#succeeded();
        this.#finish(items, true);
        return;
      case 'partial': {
        const retryable = result.failed.some((f) => f.retryable);
        throttle.record(!retryable);
        this.#succeeded();
        const failedAt = new Set(result.failed.map((f) => f.index));
        this.#finish(
          items.filter((_, i) => !failedAt.has(i)),
          true,
        );
        const retry = result.failed.filter((f) => f.retryable);
        const dead = result.failed.filter((f) => !f.retryable);
        await Promise.all([
          this.#failed(
            key,
            retry.map((f) => items[f.index]!),
            retry.map((f) => f.reason),
          ),
          this.#spill(
            dead.map((f) => items[f.index]!),
            dead.map((f) => f.reason),
            'dead-letter',
          ),
        ]);
        return;
      }
      case 'retryable': {
        throttle.record(false);
        if (this.#o.mode === 'main' && this.#tripped(key)) {
          // Destination down: keep the batch and probe later instead of spilling everything.
          this.#queue.unshift(tier, { key, items });
          return;
        }
        await this.#failed(key, items, result.reason);
        return;
      }
      case 'failed':
        throttle.record(true);
        // The destination answered (a 4xx): it is up, whatever it thought of this batch.
        this.#succeeded();
        await this.#spill(items, result.reason, 'dead-letter');
        return;
    }
  }

  /**
   * Whole-batch failure bookkeeping; true when the breaker is (now) open. It opens when the
   * current streak of failures (no success in between) is at least BREAKER_FAILURES long
   * and covers every key that had traffic recently: one failing index among healthy ones
   * never opens it (that is the gutter's job), all of them failing does.
   */
  #tripped(key: string): boolean {
    this.#failuresInARow++;
    this.#failingKeys.add(key);
    if (this.#breaker === 'closed' && this.#failuresInARow >= BREAKER_FAILURES) {
      const since = Date.now() - BREAKER_ACTIVE_WINDOW_MS;
      const active = [...this.#activeKeys].filter(([, at]) => at >= since).map(([k]) => k);
      if (active.every((k) => this.#failingKeys.has(k))) {
        this.#o.log.warn(
          { sink: this.#o.sink.name, failures: this.#failuresInARow, keys: active.length },
          'destination down: pausing and probing',
        );
        this.#breaker = 'open';
        this.#applyPauses();
      }
    }
    if (this.#breaker !== 'closed') {
      this.#breaker = 'open';
      this.#probeTimer ??= setTimeout(() => {
        this.#probeTimer = undefined;
        this.#breaker = 'half-open';
        this.#pump();
      }, BREAKER_PROBE_MS);
      this.#probeTimer.unref();
      return true;
    }
    return false;
  }

  #succeeded(): void {
    this.#failuresInARow = 0;
    this.#failingKeys.clear();
    if (this.#breaker !== 'closed') {
      this.#o.log.info({ sink: this.#o.sink.name }, 'destination back: resuming');
      this.#breaker = 'closed';
      clearTimeout(this.#probeTimer);
      this.#probeTimer = undefined;
      this.#applyPauses();
      this.#pump();
    }
  }

  /**
   * Retryable failure of these items: to the gutter (main), or another gutter round / dead
   * letter (drainer). Without a gutter (main, gutter.enabled false) there is no topic to
   * park them in: they are tried again after a pause, without holding a slot meanwhile.
   */
  async #failed(key: string, items: Item[], reasons: string | string[]): Promise<void> {
    if (items.length === 0) return;
    const reasonOf = (i: number) => (Array.isArray(reasons) ? reasons[i]! : reasons);
    if (this.#o.mode === 'main') {
      if (this.#o.sink.gutter.enabled) await this.#spill(items, reasons, 'gutter');
      else this.#later(() => this.#enqueue(items[0]!.tier, key, items), BREAKER_PROBE_MS);
      return;
    }
    const now = Date.now();
    const backoff = this.#o.gutterBackoff ?? GUTTER_BACKOFF;
    const again: Spilled[] = [];
    const dead: Spilled[] = [];
    const againItems: Item[] = [];
    const deadItems: Item[] = [];
    items.forEach((it, i) => {
      const attempts = it.rec.attempts + 1;
      const s: Spilled = {
        record: { ...it.rec, attempts },
        reason: reasonOf(i),
        firstFailedAt: it.firstFailedAt || now,
      };
      if (attempts >= this.#o.sink.deadLetter.maxAttempts || now - s.firstFailedAt > GUTTER_MAX_AGE_MS) {
        dead.push({ ...s, reason: `${s.reason} (after ${attempts} attempts)` });
        deadItems.push(it);
      } else {
        again.push({
          ...s,
          notBeforeMs: now + Math.max(backoff.baseMs, backoffDelayMs(attempts, backoff)),
        });
        againItems.push(it);
      }
    });
    await Promise.all([
      this.#spillPrepared(againItems, again, 'gutter'),
      this.#spillPrepared(deadItems, dead, 'dead-letter'),
    ]);
  }

  async #spill(items: Item[], reasons: string | string[], where: 'gutter' | 'dead-letter'): Promise<void> {
    if (items.length === 0) return;
    const now = Date.now();
    const spilled = items.map((it, i) => ({
      record: it.rec,
      reason: Array.isArray(reasons) ? reasons[i]! : reasons,
      firstFailedAt: it.firstFailedAt || now,
    }));
    await this.#spillPrepared(items, spilled, where);
  }

  /** Writes to the gutter / dead-letter topic until a cluster takes it; pauses meanwhile. Never drops. */
  async #spillPrepared(items: Item[], spilled: Spilled[], where: 'gutter' | 'dead-letter'): Promise<void> {
    if (items.length === 0) return;
    let failing = false;
    for (let attempt = 0; ; attempt++) {
      try {
        if (where === 'gutter') await this.#o.spill.toGutter(spilled);
        else await this.#o.spill.toDeadLetter(spilled);
        break;
      } catch (err) {
        // Closed: leave the records unfinished; uncommitted, they come again after a restart.
        if (this.#closed) return;
        this.#o.log.error(
          { sink: this.#o.sink.name, where, err: (err as Error).message, attempt },
          'no cluster took the spill; pausing',
        );
        if (!failing) {
          failing = true;
          this.#spillsFailing++;
          this.#applyPauses();
        }
        await new Promise((r) => setTimeout(r, SPILL_RETRY_MS).unref());
      }
    }
    if (failing) this.#spillsFailing--;
    const t = this.#o.telemetry;
    // Records the drainer puts back for another round are "retry", not new gutter input.
    const direction = this.#o.mode === 'main' ? 'in' : 'retry';
    if (where === 'gutter')
      t.inc('spillway_gutter_records_total', { sink: this.#o.sink.name, direction }, items.length);
    else t.inc('spillway_dead_letters_total', { sink: this.#o.sink.name }, items.length);
    this.#finish(items, false);
  }

  #finish(items: Item[], delivered: boolean): void {
    for (const it of items) {
      this.#trackers.get(it.src)?.done(it.offset);
      this.#count(it, -1);
    }
    if (delivered && items.length > 0) {
      const t = this.#o.telemetry;
      for (const [topic, n] of countBy(items, (i) => i.rec.topic)) {
        t.inc('spillway_records_delivered_total', { sink: this.#o.sink.name, ...this.#topic(topic).labels }, n);
      }
      if (this.#o.mode === 'gutter')
        t.inc('spillway_gutter_records_total', { sink: this.#o.sink.name, direction: 'out' }, items.length);
    }
    this.#applyPauses();
    this.#gauges();
  }

  #gauges(): void {
    const t = this.#o.telemetry;
    t.set('spillway_sink_inflight_records', this.inFlight, this.#label);
    t.set('spillway_sink_paused_partitions', this.#paused.size, this.#label);
    for (const c of CRITICALITIES) {
      const r = criticalityRank(c);
      const labels = { ...this.#label, criticality: c };
      t.set('spillway_sink_tier_inflight_records', this.#tierRecords[r]!, labels);
      t.set('spillway_sink_tier_paused', this.#tierPaused[r] ? 1 : 0, labels);
    }
  }

  /** Commits every partition's contiguous finished offsets (after making the destination durable). */
  async commit(): Promise<void> {
    const perCluster = new Map<string, TopicPartitionOffset[]>();
    for (const [k, tracker] of this.#trackers) {
      const next = tracker.committable();
      if (next === undefined || this.#committed.get(k) === next) continue;
      const [cluster, topic, partition] = k.split('\u0000') as [string, string, string];
      const entry = { topic, partition: Number(partition), offset: next };
      const list = perCluster.get(cluster);
      if (list) list.push(entry);
      else perCluster.set(cluster, [entry]);
    }
    if (perCluster.size === 0) return;
    try {
      await this.#o.destination.flush?.();
    } catch (err) {
      this.#o.log.error(
        { sink: this.#o.sink.name, err: (err as Error).message },
        'destination flush failed; not committing',
      );
      return;
    }
    await Promise.all(
      [...perCluster].map(async ([cluster, offsets]) => {
        try {
          await this.#consumers.get(cluster)!.commit(offsets);
          for (const o of offsets) this.#committed.set(tpKey(cluster, o.topic, o.partition), o.offset);
        } catch (err) {
          this.#o.log.warn(
            { sink: this.#o.sink.name, cluster, err: (err as Error).message },
            'commit failed; will retry',
          );
        }
      }),
    );
  }

  /** True while queued batches cannot go out: the breaker is not closed, or (drainer) the destination is down. */
  #blocked(): boolean {
    return this.#breaker !== 'closed' || this.#o.destinationDown?.() === true;
  }

  /**
   * Graceful stop: stop fetching, finish or spill what is in flight (bounded), commit, leave
   * the groups. With the destination down, queued batches cannot finish: only requests
   * already running are waited for, and the queued records stay uncommitted (the next start
   * delivers them), so a sink whose destination is down stops at once.
   */
  async close(graceMs = this.#o.sink.requestTimeoutMs * 2): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#commitTimer);
    this.#applyPauses();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#batcher.flushAll();
    if (this.#running > 0 || (this.#queue.size > 0 && !this.#blocked())) {
      await Promise.race([
        new Promise<void>((resolve) => {
          this.#idle = resolve;
        }),
        new Promise((r) => setTimeout(r, graceMs).unref()),
      ]);
    }
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    clearTimeout(this.#probeTimer);
    clearTimeout(this.#heldTimer);
    await this.commit();
    await Promise.all([...this.#consumers.values()].map((c) => c.close()));
  }
}

function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const it of items) {
    const k = keyOf(it);
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

/** Delivered-records labels of a record of no channel (gutter, dead letters, foreign topics). */
const NO_CHANNEL = { importance: 'none', level_class: 'none' } as const;
