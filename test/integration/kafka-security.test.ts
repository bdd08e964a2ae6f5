/**
 * Kafka security for real (issue #7): a throwaway single-node cluster with only a SASL_SSL
 * listener, its CA and broker certificate made by this test, SCRAM-SHA-512 and PLAIN users.
 *  1. right credentials (SCRAM-SHA-512, then PLAIN): topics provisioned, the router takes
 *     a batch, a file sink / a consumer reads exactly those records back;
 *  2. a wrong password: SPW_ERR_KAFKA_AUTH naming the cluster, broker and user, from the
 *     library, the router and `spillway topics ensure`; end offsets stay 0;
 *  3. no caFile, or no TLS at all: SPW_ERR_KAFKA_TLS;
 *  4. secrets set through ${ENV}: absent from every log line, /metrics, /readyz and
 *     `config check` output of real router and sink processes, wrong password included.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClusterOf } from '../../config/cluster.ts';
import { loadConfig } from '../../config/load.ts';
import type { SpillwayConfig } from '../../config/schema.ts';
import { isSpillwayError } from '../../core/errors.ts';
import { type ConsumedRecord, KafkaAdmin, KafkaConsumer, KafkaProducer } from '../../core/kafka/index.ts';
import { planPlacement } from '../../router/placement-plan.ts';
import { provisionTopics } from '../../router/provision.ts';
import { type RunningRouter, startRouter } from '../../router/service.ts';
import { type RunningSink, startSink } from '../../sinks/runtime/sink-service.ts';
import { waitFor } from './helpers/kafka.ts';
import { startThrowawayKafka, type ThrowawayKafka } from './helpers/throwaway-kafka.ts';

/** Random per run, so finding one in output can only mean it leaked. */
const secret = (what: string) => `spw-${what}-${randomBytes(12).toString('base64url')}`;
const SCRAM_PASSWORD = secret('scram');
const PLAIN_PASSWORD = secret('plain');
const WRONG_PASSWORD = secret('wrong');
const SEARCH_PASSWORD = secret('search');
const SEARCH_API_KEY = secret('apikey');
const ROUTER_TOKEN = secret('token');
const ALL_SECRETS = { SCRAM_PASSWORD, PLAIN_PASSWORD, WRONG_PASSWORD, SEARCH_PASSWORD, SEARCH_API_KEY, ROUTER_TOKEN };

const CLUSTER = 'secure';
const SCRAM_USER = 'spillway';
const PLAIN_USER = 'spillway-plain';

let kafka: ThrowawayKafka;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spw-it-security-'));
const routers: RunningRouter[] = [];
const sinks: RunningSink[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  const t0 = Date.now();
  kafka = await startThrowawayKafka('secure', {
    scramUsers: { [SCRAM_USER]: SCRAM_PASSWORD },
    plainUsers: { [PLAIN_USER]: PLAIN_PASSWORD },
  });
  console.log(`SASL_SSL cluster ready in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${kafka.brokers[0]}`);
});
afterEach(async () => {
  for (const r of routers.splice(0)) await r.close();
  for (const s of sinks.splice(0)) await s.close();
  for (const c of children.splice(0)) await stop(c);
});
afterAll(async () => {
  await kafka?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Case {
  run: string;
  mechanism?: 'scram-sha-512' | 'plain';
  /** undefined: the test's CA; null: no caFile (system CAs); 'none': no TLS settings at all */
  tls?: null | 'none';
}

/** The config as an operator writes it: the Kafka password, search secrets and router token come from ${ENV}. */
function writeConfig(c: Case): string {
  const user = c.mechanism === 'plain' ? PLAIN_USER : SCRAM_USER;
  const tls =
    c.tls === 'none' ? '' : c.tls === null ? 'tls: {}, ' : `tls: { caFile: "${kafka.certificates!.caFile}" }, `;
  const file = path.join(dir, `config-${c.run}.yaml`);
  fs.writeFileSync(
    file,
    `
clusters:
  - name: ${CLUSTER}
    brokers: ["${kafka.brokers[0]}"]
    connectTimeoutMs: 2000
    requestTimeoutMs: 5000
    security: { ${tls}sasl: { mechanism: ${c.mechanism ?? 'scram-sha-512'}, username: ${user}, password: "\${SPW_IT_KAFKA_PASSWORD}" } }
pools: { S: [${CLUSTER}], A: [${CLUSTER}], B: [${CLUSTER}], C: [${CLUSTER}] }
channels: { dedicatedPartitionsPerTopic: 2, partitionsPerTopic: 1 }
logIds:
  - { id: app-${c.run}, name: app, owner: it, importance: A, sinks: [files-${c.run}], dedicated: true }
  - { id: unknown, name: unknown, owner: it, importance: C, sinks: [files-${c.run}] }
sinks:
  - { type: file, name: files-${c.run}, directory: "${path.join(dir, `files-${c.run}`)}", compression: none, batch: { lingerMs: 100 } }
  # Never started here: they carry search secrets for the redaction checks.
  - type: opensearch
    name: search-basic-${c.run}
    nodes: ["https://127.0.0.1:9"]
    auth: { username: spillway, password: "\${SPW_IT_SEARCH_PASSWORD}" }
    tls: { caFile: "${kafka.certificates!.caFile}" }
  - type: elasticsearch
    name: search-key-${c.run}
    nodes: ["https://127.0.0.1:9"]
    auth: { apiKey: "\${SPW_IT_SEARCH_API_KEY}" }
router:
  listen: { host: 127.0.0.1, port: 0 }
  tokens: [{ agent: it, token: "\${SPW_IT_ROUTER_TOKEN}" }]
`,
  );
  return file;
}

function secretEnv(kafkaPassword: string): Record<string, string> {
  return {
    SPW_IT_KAFKA_PASSWORD: kafkaPassword,
    SPW_IT_SEARCH_PASSWORD: SEARCH_PASSWORD,
    SPW_IT_SEARCH_API_KEY: SEARCH_API_KEY,
    SPW_IT_ROUTER_TOKEN: ROUTER_TOKEN,
  };
}

/** Loads a config file in this process with the secrets in the environment only while loading. */
async function load(file: string, kafkaPassword: string): Promise<SpillwayConfig> {
  const env = secretEnv(kafkaPassword);
  Object.assign(process.env, env);
  try {
    return await loadConfig(file);
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
  }
}

async function configFor(c: Case, kafkaPassword?: string): Promise<SpillwayConfig> {
  const password = kafkaPassword ?? (c.mechanism === 'plain' ? PLAIN_PASSWORD : SCRAM_PASSWORD);
  return load(writeConfig(c), password);
}

/** The same config with the right SCRAM credentials and the test's CA: how the test looks at the cluster. */
function withRightCredentials(config: SpillwayConfig): SpillwayConfig {
  const cluster = config.clusters[0]!;
  return {
    ...config,
    clusters: [
      {
        ...cluster,
        security: {
          tls: { caFile: kafka.certificates!.caFile, rejectUnauthorized: true },
          sasl: { mechanism: 'scram-sha-512', username: SCRAM_USER, password: SCRAM_PASSWORD },
        },
      },
    ],
  };
}

function planTopics(config: SpillwayConfig): { topic: string; partitions: number }[] {
  return planPlacement(config)
    .clusters.find((c) => c.name === CLUSTER)!
    .topics.map((t) => ({ topic: t.name, partitions: t.partitions }))
    .sort((a, b) => a.topic.localeCompare(b.topic));
}

/** Sum of end offsets over every topic of the plan, read with the right credentials. */
async function recordsOnCluster(config: SpillwayConfig): Promise<number> {
  const right = withRightCredentials(config);
  const admin = new KafkaAdmin(kafkaClusterOf(right.clusters[0]!), 'it-security');
  try {
    const ends = await admin.endOffsets(planTopics(right).map((t) => t.topic));
    return Number([...ends.values()].flat().reduce((a, b) => a + b, 0n));
  } finally {
    await admin.close();
  }
}

function batch(run: string, n: number): string {
  return Array.from({ length: n }, (_, seq) =>
    JSON.stringify({ logId: `app-${run}`, level: seq % 4 === 0 ? 'error' : 'info', seq, msg: `record ${seq}` }),
  ).join('\n');
}

async function post(url: string, body: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/v1/batches`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ROUTER_TOKEN}`, 'content-type': 'application/x-ndjson' },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function fileLines(run: string): string[] {
  const d = path.join(dir, `files-${run}`);
  if (!fs.existsSync(d)) return [];
  return fs
    .readdirSync(d, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ndjson'))
    .flatMap((f) => fs.readFileSync(path.join(d, f), 'utf8').split('\n').filter(Boolean));
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string; cluster: unknown }> {
  try {
    await p;
  } catch (err) {
    if (!isSpillwayError(err)) throw err;
    return { code: err.code, message: err.message, cluster: err.context.cluster };
  }
  throw new Error('expected a rejection, got success');
}

const authMessage = (what: string, user: string, mechanism: string) =>
  `${what} on cluster "${CLUSTER}": authentication failed at ${kafka.brokers[0]} (user "${user}" with ${mechanism}): the broker refused the SASL login; check security.sasl of cluster "${CLUSTER}" (mechanism, username, password)`;

const fast = { maxWaitMs: 100, commitIntervalMs: 200 };

describe('right credentials over SASL_SSL', () => {
  it('SCRAM-SHA-512: topics provisioned, the router takes 300 records, the file sink writes exactly those 300', async () => {
    const run = randomUUID().slice(0, 8);
    const config = await configFor({ run });
    const router = await startRouter(config, { admission: null });
    routers.push(router);

    const admin = new KafkaAdmin(kafkaClusterOf(config.clusters[0]!), 'it-security');
    try {
      const plan = planTopics(config);
      expect(plan.length).toBeGreaterThan(0);
      // Created means committed by the controller; the broker's metadata can trail it by a few ms.
      let described: unknown[] = [];
      const deadline = Date.now() + 10_000;
      while (described.length < plan.length && Date.now() < deadline) {
        described = await admin.describeTopics(plan.map((t) => t.topic));
        if (described.length < plan.length) await sleep(100);
      }
      expect(described).toEqual(plan);
    } finally {
      await admin.close();
    }
    expect(await (await fetch(`${router.url}/readyz`)).json()).toEqual({
      ready: true,
      draining: false,
      clusters: { [CLUSTER]: 'ok' },
    });

    const res = await post(router.url, batch(run, 300));
    expect(res).toEqual({ status: 200, body: { accepted: 300, rejected: [], retry: [], fallback: 0 } });
    expect(await recordsOnCluster(config)).toBe(300);

    sinks.push(await startSink(config, `files-${run}`, fast));
    await waitFor('300 lines from the file sink', () => fileLines(run).length >= 300, 60_000);
    await sleep(500); // a duplicate would land within a linger or two
    const seqs = fileLines(run).map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toHaveLength(300);
    expect(new Set(seqs).size).toBe(300);
    expect(Math.min(...seqs)).toBe(0);
    expect(Math.max(...seqs)).toBe(299);
  });

  it('PLAIN: the router takes 120 records and a consumer reads exactly those 120 back', async () => {
    const run = randomUUID().slice(0, 8);
    const config = await configFor({ run, mechanism: 'plain' });
    expect(config.clusters[0]!.security?.sasl).toMatchObject({ mechanism: 'plain', username: PLAIN_USER });
    const router = await startRouter(config, { admission: null });
    routers.push(router);
    expect(await post(router.url, batch(run, 120))).toEqual({
      status: 200,
      body: { accepted: 120, rejected: [], retry: [], fallback: 0 },
    });

    const got: ConsumedRecord[] = [];
    const consumer = new KafkaConsumer(kafkaClusterOf(config.clusters[0]!), {
      clientId: 'it-security-read',
      groupId: `it.security.${run}`,
      topics: planTopics(config).map((t) => t.topic),
      maxWaitMs: 100,
      onBatch: (b) => void got.push(...b.records),
    });
    await consumer.start();
    try {
      await waitFor('120 records over PLAIN', () => got.length >= 120, 60_000);
      await sleep(500);
    } finally {
      await consumer.close();
    }
    const seqs = got.map((r) => (JSON.parse(r.value!.toString()) as { seq: number }).seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 120 }, (_, i) => i));
  });
});

describe('wrong credentials', () => {
  it('a wrong SCRAM password: SPW_ERR_KAFKA_AUTH from provisioning, producing, the router and `topics ensure`; nothing written', async () => {
    const run = randomUUID().slice(0, 8);
    const right = await configFor({ run });
    // The topics exist (made with the right password), so "nothing written" is an offset, not a missing topic.
    await provisionTopics(right);
    const file = writeConfig({ run });
    const wrong = await load(file, WRONG_PASSWORD);

    expect(await rejection(provisionTopics(wrong))).toEqual({
      code: 'SPW_ERR_KAFKA_AUTH',
      message: authMessage('describe topics failed', SCRAM_USER, 'SCRAM-SHA-512'),
      cluster: CLUSTER,
    });

    const producer = new KafkaProducer(kafkaClusterOf(wrong.clusters[0]!), { clientId: 'it-security-wrong' });
    try {
      const topic = planTopics(wrong)[0]!.topic;
      expect(await rejection(producer.send([{ topic, key: 'k', value: 'must not land' }], 10_000))).toEqual({
        code: 'SPW_ERR_KAFKA_AUTH',
        message: authMessage('produce failed', SCRAM_USER, 'SCRAM-SHA-512'),
        cluster: CLUSTER,
      });
    } finally {
      await producer.close();
    }

    // The router keeps serving (other clusters may be fine) but says why this one is not ready,
    // and hands every record back as retryable with the same clear reason.
    const router = await startRouter(wrong, { admission: null });
    routers.push(router);
    const ready = await fetch(`${router.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      ready: false,
      draining: false,
      clusters: {
        [CLUSTER]: `provisioning failed: ${authMessage('describe topics failed', SCRAM_USER, 'SCRAM-SHA-512')}`,
      },
    });
    const res = await post(router.url, batch(run, 50));
    expect(res.status).toBe(503);
    expect(res.body.accepted).toBe(0);
    const retry = res.body.retry as { line: number; reason: string }[];
    expect(retry).toHaveLength(50);
    expect(new Set(retry.map((r) => r.reason))).toEqual(
      new Set([`kafka cluster "${CLUSTER}": ${authMessage('produce failed', SCRAM_USER, 'SCRAM-SHA-512')}`]),
    );

    const cli = spawnSync(process.execPath, ['bin/spillway.js', 'topics', 'ensure', '--config', file], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, ...secretEnv(WRONG_PASSWORD) },
    });
    expect(cli.status).toBe(1);
    expect(cli.stderr.trim()).toBe(
      `spillway topics: ${authMessage('describe topics failed', SCRAM_USER, 'SCRAM-SHA-512')} [SPW_ERR_KAFKA_AUTH]`,
    );

    expect(await recordsOnCluster(right)).toBe(0);
  });

  it('a wrong PLAIN password: SPW_ERR_KAFKA_AUTH naming the PLAIN user; nothing written', async () => {
    const run = randomUUID().slice(0, 8);
    await provisionTopics(await configFor({ run }));
    const wrong = await configFor({ run, mechanism: 'plain' }, WRONG_PASSWORD);
    const producer = new KafkaProducer(kafkaClusterOf(wrong.clusters[0]!), { clientId: 'it-security-wrong' });
    try {
      const topic = planTopics(wrong)[0]!.topic;
      expect(await rejection(producer.send([{ topic, key: 'k', value: 'must not land' }], 10_000))).toEqual({
        code: 'SPW_ERR_KAFKA_AUTH',
        message: authMessage('produce failed', PLAIN_USER, 'PLAIN'),
        cluster: CLUSTER,
      });
    } finally {
      await producer.close();
    }
    expect(await recordsOnCluster(wrong)).toBe(0);
  });
});

describe('TLS trust', () => {
  it('without the test CA: SPW_ERR_KAFKA_TLS, the certificate is not trusted', async () => {
    const config = await configFor({ run: randomUUID().slice(0, 8), tls: null });
    expect(await rejection(provisionTopics(config))).toEqual({
      code: 'SPW_ERR_KAFKA_TLS',
      message: `describe topics failed on cluster "${CLUSTER}": TLS handshake failed at ${kafka.brokers[0]}: self-signed certificate in certificate chain (no caFile: trusting the system CAs only); check security.tls of cluster "${CLUSTER}" and that the listener speaks TLS`,
      cluster: CLUSTER,
    });
  });

  it('without TLS settings at all: SPW_ERR_KAFKA_TLS, not an authentication error', async () => {
    const config = await configFor({ run: randomUUID().slice(0, 8), tls: 'none' });
    expect(await rejection(provisionTopics(config))).toEqual({
      code: 'SPW_ERR_KAFKA_TLS',
      message: `describe topics failed on cluster "${CLUSTER}": connection closed at ${kafka.brokers[0]} at the SASL handshake, as a TLS listener does to a plaintext client (no TLS settings); check security.tls of cluster "${CLUSTER}" and that the listener speaks TLS`,
      cluster: CLUSTER,
    });
  });
});

// ---------------------------------------------------------------------------------------
// Secrets: real processes, everything they print and serve, grepped.

interface Proc {
  child: ChildProcess;
  output: () => string;
}

function startProcess(args: string[], kafkaPassword: string): Proc {
  const child = spawn(process.execPath, ['bin/spillway.js', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // debug: the most a process ever logs.
    env: { ...process.env, ...secretEnv(kafkaPassword), SPW_LOG_LEVEL: 'debug' },
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  return { child, output: () => out };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function get(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(url, { headers });
  return `${res.status} ${await res.text()}`;
}

/** Waits until `url` answers 200, or the process exits. */
async function until200(p: Proc, url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null) throw new Error(`process exited ${p.child.exitCode}: ${p.output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url} not ready: ${p.output()}`);
}

function freePortBase(): number {
  return 31_000 + Math.floor(Math.random() * 8_000);
}

function leaks(text: string): string[] {
  return Object.entries(ALL_SECRETS)
    .filter(([, value]) => text.includes(value))
    .map(([name]) => name);
}

describe('secrets stay secret', () => {
  it('router, sink and `config check` output, logs, /metrics and /readyz never contain a password, API key or token', async () => {
    const run = randomUUID().slice(0, 8);
    const file = writeConfig({ run });
    const seen: Record<string, string> = {};

    for (const args of [
      ['config', 'check', file],
      ['config', 'check', '--json', file],
    ]) {
      const res = spawnSync(process.execPath, ['bin/spillway.js', ...args], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, ...secretEnv(SCRAM_PASSWORD) },
      });
      expect(res.status).toBe(0);
      seen[args.join(' ')] = res.stdout + res.stderr;
    }
    expect(seen[`config check ${file}`]).toContain(`cluster ${CLUSTER}`);
    const json = JSON.parse(seen[`config check --json ${file}`]!) as { config: SpillwayConfig };
    expect(json.config.clusters[0]!.security?.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: SCRAM_USER,
      password: '***',
    });

    // The router with the right password: batches in, /metrics and /readyz out.
    const base = freePortBase();
    const router = startProcess(['router', '--config', file, '--port', String(base)], SCRAM_PASSWORD);
    const routerUrl = `http://127.0.0.1:${base}`;
    await until200(router, `${routerUrl}/readyz`);
    expect((await post(routerUrl, batch(run, 200))).body.accepted).toBe(200);
    seen.routerMetrics = await get(`${routerUrl}/metrics`);
    expect(seen.routerMetrics).toContain('spillway_records_sent_total');
    seen.routerReadyz = await get(`${routerUrl}/readyz`);

    // The file sink: consumes all 200 over SASL_SSL, serves /metrics.
    const sink = startProcess(
      ['sink', '--config', file, '--name', `files-${run}`, '--metrics-port', String(base + 1)],
      SCRAM_PASSWORD,
    );
    await until200(sink, `http://127.0.0.1:${base + 1}/readyz`);
    await waitFor('200 lines from the sink process', () => fileLines(run).length >= 200, 60_000);
    seen.sinkMetrics = await get(`http://127.0.0.1:${base + 1}/metrics`);
    expect(seen.sinkMetrics).toContain('spillway_records_delivered_total');

    // A router with the wrong password: its failures are logged and served, without the password.
    const failing = startProcess(['router', '--config', file, '--port', String(base + 2)], WRONG_PASSWORD);
    const failingUrl = `http://127.0.0.1:${base + 2}`;
    await until200(failing, `${failingUrl}/healthz`);
    await waitFor('the failing router to log its provisioning error', () =>
      failing.output().includes('SPW_ERR_KAFKA_AUTH'),
    );
    seen.failingReadyz = await get(`${failingUrl}/readyz`);
    expect(seen.failingReadyz).toContain('authentication failed');
    seen.failingBatch = JSON.stringify(await post(failingUrl, batch(run, 10)));
    expect(seen.failingBatch).toContain('authentication failed');
    seen.failingMetrics = await get(`${failingUrl}/metrics`);

    for (const p of [router, sink, failing]) await stop(p.child);
    seen.routerLog = router.output();
    seen.sinkLog = sink.output();
    seen.failingLog = failing.output();
    expect(seen.routerLog).toContain('router listening');
    expect(seen.failingLog).toContain('topic provisioning failed; retrying');

    const found = Object.fromEntries(Object.entries(seen).map(([where, text]) => [where, leaks(text)]));
    console.log(
      `secrets grep: ${Object.entries(seen)
        .map(([where, text]) => `${where} ${text.length} B`)
        .join(', ')}`,
    );
    expect(found).toEqual(Object.fromEntries(Object.keys(seen).map((where) => [where, []])));
  });
});
