/**
 * Sink benchmark: records/s out of Kafka through startSink() into a blackhole, a file (none
 * and zstd) and the real OpenSearch, each against a reference measured in the same run:
 * - Kafka sinks: kcat consuming the same topics (one `kcat -C -o beginning -e` per topic, all
 *   in parallel, values written to a file; wall time until the last one exits).
 * - OpenSearch sink: a raw `_bulk` loader, a plain fetch loop POSTing the same documents in
 *   bodies of the sink's batch size with the sink's concurrency (no Kafka).
 * - Isolation: the blackhole sink with a second sink on the same topics whose HTTP endpoint
 *   never answers (requestTimeoutMs 500), against the blackhole sink alone.
 *
 *   node bench/sink.ts [--records 200000] [--search-records 50000] [--runs 3] [--no-report]
 *
 * Records are produced once, before the runs, exactly as the router places them (placement
 * place() + core/kafka's producer, zstd) to dedicated logIds of this run, so the run has its
 * own topics; every sink gets a fresh name (its own consumer group) and reads them from the
 * beginning. The phases alternate inside each run. The sinks run in this process, as
 * `spillway sink` runs them; the broker, OpenSearch, kcat and this process share the
 * machine's cores (the machine line says how many). Topics, indices and index templates of
 * the run are deleted at the end; the sinks' consumer groups are left to expire.
 */

import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import { pino } from 'pino';
import { kafkaClusterOf } from '../config/cluster.ts';
import type { Level } from '../config/common.ts';
import { validateConfig } from '../config/load.ts';
import type { SpillwayConfig } from '../config/schema.ts';
import { KafkaAdmin, KafkaProducer } from '../core/kafka/index.ts';
import { Telemetry } from '../core/telemetry.ts';
import { place } from '../router/placement.ts';
import { provisionTopics } from '../router/provision.ts';
import type { Destination, SinkRecord } from '../sinks/core/destination.ts';
import { zstdFrames } from '../sinks/file/compress.ts';
import { createDestination } from '../sinks/registry.ts';
import { type RunningSink, startSink } from '../sinks/runtime/sink-service.ts';
import { buildBulkBody } from '../sinks/search-core/bulk-body.ts';
import { indexTemplateBody } from '../sinks/search-core/index-template.ts';
import { BULK_FILTER_PATH } from '../sinks/search-core/search-client.ts';
import { barChartSvg } from './lib/chart.ts';
import { machineDescription } from './lib/machine.ts';
import { replaceSection } from './lib/report.ts';

const { values: opts } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    'search-records': { type: 'string', default: '50000' },
    runs: { type: 'string', default: '3' },
    brokers: { type: 'string', default: process.env.SPW_KAFKA_MAIN ?? '127.0.0.1:19092' },
    search: { type: 'string', default: process.env.SPW_SEARCH_URL ?? 'http://127.0.0.1:19200' },
    'no-report': { type: 'boolean', default: false },
  },
});
const RECORDS = Number(opts.records);
const SEARCH_RECORDS = Number(opts['search-records']);
const RUNS = Number(opts.runs);
const BROKER = opts.brokers!;
const SEARCH = opts.search!.replace(/\/$/, '');
/** Topic names, sink names, index names and templates of this run all contain it: cleanup deletes by it. */
const RUN = `spwb${randomUUID().slice(0, 6)}`;
/** Two logIds for the Kafka sinks, two for OpenSearch (one index each): dedicated, importance A. */
const BULK_LOG_IDS = [`${RUN}-a`, `${RUN}-b`];
const SEARCH_LOG_IDS = [`${RUN}-s0`, `${RUN}-s1`];
const PARTITIONS = 3;
const HOSTS = 8;
/** A phase that has not delivered everything after this long has failed. */
const PHASE_TIMEOUT_MS = 180_000;
/** The hanging sink's request timeout (the isolation scenario). */
const HANG_TIMEOUT_MS = 500;

const log = pino({ level: process.env.SPW_LOG_LEVEL ?? 'error', base: null }, pino.destination(2));

interface BenchRecord {
  logId: string;
  level: Level;
  host: string;
  seq: number;
  line: string;
}

interface Phase {
  seconds: number;
  recordsPerSec: number;
  mibPerSec: number;
  /** Sinks: from the startSink() call until it returned (gutter topics checked, health check, consumers started). */
  startedSeconds?: number;
  /** Sinks: from the startSink() call to the first destination write. */
  firstWriteSeconds?: number;
  /** Sinks: records/s from the first destination write to the last record written. */
  steadyPerSec?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r  ${text}   `);
}
function progressDone(): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
}

function phaseOf(records: number, bytes: number, seconds: number, extra: Partial<Phase> = {}): Phase {
  return {
    seconds,
    recordsPerSec: Math.round(records / seconds),
    mibPerSec: Number((bytes / seconds / 1048576).toFixed(1)),
    ...extra,
  };
}

/** ~256-byte JSON log lines, distinct, levels and hosts mixed as a service's logs are. */
function makeRecords(logIds: string[], n: number): BenchRecord[] {
  const levels: Level[] = ['info', 'info', 'info', 'debug', 'warn', 'error'];
  const words = 'checkout payment cart user session order retry timeout cache upstream latency shard'.split(' ');
  return Array.from({ length: n }, (_, i) => {
    const logId = logIds[i % logIds.length]!;
    const level = levels[Math.floor(i / logIds.length) % levels.length]!;
    // Every (logId, level) pair gets every host, so each topic's records spread over all its partitions.
    const host = `host-${Math.floor(i / (logIds.length * levels.length)) % HOSTS}`;
    const base = `{"time":${1_795_000_000_000 + i},"level":"${level}","logId":"${logId}","host":"${host}","seq":${i},"msg":"${words[i % 12]} ${words[(i * 7) % 12]} ${words[(i * 5) % 12]}","reqId":"req-${(i * 2654435761) % 1e9}"`;
    return { logId, level, host, seq: i, line: `${base},"pad":"${'x'.repeat(Math.max(0, 250 - base.length))}"}` };
  });
}

function benchConfig(logIds: string[], sinks: Record<string, unknown>[]): SpillwayConfig {
  return validateConfig(
    {
      clusters: [{ name: 'main', brokers: [BROKER] }],
      pools: { S: ['main'], A: ['main'], B: ['main'], C: ['main'] },
      channels: { dedicatedPartitionsPerTopic: PARTITIONS },
      logIds: logIds.map((id) => ({
        id,
        name: id,
        owner: 'bench',
        importance: 'A',
        sinks: sinks.map((s) => s.name),
        dedicated: true,
      })),
      // A bench logId as the fallback, so no sink reads the shared fallback topics.
      router: { fallbackLogId: logIds[0] },
      sinks,
    },
    'bench/sink.ts',
  );
}

/** Produces the records as the router places them; returns records per topic. */
async function produce(config: SpillwayConfig, records: BenchRecord[]): Promise<Map<string, number>> {
  await provisionTopics(config, undefined, ['main']);
  const producer = new KafkaProducer(kafkaClusterOf(config.clusters[0]!), { clientId: 'spillway-bench-sink' });
  const perTopic = new Map<string, number>();
  try {
    const out = records.map((r) => {
      const at = place({ logId: r.logId, level: r.level, host: r.host }, config);
      perTopic.set(at.topic, (perTopic.get(at.topic) ?? 0) + 1);
      return { topic: at.topic, key: at.key, value: r.line };
    });
    let next = 0;
    let done = 0;
    await Promise.all(
      Array.from({ length: 2 }, async () => {
        while (next < out.length) {
          const start = next;
          next = Math.min(out.length, next + 5000);
          await producer.send(out.slice(start, next), 30_000);
          done += next - start;
          progress(`produce: ${done}/${out.length}`);
        }
      }),
    );
    progressDone();
  } finally {
    await producer.close();
  }
  return perTopic;
}

async function runKcat(topics: Map<string, number>, records: number, bytes: number, dir: string): Promise<Phase> {
  const outs = [...topics.keys()].map((_, i) => path.join(dir, `kcat-${i}.ndjson`));
  const t0 = performance.now();
  await Promise.all(
    [...topics].map(
      ([topic, count], i) =>
        new Promise<void>((resolve, reject) => {
          const fd = fs.openSync(outs[i]!, 'w');
          const c = spawn(
            'kcat',
            ['-C', '-b', BROKER, '-t', topic, '-o', 'beginning', '-c', String(count), '-e', '-q', '-f', '%s\n'],
            { stdio: ['ignore', fd, 'inherit'] },
          );
          c.on('error', reject);
          c.on('exit', (code) => {
            fs.closeSync(fd);
            if (code === 0) resolve();
            else reject(new Error(`kcat on ${topic} exited ${code}`));
          });
        }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  const written = outs.reduce((s, f) => s + fs.statSync(f).size, 0);
  for (const f of outs) fs.rmSync(f);
  if (written !== bytes + records) throw new Error(`kcat wrote ${written} bytes, expected ${bytes + records}`);
  return phaseOf(records, bytes, seconds);
}

/** A destination that passes everything through and notes when writes start and finish. */
interface Watched {
  destination: Destination;
  writes: number;
  failedWrites: number;
  written: number;
  /** writes / failedWrites when the measured sink started (for sinks started before it). */
  writesAtStart: number;
  failedAtStart: number;
  /** performance.now() of the first write() call. */
  firstWriteAt: number;
  /** Resolves with performance.now() when `expected` records were written (write results ok or partial). */
  done: Promise<number>;
}

function watch(d: Destination, expected: number): Watched {
  let finished: (at: number) => void = () => {};
  const w: Watched = {
    writes: 0,
    failedWrites: 0,
    written: 0,
    writesAtStart: 0,
    failedAtStart: 0,
    firstWriteAt: 0,
    done: new Promise<number>((r) => {
      finished = r;
    }),
    destination: {
      keyOf: (r) => d.keyOf(r),
      async write(key, records, signal) {
        if (w.writes++ === 0) w.firstWriteAt = performance.now();
        const result = await d.write(key, records, signal);
        if (result.kind === 'ok' || result.kind === 'partial') {
          w.written += records.length - (result.kind === 'partial' ? result.failed.length : 0);
          if (w.written >= expected) finished(performance.now());
        } else {
          w.failedWrites++;
        }
        return result;
      },
      healthCheck: (signal) => d.healthCheck(signal),
      close: () => d.close(),
      ...(d.flush ? { flush: () => d.flush!() } : {}),
    },
  };
  return w;
}

/**
 * Times the sink `measured` of `config` from its startSink() call (destination creation
 * included) until `expected` records were written to its destination, then checks its
 * spillway_records_delivered_total. The sinks in `before` are started, and past their
 * start-up, before the clock starts, so they run beside it from its first record. `check`
 * runs while all of them are still up.
 */
async function runSinks(
  label: string,
  config: SpillwayConfig,
  measured: string,
  expected: number,
  bytes: number,
  before: string[] = [],
  check?: (neighbours: Watched[], running: RunningSink[]) => Promise<void>,
): Promise<Phase> {
  const running: RunningSink[] = [];
  const neighbours: Watched[] = [];
  const sinkConfig = (name: string) => config.sinks.find((s) => s.name === name)!;
  let ticker: NodeJS.Timeout | undefined;
  try {
    for (const n of before) {
      const w = watch(await createDestination(sinkConfig(n), { logger: log }), Number.POSITIVE_INFINITY);
      neighbours.push(w);
      running.push(await startSink(config, n, { logger: log, destination: w.destination }));
    }
    const telemetry = new Telemetry('sink');
    for (const n of neighbours) {
      n.writesAtStart = n.writes;
      n.failedAtStart = n.failedWrites;
    }
    const t0 = performance.now();
    const w = watch(await createDestination(sinkConfig(measured), { logger: log }), expected);
    running.push(await startSink(config, measured, { telemetry, logger: log, destination: w.destination }));
    const started = performance.now();
    ticker = setInterval(() => progress(`${label}: ${w.written}/${expected}`), 250);
    let timer: NodeJS.Timeout | undefined;
    const t1 = await Promise.race([
      w.done,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${label}: only ${w.written} of ${expected} written`)),
          PHASE_TIMEOUT_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    clearInterval(ticker);
    progressDone();
    // The runtime counts a batch as delivered right after its write resolves.
    let delivered = 0;
    for (let i = 0; i < 100 && delivered < expected; i++) {
      delivered = await telemetry.value('spillway_records_delivered_total', { sink: measured });
      if (delivered < expected) await sleep(10);
    }
    if (delivered !== expected || w.written !== expected)
      throw new Error(`${label}: ${delivered} delivered, ${w.written} written, expected ${expected}`);
    await check?.(neighbours, running);
    return phaseOf(expected, bytes, (t1 - t0) / 1000, {
      startedSeconds: (started - t0) / 1000,
      firstWriteSeconds: (w.firstWriteAt - t0) / 1000,
      steadyPerSec: Math.round(expected / ((t1 - w.firstWriteAt) / 1000)),
    });
  } finally {
    clearInterval(ticker);
    await Promise.all(running.map((s) => s.close()));
  }
}

/** Lines in the files a file sink wrote (zstd files are decompressed). */
function linesIn(dir: string): number {
  let lines = 0;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const raw = fs.readFileSync(path.join(entry.parentPath, entry.name));
    // node:zlib's zstd decoder stops after the first frame; the sink writes one frame per batch.
    const parts = entry.name.endsWith('.zst') ? zstdFrames(raw).frames.map((f) => zlib.zstdDecompressSync(f)) : [raw];
    for (const data of parts) for (let i = data.indexOf(0x0a); i !== -1; i = data.indexOf(0x0a, i + 1)) lines++;
  }
  return lines;
}

async function search(method: string, p: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${SEARCH}${p}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const out = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(out).slice(0, 300)}`);
  return out;
}

async function searchCount(pattern: string): Promise<number> {
  await search('POST', `/${pattern}/_refresh`);
  return (await search('GET', `/${pattern}/_count`)).count as number;
}

/** The reference: the same documents, bulk bodies of `batch` records per index, `concurrency` POSTs in flight, no Kafka. */
async function runRawBulk(
  records: BenchRecord[],
  prefix: string,
  config: SpillwayConfig,
  batch: number,
  concurrency: number,
  bytes: number,
): Promise<Phase> {
  // The sink installs the same template on start; here it is done before the clock starts.
  await search('PUT', `/_index_template/${prefix}`, indexTemplateBody(`${prefix}-*`));
  const byIndex = new Map<string, SinkRecord[]>();
  const now = Date.now();
  for (const r of records) {
    const at = place({ logId: r.logId, level: r.level, host: r.host }, config);
    const index = `${prefix}-${r.logId}`;
    const list = byIndex.get(index) ?? [];
    list.push({
      cluster: 'main',
      topic: at.topic,
      partition: r.seq % PARTITIONS,
      offset: BigInt(r.seq),
      logId: r.logId,
      value: Buffer.from(r.line),
      timestampMs: now,
      attempts: 0,
    });
    byIndex.set(index, list);
  }
  // Bodies built up front (same builder as the sink: action line + raw line + @timestamp), indices alternating.
  const perIndex = [...byIndex].map(([index, recs]) => {
    const bodies: Buffer[] = [];
    for (let i = 0; i < recs.length; i += batch) bodies.push(buildBulkBody(index, recs.slice(i, i + batch)));
    return bodies;
  });
  const bodies: Buffer[] = [];
  for (let i = 0; i < Math.max(...perIndex.map((b) => b.length)); i++)
    for (const b of perIndex) if (b[i]) bodies.push(b[i]!);
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const res = await fetch(`${SEARCH}/_bulk?filter_path=${BULK_FILTER_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body,
        });
        const out = (await res.json()) as { errors?: boolean; items?: unknown[] };
        if (!res.ok || out.errors) throw new Error(`raw _bulk: ${res.status} ${JSON.stringify(out).slice(0, 300)}`);
        done += batch;
        progress(`raw _bulk: ${Math.min(done, records.length)}/${records.length}`);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  progressDone();
  const count = await searchCount(`${prefix}-*`);
  if (count !== records.length) throw new Error(`raw _bulk: _count ${count}, expected ${records.length}`);
  return phaseOf(records.length, bytes, seconds);
}

/** An HTTP endpoint that accepts connections and never answers. */
async function hangingServer(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server = http.createServer(() => {
    requests++;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/ingest`,
    requests: () => requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function cleanup(admin: KafkaAdmin): Promise<void> {
  const topics = (await admin.describeTopics()).map((t) => t.topic).filter((t) => t.includes(RUN));
  await admin.deleteTopics(topics).catch((err) => console.error(`could not delete topics: ${err.message}`));
  try {
    const indices = (await fetch(`${SEARCH}/_cat/indices/${RUN}-*?format=json&h=index`).then((r) => r.json())) as {
      index: string;
    }[];
    if (indices.length > 0) await search('DELETE', `/${indices.map((i) => i.index).join(',')}`);
    const templates = (await search('GET', '/_index_template')).index_templates as {
      name: string;
      index_template: { index_patterns: string[] };
    }[];
    for (const t of templates)
      if (t.index_template.index_patterns.some((p) => p.startsWith(RUN)))
        await search('DELETE', `/_index_template/${t.name}`);
  } catch (err) {
    console.error(`could not delete indices/templates: ${(err as Error).message}`);
  }
  console.error(`# cleaned up: ${topics.length} topics and the indices/templates of ${RUN}`);
}

interface Results {
  kcat: Phase[];
  blackhole: Phase[];
  isolated: Phase[];
  fileNone: Phase[];
  fileZstd: Phase[];
  raw: Phase[];
  opensearch: Phase[];
  /** The hanging sink during each isolation run: writes started and timed out while the blackhole ran, records spilled since its start, breaker state at the end. */
  hang: { writes: number; timedOut: number; spilled: number; breaker: string }[];
}

async function main(): Promise<void> {
  const kcatV = spawnSync('kcat', ['-V'], { encoding: 'utf8' });
  if (kcatV.status !== 0) throw new Error('kcat not found on PATH');
  const kcatVersion = /Version ([^ ]+) .*librdkafka ([^ ]+)/.exec(kcatV.stdout);
  const osVersion = ((await search('GET', '/')).version as { number: string }).number;
  const machine = machineDescription();
  const admin = new KafkaAdmin({ name: 'main', brokers: [BROKER] }, 'spillway-bench-sink');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spw-bench-sink-'));
  const hang = await hangingServer();
  const res: Results = {
    kcat: [],
    blackhole: [],
    isolated: [],
    fileNone: [],
    fileZstd: [],
    raw: [],
    opensearch: [],
    hang: [],
  };
  const stop = async () => {
    console.error('\ninterrupted: cleaning up');
    await cleanup(admin).catch(() => {});
    process.exit(130);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const bulkRecords = makeRecords(BULK_LOG_IDS, RECORDS);
  const searchRecords = makeRecords(SEARCH_LOG_IDS, SEARCH_RECORDS);
  const bulkBytes = bulkRecords.reduce((s, r) => s + Buffer.byteLength(r.line), 0);
  const searchBytes = searchRecords.reduce((s, r) => s + Buffer.byteLength(r.line), 0);
  let bulkTopics = new Map<string, number>();
  let searchBatch = 0;
  let searchConcurrency = 0;
  try {
    const t0 = performance.now();
    const bhConfig = (name: string) => benchConfig(BULK_LOG_IDS, [{ type: 'blackhole', name }]);
    bulkTopics = await produce(bhConfig(`${RUN}-p`), bulkRecords);
    await produce(benchConfig(SEARCH_LOG_IDS, [{ type: 'blackhole', name: `${RUN}-p` }]), searchRecords);
    console.error(
      `# produced ${RECORDS} + ${SEARCH_RECORDS} records to ${bulkTopics.size} + ${SEARCH_LOG_IDS.length * 3} topics in ${((performance.now() - t0) / 1000).toFixed(1)} s (run ${RUN})`,
    );

    // Warm-up, not measured: the first sink of the process pays for JIT compilation and first connections.
    await runSinks('warm-up', bhConfig(`${RUN}-warm`), `${RUN}-warm`, RECORDS, bulkBytes);

    for (let run = 1; run <= RUNS; run++) {
      const tag = `[run ${run}/${RUNS}]`;
      const k = await runKcat(bulkTopics, RECORDS, bulkBytes, dir);
      res.kcat.push(k);
      console.error(`${tag} kcat ${k.recordsPerSec} rec/s (${k.seconds.toFixed(2)} s)`);

      const bhName = `${RUN}-bh-${run}`;
      const bh = await runSinks('blackhole', bhConfig(bhName), bhName, RECORDS, bulkBytes);
      res.blackhole.push(bh);
      console.error(
        `${tag} blackhole ${bh.recordsPerSec} rec/s (${(bh.recordsPerSec / k.recordsPerSec).toFixed(2)} x kcat; startSink() returned after ${bh.startedSeconds!.toFixed(2)} s, first write after ${bh.firstWriteSeconds!.toFixed(2)} s, then ${bh.steadyPerSec} rec/s)`,
      );

      const isoName = `${RUN}-ibh-${run}`;
      const hangName = `${RUN}-hang-${run}`;
      const iso = await runSinks(
        'blackhole + hanging http',
        benchConfig(BULK_LOG_IDS, [
          { type: 'blackhole', name: isoName },
          {
            type: 'http',
            name: hangName,
            url: hang.url,
            requestTimeoutMs: HANG_TIMEOUT_MS,
            batch: { lingerMs: 100 },
          },
        ]),
        isoName,
        RECORDS,
        bulkBytes,
        [hangName],
        async ([h], running) => {
          const hs = running.find((r) => r.name === hangName)!;
          res.hang.push({
            writes: h!.writes - h!.writesAtStart,
            timedOut: h!.failedWrites - h!.failedAtStart,
            spilled: await hs.telemetry.value('spillway_gutter_records_total', { sink: hangName, direction: 'in' }),
            breaker: hs.main.breaker,
          });
          if (h!.written > 0) throw new Error('the hanging sink delivered records');
        },
      );
      res.isolated.push(iso);
      console.error(
        `${tag} blackhole beside a hanging sink ${iso.recordsPerSec} rec/s (${(iso.recordsPerSec / bh.recordsPerSec).toFixed(2)} x alone; the hanging sink meanwhile: ${JSON.stringify(res.hang.at(-1))})`,
      );

      for (const compression of ['none', 'zstd'] as const) {
        const name = `${RUN}-f${compression}-${run}`;
        const directory = path.join(dir, name);
        const f = await runSinks(
          `file ${compression}`,
          benchConfig(BULK_LOG_IDS, [{ type: 'file', name, directory, compression }]),
          name,
          RECORDS,
          bulkBytes,
        );
        const lines = linesIn(directory);
        fs.rmSync(directory, { recursive: true, force: true });
        if (lines !== RECORDS) throw new Error(`file ${compression}: ${lines} lines on disk, expected ${RECORDS}`);
        (compression === 'none' ? res.fileNone : res.fileZstd).push(f);
        console.error(
          `${tag} file ${compression} ${f.recordsPerSec} rec/s (${(f.recordsPerSec / k.recordsPerSec).toFixed(2)} x kcat; startSink() returned after ${f.startedSeconds!.toFixed(2)} s, first write after ${f.firstWriteSeconds!.toFixed(2)} s, then ${f.steadyPerSec} rec/s)`,
        );
      }

      const osName = `${RUN}-os-${run}`;
      const osPrefix = `${RUN}-os${run}`;
      const osConfig = benchConfig(SEARCH_LOG_IDS, [
        { type: 'opensearch', name: osName, nodes: [SEARCH], indexTemplate: `${osPrefix}-{logId}` },
      ]);
      const osSink = osConfig.sinks[0]!;
      searchBatch = osSink.batch.maxRecords;
      searchConcurrency = osSink.concurrency;
      const runSearchSink = async () => {
        const p = await runSinks('opensearch', osConfig, osName, SEARCH_RECORDS, searchBytes);
        const count = await searchCount(`${osPrefix}-*`);
        if (count !== SEARCH_RECORDS) throw new Error(`opensearch sink: _count ${count}, expected ${SEARCH_RECORDS}`);
        return p;
      };
      const runRaw = () =>
        runRawBulk(searchRecords, `${RUN}-raw${run}`, osConfig, searchBatch, searchConcurrency, searchBytes);
      // Which one goes first alternates, so neither always meets an engine still merging the other's segments.
      let raw: Phase;
      let sink: Phase;
      if (run % 2 === 1) {
        raw = await runRaw();
        sink = await runSearchSink();
      } else {
        sink = await runSearchSink();
        raw = await runRaw();
      }
      res.raw.push(raw);
      res.opensearch.push(sink);
      console.error(
        `${tag} raw _bulk ${raw.recordsPerSec} rec/s, opensearch sink ${sink.recordsPerSec} rec/s (${(sink.recordsPerSec / raw.recordsPerSec).toFixed(2)} x raw; startSink() returned after ${sink.startedSeconds!.toFixed(2)} s, first write after ${sink.firstWriteSeconds!.toFixed(2)} s, then ${sink.steadyPerSec} rec/s)`,
      );
      await search('DELETE', `/${RUN}-raw${run}-*,${osPrefix}-*`).catch(() => {});
    }
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    await hang.close();
    await cleanup(admin);
    await admin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const med = (ps: Phase[], f: (p: Phase) => number = (p) => p.recordsPerSec) => median(ps.map(f));
  const range = (ps: Phase[]) =>
    `${fmtK(Math.min(...ps.map((p) => p.recordsPerSec)))}–${fmtK(Math.max(...ps.map((p) => p.recordsPerSec)))}`;
  const mib = (ps: Phase[]) => ps.find((p) => p.recordsPerSec === med(ps))!.mibPerSec;
  const ratio = (a: Phase[], b: Phase[]) => (med(a) / med(b)).toFixed(2);
  const num = (n: number) => n.toLocaleString('en-US');
  const secs = (ps: Phase[], f: (p: Phase) => number | undefined) =>
    f(ps[0]!) === undefined ? '–' : `${med(ps, (p) => f(p)!).toFixed(2)} s`;
  const row = (what: string, ps: Phase[], ref: Phase[] | undefined, aim: string) =>
    `| ${what} | ${num(med(ps))} (${range(ps)}) | ${mib(ps)} | ${ref ? ratio(ps, ref) : '1.00'} | ${aim} | ${secs(ps, (p) => p.startedSeconds)} | ${secs(ps, (p) => p.firstWriteSeconds)} | ${ps[0]!.steadyPerSec === undefined ? '–' : num(med(ps, (p) => p.steadyPerSec!))} |`;
  const kcatName = kcatVersion ? `kcat ${kcatVersion[1]} (librdkafka ${kcatVersion[2]})` : 'kcat';
  const isoRatio = med(res.isolated) / med(res.blackhole);
  const md = [
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`npm run bench:sink\` (bench/sink.ts), ${RUNS} runs; in each run kcat, blackhole, blackhole beside a hanging sink, file none, file zstd, then raw \`_bulk\` and the OpenSearch sink (which of the two first alternates).`,
    `Machine: ${machine}. OpenSearch ${osVersion}, single node, on the same machine.`,
    `Data: ${num(RECORDS)} distinct ~256-byte JSON log lines (${(bulkBytes / 1048576).toFixed(0)} MiB) for the Kafka sinks, ${num(SEARCH_RECORDS)} (${(searchBytes / 1048576).toFixed(0)} MiB) for OpenSearch, produced beforehand as the router places them (zstd) over 2 dedicated logIds each: ${bulkTopics.size} topics of ${PARTITIONS} partitions for the Kafka sinks, 2 indices for OpenSearch. Sinks: startSink() in the bench process with the default options (batches of ${searchBatch || 1000} records, concurrency ${searchConcurrency || 2}, 10,000 records in flight; the file sink fsyncs before each commit); the clock runs from the startSink() call (gutter topic check, consumer group join) until \`spillway_records_delivered_total\` reaches N. kcat: one \`kcat -C -o beginning -e\` per topic, all in parallel, each writing the values to a file; wall time until the last one exits. Raw \`_bulk\`: the same documents, bodies built up front by the sink's own builder (create with ids, \`@timestamp\` spliced in), ${searchBatch || 1000} per request, ${searchConcurrency || 2} requests in flight, with \`fetch\`, same index template. Counts checked after every phase (lines on disk, \`_count\` after refresh).`,
    '',
    '| path | records/s, median (min–max) | MiB/s | × reference | aim | startSink() returned | first write | records/s from the first write |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    row(`**reference:** ${kcatName}, Kafka → file`, res.kcat, undefined, ''),
    row('Kafka → blackhole sink', res.blackhole, res.kcat, '≥ 0.70'),
    row('Kafka → file sink, compression none', res.fileNone, res.kcat, '≥ 0.70'),
    row('Kafka → file sink, zstd', res.fileZstd, res.kcat, '≥ 0.70'),
    row('**reference:** raw `_bulk` loader → OpenSearch', res.raw, undefined, ''),
    row('Kafka → OpenSearch sink', res.opensearch, res.raw, '≥ 0.90'),
    row(`Kafka → blackhole sink beside a hanging http sink (× blackhole alone)`, res.isolated, res.blackhole, '≥ 0.95'),
    '',
    "Columns on the right: time from the startSink() call until it returned (it returns after the gutter drainer joined its group, so usually after the main worker's first write) and until the first destination write (gutter/dead-letter topic check, health check, group join, first fetch decoded), and the rate from that first write to the last record. kcat needs about 0.05 s to its first record.",
    '',
    `Isolation: the second sink reads the same topics in the same process and POSTs to a server that accepts connections and never answers (requestTimeoutMs ${HANG_TIMEOUT_MS}); it was started first (its start-up health check waits out its own 5 s timeout), then the blackhole sink was timed beside it. While the blackhole sink ran, the hanging sink started ${res.hang.map((h) => h.writes).join(' / ')} writes (runs 1 / 2 / …), of which ${res.hang.map((h) => h.timedOut).join(' / ')} timed out; it had spilled ${res.hang.map((h) => num(h.spilled)).join(' / ')} records to its gutter topic, and its breaker was ${res.hang.map((h) => h.breaker).join(' / ')} at the end. The blackhole sink beside it ran at ${(isoRatio * 100).toFixed(0)}% of its speed alone.`,
    '',
    '![Sink throughput](img/sinks.svg)',
  ].join('\n');
  console.log(md);
  if (!opts['no-report']) {
    const doc = 'docs/benchmarks.md';
    if (!fs.readFileSync(doc, 'utf8').includes('<!-- bench:sinks:start -->')) fs.appendFileSync(doc, `\n${INTRO}`);
    replaceSection(doc, 'sinks', md);
    fs.writeFileSync(
      'docs/img/sinks.svg',
      barChartSvg({
        title: `Out of Kafka: sinks vs references, median of ${RUNS} runs`,
        unit: 'records/s',
        groups: ['→ blackhole', '→ file (none)', '→ file (zstd)', '→ OpenSearch', 'beside a hanging sink'],
        series: [
          {
            name: 'reference (kcat; raw _bulk; blackhole alone)',
            values: [med(res.kcat), med(res.kcat), med(res.kcat), med(res.raw), med(res.blackhole)],
          },
          {
            name: 'spillway sink',
            values: [med(res.blackhole), med(res.fileNone), med(res.fileZstd), med(res.opensearch), med(res.isolated)],
          },
        ],
      }),
    );
  }
}

/** Heading and intro of the section, written once, before the markers (the figures between them are rewritten each run). */
const INTRO = `## Sinks (Kafka -> destinations)

Why: a sink must keep up with its topics and never let one slow destination hold back
another (issue #5). References, in the same run: kcat consuming the same topics (Kafka
sinks), a raw \`_bulk\` loader posting the same documents straight to OpenSearch (search
sink), and the same blackhole sink without a hanging neighbour (isolation). Reproduce:
\`npm run stack -- up && npm run bench:sink\` (about 1 minute).
`;

function fmtK(n: number): string {
  return n >= 10_000 ? `${Math.round(n / 1000)}k` : `${(n / 1000).toFixed(1)}k`;
}

await main();
process.exit(0);
