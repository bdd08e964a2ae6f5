/** A Kafka cluster the router can place topics on. */
import { z } from 'zod';
// One source for the Kafka timeouts: core/kafka applies the same defaults when used without config.
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, type KafkaCluster } from '../core/kafka/connection.ts';
import { doc, expected, hotPathTimeoutMs, timeoutMs, tlsSchema } from './common.ts';
import type { SpillwayConfig } from './schema.ts';

/**
 * Partitions one cluster may carry. Jun Rao ("How to choose the number of topics/partitions
 * in a Kafka cluster", Confluent 2015) advises a few thousand per broker at most; past that,
 * sequential appends turn into random IO. The local stack runs one broker per cluster, so
 * 1000 leaves headroom on a laptop disk. Raise it per cluster with more brokers.
 */
export const DEFAULT_PARTITION_BUDGET = 1000;

export const clusterNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,47}$/, expected('a cluster name of 1-48 lowercase letters, digits or "-"'));

export const brokerSchema = z.string().regex(/^[^\s:]+:\d{1,5}$/, expected('a broker address "host:port"'));

export const saslSchema = doc(
  z
    .object({
      mechanism: doc(z.enum(['plain', 'scram-sha-512']), 'SASL mechanism.', 'scram-sha-512'),
      username: doc(z.string().min(1), 'SASL user name.', 'spillway'),
      password: doc(
        z.string().min(1),
        'SASL password; use ${NAME} to read it from the environment.',
        '${KAFKA_PASSWORD}',
      ),
    })
    .strict(),
  'SASL authentication; omit for none.',
  { mechanism: 'scram-sha-512', username: 'spillway', password: '${KAFKA_PASSWORD}' },
);

export const clusterSchema = z
  .object({
    name: doc(clusterNameSchema, 'Unique cluster name, referenced by pools and sinks.', 'main'),
    brokers: doc(z.array(brokerSchema).min(1), 'Bootstrap brokers, "host:port".', ['127.0.0.1:19092']),
    partitionBudget: doc(
      z.number().int().min(1).default(DEFAULT_PARTITION_BUDGET),
      'Most partitions this cluster may carry (sum over all Spillway topics on it); `config check` refuses a plan above it.',
      DEFAULT_PARTITION_BUDGET,
    ),
    connectTimeoutMs: timeoutMs(DEFAULT_CONNECT_TIMEOUT_MS, 'Give up connecting to a broker after this long.'),
    requestTimeoutMs: hotPathTimeoutMs(DEFAULT_REQUEST_TIMEOUT_MS, 'Give up on one Kafka request after this long.'),
    security: doc(
      z.object({ tls: tlsSchema.optional(), sasl: saslSchema.optional() }).strict().optional(),
      'TLS and SASL settings for this cluster.',
      { tls: { caFile: '/etc/spillway/ca.pem' } },
    ),
  })
  .strict();

export type ClusterConfig = z.output<typeof clusterSchema>;

/** The core Kafka module's view of a configured cluster (connection settings only). */
export function kafkaClusterOf(cluster: SpillwayConfig['clusters'][number]): KafkaCluster {
  return {
    name: cluster.name,
    brokers: [...cluster.brokers],
    connectTimeoutMs: cluster.connectTimeoutMs,
    requestTimeoutMs: cluster.requestTimeoutMs,
    tls: cluster.security?.tls ? { ...cluster.security.tls } : undefined,
    sasl: cluster.security?.sasl ? { ...cluster.security.sasl } : undefined,
  };
}
