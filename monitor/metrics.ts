/**
 * Publishes a LagReport as the monitor's Prometheus gauges (names and labels fixed in
 * core/telemetry.ts). Labels: sink names and configured logIds only, so cardinality is
 * bounded by the config. A sink whose clusters could not be read keeps its last lag values
 * (a scrape gap would read as "no lag"); its state gauge says 'unknown'.
 */
import type { Telemetry } from '../core/telemetry.ts';
import type { LagReport, SinkState } from './lag.ts';

export const SINK_STATES: readonly SinkState[] = ['healthy', 'lagging', 'stalled', 'gutter-draining', 'unknown'];

/** Lag seconds for a gauge: null with lag > 0 and a known rate is "infinitely behind". */
function seconds(lagSeconds: number | null, stalled: boolean): number | undefined {
  if (lagSeconds !== null) return lagSeconds;
  return stalled ? Number.POSITIVE_INFINITY : undefined;
}

export function publishLag(telemetry: Telemetry, report: LagReport): void {
  for (const [cluster, status] of Object.entries(report.clusters)) {
    telemetry.set('spillway_monitor_cluster_up', status === 'ok' ? 1 : 0, { cluster });
  }
  for (const s of report.sinks) {
    for (const state of SINK_STATES)
      telemetry.set('spillway_lag_state', state === s.state ? 1 : 0, { sink: s.sink, state });
    if (s.errors.length > 0) continue;
    const sink = s.sink;
    telemetry.set('spillway_consumer_lag_records', s.lagRecords, { sink });
    const sec = seconds(s.lagSeconds, s.state === 'stalled' || s.breached.length > 0);
    if (sec !== undefined) telemetry.set('spillway_consumer_lag_seconds', sec, { sink });
    if (s.throughputPerSec !== null)
      telemetry.set('spillway_consumer_throughput_records_per_second', s.throughputPerSec, { sink });
    telemetry.set('spillway_gutter_lag_records', s.drainerLag, { sink });
    telemetry.set('spillway_dead_letter_records', s.deadLetters, { sink });
  }
  for (const t of report.tiers) {
    const labels = { sink: t.sink, by: t.by, tier: t.tier };
    telemetry.set('spillway_tier_lag_records', t.lagRecords, labels);
    // Null seconds with lag: no progress since the last sample (infinitely behind) once the rate is known.
    const sec = seconds(t.lagSeconds, t.throughputPerSec === 0);
    if (sec !== undefined) telemetry.set('spillway_tier_lag_seconds', sec, labels);
    if (t.throughputPerSec !== null)
      telemetry.set('spillway_tier_throughput_records_per_second', t.throughputPerSec, labels);
  }
  for (const l of report.logIds) {
    if (l.state === 'unknown' && report.clusters[l.cluster] !== 'ok') continue;
    const labels = { sink: l.sink, logid: l.logId };
    telemetry.set('spillway_logid_lag_records', l.lagRecords, labels);
    const sec = seconds(l.lagSeconds, l.state === 'stalled');
    if (sec !== undefined) telemetry.set('spillway_logid_lag_seconds', sec, labels);
    telemetry.set('spillway_lag_threshold_breached', l.breached ? 1 : 0, labels);
  }
}

const PER_SINK = [
  'spillway_lag_state',
  'spillway_consumer_lag_records',
  'spillway_consumer_lag_seconds',
  'spillway_consumer_throughput_records_per_second',
  'spillway_gutter_lag_records',
  'spillway_dead_letter_records',
  'spillway_tier_lag_records',
  'spillway_tier_lag_seconds',
  'spillway_tier_throughput_records_per_second',
  'spillway_logid_lag_records',
  'spillway_logid_lag_seconds',
  'spillway_lag_threshold_breached',
] as const;
const PER_LOG_ID = [
  'spillway_logid_lag_records',
  'spillway_logid_lag_seconds',
  'spillway_lag_threshold_breached',
] as const;

/**
 * After a reload: drops the gauges of sinks and (sink, logId) pairs the new config no longer
 * has. They would otherwise keep their last value, and an alert on a breach or a stall of
 * something that no longer exists would fire until the monitor restarts.
 */
export async function forgetLag(
  telemetry: Telemetry,
  before: { sinks: readonly string[]; pairs: readonly [string, string][] },
  after: { sinks: readonly string[]; pairs: readonly [string, string][] },
): Promise<void> {
  const sinks = new Set(after.sinks);
  const pairs = new Set(after.pairs.map(([s, l]) => `${s}\u0000${l}`));
  for (const sink of before.sinks.filter((s) => !sinks.has(s)))
    for (const m of PER_SINK) await telemetry.forget(m, { sink });
  for (const [sink, logid] of before.pairs.filter(([s, l]) => !pairs.has(`${s}\u0000${l}`)))
    for (const m of PER_LOG_ID) await telemetry.forget(m, { sink, logid });
}
