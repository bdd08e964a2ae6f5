/**
 * The three stack services: two independent single-node KRaft Kafka clusters ("main" and
 * "aux", which can run SASL_SSL instead of PLAINTEXT) and one OpenSearch node. Each knows how to prepare its directory, which command
 * starts it, and how to tell it is ready (a metadata / cluster-health probe, never a sleep).
 */

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SpillwayError } from '../../core/errors.ts';
import type { KafkaCluster } from '../../core/kafka/connection.ts';
import { kafkaNotReadyReason } from '../../core/kafka/probe.ts';
import { KAFKA_LIB, OPENSEARCH_JAR, OPENSEARCH_LIB, type PortName, type Ports, STACK_DIR } from './layout.ts';
import { makeTestCertificates } from './tls-certs.ts';

/** 512 MiB per JVM: three JVMs fit a 2-core / 24 GiB CI box with room for Node and the tests. */
export const JVM_HEAP = process.env.SPW_STACK_HEAP ?? '512m';

export interface Service {
  name: string;
  /** Ports the service listens on (checked free before start). */
  ports: PortName[];
  /** Creates config and storage on first start; idempotent. */
  prepare(java: string, ports: Ports): void;
  command(java: string, ports: Ports): string[];
  /**
   * Why the service is not ready yet (its probe's error, e.g. "connect ECONNREFUSED
   * 127.0.0.1:19092"), or undefined once it is: a wait that gives up reports the last one.
   */
  notReady(ports: Ports): Promise<string | undefined>;
  /** `NAME=value` lines `stack status` prints for this service. */
  envLines(ports: Ports): string[];
}

export function serviceDir(name: string): string {
  return path.join(STACK_DIR, name);
}

/**
 * Kafka's cluster id format: 16 random bytes, base64url without padding (what StorageTool
 * random-uuid prints). Never starting with "-": StorageTool's argument parser would take
 * `-t -abc...` for an option and refuse to format (1 start in 64 failed so). Kafka's own
 * Uuid.randomUuid() redraws in that case too.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** A broker listener secured with TLS and SASL: PEM files and the users it accepts. */
export interface KafkaNodeSecurity {
  /** PEM file with the broker's unencrypted PKCS#8 key, then its certificate chain (stack/lib/tls-certs.ts makes one). */
  keystoreFile: string;
  /** PEM file of the CA that signed the broker's certificate. */
  caFile: string;
  /** SCRAM-SHA-512 users (name -> password), created when the storage is formatted. */
  scramUsers?: Record<string, string>;
  /** SASL/PLAIN users (name -> password), listed in the listener's JAAS config. */
  plainUsers?: Record<string, string>;
}

/**
 * User names and passwords end up inside JAAS strings and StorageTool's --add-scram
 * argument, which have their own quoting; refusing anything else beats escaping it three ways.
 */
const SAFE_CREDENTIAL = /^[A-Za-z0-9._~+/-]{1,128}$/;

/** The user the broker itself logs in as over SASL_SSL (inter-broker listener); not for clients. */
export const BROKER_SASL_USER = 'broker';

function checkCredentials(users: Record<string, string>): void {
  for (const [name, password] of Object.entries(users)) {
    if (!SAFE_CREDENTIAL.test(name) || !SAFE_CREDENTIAL.test(password)) {
      throw new Error(
        `KafkaNode: user "${name}": expected a name and password of 1-128 characters from [A-Za-z0-9._~+/-]`,
      );
    }
  }
}

function listenerProperties(
  port: number,
  controllerPort: number,
  security: KafkaNodeSecurity | undefined,
  brokerPassword: string,
): string[] {
  if (!security) {
    return [
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    ];
  }
  const plain = { [BROKER_SASL_USER]: brokerPassword, ...security.plainUsers };
  const jaasUsers = Object.entries(plain)
    .map(([name, password]) => `user_${name}="${password}"`)
    .join(' ');
  return [
    // Clients and the broker's own inter-broker link use SASL_SSL; the controller link stays
    // plaintext on loopback (it never leaves the machine, and KRaft's controller needs no SASL).
    `listeners=SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=SASL_SSL://127.0.0.1:${port}`,
    'inter.broker.listener.name=SASL_SSL',
    'listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
    'sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN',
    'sasl.mechanism.inter.broker.protocol=PLAIN',
    `listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${BROKER_SASL_USER}" password="${brokerPassword}" ${jaasUsers};`,
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    // Kafka 2.7+ (KIP-651) reads PEM directly: no JKS/PKCS12 conversion, no keytool.
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${security.keystoreFile}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${security.caFile}`,
    'ssl.client.auth=none',
  ];
}

function kafkaProperties(
  name: string,
  port: number,
  controllerPort: number,
  dataDir: string,
  security: KafkaNodeSecurity | undefined,
  brokerPassword: string,
): string {
  return [
    `# written by spillway stack for the "${name}" cluster; edit the generator, not this file`,
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    ...listenerProperties(port, controllerPort, security, brokerPassword),
    'controller.listener.names=CONTROLLER',
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
 * that must kill -9 a cluster, or need a SASL_SSL one, start a throwaway one the same way.
 */
export class KafkaNode {
  readonly name: string;
  readonly dir: string;
  readonly security: KafkaNodeSecurity | undefined;
  readonly #dataDir: string;
  readonly #propsFile: string;
  readonly #log4jFile: string;

  /** @param security run the client listener as SASL_SSL with these files and users; omit for PLAINTEXT */
  constructor(name: string, dir: string, security?: KafkaNodeSecurity) {
    this.name = name;
    this.dir = dir;
    this.security = security;
    this.#dataDir = path.join(dir, 'data');
    this.#propsFile = path.join(dir, 'server.properties');
    this.#log4jFile = path.join(dir, 'log4j2.properties');
    if (security) checkCredentials({ ...security.scramUsers, ...security.plainUsers });
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

  /**
   * Writes the config and formats the storage on first use; idempotent. SCRAM users exist
   * only in the metadata log, so they are created by this first format: users added to
   * `security` later need `kafka-configs --alter` on the running node, or a fresh directory.
   */
  prepare(java: string, port: number, controllerPort: number): void {
    fs.mkdirSync(this.#dataDir, { recursive: true });
    // The broker's own SASL password only needs to match itself: a fresh one per start.
    const props = kafkaProperties(
      this.name,
      port,
      controllerPort,
      this.#dataDir,
      this.security,
      randomBytes(18).toString('base64url'),
    );
    // Passwords in JAAS lines: readable by this user only.
    fs.writeFileSync(this.#propsFile, props, { mode: 0o600 });
    fs.chmodSync(this.#propsFile, 0o600);
    fs.writeFileSync(this.#log4jFile, LOG4J2);
    if (fs.existsSync(path.join(this.#dataDir, 'meta.properties'))) return;
    const scram = Object.entries(this.security?.scramUsers ?? {}).flatMap(([name, password]) => [
      '--add-scram',
      `SCRAM-SHA-512=[name=${name},password=${password}]`,
    ]);
    const [bin, ...args] = this.#jvm(java);
    const res = spawnSync(
      bin!,
      [
        ...args,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        newClusterId(),
        '-c',
        this.#propsFile,
        '--ignore-formatted',
        ...scram,
      ],
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

  /**
   * What a client needs to reach the node: nothing for plaintext; for SASL_SSL the CA and
   * the first SCRAM user (else the first PLAIN user). The readiness probe logs in this way,
   * so "ready" also means "this user can log in".
   */
  clientSecurity(): Pick<KafkaCluster, 'tls' | 'sasl'> {
    if (!this.security) return {};
    const tls = { caFile: this.security.caFile };
    const [scram] = Object.entries(this.security.scramUsers ?? {});
    if (scram) return { tls, sasl: { mechanism: 'scram-sha-512', username: scram[0], password: scram[1] } };
    const [plain] = Object.entries(this.security.plainUsers ?? {});
    if (plain) return { tls, sasl: { mechanism: 'plain', username: plain[0], password: plain[1] } };
    throw new Error(`KafkaNode ${this.name}: a SASL_SSL node needs at least one SCRAM or PLAIN user`);
  }

  /** True once the broker answers metadata on `port` (logging in as clientSecurity() says). */
  async ready(port: number, timeoutMs: number): Promise<boolean> {
    return (await this.notReady(port, timeoutMs)) === undefined;
  }

  /** Why the broker does not answer metadata on `port` yet, or undefined once it does. */
  notReady(port: number, timeoutMs: number): Promise<string | undefined> {
    return kafkaNotReadyReason([`127.0.0.1:${port}`], timeoutMs, this.clientSecurity());
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
    notReady: (ports) => node.notReady(ports[portKey], 2_000),
    envLines: (ports) => [`${envName}=127.0.0.1:${ports[portKey]}`],
  };
}

/** The SCRAM-SHA-512 (and PLAIN) user a secured aux cluster is made with. */
export const SECURE_AUX_USER = 'spillway';

/**
 * Where a secured aux cluster keeps its node: a directory of its own under kafka-aux, so
 * its storage (formatted with the SCRAM user) never mixes with the plaintext one's.
 */
function secureAuxPaths(): { nodeDir: string; tlsDir: string; passwordFile: string } {
  const nodeDir = path.join(serviceDir('kafka-aux'), 'secure');
  return { nodeDir, tlsDir: path.join(nodeDir, 'tls'), passwordFile: path.join(nodeDir, 'password') };
}

/**
 * The aux cluster with a SASL_SSL listener (`spillway stack up --secure-aux`): a CA and
 * broker certificate made on first start, and one user, "spillway", that logs in with
 * SCRAM-SHA-512 or PLAIN. Its password is made once, kept in a 0600 file and never printed:
 * `stack status` prints the file's path.
 */
function secureAuxService(): Service {
  const name = 'kafka-aux';
  const { nodeDir, tlsDir, passwordFile } = secureAuxPaths();
  const node = (): KafkaNode | undefined => {
    if (!fs.existsSync(passwordFile)) return undefined;
    const password = fs.readFileSync(passwordFile, 'utf8').trim();
    const users = { [SECURE_AUX_USER]: password };
    return new KafkaNode(name, nodeDir, {
      keystoreFile: path.join(tlsDir, 'server-keystore.pem'),
      caFile: path.join(tlsDir, 'ca.pem'),
      scramUsers: users,
      plainUsers: users,
    });
  };
  return {
    name,
    ports: ['kafkaAux', 'kafkaAuxController'],
    prepare(java, ports) {
      fs.mkdirSync(nodeDir, { recursive: true, mode: 0o700 });
      if (!fs.existsSync(passwordFile)) {
        fs.writeFileSync(passwordFile, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
      }
      if (!fs.existsSync(path.join(tlsDir, 'server-keystore.pem')))
        makeTestCertificates(tlsDir, 'spillway stack kafka-aux');
      node()!.prepare(java, ports.kafkaAux, ports.kafkaAuxController);
    },
    command: (java) => node()!.command(java),
    notReady: async (ports) =>
      node() ? node()!.notReady(ports.kafkaAux, 2_000) : `no password file ${passwordFile} yet (made on first start)`,
    envLines: (ports) => [
      `SPW_KAFKA_AUX=127.0.0.1:${ports.kafkaAux}`,
      'SPW_KAFKA_AUX_SECURITY=SASL_SSL',
      `SPW_KAFKA_AUX_CA_FILE=${path.join(tlsDir, 'ca.pem')}`,
      'SPW_KAFKA_AUX_SASL_MECHANISMS=scram-sha-512,plain',
      `SPW_KAFKA_AUX_USERNAME=${SECURE_AUX_USER}`,
      `SPW_KAFKA_AUX_PASSWORD_FILE=${passwordFile}`,
    ],
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
    async notReady(ports) {
      const url = `http://127.0.0.1:${ports.search}/_cluster/health`;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        if (!res.ok) return `GET ${url}: HTTP ${res.status}`;
        const body = (await res.json()) as { status?: string };
        return body.status === 'green' || body.status === 'yellow'
          ? undefined
          : `GET ${url}: cluster status ${body.status ?? '(none)'}`;
      } catch (err) {
        // fetch's own message is "fetch failed"; the reason (ECONNREFUSED, a timeout) is its cause.
        const e = err as Error & { cause?: { message?: string } };
        return `GET ${url}: ${e.cause?.message ?? e.message}`;
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

/** The same three services with the aux cluster secured (SASL_SSL), for `stack up --secure-aux`. */
export const SECURE_AUX_SERVICES: readonly Service[] = [SERVICES[0]!, secureAuxService(), SERVICES[2]!];

/** The stack's services in the given mode. */
export function stackServices(secureAux: boolean): readonly Service[] {
  return secureAux ? SECURE_AUX_SERVICES : SERVICES;
}
