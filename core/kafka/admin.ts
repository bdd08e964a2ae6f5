/**
 * Admin operations Spillway needs: topic provisioning (idempotent), metadata, end offsets
 * and committed offsets (for lag), and topic deletion (tests, operators).
 */
import { Admin } from '@platformatic/kafka';
import { clientOptions, type KafkaCluster } from './connection.ts';
import { wrapKafkaError } from './errors.ts';

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** @default 1 */
  replicationFactor?: number;
  /** Topic configs, e.g. { 'retention.ms': '259200000' }. */
  configs?: Record<string, string>;
}

export interface TopicInfo {
  topic: string;
  partitions: number;
}

/** Kafka's TOPIC_ALREADY_EXISTS error code. */
const TOPIC_ALREADY_EXISTS = 36;

function alreadyExists(err: unknown): boolean {
  const e = err as { apiCode?: number; errors?: unknown[]; response?: { topics?: { errorCode: number }[] } };
  if (e?.apiCode === TOPIC_ALREADY_EXISTS) return true;
  const inner = e?.errors ?? [];
  return inner.length > 0 && inner.every(alreadyExists);
}

export class KafkaAdmin {
  readonly cluster: KafkaCluster;
  readonly #admin: Admin;

  constructor(cluster: KafkaCluster, clientId = 'spillway-admin') {
    this.cluster = cluster;
    this.#admin = new Admin(clientOptions(cluster, clientId));
  }

  /** Topics on the cluster (internal ones excluded) with their partition counts. */
  async describeTopics(topics?: string[]): Promise<TopicInfo[]> {
    try {
      // Metadata for a topic that does not exist is an error, so ask only for existing ones.
      const all = new Set(await this.#admin.listTopics());
      const names = (topics ?? [...all]).filter((t) => all.has(t));
      if (names.length === 0) return [];
      const md = await this.#admin.metadata({ topics: names, forceUpdate: true });
      return names
        .filter((t) => md.topics.has(t))
        .map((t) => ({ topic: t, partitions: md.topics.get(t)!.partitionsCount }))
        .sort((a, b) => a.topic.localeCompare(b.topic));
    } catch (err) {
      throw wrapKafkaError('SPW_ERR_KAFKA_ADMIN', 'describe topics failed', this.cluster, err);
    }
  }

  /**
   * Creates the topics that do not exist yet; existing ones are left as they are (their
   * partition count is reported by describeTopics, never changed here).
   * @returns the names of the topics this call created
   */
  async ensureTopics(specs: TopicSpec[]): Promise<string[]> {
    if (specs.length === 0) return [];
    const existing = new Set(
      await this.#admin.listTopics().catch((err) => {
        throw wrapKafkaError('SPW_ERR_KAFKA_ADMIN', 'list topics failed', this.cluster, err);
      }),
    );
    const created: string[] = [];
    for (const spec of specs) {
      if (existing.has(spec.topic)) continue;
      try {
        await this.#admin.createTopics({
          topics: [spec.topic],
          partitions: spec.partitions,
          replicas: spec.replicationFactor ?? 1,
          configs: Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value })),
        });
        created.push(spec.topic);
      } catch (err) {
        // Another router instance may have created it between our list and create.
        if (!alreadyExists(err)) {
          throw wrapKafkaError('SPW_ERR_KAFKA_ADMIN', `create topic "${spec.topic}" failed`, this.cluster, err, {
            topic: spec.topic,
          });
        }
      }
    }
    return created;
  }

  async deleteTopics(topics: string[]): Promise<void> {
    if (topics.length === 0) return;
    try {
      await this.#admin.deleteTopics({ topics });
    } catch (err) {
      throw wrapKafkaError('SPW_ERR_KAFKA_ADMIN', 'delete topics failed', this.cluster, err);
    }
  }

  /** Log-end offsets (the offset the next record will get) per partition: `topic -> [offset of p0, p1, ...]`. */
  async endOffsets(topics: string[]): Promise<Map<string, bigint[]>> {
    return this.#listOffsets(topics, -1n);
  }

  /** Earliest available offsets per partition (after retention deleted older segments). */
  async startOffsets(topics: string[]): Promise<Map<string, bigint[]>> {
    return this.#listOffsets(topics, -2n);
  }

  async #listOffsets(topics: string[], timestamp: bigint): Promise<Map<string, bigint[]>> {
    const out = new Map<string, bigint[]>();
    if (topics.length === 0) return out;
    try {
      const infos = await this.describeTopics(topics);
      const res = await this.#admin.listOffsets({
        topics: infos.map((t) => ({
          name: t.topic,
          partitions: Array.from({ length: t.partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp })),
        })),
      });
      for (const t of res) {
        const offsets: bigint[] = [];
        for (const p of t.partitions) offsets[p.partitionIndex] = p.offset;
        out.set(t.name, offsets);
      }
      return out;
    } catch (err) {
      throw wrapKafkaError('SPW_ERR_KAFKA_ADMIN', 'list offsets failed', this.cluster, err);
    }
  }

  /**
   * Offsets a consumer group committed: `topic -> partition -> next offset to read`.
   * Partitions without a commit are absent.
   */
  async committedOffsets(groupId: string): Promise<Map<string, Map<number, bigint>>> {
    const out = new Map<string, Map<number, bigint>>();
    try {
      const groups = await this.#admin.listConsumerGroupOffsets({ groups: [groupId] });
      for (const g of groups) {
        for (const t of g.topics) {
          const parts = new Map<number, bigint>();
          for (const p of t.partitions) if (p.committedOffset >= 0n) parts.set(p.partitionIndex, p.committedOffset);
          if (parts.size > 0) out.set(t.name, parts);
        }
      }
      return out;
    } catch (err) {
      throw wrapKafkaError(
        'SPW_ERR_KAFKA_ADMIN',
        `read committed offsets of group "${groupId}" failed`,
        this.cluster,
        err,
        { groupId },
      );
    }
  }

  /** Number of brokers answering metadata; 0 never returns (an unreachable cluster throws). */
  async brokerCount(): Promise<number> {
    try {
      const md = await this.#admin.metadata({ topics: [], forceUpdate: true });
      return md.brokers.size;
    } catch (err) {
      throw wrapKafkaError('SPW_ERR_KAFKA_CONNECT', 'metadata request failed', this.cluster, err);
    }
  }

  async close(): Promise<void> {
    await this.#admin.close();
  }
}

/** One-shot helper: create topics on a cluster and close the admin client. */
export async function createTopics(cluster: KafkaCluster, specs: TopicSpec[]): Promise<string[]> {
  const admin = new KafkaAdmin(cluster);
  try {
    return await admin.ensureTopics(specs);
  } finally {
    await admin.close();
  }
}
