/**
 * The agent's Prometheus metrics (names and labels fixed in core/telemetry.ts). The shipper
 * and the spool keep plain counters on their hot paths; `refresh()` copies them into the
 * registry just before each scrape, as counter deltas, so nothing Prometheus-shaped sits on
 * the per-line path.
 */
import type { Telemetry } from '../core/telemetry.ts';
import type { Shipper } from './shipper.ts';
import type { Spool } from './spool/spool.ts';

export function agentMetricsRefresher(
  telemetry: Telemetry,
  shipper: Shipper,
  spool: Spool,
  /** UDP lines the socket inputs shed past the queue budget (the shipper counts its own drops). */
  socketShed: () => number = () => 0,
): () => void {
  const seen = new Map<string, number>();
  /** Increments `key`'s counter by how much `now` grew since the last refresh. */
  const delta = (key: string, now: number): number => {
    const d = now - (seen.get(key) ?? 0);
    seen.set(key, now);
    return Math.max(0, d);
  };
  return () => {
    telemetry.inc('spillway_records_sent_total', {}, delta('shipped', shipper.stats.shipped));
    telemetry.inc(
      'spillway_records_dropped_total',
      { reason: 'refused', criticality: 'unknown' },
      delta('dropped', shipper.stats.dropped),
    );
    telemetry.inc(
      'spillway_records_dropped_total',
      { reason: 'overload', criticality: 'unknown' },
      delta('socket-shed', socketShed()),
    );
    const stats = spool.stats();
    telemetry.set('spillway_spool_bytes', stats.bytes);
    for (const [reason, byCrit] of Object.entries(stats.dropped)) {
      for (const [criticality, n] of Object.entries(byCrit)) {
        telemetry.inc(
          'spillway_spool_dropped_batches_total',
          { reason, criticality },
          delta(`spool:${reason}:${criticality}`, n),
        );
      }
    }
  };
}
