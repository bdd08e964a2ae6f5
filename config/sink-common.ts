/** Options every sink type shares: name, batching, in-flight bounds, timeouts, gutter and dead letters. */
import { z } from 'zod';
import { DEFAULT_PRIORITY_FLOOR_PCT } from '../core/resilience/priority-lanes.ts';
import { clusterNameSchema } from './cluster.ts';
import { batchSchema, doc, expected, hotPathTimeoutMs } from './common.ts';

/** Elastic's bulk sizing guide starts at 5-15 MB per request; 5 MB and 1000 records is the low end. */
export const DEFAULT_SINK_BATCH = { maxRecords: 1000, maxBytes: 5_000_000, lingerMs: 1000 };
/** Ten full batches in flight: enough to hide one slow request, small enough to bound memory. */
export const DEFAULT_SINK_MAX_IN_FLIGHT_RECORDS = 10_000;
/** Ten full 5 MB batches. */
export const DEFAULT_SINK_MAX_IN_FLIGHT_BYTES = 50_000_000;
/** Concurrent requests per sink; the dev machines have 2 cores. */
export const DEFAULT_SINK_CONCURRENCY = 2;
/** Vector's elasticsearch sink default request timeout is 60 s; ours is a hot path, so 10 s. */
export const DEFAULT_SINK_REQUEST_TIMEOUT_MS = 10_000;
/** Share of the sink's capacity the gutter drainer may use, so backlog never starves live traffic. */
export const DEFAULT_GUTTER_DRAIN_SHARE_PCT = 20;
/** K in the adaptive throttle (requests - K*accepts)/(requests + 1); Google SRE book, "Handling Overload", uses 2. */
export const DEFAULT_THROTTLE_K = 2;
/** The SRE book keeps two minutes of request history for the adaptive throttle. */
export const DEFAULT_THROTTLE_WINDOW_MS = 120_000;
/** Attempts before a record goes to the dead-letter topic; with backoff this spans about a minute. */
export const DEFAULT_DEAD_LETTER_MAX_ATTEMPTS = 5;

export const sinkNameSchema = z
  .string()
  .regex(/^[a-z0-9-]{1,48}$/, expected('a sink name of 1-48 lowercase letters, digits or "-"'));

export const gutterSchema = doc(
  z
    .object({
      enabled: doc(
        z.boolean().default(true),
        'Divert records the destination cannot take in time to the gutter topic.',
        true,
      ),
      cluster: doc(
        clusterNameSchema.optional(),
        'Cluster for this sink’s gutter and dead-letter topics; defaults to pools.gutter, else the source cluster.',
        'aux',
      ),
      drainSharePct: doc(
        z.number().min(1).max(100).default(DEFAULT_GUTTER_DRAIN_SHARE_PCT),
        'Most of the sink’s capacity the gutter drainer may use, in percent.',
        DEFAULT_GUTTER_DRAIN_SHARE_PCT,
      ),
      throttleK: doc(
        z.number().min(1).max(10).default(DEFAULT_THROTTLE_K),
        'K of the adaptive client-side throttle: reject locally with probability (requests - K*accepts)/(requests + 1).',
        DEFAULT_THROTTLE_K,
      ),
      throttleWindowMs: doc(
        z.number().int().min(1000).default(DEFAULT_THROTTLE_WINDOW_MS),
        'History window of the adaptive throttle.',
        DEFAULT_THROTTLE_WINDOW_MS,
      ),
    })
    .strict()
    .prefault({}),
  'Gutter (spillway) topic for records the destination is too slow for.',
  { enabled: true, drainSharePct: 20 },
);

export const deadLetterSchema = doc(
  z
    .object({
      maxAttempts: doc(
        z.number().int().min(1).max(100).default(DEFAULT_DEAD_LETTER_MAX_ATTEMPTS),
        'Attempts before a record goes to the dead-letter topic.',
        DEFAULT_DEAD_LETTER_MAX_ATTEMPTS,
      ),
    })
    .strict()
    .prefault({}),
  'Dead-letter topic for records that failed permanently or too often.',
  { maxAttempts: 5 },
);

/** Spread into each sink type's object schema. */
export const sinkCommonShape = {
  name: doc(sinkNameSchema, 'Unique sink name; names its consumer group, gutter and dead-letter topics.', 'search'),
  batch: batchSchema(DEFAULT_SINK_BATCH, 'records per destination request'),
  maxInFlightRecords: doc(
    z.number().int().min(1).default(DEFAULT_SINK_MAX_IN_FLIGHT_RECORDS),
    'Most records fetched but not yet acknowledged by the destination.',
    DEFAULT_SINK_MAX_IN_FLIGHT_RECORDS,
  ),
  maxInFlightBytes: doc(
    z.number().int().min(1).default(DEFAULT_SINK_MAX_IN_FLIGHT_BYTES),
    'Most bytes fetched but not yet acknowledged by the destination.',
    DEFAULT_SINK_MAX_IN_FLIGHT_BYTES,
  ),
  concurrency: doc(
    z.number().int().min(1).max(64).default(DEFAULT_SINK_CONCURRENCY),
    'Concurrent requests to the destination.',
    DEFAULT_SINK_CONCURRENCY,
  ),
  priorityFloorPct: doc(
    z.number().gt(0).max(50).default(DEFAULT_PRIORITY_FLOOR_PCT),
    'Share of destination requests, in percent, each lower criticality tier with records waiting is guaranteed while higher tiers are busy (strict priority with this floor; see docs/sinks.md).',
    DEFAULT_PRIORITY_FLOOR_PCT,
  ),
  requestTimeoutMs: hotPathTimeoutMs(
    DEFAULT_SINK_REQUEST_TIMEOUT_MS,
    'Give up on one destination request after this long.',
  ),
  gutter: gutterSchema,
  deadLetter: deadLetterSchema,
};
