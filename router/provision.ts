/**
 * Topic provisioning: creates, on every cluster, the topics the placement plan puts there
 * (main, gutter and dead-letter topics) with their partitions and retention. Runs at router
 * start-up and from `spillway topics ensure`. Refuses a plan over a cluster's partition
 * budget before touching any cluster; never changes an existing topic, but reports one whose
 * partition count differs from the plan (changing it would move keys between partitions).
 */
import { kafkaClusterOf } from '../config/cluster.ts';
import type { SpillwayConfig } from '../config/schema.ts';
import { KafkaAdmin, type TopicSpec } from '../core/kafka/index.ts';
import { assertWithinBudget, type PlacementPlan, planPlacement } from './placement-plan.ts';

export interface ClusterProvisioning {
  cluster: string;
  created: string[];
  existing: string[];
  /** Existing topics whose partition count is not the planned one (left as they are). */
  mismatched: { topic: string; planned: number; actual: number }[];
}

/** @param only provision just these clusters (the router retries one that was down at start-up) */
export async function provisionTopics(
  config: SpillwayConfig,
  plan: PlacementPlan = planPlacement(config),
  only?: readonly string[],
): Promise<ClusterProvisioning[]> {
  assertWithinBudget(plan);
  return Promise.all(
    plan.clusters
      .filter((cp) => only === undefined || only.includes(cp.name))
      .map(async (cp) => {
        const cluster = config.clusters.find((c) => c.name === cp.name)!;
        const admin = new KafkaAdmin(kafkaClusterOf(cluster), 'spillway-provision');
        try {
          const present = new Map(
            (await admin.describeTopics(cp.topics.map((t) => t.name))).map((t) => [t.topic, t.partitions]),
          );
          const missing: TopicSpec[] = cp.topics
            .filter((t) => !present.has(t.name))
            .map((t) => ({
              topic: t.name,
              partitions: t.partitions,
              replicationFactor: t.replicationFactor,
              configs: { 'retention.ms': String(t.retentionMs) },
            }));
          const created = await admin.ensureTopics(missing);
          return {
            cluster: cp.name,
            created,
            existing: cp.topics.filter((t) => present.has(t.name)).map((t) => t.name),
            mismatched: cp.topics
              .filter((t) => present.has(t.name) && present.get(t.name) !== t.partitions)
              .map((t) => ({ topic: t.name, planned: t.partitions, actual: present.get(t.name)! })),
          };
        } finally {
          await admin.close();
        }
      }),
  );
}
