/**
 * The three stack services: two independent single-node KRaft Kafka clusters ("main" and
 * "aux") and one OpenSearch node. Each knows how to prepare its directory, which command
 * starts it, and how to tell it is ready (a metadata / cluster-health probe, never a sleep).
 */

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SpillwayError } from '../../core/errors.ts';
import { probeKafka } from '../../core/kafka/probe.ts';
import { KAFKA_LIB, OPENSEARCH_JAR, OPENSEARCH_LIB, type PortName, type Ports, STACK_DIR } from './layout.ts';

/** 512 MiB per JVM: three JVMs fit a 2-core / 24 GiB CI box with room for Node and the tests. */
export const JVM_HEAP = process.env.SPW_STACK_HEAP ?? '512m';

export interface Service {
  name: string;
  /** Ports the service listens on (checked free before start). */
  ports: PortName[];
  /** Creates config and storage on first start; idempotent. */
  prepare(java: string, ports: Ports): void;
  command(java: string, ports: Ports): string[];
  ready(ports: Ports): Promise<boolean>;
  /** `NAME=value` lines `stack status` prints for this service. */
  envLines(ports: Ports): string[];
}

export function serviceDir(name: string): string {
  return path.join(STACK_DIR, name);
}

/** Kafka's cluster id format: 16 random bytes, base64url without padding (what StorageTool random-uuid prints). */
export function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

function kafkaProperties(name: string, port: number, controllerPort: number, dataDir: string): string {
  return [
    `# written by spillway stack for the "${name}" cluster; edit the generator, not this file`,
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    // One broker: every internal topic must fit on it.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // Tests create and join many short-lived groups; the 3 s default delay would slow every one.
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'log.retention.hours=24',
    'log.segment.bytes=67108864',
    'num.network.threads=2',
    'num.io.threads=4',
    '',
  ].join('\n');
}

const LOG4J2 = [
  'status = warn',
  'appender.file.type = File',
  'appender.file.name = file',
  'appender.file.fileName = ${sys:spw.log.file}',
  'appender.file.layout.type = PatternLayout',
  'appender.file.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = info',
  'rootLogger.appenderRef.file.ref = file',
  'logger.kafka.name = kafka',
  'logger.kafka.level = info',
  'logger.org.name = org.apache.kafka',
  'logger.org.level = warn',
  '',
].join('\n');

/**
 * One single-node KRaft Kafka (broker + controller) living in `dir`: config, storage
 * format, and the command that runs it. The stack's two clusters are two of these; tests
 * that must kill -9 a cluster start a throwaway one the same way.
 */
export class KafkaNode {
  readonly name: string;
  readonly dir: string;
  readonly #dataDir: string;
  readonly #propsFile: string;
  readonly #log4jFile: string;

  constructor(name: string, dir: string) {
    this.name = name;
    this.dir = dir;
    this.#dataDir = path.join(dir, 'data');
    this.#propsFile = path.join(dir, 'server.properties');
    this.#log4jFile = path.join(dir, 'log4j2.properties');
  }

  #jvm(java: string): string[] {
    return [
      java,
      `-Xms${JVM_HEAP}`,
      `-Xmx${JVM_HEAP}`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${this.#log4jFile}`,
      `-Dspw.log.file=${path.join(this.dir, 'server.log')}`,
      // Marks the process as this checkout's (see isOurProcess).
      `-Dspw.stack.dir=${STACK_DIR}`,
      '-cp',
      `${KAFKA_LIB}/*`,
    ];
  }

  /** Writes the config and formats the storage on first use; idempotent. */
  prepare(java: string, port: number, controllerPort: number): void {
    fs.mkdirSync(this.#dataDir, { recursive: true });
    fs.writeFileSync(this.#propsFile, kafkaProperties(this.name, port, controllerPort, this.#dataDir));
    fs.writeFileSync(this.#log4jFile, LOG4J2);
    if (fs.existsSync(path.join(this.#dataDir, 'meta.properties'))) return;
    const [bin, ...args] = this.#jvm(java);
    const res = spawnSync(
      bin!,
      [...args, 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', this.#propsFile, '--ignore-formatted'],
      { encoding: 'utf8' },
    );
    if (res.status !== 0) {
      throw new SpillwayError(
        'SPW_ERR_STACK_START',
        `formatting ${this.name} storage failed (exit ${res.status}): ${(res.stderr || res.stdout).trim().split('\n').slice(-5).join(' | ')}`,
      );
    }
  }

  command(java: string): string[] {
    return [...this.#jvm(java), 'kafka.Kafka', this.#propsFile];
  }
}

function kafkaService(
  name: 'kafka-main' | 'kafka-aux',
  portKey: PortName,
  controllerKey: PortName,
  envName: string,
): Service {
  const node = new KafkaNode(name, serviceDir(name));
  return {
    name,
    ports: [portKey, controllerKey],
    prepare: (java, ports) => node.prepare(java, ports[portKey], ports[controllerKey]),
    command: (java) => node.command(java),
    ready: (ports) => probeKafka([`127.0.0.1:${ports[portKey]}`], 2_000),
    envLines: (ports) => [`${envName}=127.0.0.1:${ports[portKey]}`],
  };
}

function searchService(): Service {
  const name = 'opensearch';
  const dir = serviceDir(name);
  return {
    name,
    ports: ['search', 'searchTransport'],
    prepare() {
      fs.mkdirSync(dir, { recursive: true });
    },
    command: (java, ports) => [
      java,
      `-Xms${JVM_HEAP}`,
      `-Xmx${JVM_HEAP}`,
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dspw.stack.dir=${STACK_DIR}`,
      '-cp',
      `${OPENSEARCH_JAR}:${OPENSEARCH_LIB}/*`,
      'dev.spillway.stack.OpenSearchLauncher',
      path.join(dir, 'home'),
      String(ports.search),
      String(ports.searchTransport),
      'spillway-stack',
    ],
    async ready(ports) {
      try {
        const res = await fetch(`http://127.0.0.1:${ports.search}/_cluster/health`, {
          signal: AbortSignal.timeout(2_000),
        });
        if (!res.ok) return false;
        const body = (await res.json()) as { status?: string };
        return body.status === 'green' || body.status === 'yellow';
      } catch {
        return false;
      }
    },
    envLines: (ports) => [`SPW_SEARCH_URL=http://127.0.0.1:${ports.search}`, 'SPW_SEARCH_ENGINE=opensearch'],
  };
}

export const SERVICES: readonly Service[] = [
  kafkaService('kafka-main', 'kafkaMain', 'kafkaMainController', 'SPW_KAFKA_MAIN'),
  kafkaService('kafka-aux', 'kafkaAux', 'kafkaAuxController', 'SPW_KAFKA_AUX'),
  searchService(),
];
