/**
 * Writes records a destination could not take into the sink's gutter topic
 * (`spw.gutter.<sink>`) or dead-letter topic (`spw.dlq.<sink>`), with where they came from
 * and why in headers.
 *
 * The gutter lives on the gutter cluster when one is configured; when that cluster cannot
 * take a write, the record goes to the same topic name on its own source cluster (the
 * spillway's own overflow). When neither takes it the call throws, and the caller pauses:
 * a record is never dropped (issue #5).
 */
import type { KafkaProducer, ProduceRecord } from '../../core/kafka/index.ts';
import type { Logger } from '../../core/logger.ts';
import type { SinkRecord } from '../core/destination.ts';

export const HEADERS = {
  originCluster: 'spw-origin-cluster',
  originTopic: 'spw-origin-topic',
  originPartition: 'spw-origin-partition',
  originOffset: 'spw-origin-offset',
  originTimestamp: 'spw-origin-timestamp',
  attempts: 'spw-attempts',
  error: 'spw-error',
  firstFailedAt: 'spw-first-failed-at',
  /** Epoch ms before which the gutter drainer must not retry the record (backoff). */
  notBefore: 'spw-not-before',
} as const;

/** After the gutter cluster failed a spill, spills go straight to the source clusters for this long before trying it again. */
export const GUTTER_CLUSTER_RETRY_MS = 10_000;

/** Longest error text kept in a header: enough for a bulk item reason, bounded for Kafka. */
const MAX_ERROR_CHARS = 1_000;

export interface Spilled {
  record: SinkRecord;
  reason: string;
  /** When the first delivery failed (ms since epoch); kept across gutter rounds for max-age. */
  firstFailedAt: number;
  notBeforeMs?: number;
}

/** Headers a gutter or dead-letter record carries. */
export function spillHeaders(s: Spilled): Record<string, string> {
  const r = s.record;
  return {
    [HEADERS.originCluster]: r.cluster,
    [HEADERS.originTopic]: r.topic,
    [HEADERS.originPartition]: String(r.partition),
    [HEADERS.originOffset]: String(r.offset),
    [HEADERS.originTimestamp]: String(r.timestampMs),
    [HEADERS.attempts]: String(r.attempts),
    [HEADERS.error]: s.reason.slice(0, MAX_ERROR_CHARS),
    [HEADERS.firstFailedAt]: String(s.firstFailedAt),
    ...(s.notBeforeMs ? { [HEADERS.notBefore]: String(s.notBeforeMs) } : {}),
  };
}

/** Rebuilds a SinkRecord and its spill state from a gutter/dead-letter Kafka record. */
export function fromSpilled(
  headers: Array<[string, Buffer | null]>,
  value: Buffer,
  logId: string,
): { record: SinkRecord; reason: string; firstFailedAt: number; notBeforeMs: number } {
  const h = new Map(headers.map(([k, v]) => [k, v?.toString() ?? '']));
  const num = (k: string, d = 0) => (h.has(k) ? Number(h.get(k)) : d);
  return {
    record: {
      cluster: h.get(HEADERS.originCluster) ?? '',
      topic: h.get(HEADERS.originTopic) ?? '',
      partition: num(HEADERS.originPartition),
      offset: BigInt(h.get(HEADERS.originOffset) || '0'),
      timestampMs: num(HEADERS.originTimestamp),
      logId,
      value,
      attempts: num(HEADERS.attempts),
    },
    reason: h.get(HEADERS.error) ?? '',
    firstFailedAt: num(HEADERS.firstFailedAt, Date.now()),
    notBeforeMs: num(HEADERS.notBefore),
  };
}

export interface SpillwayWriterOptions {
  /** The gutter/dlq topic names. */
  gutterTopic: string;
  deadLetterTopic: string;
  /** Configured gutter cluster, if any; else records spill to their source cluster. */
  gutterCluster?: string;
  producers: ReadonlyMap<string, KafkaProducer>;
  /**
   * Deadline of one spill produce. @default the cluster's requestTimeoutMs — not the sink's:
   * a spill is a Kafka write, and a busy process must not turn a slow ack into a pause.
   */
  requestTimeoutMs?: number;
  log: Logger;
}

export class SpillwayWriter {
  readonly #o: SpillwayWriterOptions;
  #skipGutterUntil = 0;

  constructor(options: SpillwayWriterOptions) {
    this.#o = options;
  }

  toGutter(spilled: Spilled[]): Promise<void> {
    return this.#write(this.#o.gutterTopic, spilled);
  }

  toDeadLetter(spilled: Spilled[]): Promise<void> {
    return this.#write(this.#o.deadLetterTopic, spilled);
  }

  async #write(topic: string, spilled: Spilled[]): Promise<void> {
    if (spilled.length === 0) return;
    const produce = (cluster: string, list: Spilled[]) => {
      const producer = this.#o.producers.get(cluster);
      if (!producer) throw new Error(`no producer for cluster "${cluster}"`);
      const records: ProduceRecord[] = list.map((s) => ({
        topic,
        key: s.record.logId,
        value: s.record.value,
        headers: spillHeaders(s),
      }));
      return producer.send(records, this.#o.requestTimeoutMs);
    };
    const gutterCluster = this.#o.gutterCluster;
    // After a failure the gutter cluster is skipped for a while, so every spill does not pay
    // its connect timeout before falling back.
    if (gutterCluster !== undefined && Date.now() >= this.#skipGutterUntil) {
      try {
        await produce(gutterCluster, spilled);
        return;
      } catch (err) {
        this.#skipGutterUntil = Date.now() + GUTTER_CLUSTER_RETRY_MS;
        this.#o.log.warn(
          { topic, cluster: gutterCluster, err: (err as Error).message },
          'spill to the gutter cluster failed; spilling to the source clusters',
        );
      }
    }
    // Each record to its own source cluster; any failure here propagates and the caller pauses.
    const bySource = new Map<string, Spilled[]>();
    for (const s of spilled) {
      const list = bySource.get(s.record.cluster);
      if (list) list.push(s);
      else bySource.set(s.record.cluster, [s]);
    }
    await Promise.all([...bySource].map(([cluster, list]) => produce(cluster, list)));
  }
}
