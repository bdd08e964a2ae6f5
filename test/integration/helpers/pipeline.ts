/**
 * Test helpers for sink tests: a config with random logIds and sink names, records
 * produced exactly as the router places them, and reading a topic back.
 */
import { randomUUID } from 'node:crypto';
import { kafkaClusterOf } from '../../../config/cluster.ts';
import { validateConfig } from '../../../config/load.ts';
import type { SpillwayConfig } from '../../../config/schema.ts';
import { type ConsumedRecord, KafkaConsumer, KafkaProducer } from '../../../core/kafka/index.ts';
import { place } from '../../../router/placement.ts';
import { provisionTopics } from '../../../router/provision.ts';
import { clusters, waitFor } from './kafka.ts';

export interface PipelineOptions {
  run: string;
  logIds: string[];
  /** Sink sections (names are used as given: make them unique per run). */
  sinks: Record<string, unknown>[];
  /** Gutter cluster; default none (gutter on the source cluster). */
  gutterCluster?: string;
  /** Override the aux cluster's brokers (e.g. a throwaway cluster). */
  auxBrokers?: string[];
  /** Importance per logId; default A. */
  importance?: Record<string, 'S' | 'A' | 'B' | 'C'>;
}

/** LogIds (importance A unless given) on the main cluster only, dedicated topics, so each run has its own topics. */
export function pipelineConfig(o: PipelineOptions): SpillwayConfig {
  const { main, aux } = clusters();
  const sinkNames = o.sinks.map((s) => s.name as string);
  return validateConfig({
    clusters: [
      { name: 'main', brokers: main.brokers },
      { name: 'aux', brokers: o.auxBrokers ?? aux.brokers, connectTimeoutMs: 1_000, requestTimeoutMs: 3_000 },
    ],
    pools: {
      S: ['main'],
      A: ['main'],
      B: ['main'],
      C: ['main'],
      ...(o.gutterCluster ? { gutter: o.gutterCluster } : {}),
    },
    channels: { dedicatedPartitionsPerTopic: 2, partitionsPerTopic: 2 },
    logIds: [
      ...o.logIds.map((id) => ({
        id,
        name: id,
        owner: 'it',
        importance: o.importance?.[id] ?? 'A',
        sinks: sinkNames,
        dedicated: true,
      })),
      { id: `unknown`, name: 'unknown', owner: 'it', importance: 'C', sinks: [sinkNames[0]] },
    ],
    sinks: o.sinks,
  });
}

export function newRun(): string {
  return randomUUID().slice(0, 8);
}

/** Produces records as the router would place them; returns how many per logId. */
export async function produceRecords(
  config: SpillwayConfig,
  records: { logId: string; level?: string; seq: number; extra?: Record<string, unknown> }[],
): Promise<void> {
  await provisionTopics(config, undefined, ['main']);
  const producer = new KafkaProducer(kafkaClusterOf(config.clusters[0]!), { clientId: 'it-pipeline' });
  try {
    const out = records.map((r) => {
      const level = (r.level ?? 'info') as 'info';
      const at = place({ logId: r.logId, level, host: 'h' }, config);
      return {
        topic: at.topic,
        key: at.key,
        value: JSON.stringify({ logId: r.logId, level, host: 'h', seq: r.seq, msg: `record ${r.seq}`, ...r.extra }),
      };
    });
    for (let i = 0; i < out.length; i += 2000) await producer.send(out.slice(i, i + 2000), 15_000);
  } finally {
    await producer.close();
  }
}

/** Reads `expected` records from the start of topics on a cluster (a fresh group each time). */
export async function readTopic(
  config: SpillwayConfig,
  cluster: 'main' | 'aux',
  topics: string[],
  expected: number,
  timeoutMs = 60_000,
): Promise<ConsumedRecord[]> {
  const got: ConsumedRecord[] = [];
  const consumer = new KafkaConsumer(kafkaClusterOf(config.clusters.find((c) => c.name === cluster)!), {
    clientId: 'it-read',
    groupId: `it.read.${randomUUID()}`,
    topics,
    maxWaitMs: 100,
    onBatch: (b) => void got.push(...b.records),
  });
  await consumer.start();
  try {
    await waitFor(`${expected} records on ${topics.join(',')}@${cluster}`, () => got.length >= expected, timeoutMs);
  } finally {
    await consumer.close();
  }
  return got;
}
