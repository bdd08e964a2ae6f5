/**
 * The producer Spillway uses everywhere: acks=all, zstd, one deadline per send.
 *
 * `send` resolves only when the brokers acknowledged every record of the call (what the
 * router needs before it answers an agent), and rejects with SPW_ERR_KAFKA_PRODUCE when
 * they did not within the deadline. A rejected send may still have written some records:
 * callers retry, and the pipeline is at-least-once by design (DESIGN.md invariant 1).
 */
import { ProduceAcks, Producer } from '@platformatic/kafka';
import { SpillwayError } from '../errors.ts';
import { clientOptions, DEFAULT_REQUEST_TIMEOUT_MS, type KafkaCluster } from './connection.ts';
import { isRetriableKafkaError, wrapKafkaError } from './errors.ts';

export interface ProduceRecord {
  topic: string;
  /** Explicit partition; when absent the key's murmur2 hash picks it (Java client compatible). */
  partition?: number;
  key?: Buffer | string;
  value: Buffer | string;
  headers?: Record<string, Buffer | string>;
  /** Milliseconds since the epoch; the broker's time when absent. */
  timestampMs?: number;
}

export interface ProducedOffset {
  topic: string;
  partition: number;
  /** Offset of the first record of this call in that partition. */
  offset: bigint;
}

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface ProducerOptions {
  clientId: string;
  /** @default 'zstd' — best ratio per CPU for JSON logs among Kafka's codecs (docs/benchmarks.md). */
  compression?: Compression;
}

const toBuffer = (v: Buffer | string): Buffer => (typeof v === 'string' ? Buffer.from(v) : v);

export class KafkaProducer {
  readonly cluster: KafkaCluster;
  readonly #producer: Producer;
  #closed = false;

  constructor(cluster: KafkaCluster, options: ProducerOptions) {
    this.cluster = cluster;
    this.#producer = new Producer({
      ...clientOptions(cluster, options.clientId),
      acks: ProduceAcks.ALL,
      // Idempotence: the client retries a produce whose partitions failed in part (e.g. a
      // leader not yet elected on a topic created a moment ago); without producer ids and
      // sequence numbers those retries duplicated the partitions that had succeeded.
      idempotent: true,
      compression: options.compression ?? 'zstd',
    });
  }

  /**
   * Writes records and resolves when all are acknowledged (acks=all).
   * @param timeoutMs deadline for the whole call; @default the cluster's requestTimeoutMs
   */
  async send(records: ProduceRecord[], timeoutMs?: number): Promise<ProducedOffset[]> {
    if (this.#closed)
      throw new SpillwayError('SPW_ERR_KAFKA_PRODUCE', `producer for cluster "${this.cluster.name}" is closed`);
    if (records.length === 0) return [];
    const budget = timeoutMs ?? this.cluster.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (budget <= 0) {
      throw new SpillwayError(
        'SPW_ERR_KAFKA_PRODUCE',
        `deadline already passed before producing to cluster "${this.cluster.name}"`,
        {
          context: { cluster: this.cluster.name },
        },
      );
    }
    const messages = records.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      key: r.key === undefined ? undefined : toBuffer(r.key),
      value: toBuffer(r.value),
      // Without serializers the client writes header keys and values as raw bytes: both must be Buffers.
      headers: r.headers
        ? new Map(Object.entries(r.headers).map(([k, v]) => [Buffer.from(k), toBuffer(v)]))
        : undefined,
      timestamp: r.timestampMs === undefined ? undefined : BigInt(r.timestampMs),
    }));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new SpillwayError(
              'SPW_ERR_KAFKA_PRODUCE',
              `produce to cluster "${this.cluster.name}" not acknowledged within ${budget} ms`,
              {
                context: { cluster: this.cluster.name, timeoutMs: budget, records: records.length },
              },
            ),
          ),
        budget,
      );
    });
    try {
      const result = await Promise.race([this.#producer.send({ messages }), deadline]);
      return (result.offsets ?? []).map((o) => ({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset) }));
    } catch (err) {
      const wrapped = wrapKafkaError('SPW_ERR_KAFKA_PRODUCE', 'produce failed', this.cluster, err, {
        records: records.length,
      });
      (wrapped.context as Record<string, unknown>).clientRetriable = isRetriableKafkaError(err);
      throw wrapped;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#producer.close();
  }
}
