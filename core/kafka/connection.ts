/**
 * How Spillway names a Kafka cluster to the client: one plain options object per cluster,
 * mapped here (and only here) onto the chosen client's connection options.
 *
 * The client is @platformatic/kafka; docs/decisions.md ("Kafka client") says why.
 */
import fs from 'node:fs';
import type { BaseOptions } from '@platformatic/kafka';
import { SpillwayError } from '../errors.ts';

export interface KafkaTls {
  /** PEM file of the CA that signed the brokers' certificates. */
  caFile?: string;
  /** PEM client certificate and key, for mutual TLS. */
  certFile?: string;
  keyFile?: string;
  /** @default true */
  rejectUnauthorized?: boolean;
}

export interface KafkaSasl {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  username: string;
  password: string;
}

export interface KafkaCluster {
  /** The cluster's name in Spillway config; used in errors, metrics and client ids. */
  name: string;
  brokers: string[];
  /** @default 3000 */
  connectTimeoutMs?: number;
  /** @default 15000 */
  requestTimeoutMs?: number;
  tls?: KafkaTls;
  sasl?: KafkaSasl;
}

/** kafkajs' connectionTimeout is 1 s; brokers across zones need a little more. Config's clusters[].connectTimeoutMs defaults to this. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
/** Half of Kafka's default request.timeout.ms (30 s): a produce stuck longer fails over to the gutter. Config's clusters[].requestTimeoutMs defaults to this. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
/** Client-internal retries for metadata/coordinator look-ups; Spillway's own retry helper handles produce retries. */
export const CLIENT_RETRIES = 3;

const SASL_MECHANISMS = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const;

/** A PEM file named by security.tls, read once when the client is made; unreadable is a clear error, not a stack trace. */
function readPem(cluster: string, key: string, file: string | undefined): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new SpillwayError(
      'SPW_ERR_KAFKA_TLS',
      `cluster "${cluster}": cannot read security.tls.${key} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { cause: err, context: { cluster, path: file } },
    );
  }
}

export function clientOptions(cluster: KafkaCluster, clientId: string): BaseOptions {
  const options: BaseOptions = {
    clientId: `${clientId}@${cluster.name}`,
    bootstrapBrokers: cluster.brokers,
    connectTimeout: cluster.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    timeout: cluster.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    requestTimeout: cluster.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    retries: CLIENT_RETRIES,
    retryDelay: 250,
  };
  if (cluster.tls) {
    const tls = cluster.tls;
    options.tls = {
      ca: readPem(cluster.name, 'caFile', tls.caFile),
      cert: readPem(cluster.name, 'certFile', tls.certFile),
      key: readPem(cluster.name, 'keyFile', tls.keyFile),
      rejectUnauthorized: tls.rejectUnauthorized ?? true,
    };
  }
  if (cluster.sasl) {
    options.sasl = {
      mechanism: SASL_MECHANISMS[cluster.sasl.mechanism],
      username: cluster.sasl.username,
      password: cluster.sasl.password,
    };
  }
  return options;
}
