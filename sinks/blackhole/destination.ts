/**
 * The blackhole sink type: acknowledges and drops every record, counting what it dropped.
 * Benchmarks read the counts to measure the pipeline without a destination's cost.
 */
import type { Destination, DestinationFactory } from '../core/destination.ts';

export interface BlackholeCounts {
  batches: number;
  records: number;
  /** Sum of the records' value lengths. */
  bytes: number;
}

export interface BlackholeDestination extends Destination {
  /** A copy of the counts so far. */
  counts(): BlackholeCounts;
}

/** Everything goes to one key: there is nothing to isolate. */
export const BLACKHOLE_KEY = 'blackhole';

export function blackholeDestination(): BlackholeDestination {
  const counts: BlackholeCounts = { batches: 0, records: 0, bytes: 0 };
  return {
    keyOf: () => BLACKHOLE_KEY,
    async write(_key, records, signal) {
      if (signal.aborted) return { kind: 'retryable', reason: 'aborted' };
      counts.batches++;
      counts.records += records.length;
      for (const r of records) counts.bytes += r.value.length;
      return { kind: 'ok' };
    },
    // Its write path is a counter: nothing can be broken.
    async healthCheck() {},
    async close() {},
    counts: () => ({ ...counts }),
  };
}

export const createBlackholeDestination: DestinationFactory = async () => blackholeDestination();
