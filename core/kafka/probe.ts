/**
 * Readiness probe for a Kafka cluster: true once a metadata request lists at least one
 * broker. A KRaft broker appears in metadata only after it has registered with the
 * controller and been unfenced, so this is the moment it can take produce requests.
 */
import { KafkaAdmin } from './admin.ts';
import type { KafkaCluster } from './connection.ts';

/** @param security TLS and SASL for a secured listener; omit for plaintext */
export async function probeKafka(
  brokers: string[],
  timeoutMs: number,
  security: Pick<KafkaCluster, 'tls' | 'sasl'> = {},
): Promise<boolean> {
  const admin = new KafkaAdmin(
    { name: 'probe', brokers, connectTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs, ...security },
    'spillway-probe',
  );
  try {
    return (await admin.brokerCount()) > 0;
  } catch {
    return false;
  } finally {
    await admin.close().catch(() => {});
  }
}
