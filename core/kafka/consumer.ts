/**
 * A group consumer with per-partition pause/resume and explicit commits.
 *
 * Why our own fetch loop: @platformatic/kafka's MessagesStream pauses a whole stream, not
 * one partition, and a sink must be able to stop fetching only the partitions that are
 * behind (issue #5, DESIGN.md invariant 3). The client's public low-level API gives us
 * everything needed — group membership and heartbeats (joinGroup), fetch by leader node,
 * listOffsets, listCommittedOffsets, commit — so this loop only decides *which* partitions
 * to fetch, from which offset, and hands each partition's records over in order.
 *
 * Semantics:
 * - `onBatch` gets one partition's records at a time, in offset order, and is awaited: keep
 *   it fast (enqueue and return) and use pause() for backpressure.
 * - After pause(tp) returns, no batch of tp is delivered until resume(tp); records fetched
 *   in flight are dropped and fetched again after resume, so nothing is skipped.
 * - Nothing is committed implicitly. commit() takes the *next* offset to read (Kafka's
 *   convention): commit(offset of the last processed record + 1).
 * - On a rebalance, partitions this member keeps continue where they were; partitions it
 *   gains start at the group's commits, so records another member fetched but did not
 *   commit are delivered again (at-least-once; duplicates are bounded by what that member
 *   had in flight).
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, type Offsets } from '@platformatic/kafka';
import { clientOptions, type KafkaCluster } from './connection.ts';
import { wrapKafkaError } from './errors.ts';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** For commits: the next offset to read. */
  offset: bigint;
}

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestampMs: number;
  key: Buffer | null;
  /** The raw value bytes: parse only what you keep. */
  value: Buffer | null;
  headers: Array<[string, Buffer | null]>;
}

export interface PartitionBatch extends TopicPartition {
  records: ConsumedRecord[];
  /** The partition's high watermark at fetch time: lag = highWatermark - (last offset + 1). */
  highWatermark: bigint;
}

export interface ConsumerOptions {
  clientId: string;
  groupId: string;
  topics: string[];
  /** Where a partition starts when the group has no commit for it. @default 'earliest' (a log pipeline must not skip a backlog) */
  startAt?: 'earliest' | 'latest';
  /** @default 16 MiB */
  maxBytes?: number;
  /** @default 4 MiB */
  maxBytesPerPartition?: number;
  /** How long the broker may hold a fetch waiting for data. @default 500 */
  maxWaitMs?: number;
  /** @default 30000 */
  sessionTimeoutMs?: number;
  /** @default 3000 */
  heartbeatIntervalMs?: number;
  /** @default 60000 */
  rebalanceTimeoutMs?: number;
  /**
   * A partition's priority (higher first). Each fetch lists the partitions highest first, and
   * a broker fills a fetch response in request order, so under a backlog the high ones get
   * the response's bytes and are delivered first. @default every partition equal
   */
  priorityOf?: (tp: TopicPartition) => number;
  onBatch: (batch: PartitionBatch) => Promise<void> | void;
  /** Called after each (re)join with the partitions this member now owns. */
  onAssign?: (assigned: TopicPartition[], revoked: TopicPartition[]) => Promise<void> | void;
  /** Errors the loop recovered from (it keeps going); fatal ones reject `closed`. */
  onError?: (err: Error) => void;
}

/** 16 MiB per fetch: several partitions' worth of ~256 B log records while bounding memory per consumer. */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
/** 4 MiB per partition: about 16k log records, enough for a full bulk request per fetch. */
export const DEFAULT_MAX_BYTES_PER_PARTITION = 4 * 1024 * 1024;
/** 500 ms: Kafka's own fetch.max.wait.ms default; also bounds how late a resume() takes effect. */
export const DEFAULT_MAX_WAIT_MS = 500;
/**
 * While some owned partitions are paused, the broker is not asked to hold a fetch (wait 0):
 * one connection serves one fetch at a time, so a long poll on the unpaused partitions would
 * hold a resume() back for up to maxWaitMs, and a paused partition is one with a backlog (a
 * sink whose ERROR partitions are caught up and INFO partitions paused resumed INFO up to
 * 500 ms late, every time: half its throughput). An empty answer is followed by this long a
 * wait of our own, which resume() cuts short.
 */
export const PAUSED_POLL_MS = 20;
/** Back-off after a failed fetch round, so a broken broker is not hammered in a tight loop. */
const ERROR_BACKOFF_MS = 500;

/** Kafka error codes seen in fetch responses. */
const OFFSET_OUT_OF_RANGE = 1;
/** Control batches (transaction markers) carry no user records. */
const IS_CONTROL = 0b100000;

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class KafkaConsumer {
  readonly cluster: KafkaCluster;
  readonly options: ConsumerOptions;
  readonly #consumer: Consumer;
  /** Next offset to fetch per owned partition; absent until resolved from commits. */
  readonly #positions = new Map<string, bigint>();
  readonly #owned = new Map<string, TopicPartition>();
  readonly #paused = new Set<string>();
  /** Bumped on every seek: responses fetched before it are dropped. */
  #epoch = 0;
  #running = false;
  #assigning: Promise<void> = Promise.resolve();
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(cluster: KafkaCluster, options: ConsumerOptions) {
    this.cluster = cluster;
    this.options = options;
    this.#consumer = new Consumer({
      ...clientOptions(cluster, options.clientId),
      groupId: options.groupId,
      autocommit: false,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 3_000,
      rebalanceTimeout: options.rebalanceTimeoutMs ?? 60_000,
      maxWaitTime: options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS,
      maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    });
    this.#consumer.on('consumer:group:join', (payload: { assignments: { topic: string; partitions: number[] }[] }) => {
      this.#queueAssignments(payload.assignments).catch((err) => this.#report(err));
    });
  }

  /** Joins the group and starts fetching; resolves once the first assignment is known. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (const t of this.options.topics) this.#consumer.topics.track(t);
      await this.#consumer.joinGroup({});
      if (this.#consumer.assignments) await this.#queueAssignments(this.#consumer.assignments);
    } catch (err) {
      this.#running = false;
      throw wrapKafkaError('SPW_ERR_KAFKA_CONSUME', `join group "${this.options.groupId}" failed`, this.cluster, err);
    }
    this.#loop = this.#run();
  }

  /** Partitions this member owns now. */
  assignments(): TopicPartition[] {
    return [...this.#owned.values()];
  }

  /** Next offset that will be fetched for a partition (undefined until known). */
  position(tp: TopicPartition): bigint | undefined {
    return this.#positions.get(key(tp.topic, tp.partition));
  }

  pause(tps: TopicPartition[]): void {
    for (const tp of tps) this.#paused.add(key(tp.topic, tp.partition));
  }

  resume(tps: TopicPartition[]): void {
    for (const tp of tps) this.#paused.delete(key(tp.topic, tp.partition));
    this.#wake?.();
  }

  isPaused(tp: TopicPartition): boolean {
    return this.#paused.has(key(tp.topic, tp.partition));
  }

  paused(): TopicPartition[] {
    return [...this.#owned.entries()].filter(([k]) => this.#paused.has(k)).map(([, tp]) => tp);
  }

  /** Moves a partition's fetch position; batches fetched before the seek are dropped. */
  seek(tp: TopicPartitionOffset): void {
    this.#positions.set(key(tp.topic, tp.partition), tp.offset);
    this.#epoch++;
    this.#wake?.();
  }

  /** Commits next-offsets for the group. Rejects with SPW_ERR_KAFKA_CONSUME (e.g. after losing the partition in a rebalance). */
  async commit(offsets: TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    try {
      await this.#consumer.commit({ offsets: offsets.map((o) => ({ ...o, leaderEpoch: -1 })) });
    } catch (err) {
      throw wrapKafkaError(
        'SPW_ERR_KAFKA_CONSUME',
        `commit for group "${this.options.groupId}" failed`,
        this.cluster,
        err,
      );
    }
  }

  /** Stops fetching, leaves the group and closes connections. Commits are the caller's job before this. */
  async close(): Promise<void> {
    if (!this.#running) {
      await this.#consumer.close(true).catch(() => {});
      return;
    }
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    try {
      await this.#consumer.leaveGroup(true);
    } catch {
      // Leaving is a courtesy that speeds up the next rebalance; the session timeout covers a failure.
    }
    await this.#consumer.close(true);
  }

  #report(err: unknown): void {
    const wrapped = wrapKafkaError('SPW_ERR_KAFKA_CONSUME', 'consumer error', this.cluster, err, {
      groupId: this.options.groupId,
    });
    this.options.onError?.(wrapped);
  }

  /** Serialises assignment handling: the join event and start() can both deliver one. */
  #queueAssignments(assignments: { topic: string; partitions: number[] }[]): Promise<void> {
    // A failed round must not poison the chain: later assignments still apply.
    this.#assigning = this.#assigning.catch(() => {}).then(() => this.#onAssignments(assignments));
    return this.#assigning;
  }

  async #onAssignments(assignments: { topic: string; partitions: number[] }[]): Promise<void> {
    const next = new Map<string, TopicPartition>();
    for (const a of assignments)
      for (const p of a.partitions) next.set(key(a.topic, p), { topic: a.topic, partition: p });
    const revoked = [...this.#owned.entries()].filter(([k]) => !next.has(k)).map(([, tp]) => tp);
    const added = [...next.entries()].filter(([k]) => !this.#owned.has(k)).map(([, tp]) => tp);
    if (revoked.length === 0 && added.length === 0) return;
    for (const tp of revoked) {
      const k = key(tp.topic, tp.partition);
      this.#owned.delete(k);
      this.#positions.delete(k);
      this.#paused.delete(k);
    }
    // Kept partitions continue from their positions (what this member already handed over
    // is still being processed); new ones start from the group's commits. Owned first: if
    // resolving fails (a broker blip), the fetch loop resolves them later.
    for (const tp of added) this.#owned.set(key(tp.topic, tp.partition), tp);
    try {
      await this.#resolvePositions(added);
    } catch (err) {
      this.#report(err);
    }
    await this.options.onAssign?.([...next.values()], revoked);
    this.#wake?.();
  }

  /** Positions from the group's commits; partitions without one start at startAt. */
  async #resolvePositions(tps: TopicPartition[]): Promise<void> {
    if (tps.length === 0) return;
    const byTopic = new Map<string, number[]>();
    for (const tp of tps) {
      const list = byTopic.get(tp.topic);
      if (list) list.push(tp.partition);
      else byTopic.set(tp.topic, [tp.partition]);
    }
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    const committed: Offsets = await this.#consumer.listCommittedOffsets({ topics });
    const missing: TopicPartition[] = [];
    for (const tp of tps) {
      const c = committed.get(tp.topic)?.[tp.partition];
      if (c !== undefined && c >= 0n) this.#positions.set(key(tp.topic, tp.partition), c);
      else missing.push(tp);
    }
    await this.#resetPositions(missing, this.options.startAt ?? 'earliest');
  }

  async #resetPositions(tps: TopicPartition[], where: 'earliest' | 'latest'): Promise<void> {
    if (tps.length === 0) return;
    const topics = [...new Set(tps.map((t) => t.topic))];
    const offsets = await this.#consumer.listOffsets({ topics, timestamp: where === 'earliest' ? -2n : -1n });
    for (const tp of tps) {
      const o = offsets.get(tp.topic)?.[tp.partition];
      if (o !== undefined) this.#positions.set(key(tp.topic, tp.partition), o);
    }
  }

  async #idle(ms: number): Promise<void> {
    await Promise.race([
      sleep(ms),
      new Promise<void>((resolve) => {
        this.#wake = resolve;
      }),
    ]);
    this.#wake = undefined;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const unresolved = [...this.#owned].filter(([k]) => !this.#positions.has(k)).map(([, tp]) => tp);
      if (unresolved.length > 0) {
        try {
          await this.#resolvePositions(unresolved);
        } catch (err) {
          this.#report(err);
          await this.#idle(ERROR_BACKOFF_MS);
          continue;
        }
      }
      const wanted = [...this.#owned.entries()].filter(([k]) => !this.#paused.has(k) && this.#positions.has(k));
      if (wanted.length === 0) {
        await this.#idle(this.options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS);
        continue;
      }
      try {
        const tps = wanted.map(([, tp]) => tp);
        const priorityOf = this.options.priorityOf;
        if (priorityOf) tps.sort((a, b) => priorityOf(b) - priorityOf(a));
        const somePaused = this.#paused.size > 0;
        const delivered = await this.#fetchRound(tps, somePaused ? 0 : undefined);
        if (somePaused && delivered === 0) await this.#idle(PAUSED_POLL_MS);
      } catch (err) {
        if (!this.#running) break;
        this.#report(err);
        this.#consumer.clearMetadata();
        await this.#idle(ERROR_BACKOFF_MS);
      }
    }
  }

  /**
   * One fetch per leader node, in parallel; each response's partitions are delivered in order
   * (tps' order, see priorityOf). Returns how many records it delivered.
   * @param maxWaitMs how long the broker may hold the fetch for data; @default options.maxWaitMs
   */
  async #fetchRound(tps: TopicPartition[], maxWaitMs = this.options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS): Promise<number> {
    const topics = [...new Set(tps.map((t) => t.topic))];
    const metadata = await this.#consumer.metadata({ topics });
    const byNode = new Map<
      number,
      Map<string, { topicId: string; partitions: { partition: number; fetchOffset: bigint }[] }>
    >();
    const topicById = new Map<string, string>();
    for (const tp of tps) {
      const tmd = metadata.topics.get(tp.topic);
      const pmd = tmd?.partitions[tp.partition];
      if (!tmd || !pmd) continue;
      topicById.set(tmd.id, tp.topic);
      const node = pmd.leader;
      const perNode = byNode.get(node) ?? new Map();
      byNode.set(node, perNode);
      const entry = perNode.get(tp.topic) ?? { topicId: tmd.id, partitions: [] };
      perNode.set(tp.topic, entry);
      entry.partitions.push({
        partition: tp.partition,
        fetchOffset: this.#positions.get(key(tp.topic, tp.partition))!,
      });
    }
    const epoch = this.#epoch;
    const perPartitionBytes = this.options.maxBytesPerPartition ?? DEFAULT_MAX_BYTES_PER_PARTITION;
    let delivered = 0;
    await Promise.all(
      [...byNode].map(async ([node, perTopic]) => {
        const requested = new Map<string, bigint>();
        const request = [...perTopic.values()].map((t) => ({
          topicId: t.topicId,
          partitions: t.partitions.map((p) => {
            requested.set(key(topicById.get(t.topicId)!, p.partition), p.fetchOffset);
            return {
              partition: p.partition,
              fetchOffset: p.fetchOffset,
              partitionMaxBytes: perPartitionBytes,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            };
          }),
        }));
        const response = await this.#consumer.fetch({
          node,
          topics: request,
          maxBytes: this.options.maxBytes ?? DEFAULT_MAX_BYTES,
          maxWaitTime: maxWaitMs,
          minBytes: 1,
        });
        delivered += await this.#deliver(response, topicById, requested, epoch);
      }),
    );
    return delivered;
  }

  async #deliver(
    response: Awaited<ReturnType<Consumer['fetch']>>,
    topicById: Map<string, string>,
    requested: Map<string, bigint>,
    epoch: number,
  ): Promise<number> {
    let delivered = 0;
    const outOfRange: TopicPartition[] = [];
    for (const t of response.responses) {
      const topic = topicById.get(t.topicId);
      if (!topic) continue;
      for (const p of t.partitions) {
        const k = key(topic, p.partitionIndex);
        const from = requested.get(k);
        // Stale: not asked for, reassigned, seeked or paused since the request went out.
        if (from === undefined || epoch !== this.#epoch || !this.#running || this.#paused.has(k) || !this.#owned.has(k))
          continue;
        if (this.#positions.get(k) !== from) continue;
        if (p.errorCode === OFFSET_OUT_OF_RANGE) {
          outOfRange.push({ topic, partition: p.partitionIndex });
          continue;
        }
        if (p.errorCode !== 0) {
          throw Object.assign(
            new Error(`fetch ${topic}[${p.partitionIndex}] failed with Kafka error code ${p.errorCode}`),
            { apiCode: p.errorCode },
          );
        }
        const records: ConsumedRecord[] = [];
        let next = from;
        for (const batch of p.records ?? []) {
          const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
          if (last + 1n > next) next = last + 1n;
          if (batch.attributes & IS_CONTROL) continue;
          for (const r of batch.records) {
            const offset = batch.firstOffset + BigInt(r.offsetDelta);
            // A batch can start before the requested offset: skip what was already delivered.
            if (offset < from) continue;
            records.push({
              topic,
              partition: p.partitionIndex,
              offset,
              timestampMs: Number(batch.firstTimestamp + r.timestampDelta),
              key: r.key,
              value: r.value,
              headers: r.headers.map(([hk, hv]) => [hk?.toString() ?? '', hv]),
            });
          }
        }
        if (next === from) continue;
        // The position moves only once the handler took the records: a handler that throws
        // gets the same records again on the next round instead of skipping them.
        if (records.length > 0) {
          await this.options.onBatch({ topic, partition: p.partitionIndex, records, highWatermark: p.highWatermark });
          delivered += records.length;
        }
        if (this.#positions.get(k) === from) this.#positions.set(k, next);
      }
    }
    if (outOfRange.length > 0) {
      // Retention deleted what we were about to read (or the log was truncated): say so and
      // continue from the configured end rather than stalling the partition forever.
      this.#report(
        new Error(
          `offset out of range for ${outOfRange.map((t) => `${t.topic}[${t.partition}]`).join(', ')}; resetting to ${this.options.startAt ?? 'earliest'}`,
        ),
      );
      await this.#resetPositions(outOfRange, this.options.startAt ?? 'earliest');
    }
    return delivered;
  }
}
