/**
 * Placement: which Kafka cluster, topic and partition key a record goes to. Pure, no I/O.
 *
 * Topic names: `spw.<importance>.<levelClass>.<bucket>`, all lowercase, for example
 * `spw.s.error.h2` or `spw.a.info.d-checkout-api`.
 * - `<importance>` is the logId's tier in lowercase (s, a, b, c): Kafka topic names are
 *   case-sensitive, and one case avoids `spw.S...` and `spw.s...` living side by side.
 * - `<levelClass>` is the class of the record's level (channels.levelClasses or the
 *   logId's override), so ERROR records never queue behind INFO records.
 * - `<bucket>` is `d-<logId>` for a dedicated logId (its own topics), otherwise `h<k>` with
 *   k = murmur3(logId, BUCKET_SEED) mod channels.hashBuckets (shared long-tail topics).
 * Per sink, Spillway also uses `spw.gutter.<sink>` and `spw.dlq.<sink>`; single-letter
 * importances keep the two families apart.
 *
 * Cluster: rendezvous (highest random weight) hashing of the logId over the importance
 * tier's pool, so adding a cluster to a pool of N moves about 1/(N+1) of the logIds (only
 * onto the new cluster) and removing one moves only the logIds it held.
 *
 * Partition key: `<logId>|<host>`. Ordering guarantee: records of one logId from one host
 * keep their order within a topic (same key, same partition); records of one logId from
 * different hosts spread over the topic's partitions and are not ordered relative to each
 * other. A record's level class picks its topic, so order across level classes is not kept.
 * See docs/placement.md.
 */
import type { Importance, Level } from '../config/common.ts';
import type { LogIdConfig } from '../config/log-id.ts';
import type { DeepReadonly, SpillwayConfig } from '../config/schema.ts';
import { type Criticality, criticalityOf } from '../core/resilience/criticality.ts';
import { murmur3 } from './placement-hash.ts';

/** Seed of the bucket hash; distinct from the rendezvous seed so bucket and cluster are independent. */
export const BUCKET_SEED = 0x5b11_1a7a;
/** Seed of the rendezvous weights. Changing it moves every logId: never change it. */
export const RENDEZVOUS_SEED = 0x0c1a_57e7;

/** The subset of SpillwayConfig placement reads (the validator passes the not-yet-frozen config). */
export type PlacementConfig = Pick<SpillwayConfig, 'channels' | 'logIds' | 'pools' | 'router'>;
type LogIdCfg = DeepReadonly<LogIdConfig>;

export interface PlaceableRecord {
  logId: string;
  level: Level;
  host?: string;
}

/**
 * Kafka header on a record the router placed as the fallback logId (its own logId was not
 * configured). Sinks judge it by that, not by today's config: a reload that configures the
 * logId later leaves what was written before with the fallback logId's sinks.
 */
export const FALLBACK_HEADER = 'spw-fallback';

export interface Placement {
  cluster: string;
  topic: string;
  /** Partition key: `<logId>|<host>` with the record's own logId, even on fallback. */
  key: string;
  /** The configured logId whose placement was used (the fallback logId for unknown ones). */
  logId: string;
  levelClass: string;
  /** True when the record's logId is not configured and the fallback logId's placement was used. */
  fallback: boolean;
}

/** The class of `level` for this logId: its own levelClasses override, else channels.levelClasses. */
export function levelClassOf(logIdCfg: LogIdCfg, level: Level, config: Pick<SpillwayConfig, 'channels'>): string {
  const classes = logIdCfg.levelClasses ?? config.channels.levelClasses;
  for (const [name, levels] of Object.entries(classes)) {
    if (levels.includes(level)) return name;
  }
  // Validation guarantees every level is in exactly one class.
  throw new Error(`level "${level}" is in no level class of logId "${logIdCfg.id}"`);
}

/** `spw.<importance lowercase>.<levelClass>.<bucket>`; see the module comment. */
export function topicName(importance: Importance, levelClass: string, bucket: string): string {
  return `spw.${importance.toLowerCase()}.${levelClass}.${bucket}`;
}

/** The channel a main topic carries, read back from its name; see the module comment. */
export interface TopicChannel {
  importance: Importance;
  levelClass: string;
}

const TOPIC_CHANNEL = /^spw\.([sabc])\.([^.]+)\./;

/**
 * The importance and level class of a topic named by `topicName`; undefined for gutter and
 * dead-letter topics (`spw.gutter.<sink>`, `spw.dlq.<sink>`) and foreign topics.
 */
export function channelOfTopic(topic: string): TopicChannel | undefined {
  const m = TOPIC_CHANNEL.exec(topic);
  return m ? { importance: m[1]!.toUpperCase() as Importance, levelClass: m[2]! } : undefined;
}

/**
 * The criticality of what a topic carries: the one function the sinks (which partitions to
 * fetch and serve first), the router and the agent (which batches to send and shed first)
 * share through `criticalityOf`. A topic that is no channel (gutter, dead letters, foreign)
 * is SHEDDABLE: backlog and retries wait behind live traffic.
 */
export function criticalityOfTopic(topic: string): Criticality {
  const ch = channelOfTopic(topic);
  return ch ? criticalityOf(ch.importance, ch.levelClass) : 'SHEDDABLE';
}

/** `d-<logId>` when dedicated, else `h<murmur3(logId) mod hashBuckets>`. */
export function bucketOf(logId: string, dedicated: boolean, hashBuckets: number): string {
  return dedicated ? `d-${logId}` : `h${murmur3(logId, BUCKET_SEED) % hashBuckets}`;
}

/** Rendezvous weight of (cluster, logId); NUL separates the parts so ("ab","c") differs from ("a","bc"). */
export function rendezvousWeight(cluster: string, logId: string): number {
  return murmur3(`${cluster}\u0000${logId}`, RENDEZVOUS_SEED);
}

/**
 * The cluster of `pool` with the highest rendezvous weight for `logId` (ties, which need a
 * 32-bit collision, go to the lexically smaller name). Deterministic across processes.
 */
export function chooseCluster(logId: string, pool: readonly string[]): string {
  let best: string | undefined;
  let bestWeight = -1;
  for (const cluster of pool) {
    const w = rendezvousWeight(cluster, logId);
    if (w > bestWeight || (w === bestWeight && best !== undefined && cluster < best)) {
      best = cluster;
      bestWeight = w;
    }
  }
  if (best === undefined) throw new Error(`empty cluster pool for logId "${logId}"`);
  return best;
}

/** The topic a configured logId's records of one level class go to. */
export function topicFor(logIdCfg: LogIdCfg, levelClass: string, config: Pick<SpillwayConfig, 'channels'>): string {
  return topicName(
    logIdCfg.importance,
    levelClass,
    bucketOf(logIdCfg.id, logIdCfg.dedicated, config.channels.hashBuckets),
  );
}

interface PlacementIndex {
  byId: Map<string, LogIdCfg>;
  clusterOf: Map<string, string>;
}
const indexes = new WeakMap<object, PlacementIndex>();

function indexOf(config: PlacementConfig): PlacementIndex {
  let index = indexes.get(config);
  if (index === undefined) {
    index = { byId: new Map(config.logIds.map((l) => [l.id, l])), clusterOf: new Map() };
    indexes.set(config, index);
  }
  return index;
}

/** The cluster a configured logId lives on: rendezvous over its importance tier's pool. */
export function clusterOf(logIdCfg: LogIdCfg, config: PlacementConfig): string {
  const index = indexOf(config);
  let cluster = index.clusterOf.get(logIdCfg.id);
  if (cluster === undefined) {
    cluster = chooseCluster(logIdCfg.id, config.pools[logIdCfg.importance]);
    index.clusterOf.set(logIdCfg.id, cluster);
  }
  return cluster;
}

/** The configured logId a record is placed as: its own, or the fallback logId for an unknown one. */
function placingLogId(logId: string, config: PlacementConfig): { cfg: LogIdCfg; fallback: boolean } {
  const index = indexOf(config);
  const own = index.byId.get(logId);
  if (own !== undefined) return { cfg: own, fallback: false };
  const cfg = index.byId.get(config.router.fallbackLogId);
  if (cfg === undefined) throw new Error(`fallback logId "${config.router.fallbackLogId}" is not configured`);
  return { cfg, fallback: true };
}

/** A record's criticality, as the router computes it (the agent batches by the same value). */
export function criticalityOfRecord(
  record: Pick<PlaceableRecord, 'logId' | 'level'>,
  config: PlacementConfig,
): Criticality {
  const { cfg } = placingLogId(record.logId, config);
  return criticalityOf(cfg.importance, levelClassOf(cfg, record.level, config));
}

/** Where one record goes. An unknown logId gets the fallback logId's placement, flagged `fallback: true`. */
export function place(record: PlaceableRecord, config: PlacementConfig): Placement {
  const { cfg, fallback } = placingLogId(record.logId, config);
  const levelClass = levelClassOf(cfg, record.level, config);
  return {
    cluster: clusterOf(cfg, config),
    topic: topicFor(cfg, levelClass, config),
    key: `${record.logId}|${record.host ?? ''}`,
    logId: cfg.id,
    levelClass,
    fallback,
  };
}
