/**
 * Readiness probe for a Kafka cluster: ready once a metadata request lists at least one
 * broker. A KRaft broker appears in metadata only after it has registered with the
 * controller and been unfenced, so this is the moment it can take produce requests.
 */
import { KafkaAdmin } from './admin.ts';
import type { KafkaCluster } from './connection.ts';

/**
 * Why the cluster is not ready, or undefined once it is. The reason is the probe's own error
 * ("connect ECONNREFUSED ...", a refused login, or a client that cannot run on this Node),
 * so a wait that gives up can say what it last saw instead of only "not ready".
 * @param security TLS and SASL for a secured listener; omit for plaintext
 */
export async function kafkaNotReadyReason(
  brokers: string[],
  timeoutMs: number,
  security: Pick<KafkaCluster, 'tls' | 'sasl'> = {},
): Promise<string | undefined> {
  // A client that cannot be made (an unreadable CA file) throws: that is not "not ready yet".
  const admin = new KafkaAdmin(
    { name: brokers.join(','), brokers, connectTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs, ...security },
    'spillway-probe',
  );
  try {
    return (await admin.brokerCount()) > 0 ? undefined : 'metadata lists no broker yet';
  } catch (err) {
    return rootCauses(err);
  } finally {
    await admin.close().catch(() => {});
  }
}

/** True once the cluster answers metadata with a broker. @param security TLS and SASL for a secured listener; omit for plaintext */
export async function probeKafka(
  brokers: string[],
  timeoutMs: number,
  security: Pick<KafkaCluster, 'tls' | 'sasl'> = {},
): Promise<boolean> {
  return (await kafkaNotReadyReason(brokers, timeoutMs, security)) === undefined;
}

/**
 * The distinct messages at the bottom of the client's error tree ("connect ECONNREFUSED
 * 127.0.0.1:19092", "Promise.withResolvers is not a function"): the wrappers above them
 * ("metadata failed 4 times.") say nothing about what to fix.
 */
function rootCauses(err: unknown): string {
  const leaves = new Set<string>();
  const seen = new Set<unknown>();
  const walk = (x: unknown, depth: number): void => {
    if (typeof x !== 'object' || x === null || seen.has(x) || depth > 12) {
      if (typeof x === 'string') leaves.add(x);
      return;
    }
    seen.add(x);
    const e = x as { message?: string; errors?: unknown[]; cause?: unknown };
    const inner = [...(e.errors ?? []), ...(e.cause === undefined ? [] : [e.cause])];
    if (inner.length === 0) leaves.add(e.message ?? String(x));
    for (const i of inner) walk(i, depth + 1);
  };
  walk(err, 0);
  return [...leaves].join('; ') || String(err);
}
