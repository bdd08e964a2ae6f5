/**
 * The testcontainers provider: two single-broker Kafka clusters and one Elasticsearch, each
 * in its own container, stopped after the run. Used only when testcontainers' own runtime
 * detection finds a Docker engine; the development and CI machines of this project have
 * none, so this file has never started a container there (docs/operations.md says so).
 *
 * @testcontainers/kafka drives Confluent's image (it runs /etc/confluent/docker/run), so the
 * Kafka image is cp-kafka 8.1, which is Apache Kafka 4.1 in KRaft mode (the module turns
 * KRaft on for tags >= 8), the same Kafka as the local stack and docker-compose.yml.
 */
import type { RuntimeDetector, StartedInfra } from './providers.ts';

export const TESTCONTAINERS_KAFKA_IMAGE = 'confluentinc/cp-kafka:8.1.0';
/** Same Elasticsearch as docker-compose.yml. */
export const TESTCONTAINERS_SEARCH_IMAGE = 'docker.elastic.co/elasticsearch/elasticsearch:9.5.2';
/** The module's plaintext listener for clients outside the container network. */
const KAFKA_CLIENT_PORT = 9093;

/** testcontainers' own detection: its runtime strategies (DOCKER_HOST, ~/.testcontainers.properties, sockets). */
export const detectDocker: RuntimeDetector = async () => {
  const { getContainerRuntimeClient } = await import('testcontainers');
  await getContainerRuntimeClient();
  return true;
};

export async function startContainers(): Promise<StartedInfra> {
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const { ElasticsearchContainer } = await import('@testcontainers/elasticsearch');
  const mainStart = new KafkaContainer(TESTCONTAINERS_KAFKA_IMAGE).start();
  const auxStart = new KafkaContainer(TESTCONTAINERS_KAFKA_IMAGE).start();
  // Security off, as in docker-compose.yml: the suite connects without credentials.
  const searchStart = new ElasticsearchContainer(TESTCONTAINERS_SEARCH_IMAGE)
    .withEnvironment({ 'xpack.security.enabled': 'false' })
    .start();
  const started = await Promise.allSettled([mainStart, auxStart, searchStart]);
  const stop = async () => {
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw new Error(`testcontainers: a container did not start: ${(failed.reason as Error).message}`);
  }
  const [main, aux, search] = [await mainStart, await auxStart, await searchStart];
  const endpoints = {
    kafkaMain: `${main.getHost()}:${main.getMappedPort(KAFKA_CLIENT_PORT)}`,
    kafkaAux: `${aux.getHost()}:${aux.getMappedPort(KAFKA_CLIENT_PORT)}`,
    searchUrl: search.getHttpUrl(),
    searchEngine: 'elasticsearch' as const,
  };
  return {
    endpoints,
    summary: `${TESTCONTAINERS_KAFKA_IMAGE} x2 (${endpoints.kafkaMain}, ${endpoints.kafkaAux}), ${TESTCONTAINERS_SEARCH_IMAGE} (${endpoints.searchUrl})`,
    stop,
  };
}
