/**
 * Runs one sink: its destination, the main worker (group `spw.sink.<name>`) on every
 * cluster carrying its logIds, and the gutter drainer (group `spw.gutter.<name>`) with a
 * capped share of the sink's concurrency. `spillway sink --config FILE [--name SINK]` runs
 * one or all sinks of a config, each isolated from the others (its own groups, producers
 * and destination).
 */
import type { SpillwayConfig } from '../../config/schema.ts';
import { KafkaAdmin } from '../../core/kafka/index.ts';
import { createLogger, type Logger } from '../../core/logger.ts';
import { Telemetry } from '../../core/telemetry.ts';
import { deadLetterTopicName, gutterTopicName } from '../../router/placement-plan.ts';
import type { Destination } from '../core/destination.ts';
import { sinkSides } from './sink-sides.ts';
import { SinkWorker, type WorkerSource } from './sink-worker.ts';

/** The start-up health check gets this long: a destination slower than that is reported as failing. */
const HEALTH_CHECK_TIMEOUT_MS = 5_000;
/** Refresh of the sink's state gauges. */
const STATE_INTERVAL_MS = 1_000;

export interface SinkServiceOptions {
  telemetry?: Telemetry;
  logger?: Logger;
  /** Builds the destination; default: the sink type's factory (sinks/registry.ts). */
  destination?: Destination;
  /** Fetch wait of the consumers (tests shorten it). */
  maxWaitMs?: number;
  commitIntervalMs?: number;
  /** Gutter retry backoff (tests shorten it). */
  gutterBackoff?: { baseMs: number; capMs: number };
}

export interface RunningSink {
  name: string;
  telemetry: Telemetry;
  main: SinkWorker;
  drainer: SinkWorker | undefined;
  /**
   * A live reload that leaves the sink's own settings and topics as they are but changes
   * which logIds it takes (a logId added to or removed from it, or one added elsewhere that
   * it used to take as an unknown logId): the next fetched record is judged by `next`.
   */
  retarget(next: SpillwayConfig): void;
  /**
   * Calls `fn` with every record the main worker fetches (its logId, cluster and topic), or
   * stops with undefined: a sink draining a placement move watches for the moved logIds.
   */
  observe(
    fn: ((logId: string | undefined, writtenAsUnknown: boolean, cluster: string, topic: string) => void) | undefined,
  ): void;
  close(): Promise<void>;
}

export const sinkGroupId = (sink: string) => `spw.sink.${sink}`;

/** spillway_sink_state values: open = destination down (breaker open, probing). The monitor reads them back. */
export const SINK_RUNTIME_STATES = ['healthy', 'throttled', 'open'] as const;
export type SinkRuntimeState = (typeof SINK_RUNTIME_STATES)[number];
export const drainerGroupId = (sink: string) => `spw.gutter.${sink}`;

/**
 * Which records a sink takes: its configured logIds, plus unknown ones when it owns the
 * fallback logId. A record the router placed as the fallback logId carries FALLBACK_HEADER
 * and stays with the fallback's sinks even after a reload configures its logId: otherwise
 * what was written before that reload would be skipped by the fallback's sinks (the logId
 * is known now) and read by nobody, or read twice. Records written before routers set the
 * header are judged by the config alone.
 */
export function acceptFor(
  config: SpillwayConfig,
  sink: { name: string },
): (keyLogId: string | undefined, writtenAsUnknown: boolean) => string | undefined {
  const mine = new Set(config.logIds.filter((l) => l.sinks.includes(sink.name)).map((l) => l.id));
  const known = new Set(config.logIds.map((l) => l.id));
  const fallback = config.router.fallbackLogId;
  const fallbackMine = mine.has(fallback);
  return (id, writtenAsUnknown) => {
    if (id === undefined) return fallbackMine ? fallback : undefined;
    // Unknown logIds were placed as the fallback logId but keep their own id in the key.
    if (writtenAsUnknown || !known.has(id)) return fallbackMine ? id : undefined;
    return mine.has(id) ? id : undefined;
  };
}

export async function startSink(
  config: SpillwayConfig,
  sinkName: string,
  options: SinkServiceOptions = {},
): Promise<RunningSink> {
  const sink = config.sinks.find((s) => s.name === sinkName);
  if (!sink) throw new Error(`no sink named "${sinkName}" in the config`);
  const telemetry = options.telemetry ?? new Telemetry('sink');
  const log = (options.logger ?? createLogger('sink')).child({ sink: sink.name });
  const sides = sinkSides(config, sink, `spillway-sink-${sink.name}`, log);
  const { plan, clusterOf, clusters: involved } = sides;

  // The gutter and dead-letter topics, on the gutter cluster (planned) and on every source
  // cluster (the fallback when the gutter cluster cannot take a spill).
  const sideTopics = [gutterTopicName(sink.name), deadLetterTopicName(sink.name)];
  await Promise.all(
    involved.map(async (name) => {
      const admin = new KafkaAdmin(clusterOf(name), 'spillway-sink');
      try {
        await admin.ensureTopics(
          sideTopics.map((topic) => ({
            topic,
            partitions: config.channels.partitionsPerTopic,
            replicationFactor: config.channels.replicationFactor,
            configs: { 'retention.ms': String(config.channels.retentionMs) },
          })),
        );
      } catch (err) {
        log.warn({ cluster: name, err: (err as Error).message }, 'could not ensure gutter/dead-letter topics');
      } finally {
        await admin.close();
      }
    }),
  );

  const spill = sides.writer;
  const destination =
    options.destination ?? (await (await import('../registry.ts')).createDestination(sink, { logger: log }));
  // The health check uses the real write path. A failing one is reported, not fatal: the
  // breaker holds the input until the destination answers (it may come up after us).
  try {
    await destination.healthCheck(AbortSignal.timeout(HEALTH_CHECK_TIMEOUT_MS));
    log.info('destination health check passed');
  } catch (err) {
    log.warn(
      { err: (err as Error).message },
      'destination health check failed; starting anyway, the breaker will hold the input',
    );
  }

  const bySource = new Map<string, string[]>();
  for (const r of plan.consumes) bySource.set(r.cluster, [...(bySource.get(r.cluster) ?? []), r.topic]);
  const mainSources: WorkerSource[] = [...bySource].map(([name, topics]) => ({ cluster: clusterOf(name), topics }));
  let accept = acceptFor(config, sink);
  let observer:
    | ((logId: string | undefined, writtenAsUnknown: boolean, cluster: string, topic: string) => void)
    | undefined;
  const main = new SinkWorker({
    mode: 'main',
    sink,
    groupId: sinkGroupId(sink.name),
    sources: mainSources,
    destination,
    spill,
    accept: (id, writtenAsUnknown, cluster, topic) => {
      observer?.(id, writtenAsUnknown, cluster, topic);
      return accept(id, writtenAsUnknown);
    },
    concurrency: sink.concurrency,
    telemetry,
    log,
    maxWaitMs: options.maxWaitMs,
    commitIntervalMs: options.commitIntervalMs,
  });
  const drainer = sink.gutter.enabled
    ? new SinkWorker({
        mode: 'gutter',
        sink,
        groupId: drainerGroupId(sink.name),
        sources: involved.map((name) => ({ cluster: clusterOf(name), topics: [gutterTopicName(sink.name)] })),
        destination,
        spill,
        accept: (id) => id,
        destinationDown: () => main.breaker !== 'closed',
        // The drainer gets a capped share so replaying the gutter never starves the main flow.
        concurrency: Math.max(1, Math.floor((sink.concurrency * sink.gutter.drainSharePct) / 100)),
        telemetry,
        log,
        maxWaitMs: options.maxWaitMs,
        commitIntervalMs: options.commitIntervalMs,
        gutterBackoff: options.gutterBackoff,
      })
    : undefined;
  await main.start();
  await drainer?.start();

  const stateTimer = setInterval(() => {
    const state = main.breaker !== 'closed' ? 'open' : main.throttleProbability() > 0 ? 'throttled' : 'healthy';
    for (const s of SINK_RUNTIME_STATES)
      telemetry.set('spillway_sink_state', s === state ? 1 : 0, { sink: sink.name, state: s });
    telemetry.set('spillway_sink_throttle_reject_probability', main.throttleProbability(), { sink: sink.name });
  }, STATE_INTERVAL_MS);
  stateTimer.unref();
  log.info({ consumes: plan.consumes.length, clusters: involved }, 'sink started');

  return {
    name: sink.name,
    telemetry,
    main,
    drainer,
    retarget(next) {
      accept = acceptFor(next, sink);
    },
    observe(fn) {
      observer = fn;
    },
    async close() {
      clearInterval(stateTimer);
      await main.close();
      await drainer?.close();
      await destination.close();
      await sides.close();
      log.info('sink stopped');
    },
  };
}
