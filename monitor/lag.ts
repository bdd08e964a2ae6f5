/**
 * Lag arithmetic, pure (no I/O): from the offsets of two consecutive samples, the lag of
 * every sink's consumer group (`spw.sink.<sink>`, over the topics it consumes), of its
 * gutter drainer (`spw.gutter.<sink>`), the depth of its dead-letter topic, and the
 * roll-ups per sink, per (sink, logId) and per channel (topic). monitor/sampler.ts reads
 * the offsets; this module only does the sums (issue #6, "Lag and metrics").
 *
 * Choices, and why:
 * - A partition without a commit counts from its log start: lag = end - start, the whole
 *   backlog is unconsumed (a sink group starts at 'earliest', core/kafka/consumer.ts).
 * - A commit below the log start (retention deleted those records) counts from the log
 *   start: the deleted records are gone, not pending. Lag never goes below 0.
 * - Lag seconds = lag / consumption rate, the rate being the advance of the group's
 *   positions between the two samples over the time between them. With lag > 0 and a rate
 *   of 0 the lag seconds are infinite: reported as null, and the state says 'stalled'
 *   (no progress over the two samples while lag > 0 in both) or 'lagging'.
 * - A logId on a dedicated topic owns that topic's lag. A hashed topic carries several
 *   logIds, and a partition's backlog cannot be split by logId without reading the records,
 *   so every logId on a shared topic is attributed the whole topic's lag (an upper bound)
 *   and its row says `shared: true` with the other logIds. Summing logId rows therefore
 *   over-counts; sink and channel totals are computed from partitions, never from logId rows.
 */

import { channelOfTopic } from '../router/placement.ts';
import type { PlacementPlan, TopicKind, TopicRef } from '../router/placement-plan.ts';
import { drainerGroupId, sinkGroupId } from '../sinks/runtime/sink-service.ts';
import type { FlowReport } from './scrape.ts';

/**
 * Lag threshold of a logId without `lagThresholdSec`: one minute behind is when a log
 * search starts missing what an on-call engineer just saw happen (the example in
 * config/log-id.ts uses the same number).
 */
export const DEFAULT_LAG_THRESHOLD_SEC = 60;

/** What one sample read from one cluster. Offsets are plain numbers (safe up to 2^53). */
export interface ClusterOffsets {
  /** topic -> log-end offset per partition (index = partition). */
  end: Record<string, number[]>;
  /** topic -> earliest available offset per partition; a topic absent here counts from 0. */
  start: Record<string, number[]>;
  /** group -> topic -> partition -> committed offset (next to read); uncommitted partitions absent. */
  committed: Record<string, Record<string, Record<number, number>>>;
}

/** A cluster the sample could not read. */
export interface ClusterFailure {
  error: string;
}

export interface OffsetSnapshot {
  atMs: number;
  clusters: Record<string, ClusterOffsets | ClusterFailure>;
}

/** What the arithmetic needs from the config: the placement plan and each logId's sinks and threshold. */
export interface LagModel {
  plan: PlacementPlan;
  logIds: readonly { id: string; sinks: readonly string[]; lagThresholdSec?: number | undefined }[];
  /** @default DEFAULT_LAG_THRESHOLD_SEC */
  defaultThresholdSec?: number;
}

export type SinkState = 'healthy' | 'lagging' | 'stalled' | 'gutter-draining' | 'unknown';

export interface PartitionLag {
  group: 'sink' | 'drainer';
  cluster: string;
  topic: string;
  partition: number;
  start: number;
  end: number;
  /** null: the group has no commit for this partition. */
  committed: number | null;
  lag: number;
  /** Records the group consumed since the previous sample; null on the first sample. */
  consumed: number | null;
}

export interface SinkLag {
  sink: string;
  state: SinkState;
  /** Why the state is not 'healthy', for operators. */
  reason?: string;
  /** Main group lag over all its topics and clusters (only the readable ones when `errors` is not empty). */
  lagRecords: number;
  /** null: unknown (first sample, unreadable cluster) or infinite (no progress while lag > 0). */
  lagSeconds: number | null;
  /** Records/s the main group committed between the two samples; null on the first sample. */
  throughputPerSec: number | null;
  /** Gutter drainer lag (records waiting in the gutter topic). */
  drainerLag: number;
  /** Records in the dead-letter topic (end - start). */
  deadLetters: number;
  /** LogIds of this sink over their lag threshold. */
  breached: string[];
  /** Clusters this sink needs that the sample could not read. */
  errors: { cluster: string; error: string }[];
  partitions: PartitionLag[];
}

export interface LogIdLag {
  sink: string;
  logId: string;
  cluster: string;
  topics: string[];
  /** True when a topic of this logId carries other logIds too: lagRecords is the whole topic's lag. */
  shared: boolean;
  /** The other logIds on those topics. */
  sharedWith: string[];
  lagRecords: number;
  lagSeconds: number | null;
  thresholdSec: number;
  breached: boolean;
  state: Exclude<SinkState, 'gutter-draining'>;
}

export interface ChannelLag {
  cluster: string;
  topic: string;
  kind: TopicKind;
  logIds: string[];
  /** Sum over the sinks (and drainers, for a gutter topic) consuming it. */
  lagRecords: number;
  /** sink -> lag of its group on this topic. */
  sinks: Record<string, number>;
}

/**
 * A sink's lag on one tier of its channels: all its topics of one level class, or of one
 * importance (issue #11: "INFO is 4 minutes behind, ERROR is current" at a glance).
 */
export interface TierLag {
  sink: string;
  by: 'level_class' | 'importance';
  /** The level class (error, warn, info, ...) or the importance (S, A, B, C). */
  tier: string;
  lagRecords: number;
  /** null: unknown (first sample) or infinite (no progress while lag > 0). */
  lagSeconds: number | null;
  /** Records/s the sink committed on these topics between the two samples; null on the first sample. */
  throughputPerSec: number | null;
}

export interface Breach {
  sink: string;
  logId: string;
  lagSeconds: number | null;
  thresholdSec: number;
}

export interface LagReport {
  atMs: number;
  /** Time since the previous sample; null on the first. */
  sinceMs: number | null;
  /** cluster -> 'ok' or the error that made it unreadable. */
  clusters: Record<string, string>;
  sinks: SinkLag[];
  logIds: LogIdLag[];
  channels: ChannelLag[];
  /** Per sink, its lag per level class and per importance (from the topic names). */
  tiers: TierLag[];
  breaches: Breach[];
  /** Rates and sink states scraped from the components' /metrics (monitor.scrape); absent without targets. */
  flow?: FlowReport;
}

const isFailure = (c: ClusterOffsets | ClusterFailure | undefined): c is ClusterFailure =>
  c !== undefined && 'error' in c;

/** The group's read position in a partition: its commit, clamped to [start, end]; the log start without one. */
function position(start: number, end: number, committed: number | null): number {
  if (committed === null) return start;
  return Math.min(Math.max(committed, start), end);
}

function partitionsOf(
  group: 'sink' | 'drainer',
  groupId: string,
  ref: TopicRef,
  cur: ClusterOffsets,
  prev: ClusterOffsets | undefined,
): PartitionLag[] {
  const ends = cur.end[ref.topic] ?? [];
  return ends.map((end, partition) => {
    const start = cur.start[ref.topic]?.[partition] ?? 0;
    const committed = cur.committed[groupId]?.[ref.topic]?.[partition] ?? null;
    const pos = position(start, end, committed);
    let consumed: number | null = null;
    const prevEnd = prev?.end[ref.topic]?.[partition];
    if (prev && prevEnd !== undefined) {
      const prevPos = position(
        prev.start[ref.topic]?.[partition] ?? 0,
        prevEnd,
        prev.committed[groupId]?.[ref.topic]?.[partition] ?? null,
      );
      // A group reset to an earlier offset is not negative throughput.
      consumed = Math.max(0, pos - prevPos);
    }
    return {
      group,
      cluster: ref.cluster,
      topic: ref.topic,
      partition,
      start,
      end,
      committed,
      lag: end - pos,
      consumed,
    };
  });
}

/** Records consumed since the previous sample; null when any partition was not read then. */
function consumedOf(parts: PartitionLag[]): number | null {
  let sum = 0;
  for (const p of parts) {
    if (p.consumed === null) return null;
    sum += p.consumed;
  }
  return sum;
}

interface Totals {
  lag: number;
  /** Records consumed since the previous sample; null when any partition has no previous reading. */
  consumed: number | null;
}

function totals(parts: PartitionLag[]): Totals {
  return { lag: parts.reduce((s, p) => s + p.lag, 0), consumed: consumedOf(parts) };
}

/** Lag seconds from lag and rate: 0 when caught up, null when the rate is unknown or 0. */
function lagSecondsOf(t: Totals, sinceMs: number | null): number | null {
  if (t.lag === 0) return 0;
  if (sinceMs === null || sinceMs <= 0 || t.consumed === null || t.consumed === 0) return null;
  return t.lag / (t.consumed / (sinceMs / 1000));
}

const round = (n: number, digits = 3): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

const key = (cluster: string, topic: string) => `${cluster}/${topic}`;

/**
 * Computes the report of `cur`; `prev` is the sample before it (rates, lag seconds and
 * stall detection need it), and `prevReport` the report computed from it (whether lag
 * was already > 0 then).
 */
export function computeLag(
  model: LagModel,
  cur: OffsetSnapshot,
  prev?: OffsetSnapshot,
  prevReport?: LagReport,
): LagReport {
  const { plan } = model;
  const defaultThreshold = model.defaultThresholdSec ?? DEFAULT_LAG_THRESHOLD_SEC;
  const sinceMs = prev ? cur.atMs - prev.atMs : null;
  const clusterOk = (c: string): ClusterOffsets | undefined => {
    const x = cur.clusters[c];
    return x === undefined || isFailure(x) ? undefined : x;
  };
  const prevOk = (c: string): ClusterOffsets | undefined => {
    const x = prev?.clusters[c];
    return x === undefined || isFailure(x) ? undefined : x;
  };
  const errorOf = (c: string): string | undefined => {
    const x = cur.clusters[c];
    return x === undefined ? 'not sampled' : isFailure(x) ? x.error : undefined;
  };

  const topicInfo = new Map<string, { kind: TopicKind; logIds: string[] }>();
  for (const c of plan.clusters) for (const t of c.topics) topicInfo.set(key(c.name, t.name), t);

  const channels = new Map<string, ChannelLag>();
  const addChannel = (ref: TopicRef, sink: string, lag: number): void => {
    const k = key(ref.cluster, ref.topic);
    let ch = channels.get(k);
    if (!ch) {
      const info = topicInfo.get(k);
      ch = {
        cluster: ref.cluster,
        topic: ref.topic,
        kind: info?.kind ?? 'hashed',
        logIds: [...(info?.logIds ?? [])],
        lagRecords: 0,
        sinks: {},
      };
      channels.set(k, ch);
    }
    ch.lagRecords += lag;
    ch.sinks[sink] = (ch.sinks[sink] ?? 0) + lag;
  };

  const prevSink = new Map(prevReport?.sinks.map((s) => [s.sink, s]) ?? []);
  const prevLogId = new Map(prevReport?.logIds.map((l) => [`${l.sink}/${l.logId}`, l]) ?? []);

  const sinks: SinkLag[] = [];
  const logIds: LogIdLag[] = [];
  const tiers: TierLag[] = [];
  const breaches: Breach[] = [];
  for (const sp of plan.sinks) {
    const errors: { cluster: string; error: string }[] = [];
    const needed = new Set([...sp.consumes, ...sp.gutter, ...sp.deadLetter].map((r) => r.cluster));
    for (const c of needed) {
      const e = errorOf(c);
      if (e !== undefined) errors.push({ cluster: c, error: e });
    }

    const main: PartitionLag[] = [];
    const mainByTopic = new Map<string, PartitionLag[]>();
    for (const ref of sp.consumes) {
      const offsets = clusterOk(ref.cluster);
      if (!offsets) continue;
      const parts = partitionsOf('sink', sinkGroupId(sp.name), ref, offsets, prevOk(ref.cluster));
      main.push(...parts);
      mainByTopic.set(key(ref.cluster, ref.topic), parts);
      addChannel(ref, sp.name, totals(parts).lag);
    }
    const drainer: PartitionLag[] = [];
    for (const ref of sp.gutter) {
      const offsets = clusterOk(ref.cluster);
      if (!offsets) continue;
      const parts = partitionsOf('drainer', drainerGroupId(sp.name), ref, offsets, prevOk(ref.cluster));
      drainer.push(...parts);
      addChannel(ref, sp.name, totals(parts).lag);
    }
    let deadLetters = 0;
    for (const ref of sp.deadLetter) {
      const offsets = clusterOk(ref.cluster);
      if (!offsets) continue;
      const ends = offsets.end[ref.topic] ?? [];
      ends.forEach((end, p) => {
        deadLetters += Math.max(0, end - (offsets.start[ref.topic]?.[p] ?? 0));
      });
    }

    // Per (sink, logId) rows.
    const sinkBreached: string[] = [];
    for (const l of model.logIds) {
      if (!l.sinks.includes(sp.name)) continue;
      const lp = plan.logIds.find((x) => x.id === l.id);
      if (!lp) continue;
      const topics = [...new Set(Object.values(lp.topics))].sort();
      const parts = topics.flatMap((t) => mainByTopic.get(key(lp.cluster, t)) ?? []);
      const others = new Set<string>();
      for (const t of topics) for (const id of topicInfo.get(key(lp.cluster, t))?.logIds ?? []) others.add(id);
      others.delete(l.id);
      const t = totals(parts);
      const error = errorOf(lp.cluster);
      const lagSeconds = error === undefined ? lagSecondsOf(t, sinceMs) : null;
      const thresholdSec = l.lagThresholdSec ?? defaultThreshold;
      const rateKnown = sinceMs !== null && t.consumed !== null;
      const before = prevLogId.get(`${sp.name}/${l.id}`);
      const stalled = rateKnown && t.lag > 0 && t.consumed === 0 && (before?.lagRecords ?? 0) > 0;
      // Lag seconds are null either because nothing was consumed yet of records that arrived
      // since the last sample (not a breach: they are younger than the interval) or because
      // the logId is stalled (a breach: infinitely behind).
      const breached = error === undefined && (lagSeconds === null ? stalled : lagSeconds > thresholdSec);
      const state: LogIdLag['state'] =
        error !== undefined || (t.lag > 0 && !rateKnown)
          ? 'unknown'
          : stalled
            ? 'stalled'
            : breached
              ? 'lagging'
              : 'healthy';
      if (breached) {
        sinkBreached.push(l.id);
        breaches.push({
          sink: sp.name,
          logId: l.id,
          lagSeconds: lagSeconds === null ? null : round(lagSeconds),
          thresholdSec,
        });
      }
      logIds.push({
        sink: sp.name,
        logId: l.id,
        cluster: lp.cluster,
        topics,
        shared: others.size > 0,
        sharedWith: [...others].sort(),
        lagRecords: t.lag,
        lagSeconds: lagSeconds === null ? null : round(lagSeconds),
        thresholdSec,
        breached,
        state,
      });
    }

    if (errors.length === 0) tiers.push(...tiersOf(sp.name, mainByTopic, sinceMs));

    const t = totals(main);
    const rateKnown = sinceMs !== null && sinceMs > 0 && t.consumed !== null;
    const throughputPerSec = rateKnown ? round(t.consumed! / (sinceMs! / 1000)) : null;
    // The sink's lag seconds: its slowest topic (a paused partition can hide behind a busy one).
    let lagSeconds: number | null = errors.length > 0 ? null : lagSecondsOf(t, sinceMs);
    if (lagSeconds !== null) {
      for (const parts of mainByTopic.values()) {
        const s = lagSecondsOf(totals(parts), sinceMs);
        if (s === null) {
          lagSeconds = null;
          break;
        }
        lagSeconds = Math.max(lagSeconds, s);
      }
    }
    const drainerLag = totals(drainer).lag;
    const wasLagging = (prevSink.get(sp.name)?.lagRecords ?? 0) > 0;
    let state: SinkState;
    let reason: string | undefined;
    if (errors.length > 0) {
      state = 'unknown';
      reason = errors.map((e) => `cluster "${e.cluster}" unreadable: ${e.error}`).join('; ');
    } else if (t.lag > 0 && !rateKnown) {
      state = 'unknown';
      reason = 'one sample so far: lag seconds need the consumption rate between two samples';
    } else if (t.lag > 0 && t.consumed === 0 && wasLagging) {
      state = 'stalled';
      reason = `no progress in ${round(sinceMs! / 1000, 1)} s with ${t.lag} records behind`;
    } else if (sinkBreached.length > 0) {
      state = 'lagging';
      const rows = logIds.filter((r) => r.sink === sp.name && r.breached);
      reason = rows
        .map(
          (r) =>
            `logId "${r.logId}" ${r.lagSeconds === null ? 'not progressing' : `${r.lagSeconds} s behind`} (threshold ${r.thresholdSec} s)`,
        )
        .join('; ');
    } else if (drainerLag > 0) {
      state = 'gutter-draining';
      reason = `${drainerLag} records in the gutter waiting for the drainer`;
    } else {
      state = 'healthy';
    }
    sinks.push({
      sink: sp.name,
      state,
      ...(reason !== undefined ? { reason } : {}),
      lagRecords: t.lag,
      lagSeconds: lagSeconds === null ? null : round(lagSeconds),
      throughputPerSec,
      drainerLag,
      deadLetters,
      breached: sinkBreached,
      errors,
      partitions: [...main, ...drainer],
    });
  }

  const clusters: Record<string, string> = {};
  for (const c of plan.clusters) clusters[c.name] = errorOf(c.name) ?? 'ok';
  return {
    atMs: cur.atMs,
    sinceMs,
    clusters,
    sinks,
    logIds,
    channels: [...channels.values()].sort((a, b) => (key(a.cluster, a.topic) < key(b.cluster, b.topic) ? -1 : 1)),
    tiers,
    breaches,
  };
}

/** Level classes in the order an operator reads them (others after, by name); importances S to C. */
const LEVEL_ORDER = ['error', 'warn', 'info'];
const IMPORTANCE_ORDER = 'SABC';
const tierOrder = (by: TierLag['by'], a: string, b: string): number => {
  if (by === 'importance') return IMPORTANCE_ORDER.indexOf(a) - IMPORTANCE_ORDER.indexOf(b);
  const ia = LEVEL_ORDER.indexOf(a);
  const ib = LEVEL_ORDER.indexOf(b);
  if (ia !== ib) return (ia < 0 ? LEVEL_ORDER.length : ia) - (ib < 0 ? LEVEL_ORDER.length : ib);
  return a < b ? -1 : a > b ? 1 : 0;
};

/** One sink's rows per level class and per importance, from its main topics' partitions. */
function tiersOf(sink: string, mainByTopic: Map<string, PartitionLag[]>, sinceMs: number | null): TierLag[] {
  const groups: Record<TierLag['by'], Map<string, PartitionLag[]>> = { level_class: new Map(), importance: new Map() };
  for (const parts of mainByTopic.values()) {
    const ch = parts[0] && channelOfTopic(parts[0].topic);
    if (!ch) continue;
    for (const [by, tier] of [
      ['level_class', ch.levelClass],
      ['importance', ch.importance],
    ] as const) {
      const list = groups[by].get(tier) ?? [];
      list.push(...parts);
      groups[by].set(tier, list);
    }
  }
  const out: TierLag[] = [];
  for (const by of ['level_class', 'importance'] as const) {
    for (const tier of [...groups[by].keys()].sort((a, b) => tierOrder(by, a, b))) {
      const t = totals(groups[by].get(tier)!);
      const seconds = lagSecondsOf(t, sinceMs);
      const rateKnown = sinceMs !== null && sinceMs > 0 && t.consumed !== null;
      out.push({
        sink,
        by,
        tier,
        lagRecords: t.lag,
        lagSeconds: seconds === null ? null : round(seconds),
        throughputPerSec: rateKnown ? round(t.consumed! / (sinceMs! / 1000)) : null,
      });
    }
  }
  return out;
}
