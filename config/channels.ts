/** Channels: how records are split into topics by level class and bucket. */
import { z } from 'zod';
import { doc, type Level, levelClassesSchema } from './common.ts';

/** ERROR never queues behind INFO: errors, warnings and the chatty rest get separate topics. */
export const DEFAULT_LEVEL_CLASSES: Readonly<Record<string, readonly Level[]>> = {
  error: ['fatal', 'error'],
  warn: ['warn'],
  info: ['info', 'debug', 'trace'],
};
/** Long-tail buckets per (importance, level class): enough to keep a noisy logId off most others, few enough for the budget. */
export const DEFAULT_HASH_BUCKETS = 4;
/** Three partitions lets three sink consumers share a topic; more costs budget. */
export const DEFAULT_PARTITIONS_PER_TOPIC = 3;
/** Same as a shared topic until a dedicated logId proves it needs more. */
export const DEFAULT_DEDICATED_PARTITIONS_PER_TOPIC = 3;
/** The local stack has one broker per cluster; production should use 3. */
export const DEFAULT_REPLICATION_FACTOR = 1;
/** Three days covers a weekend-long sink outage before records age out. */
export const DEFAULT_RETENTION_MS = 3 * 24 * 60 * 60 * 1000;

export const channelsSchema = z
  .object({
    levelClasses: doc(
      levelClassesSchema.default(() => structuredClone(DEFAULT_LEVEL_CLASSES) as Record<string, Level[]>),
      'Level class name -> levels. Every level (trace, debug, info, warn, error, fatal) belongs to exactly one class; each class gets its own topics.',
      DEFAULT_LEVEL_CLASSES,
    ),
    hashBuckets: doc(
      z.number().int().min(1).max(256).default(DEFAULT_HASH_BUCKETS),
      'Long-tail buckets per (importance, level class); a non-dedicated logId goes to bucket hash(logId) mod hashBuckets.',
      DEFAULT_HASH_BUCKETS,
    ),
    partitionsPerTopic: doc(
      z.number().int().min(1).default(DEFAULT_PARTITIONS_PER_TOPIC),
      'Partitions of each hashed, gutter and dead-letter topic.',
      DEFAULT_PARTITIONS_PER_TOPIC,
    ),
    dedicatedPartitionsPerTopic: doc(
      z.number().int().min(1).default(DEFAULT_DEDICATED_PARTITIONS_PER_TOPIC),
      'Partitions of each topic of a dedicated logId.',
      DEFAULT_DEDICATED_PARTITIONS_PER_TOPIC,
    ),
    replicationFactor: doc(
      z.number().int().min(1).max(16).default(DEFAULT_REPLICATION_FACTOR),
      'Replication factor of every Spillway topic.',
      3,
    ),
    retentionMs: doc(
      z.number().int().min(60_000).default(DEFAULT_RETENTION_MS),
      'Kafka retention of every Spillway topic.',
      DEFAULT_RETENTION_MS,
    ),
  })
  .strict()
  .prefault({});

export type ChannelsConfig = z.output<typeof channelsSchema>;
