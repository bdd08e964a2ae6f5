/**
 * The lag sampler: every intervalMs it reads, on every cluster of the placement plan, the
 * committed offsets of every sink group and gutter drainer group there, then the start and
 * end offsets of every Spillway topic there (main, gutter, dead-letter), and computes a
 * LagReport (monitor/lag.ts) against the previous sample. One admin client per cluster,
 * kept for the sampler's life. A cluster that fails or times out is reported unreadable in
 * that sample (its sinks' state 'unknown', logged once per change) and the others go on.
 */
import { kafkaClusterOf } from '../config/cluster.ts';
import type { SpillwayConfig } from '../config/schema.ts';
import { KafkaAdmin } from '../core/kafka/index.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import { planPlacement } from '../router/placement-plan.ts';
import { drainerGroupId, sinkGroupId } from '../sinks/runtime/sink-service.ts';
import {
  type ClusterFailure,
  type ClusterOffsets,
  computeLag,
  type LagModel,
  type LagReport,
  type OffsetSnapshot,
  type SinkState,
  type TierLag,
} from './lag.ts';
import { RingBuffer } from './ring-buffer.ts';
import { computeFlow, type DashboardState, dashboardState, scrapeTargets, type TargetScrape } from './scrape.ts';

/**
 * A cluster read gets at most this long, and at least the interval: a hanging cluster
 * must not hold back the others' sample for longer than a Kafka request timeout.
 */
export const MIN_READ_TIMEOUT_MS = 10_000;

/** What the sampler needs of KafkaAdmin (tests substitute a fake). */
export interface OffsetReader {
  endOffsets(topics: string[]): Promise<Map<string, bigint[]>>;
  startOffsets(topics: string[]): Promise<Map<string, bigint[]>>;
  committedOffsets(groupId: string): Promise<Map<string, Map<number, bigint>>>;
  close(): Promise<void>;
}

export type ClusterSettings = SpillwayConfig['clusters'][number];

export interface SamplerOptions {
  /** @default config.monitor.intervalMs */
  intervalMs?: number;
  /** @default config.monitor.historyMs */
  historyMs?: number;
  /** @default max(intervalMs, MIN_READ_TIMEOUT_MS) */
  readTimeoutMs?: number;
  logger?: Logger;
  now?: () => number;
  /** @default a KafkaAdmin for the cluster */
  openReader?: (cluster: ClusterSettings) => OffsetReader;
  /** @default scrapeTargets (tests substitute canned scrapes) */
  scrape?: typeof scrapeTargets;
  /** Called with every new report (the service updates the metrics with it). */
  onSample?: (report: LagReport) => void;
}

/** One point of the bounded history the dashboard charts. */
export interface HistoryPoint {
  atMs: number;
  sinks: Record<
    string,
    {
      state: SinkState;
      /** The state the dashboard shows: the sink's own (throttled, paused) before its lag state. */
      display: DashboardState;
      lagRecords: number;
      lagSeconds: number | null;
      throughputPerSec: number | null;
      drainerLag: number;
      deadLetters: number;
      gutterInPerSec: number | null;
      gutterOutPerSec: number | null;
      deadLettersPerSec: number | null;
    }
  >;
  /** Records/s dropped by criticality over the scraped router and agents; null without scrape targets or on the first scrape. */
  droppedPerSec: Record<string, number> | null;
  logIds: { sink: string; logId: string; lagRecords: number; lagSeconds: number | null; shared: boolean }[];
  /** Each sink's lag per level class and per importance. */
  tiers: TierLag[];
}

const toNumbers = (m: Map<string, bigint[]>): Record<string, number[]> =>
  Object.fromEntries([...m].map(([t, offs]) => [t, Array.from(offs, (o) => (o === undefined ? 0 : Number(o)))]));

export function historyPoint(r: LagReport): HistoryPoint {
  const rated = r.flow !== undefined && r.flow.sinceSec !== null;
  return {
    atMs: r.atMs,
    droppedPerSec: rated ? r.flow!.droppedPerSec : null,
    sinks: Object.fromEntries(
      r.sinks.map((s) => [
        s.sink,
        {
          state: s.state,
          display: dashboardState(s.state, r.flow?.sinks[s.sink]),
          lagRecords: s.lagRecords,
          lagSeconds: s.lagSeconds,
          throughputPerSec: s.throughputPerSec,
          drainerLag: s.drainerLag,
          deadLetters: s.deadLetters,
          gutterInPerSec: rated ? r.flow!.sinks[s.sink]!.gutterInPerSec : null,
          gutterOutPerSec: rated ? r.flow!.sinks[s.sink]!.gutterOutPerSec : null,
          deadLettersPerSec: rated ? r.flow!.sinks[s.sink]!.deadLettersPerSec : null,
        },
      ]),
    ),
    logIds: r.logIds.map((l) => ({
      sink: l.sink,
      logId: l.logId,
      lagRecords: l.lagRecords,
      lagSeconds: l.lagSeconds,
      shared: l.shared,
    })),
    tiers: r.tiers,
  };
}

export class LagSampler {
  readonly intervalMs: number;
  readonly historyMs: number;
  #model!: LagModel;
  #config: SpillwayConfig;
  readonly #options: SamplerOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #readTimeoutMs: number;
  readonly #readers = new Map<string, OffsetReader>();
  /** cluster -> Spillway topics on it */
  #topics = new Map<string, string[]>();
  /** cluster -> consumer groups reading there */
  #groups = new Map<string, string[]>();
  readonly #history: RingBuffer<HistoryPoint>;
  readonly #clusterErrors = new Map<string, string>();
  #prev: { snapshot: OffsetSnapshot; report: LagReport; scrapes: TargetScrape[] | undefined } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(config: SpillwayConfig, options: SamplerOptions = {}) {
    this.#config = config;
    this.#options = options;
    this.intervalMs = options.intervalMs ?? config.monitor.intervalMs;
    this.historyMs = options.historyMs ?? config.monitor.historyMs;
    this.#readTimeoutMs = options.readTimeoutMs ?? Math.max(this.intervalMs, MIN_READ_TIMEOUT_MS);
    this.#log = options.logger ?? createLogger('monitor');
    this.#now = options.now ?? Date.now;
    this.#plan(config);
    // One more slot than the window holds, so a full window of intervals is always covered.
    this.#history = new RingBuffer(Math.ceil(this.historyMs / this.intervalMs) + 1);
  }

  /** The placement plan and logIds lag is computed against. */
  get model(): LagModel {
    return this.#model;
  }

  /**
   * A live reload (clusters, interval and history are restart-only): the next sample reads
   * the new plan's topics and groups, judges the new thresholds and scrapes the new targets.
   * History and the Kafka connections are kept.
   */
  reconfigure(config: SpillwayConfig): void {
    this.#plan(config);
  }

  #plan(config: SpillwayConfig): void {
    const plan = planPlacement(config);
    const topics = new Map<string, string[]>();
    const groups = new Map<string, string[]>();
    for (const c of plan.clusters) {
      topics.set(
        c.name,
        c.topics.map((t) => t.name),
      );
    }
    for (const s of plan.sinks) {
      for (const [refs, group] of [
        [s.consumes, sinkGroupId(s.name)],
        [s.gutter, drainerGroupId(s.name)],
      ] as const) {
        for (const c of new Set(refs.map((r) => r.cluster))) {
          const list = groups.get(c) ?? [];
          if (!list.includes(group)) list.push(group);
          groups.set(c, list);
        }
      }
    }
    this.#config = config;
    this.#model = { plan, logIds: config.logIds };
    this.#topics = topics;
    this.#groups = groups;
  }

  /** The newest report, if a sample completed. */
  latest(): LagReport | undefined {
    return this.#prev?.report;
  }

  /** History points of the last `seconds` (default: all kept), oldest first. */
  history(seconds?: number): HistoryPoint[] {
    const all = this.#history.toArray();
    if (seconds === undefined || all.length === 0) return all;
    const from = all[all.length - 1]!.atMs - seconds * 1000;
    return all.filter((p) => p.atMs >= from);
  }

  /** Takes one sample now and returns its report (also kept as latest and in the history). */
  async sample(): Promise<LagReport> {
    // One plan for the whole sample, even when a reload lands during it.
    const model = this.#model;
    const config = this.#config;
    const topics = this.#topics;
    const groups = this.#groups;
    const clusters = model.plan.clusters.map((c) => c.name);
    const targets = config.monitor.scrape;
    const [reads, scrapes] = await Promise.all([
      Promise.all(clusters.map((c) => this.#readCluster(c, topics.get(c) ?? [], groups.get(c) ?? []))),
      targets.length === 0
        ? undefined
        : (this.#options.scrape ?? scrapeTargets)(targets, Math.min(this.#readTimeoutMs, this.intervalMs), this.#now),
    ]);
    const snapshot: OffsetSnapshot = {
      atMs: this.#now(),
      clusters: Object.fromEntries(clusters.map((c, i) => [c, reads[i]!])),
    };
    const report = computeLag(model, snapshot, this.#prev?.snapshot, this.#prev?.report);
    if (scrapes) {
      report.flow = computeFlow(
        scrapes,
        this.#prev?.scrapes,
        config.sinks.map((s) => s.name),
      );
    }
    this.#prev = { snapshot, report, scrapes };
    this.#history.push(historyPoint(report));
    this.#options.onSample?.(report);
    return report;
  }

  /** Samples every intervalMs until stop(); a slow sample delays the next, never overlaps it. */
  start(): void {
    this.#stopped = false;
    const tick = async (): Promise<void> => {
      const began = this.#now();
      this.#running = this.sample().catch((err) =>
        this.#log.error({ err: (err as Error).message }, 'lag sample failed'),
      );
      await this.#running;
      if (this.#stopped) return;
      this.#timer = setTimeout(tick, Math.max(0, this.intervalMs - (this.#now() - began)));
    };
    void tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Stops sampling and closes the admin clients. */
  async close(): Promise<void> {
    await this.stop();
    await Promise.all([...this.#readers.values()].map((r) => r.close().catch(() => {})));
    this.#readers.clear();
  }

  #reader(cluster: string): OffsetReader {
    let r = this.#readers.get(cluster);
    if (!r) {
      const settings = this.#config.clusters.find((c) => c.name === cluster)!;
      r = this.#options.openReader?.(settings) ?? new KafkaAdmin(kafkaClusterOf(settings), 'spillway-monitor');
      this.#readers.set(cluster, r);
    }
    return r;
  }

  async #readCluster(cluster: string, topics: string[], groups: string[]): Promise<ClusterOffsets | ClusterFailure> {
    let timer: NodeJS.Timeout | undefined;
    const read = this.#read(cluster, topics, groups);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`offsets not read within ${this.#readTimeoutMs} ms`)),
        this.#readTimeoutMs,
      );
    });
    try {
      const offsets = await Promise.race([read, timeout]);
      if (this.#clusterErrors.delete(cluster)) this.#log.info({ cluster }, 'cluster offsets readable again');
      return offsets;
    } catch (err) {
      read.catch(() => {}); // settles later; already reported
      const error = (err as Error).message;
      if (this.#clusterErrors.get(cluster) !== error) {
        this.#log.warn({ cluster, err: error }, 'cannot read cluster offsets; its sinks are reported unknown');
      }
      this.#clusterErrors.set(cluster, error);
      return { error };
    } finally {
      clearTimeout(timer);
    }
  }

  async #read(cluster: string, topics: string[], groups: string[]): Promise<ClusterOffsets> {
    const reader = this.#reader(cluster);
    // Commits first, then the log ends: a commit read after the end could pass it.
    const commits = await Promise.all(groups.map((g) => reader.committedOffsets(g)));
    const [end, start] = await Promise.all([reader.endOffsets(topics), reader.startOffsets(topics)]);
    const committed: ClusterOffsets['committed'] = {};
    groups.forEach((g, i) => {
      committed[g] = Object.fromEntries(
        [...commits[i]!].map(([t, parts]) => [t, Object.fromEntries([...parts].map(([p, o]) => [p, Number(o)]))]),
      );
    });
    return { end: toNumbers(end), start: toNumbers(start), committed };
  }
}
