/**
 * The one telemetry module: every component reports received / sent / dropped / errors /
 * in-flight through these metrics, with these names and labels, and nothing else defines a
 * metric. docs/metrics.md lists them (generated from METRICS; a test keeps it in sync).
 *
 * Label cardinality is bounded by construction: `component` is a fixed set, `reason` and
 * `criticality` are enumerations, `cluster` and `logid` come from the config (a logId that
 * is not configured is reported as the fallback logId, never as itself).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type Component = 'router' | 'agent' | 'sink' | 'monitor';

interface MetricSpec {
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  readonly labels: readonly string[];
  readonly buckets?: readonly number[];
}

/** Request latency buckets (seconds): from a 1 ms loopback produce to a 30 s hot-path timeout. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const METRICS = {
  spillway_records_received_total: {
    type: 'counter',
    help: 'Records a component received (parsed lines, consumed records).',
    labels: ['component', 'logid'],
  },
  spillway_records_sent_total: {
    type: 'counter',
    help: 'Records a component handed on and had acknowledged (Kafka acks=all, a destination 2xx).',
    labels: ['component', 'cluster'],
  },
  spillway_records_delivered_total: {
    type: 'counter',
    help: 'Records a sink delivered to its destination, by sink and by the channel they came from (importance S/A/B/C and level class; "none" for records of no channel): throughput per tier.',
    labels: ['component', 'sink', 'importance', 'level_class'],
  },
  spillway_records_dropped_total: {
    type: 'counter',
    help: 'Records refused or shed, by reason (malformed, quota, overload, deadline, kafka; at the agent also refused = the router refused the batch for good) and criticality.',
    labels: ['component', 'reason', 'criticality'],
  },
  spillway_records_fallback_total: {
    type: 'counter',
    help: 'Records whose logId is not configured and were placed as the fallback logId.',
    labels: ['component'],
  },
  spillway_errors_total: {
    type: 'counter',
    help: 'Errors by kind (kafka-produce, redis, decode, auth, ...).',
    labels: ['component', 'kind'],
  },
  spillway_requests_total: {
    type: 'counter',
    help: 'HTTP requests answered, by route and status code.',
    labels: ['component', 'route', 'status'],
  },
  spillway_request_duration_seconds: {
    type: 'histogram',
    help: 'Time from request start to response, by route.',
    labels: ['component', 'route'],
    buckets: LATENCY_BUCKETS,
  },
  spillway_inflight_requests: {
    type: 'gauge',
    help: 'Requests being handled now.',
    labels: ['component'],
  },
  spillway_cpu_usage_ratio: {
    type: 'gauge',
    help: 'Smoothed CPU usage of the process against its allowance (cgroup-aware), 0..1.',
    labels: ['component'],
  },
  spillway_gutter_records_total: {
    type: 'counter',
    help: 'Records a sink spilled into its gutter topic (direction="in"), the drainer put back for another round after a failed retry ("retry"), or delivered from it ("out").',
    labels: ['component', 'sink', 'direction'],
  },
  spillway_dead_letters_total: {
    type: 'counter',
    help: 'Records a sink wrote to its dead-letter topic.',
    labels: ['component', 'sink'],
  },
  spillway_sink_inflight_records: {
    type: 'gauge',
    help: 'Records a sink worker holds between fetch and commit (bounded by maxInFlightRecords).',
    labels: ['component', 'sink', 'worker'],
  },
  spillway_sink_tier_inflight_records: {
    type: 'gauge',
    help: 'Records a sink worker holds in flight per criticality tier (importance x level class of their channel).',
    labels: ['component', 'sink', 'worker', 'criticality'],
  },
  spillway_sink_tier_paused: {
    type: 'gauge',
    help: "1 while a sink worker's in-flight budget pauses the partitions of this criticality tier (lowest tiers pause first), else 0.",
    labels: ['component', 'sink', 'worker', 'criticality'],
  },
  spillway_sink_paused_partitions: {
    type: 'gauge',
    help: 'Partitions a sink worker has paused (in-flight bound reached, destination down, spill failing).',
    labels: ['component', 'sink', 'worker'],
  },
  spillway_sink_throttle_reject_probability: {
    type: 'gauge',
    help: "Highest adaptive-throttle rejection probability among the sink's destinations (0 = healthy).",
    labels: ['component', 'sink'],
  },
  spillway_sink_state: {
    type: 'gauge',
    help: "1 for the sink's current state (healthy, throttled, open = destination down and probing), 0 for the others.",
    labels: ['component', 'sink', 'state'],
  },
  spillway_consumer_lag_records: {
    type: 'gauge',
    help: "Records the sink's consumer group (spw.sink.<sink>) has not committed yet, over all its topics and clusters (monitor).",
    labels: ['component', 'sink'],
  },
  spillway_consumer_lag_seconds: {
    type: 'gauge',
    help: "Lag of the sink's slowest topic in seconds at the current consumption rate; +Inf when it makes no progress with lag > 0 (monitor).",
    labels: ['component', 'sink'],
  },
  spillway_consumer_throughput_records_per_second: {
    type: 'gauge',
    help: "Records per second the sink's consumer group committed between the last two samples (monitor).",
    labels: ['component', 'sink'],
  },
  spillway_gutter_lag_records: {
    type: 'gauge',
    help: "Records in the sink's gutter topic its drainer (spw.gutter.<sink>) has not committed yet (monitor).",
    labels: ['component', 'sink'],
  },
  spillway_dead_letter_records: {
    type: 'gauge',
    help: "Records in the sink's dead-letter topic (end - start offsets) (monitor).",
    labels: ['component', 'sink'],
  },
  spillway_logid_lag_records: {
    type: 'gauge',
    help: "The sink's lag on a configured logId's topics; a hashed topic's lag is attributed to every logId on it (monitor).",
    labels: ['component', 'sink', 'logid'],
  },
  spillway_logid_lag_seconds: {
    type: 'gauge',
    help: "The sink's lag on a configured logId's topics in seconds; +Inf when it makes no progress with lag > 0 (monitor).",
    labels: ['component', 'sink', 'logid'],
  },
  spillway_tier_lag_records: {
    type: 'gauge',
    help: 'The sink\'s lag over its topics of one tier: by="level_class" (tier error, warn, info, ...) or by="importance" (tier S, A, B, C) (monitor).',
    labels: ['component', 'sink', 'by', 'tier'],
  },
  spillway_tier_lag_seconds: {
    type: 'gauge',
    help: "The sink's lag over its topics of one tier in seconds at that tier's consumption rate; +Inf when it makes no progress with lag > 0 (monitor).",
    labels: ['component', 'sink', 'by', 'tier'],
  },
  spillway_tier_throughput_records_per_second: {
    type: 'gauge',
    help: 'Records per second the sink committed on its topics of one tier between the last two samples (monitor).',
    labels: ['component', 'sink', 'by', 'tier'],
  },
  spillway_lag_threshold_breached: {
    type: 'gauge',
    help: "1 while the sink's lag on the logId exceeds the logId's lagThresholdSec (default 60 s), else 0 (monitor).",
    labels: ['component', 'sink', 'logid'],
  },
  spillway_lag_state: {
    type: 'gauge',
    help: "1 for the sink's lag state (healthy, lagging, stalled, gutter-draining, unknown), 0 for the others (monitor).",
    labels: ['component', 'sink', 'state'],
  },
  spillway_monitor_cluster_up: {
    type: 'gauge',
    help: "1 when the monitor's last sample read the cluster's offsets, 0 when it failed.",
    labels: ['component', 'cluster'],
  },
  spillway_spool_bytes: {
    type: 'gauge',
    help: "Live bytes in the agent's disk spool (batches kept across router outages, bounded by agent.spool.maxBytes).",
    labels: ['component'],
  },
  spillway_spool_dropped_batches_total: {
    type: 'counter',
    help: 'Batches the agent spool dropped, by reason (evicted for a more critical one, rejected when full, too-large, closed, io-error) and criticality.',
    labels: ['component', 'reason', 'criticality'],
  },
  spillway_input_records_total: {
    type: 'counter',
    help: "Records an agent input parsed and accepted (before quotas and shipping), by input name (agent.inputs[].name, default '<type>-<position>').",
    labels: ['component', 'input'],
  },
  spillway_input_rejected_total: {
    type: 'counter',
    help: 'Lines an agent input refused, by input name and reason (invalid-json, not-object, no-log-id, bad-level, too-long, invalid-utf8, bad-container-log, bad-syslog, framing, …). Also logged at warn, rate-limited.',
    labels: ['component', 'input', 'reason'],
  },
  spillway_config_reloads_total: {
    type: 'counter',
    help: 'Config reloads (SIGHUP or --watch-config) by result: applied, unchanged, invalid (the file failed validation), restart-required (a key that only applies at start changed), failed (applying failed; the old config stays). Every result but applied and unchanged keeps the old config and is logged at error.',
    labels: ['component', 'result'],
  },
  spillway_config_last_reload_successful: {
    type: 'gauge',
    help: '1 when the last config reload attempt applied (or found nothing to change), 0 while the process runs on an older config than its file because the last attempt was refused.',
    labels: ['component'],
  },
  spillway_quota_redis_up: {
    type: 'gauge',
    help: '1 while the global quota lease is refreshed through Redis, 0 while running on the last lease or a local share.',
    labels: ['component'],
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRICS;

type LabelsOf<N extends MetricName> = Partial<Record<(typeof METRICS)[N]['labels'][number], string>>;

/** A component's metrics, in its own registry (tests create many; a process creates one per component). */
export class Telemetry {
  readonly registry = new Registry();
  readonly component: Component;
  readonly #metrics = new Map<MetricName, Counter | Gauge | Histogram>();

  constructor(component: Component) {
    this.component = component;
    for (const [name, spec] of Object.entries(METRICS) as [MetricName, MetricSpec][]) {
      const common = { name, help: spec.help, labelNames: [...spec.labels], registers: [this.registry] };
      const metric =
        spec.type === 'counter'
          ? new Counter(common)
          : spec.type === 'gauge'
            ? new Gauge(common)
            : new Histogram({ ...common, buckets: [...(spec.buckets ?? LATENCY_BUCKETS)] });
      this.#metrics.set(name, metric);
    }
  }

  inc<N extends MetricName>(name: N, labels: LabelsOf<N> = {}, by = 1): void {
    if (by === 0) return;
    (this.#metrics.get(name) as Counter).inc({ component: this.component, ...labels }, by);
  }

  set<N extends MetricName>(name: N, value: number, labels: LabelsOf<N> = {}): void {
    (this.#metrics.get(name) as Gauge).set({ component: this.component, ...labels }, value);
  }

  add<N extends MetricName>(name: N, by: number, labels: LabelsOf<N> = {}): void {
    (this.#metrics.get(name) as Gauge).inc({ component: this.component, ...labels }, by);
  }

  observe<N extends MetricName>(name: N, seconds: number, labels: LabelsOf<N> = {}): void {
    (this.#metrics.get(name) as Histogram).observe({ component: this.component, ...labels }, seconds);
  }

  /**
   * Current value of a counter or gauge for these labels (tests and /readyz use it): the sum
   * of every series that has them, as PromQL's `sum(metric{labels})`, so a label left out is
   * summed over (records delivered by a sink, whatever their channel).
   */
  async value<N extends MetricName>(name: N, labels: LabelsOf<N> = {}): Promise<number> {
    const want = { component: this.component, ...labels } as Record<string, string>;
    const data = await (this.#metrics.get(name) as Counter).get();
    let sum = 0;
    for (const v of data.values) {
      if (Object.entries(want).every(([k, x]) => String(v.labels[k]) === x)) sum += v.value;
    }
    return sum;
  }

  /**
   * Drops every series of `name` whose labels include `labels`: a sink or logId that left
   * the config would otherwise keep its last value (and the alerts on it) until a restart.
   */
  async forget<N extends MetricName>(name: N, labels: LabelsOf<N>): Promise<void> {
    const metric = this.#metrics.get(name) as Gauge;
    const want = { component: this.component, ...labels } as Record<string, string>;
    for (const v of (await metric.get()).values) {
      if (Object.entries(want).every(([k, x]) => String(v.labels[k]) === x)) metric.remove(v.labels as never);
    }
  }

  /** Prometheus text exposition for /metrics. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** docs/metrics.md, generated from METRICS. */
export function renderMetricsDoc(): string {
  return [
    '# Metrics',
    '',
    '<!-- generated by `node scripts/gen-docs.ts` from core/telemetry.ts; do not edit -->',
    '',
    'Every component serves these on `/metrics` (Prometheus text format). `component` is one of router, agent, sink, monitor; `logid` and `cluster` only take configured values.',
    '',
    '| metric | type | labels | meaning |',
    '|---|---|---|---|',
    ...Object.entries(METRICS).map(([name, s]) => `| \`${name}\` | ${s.type} | ${s.labels.join(', ')} | ${s.help} |`),
    '',
  ].join('\n');
}
