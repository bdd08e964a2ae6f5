/**
 * Readiness probe for a Kafka cluster: true once a metadata request lists at least one
 * broker. A KRaft broker appears in metadata only after it has registered with the
 * controller and been unfenced, so this is the moment it can take produce requests.
 */
import { Admin } from '@platformatic/kafka';

export async function probeKafka(brokers: string[], timeoutMs: number): Promise<boolean> {
  const admin = new Admin({
    clientId: 'spillway-probe',
    bootstrapBrokers: brokers,
    connectTimeout: timeoutMs,
    timeout: timeoutMs,
    retries: 0,
  });
  try {
    const md = await admin.metadata({ topics: [] });
    return md.brokers.size > 0;
  } catch {
    return false;
  } finally {
    await admin.close().catch(() => {});
  }
}
