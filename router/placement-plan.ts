/**
 * The placement plan: every topic each cluster carries (with partitions and retention),
 * the (cluster, topic) pairs each sink consumes, and where each logId lives. Pure, no I/O;
 * `config check` prints it, the validator checks partition budgets with it, and the
 * router's topic provisioning creates exactly these topics.
 */

import type { SpillwayConfig } from '../config/schema.ts';
import { SpillwayError } from '../core/errors.ts';
import { clusterOf, topicFor } from './placement.ts';

export type TopicKind = 'hashed' | 'dedicated' | 'gutter' | 'dead-letter';

export interface PlannedTopic {
  name: string;
  kind: TopicKind;
  partitions: number;
  replicationFactor: number;
  retentionMs: number;
  /** Configured logIds placed on this topic (sorted); for gutter and dead-letter topics, the sink's logIds that feed it. */
  logIds: string[];
}

export interface ClusterPlan {
  name: string;
  /** clusters[].partitionBudget */
  budget: number;
  /** Sum of the partitions of `topics` (leader partitions; replicas are not counted). */
  partitions: number;
  /** Sorted by name. */
  topics: PlannedTopic[];
}

export interface TopicRef {
  cluster: string;
  topic: string;
}

export interface SinkPlan {
  name: string;
  type: string;
  /** Main topics carrying any of the sink's logIds, sorted by cluster then topic. */
  consumes: TopicRef[];
  /** Where the sink's gutter topic lives (empty when its gutter is disabled). */
  gutter: TopicRef[];
  /** Where the sink's dead-letter topic lives. */
  deadLetter: TopicRef[];
}

export interface LogIdPlan {
  id: string;
  importance: string;
  cluster: string;
  dedicated: boolean;
  /** Level class -> topic. */
  topics: Record<string, string>;
}

export interface PlacementPlan {
  /** In config order. */
  clusters: ClusterPlan[];
  /** In config order. */
  sinks: SinkPlan[];
  /** In config order. */
  logIds: LogIdPlan[];
}

export type PlanConfig = Pick<SpillwayConfig, 'clusters' | 'pools' | 'channels' | 'logIds' | 'sinks' | 'router'>;

export function gutterTopicName(sink: string): string {
  return `spw.gutter.${sink}`;
}

export function deadLetterTopicName(sink: string): string {
  return `spw.dlq.${sink}`;
}

function compareRefs(a: TopicRef, b: TopicRef): number {
  return a.cluster === b.cluster
    ? a.topic < b.topic
      ? -1
      : a.topic > b.topic
        ? 1
        : 0
    : a.cluster < b.cluster
      ? -1
      : 1;
}

export function planPlacement(config: PlanConfig): PlacementPlan {
  const { channels } = config;
  const topicsByCluster = new Map<string, Map<string, PlannedTopic>>(config.clusters.map((c) => [c.name, new Map()]));
  const addTopic = (cluster: string, name: string, kind: TopicKind, logIds: Iterable<string>): void => {
    let topics = topicsByCluster.get(cluster);
    if (topics === undefined) {
      topics = new Map();
      topicsByCluster.set(cluster, topics);
    }
    let topic = topics.get(name);
    if (topic === undefined) {
      topic = {
        name,
        kind,
        partitions: kind === 'dedicated' ? channels.dedicatedPartitionsPerTopic : channels.partitionsPerTopic,
        replicationFactor: channels.replicationFactor,
        retentionMs: channels.retentionMs,
        logIds: [],
      };
      topics.set(name, topic);
    }
    for (const id of logIds) if (!topic.logIds.includes(id)) topic.logIds.push(id);
  };

  const logIds: LogIdPlan[] = [];
  const refsBySink = new Map<string, Map<string, TopicRef>>();
  const logIdsBySink = new Map<string, Set<string>>();
  for (const l of config.logIds) {
    const cluster = clusterOf(l, config);
    const topics: Record<string, string> = {};
    for (const levelClass of Object.keys(l.levelClasses ?? channels.levelClasses)) {
      const topic = topicFor(l, levelClass, config);
      topics[levelClass] = topic;
      addTopic(cluster, topic, l.dedicated ? 'dedicated' : 'hashed', [l.id]);
      for (const sink of l.sinks) {
        let refs = refsBySink.get(sink);
        if (refs === undefined) {
          refs = new Map();
          refsBySink.set(sink, refs);
        }
        refs.set(`${cluster}/${topic}`, { cluster, topic });
        let ids = logIdsBySink.get(sink);
        if (ids === undefined) {
          ids = new Set();
          logIdsBySink.set(sink, ids);
        }
        ids.add(l.id);
      }
    }
    logIds.push({ id: l.id, importance: l.importance, cluster, dedicated: l.dedicated, topics });
  }

  const sinks: SinkPlan[] = [];
  for (const s of config.sinks) {
    const consumes = [...(refsBySink.get(s.name)?.values() ?? [])].sort(compareRefs);
    const ids = [...(logIdsBySink.get(s.name) ?? [])];
    const gutterCluster = s.gutter.cluster ?? config.pools.gutter;
    const sideClusters = gutterCluster !== undefined ? [gutterCluster] : [...new Set(consumes.map((r) => r.cluster))];
    const gutter: TopicRef[] = [];
    const deadLetter: TopicRef[] = [];
    for (const cluster of sideClusters) {
      if (s.gutter.enabled) {
        addTopic(cluster, gutterTopicName(s.name), 'gutter', ids);
        gutter.push({ cluster, topic: gutterTopicName(s.name) });
      }
      addTopic(cluster, deadLetterTopicName(s.name), 'dead-letter', ids);
      deadLetter.push({ cluster, topic: deadLetterTopicName(s.name) });
    }
    sinks.push({ name: s.name, type: s.type, consumes, gutter, deadLetter });
  }

  const clusters: ClusterPlan[] = config.clusters.map((c) => {
    const topics = [...(topicsByCluster.get(c.name)?.values() ?? [])].sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const t of topics) t.logIds.sort();
    return {
      name: c.name,
      budget: c.partitionBudget,
      partitions: topics.reduce((sum, t) => sum + t.partitions, 0),
      topics,
    };
  });
  return { clusters, sinks, logIds };
}

/** Clusters whose planned partitions exceed their budget. */
export function overBudget(plan: PlacementPlan): ClusterPlan[] {
  return plan.clusters.filter((c) => c.partitions > c.budget);
}

/** Throws SPW_ERR_PLACEMENT_BUDGET naming every cluster over its budget. */
export function assertWithinBudget(plan: PlacementPlan): void {
  const over = overBudget(plan);
  if (over.length === 0) return;
  const lines = over.map(
    (c) =>
      `cluster "${c.name}": the placement plan puts ${c.partitions} partitions on it, over its partitionBudget of ${c.budget}`,
  );
  throw new SpillwayError('SPW_ERR_PLACEMENT_BUDGET', lines.join('\n'), {
    context: {
      cluster: over[0]!.name,
      clusters: over.map((c) => ({ name: c.name, budget: c.budget, partitions: c.partitions })),
    },
  });
}
