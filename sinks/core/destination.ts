/**
 * The contract between the sink runtime (consumers, offsets, throttles, gutter, dead
 * letters: sinks/runtime/) and a sink type (search engine, file, HTTP, blackhole: one folder
 * each under sinks/). A type only knows how to write records to its destination and how to
 * say what happened; everything about Kafka, retries and isolation is the runtime's.
 *
 * Writes return a result, they do not throw (STYLE.md): `ok`, a `partial` result naming
 * the failed items (bulk APIs), or a whole-batch `retryable` / `failed`.
 */
import type { SpillwayConfig } from '../../config/schema.ts';
import type { Logger } from '../../core/logger.ts';

/** One log record on its way to a destination. */
export interface SinkRecord {
  /** Where the record came from in Kafka (the main topic, even when it is replayed from the gutter). */
  cluster: string;
  topic: string;
  partition: number;
  offset: bigint;
  /** The configured logId (taken from the Kafka key, `<logId>|<host>`, without parsing the value). */
  logId: string;
  /** The record's JSON line exactly as the agent sent it. */
  value: Buffer;
  /** Kafka timestamp (ms since epoch); the record's own `time` field, if any, is inside `value`. */
  timestampMs: number;
  /** Delivery attempts before this one (0 on the main path; the gutter drainer counts up). */
  attempts: number;
}

export interface ItemFailure {
  /** Index into the batch passed to write(). */
  index: number;
  /** True for 429 / 5xx / timeouts: worth trying again later. False for mapping errors and other 4xx: dead letter. */
  retryable: boolean;
  reason: string;
}

export type WriteResult =
  | { kind: 'ok' }
  /** Some items failed; the others were written. */
  | { kind: 'partial'; failed: ItemFailure[] }
  /** Nothing was written, trying again later may work (connection refused, 503, timeout). */
  | { kind: 'retryable'; reason: string; retryAfterMs?: number }
  /** Nothing was written and retrying cannot help (401, 400 for the whole batch, bad configuration). */
  | { kind: 'failed'; reason: string };

export interface Destination {
  /**
   * The independently failing unit a record goes to: an index name, a URL, a directory.
   * The runtime batches, throttles and gutters per key, so one failing key cannot block
   * the others. Must be cheap (called once per record) and must not parse `value` unless
   * the type really needs a field from it.
   */
  keyOf(record: SinkRecord): string;
  /**
   * Writes one batch, all records with the same key. Honours `signal` (the runtime's
   * per-request timeout): when it aborts, stop and return `retryable`.
   */
  write(key: string, records: readonly SinkRecord[], signal: AbortSignal): Promise<WriteResult>;
  /**
   * Makes everything written so far durable (fsync, flush a buffer). The runtime calls it
   * before committing Kafka offsets. Optional: types that are durable on write omit it.
   */
  flush?(): Promise<void>;
  /** Uses the real write path to check the destination works (e.g. writes and deletes a probe). Throws with a reason. */
  healthCheck(signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** A sink's section of the loaded (frozen, fully resolved) config. */
export type ResolvedSinkConfig = SpillwayConfig['sinks'][number];

export interface DestinationContext {
  logger: Logger;
}

/** How a sink type turns its config section into a destination. */
export type DestinationFactory<C extends ResolvedSinkConfig = ResolvedSinkConfig> = (
  config: C,
  ctx: DestinationContext,
) => Promise<Destination>;

/** Reads the logId out of a router-written Kafka key (`<logId>|<host>`) without decoding the value. */
export function logIdOfKey(key: Buffer | null): string | undefined {
  if (!key) return undefined;
  const bar = key.indexOf(0x7c);
  return key.toString('utf8', 0, bar === -1 ? key.length : bar);
}
