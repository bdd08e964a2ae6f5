/**
 * The only door to Kafka. Everything in Spillway that talks to a broker imports from here;
 * nothing else imports a Kafka client package (a unit test checks it). The client behind it
 * is @platformatic/kafka, chosen by measurement (docs/decisions.md, docs/benchmarks.md).
 */
export { createTopics, KafkaAdmin, type TopicInfo, type TopicSpec } from './admin.ts';
export {
  clientOptions,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type KafkaCluster,
  type KafkaSasl,
  type KafkaTls,
} from './connection.ts';
export {
  type ConsumedRecord,
  type ConsumerOptions,
  KafkaConsumer,
  type PartitionBatch,
  type TopicPartition,
  type TopicPartitionOffset,
} from './consumer.ts';
export { isRetriableKafkaError } from './errors.ts';
export { probeKafka } from './probe.ts';
export {
  type Compression,
  KafkaProducer,
  type ProducedOffset,
  type ProduceRecord,
  type ProducerOptions,
} from './producer.ts';
