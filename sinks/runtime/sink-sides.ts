/**
 * Where a sink's side topics (spw.gutter.<sink>, spw.dlq.<sink>) can live, and a writer
 * with a producer on each of those clusters. The sink service and `dlq replay` share it,
 * so both always agree on the gutter rule: the gutter cluster (sink.gutter.cluster, else
 * pools.gutter) when there is one, plus every cluster the sink reads (the fallback).
 */
import { kafkaClusterOf } from '../../config/cluster.ts';
import type { SpillwayConfig } from '../../config/schema.ts';
import { type KafkaCluster, KafkaProducer } from '../../core/kafka/index.ts';
import type { Logger } from '../../core/logger.ts';
import { deadLetterTopicName, gutterTopicName, planPlacement, type SinkPlan } from '../../router/placement-plan.ts';
import type { ResolvedSinkConfig } from '../core/destination.ts';
import { SpillwayWriter } from './spillway-writer.ts';

export interface SinkSides {
  plan: SinkPlan;
  /** Clusters the sink reads from. */
  sources: string[];
  gutterCluster: string | undefined;
  /** Sources plus the gutter cluster: where the side topics may be. */
  clusters: string[];
  clusterOf(name: string): KafkaCluster;
  writer: SpillwayWriter;
  close(): Promise<void>;
}

export function sinkSides(config: SpillwayConfig, sink: ResolvedSinkConfig, clientId: string, log: Logger): SinkSides {
  const plan = planPlacement(config).sinks.find((s) => s.name === sink.name)!;
  const clusterOf = (name: string): KafkaCluster => kafkaClusterOf(config.clusters.find((c) => c.name === name)!);
  const sources = [...new Set(plan.consumes.map((r) => r.cluster))];
  const gutterCluster = sink.gutter.cluster ?? config.pools.gutter;
  const clusters = [...new Set([...sources, ...(gutterCluster ? [gutterCluster] : [])])];
  const producers = new Map(clusters.map((name) => [name, new KafkaProducer(clusterOf(name), { clientId })]));
  const writer = new SpillwayWriter({
    gutterTopic: gutterTopicName(sink.name),
    deadLetterTopic: deadLetterTopicName(sink.name),
    gutterCluster,
    producers,
    log,
  });
  return {
    plan,
    sources,
    gutterCluster,
    clusters,
    clusterOf,
    writer,
    close: async () => {
      await Promise.all([...producers.values()].map((p) => p.close()));
    },
  };
}
