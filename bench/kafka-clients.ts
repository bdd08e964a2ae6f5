/**
 * Kafka client benchmark: produce and consume 1,000,000 records of ~256 bytes, zstd,
 * acks=all, against the local stack's main cluster, with kafkajs, @platformatic/kafka and
 * kcat (librdkafka, the native reference) on the same data in the same run.
 *
 *   node bench/kafka-clients.ts [--records N] [--runs 3] [--out bench/results/kafka-clients.json]
 *
 * This file is the one place outside core/kafka that imports Kafka clients directly: it
 * measures them to choose the one core/kafka wraps (docs/decisions.md).
 *
 * Each client runs in its own child process (fresh heap, no JIT state shared), one after
 * the other on a fresh topic, so the figures are comparable. Written results:
 * bench/results/kafka-clients.json, docs/benchmarks.md (table) and
 * docs/img/kafka-clients.svg (chart).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import { barChartSvg } from './lib/chart.ts';
import { machineDescription } from './lib/machine.ts';
import { replaceSection } from './lib/report.ts';

const PARTITIONS = 3;
/** Records per produce call: a realistic agent/router batch, and what librdkafka's batch.num.messages defaults to (10,000). */
const BATCH = 10_000;
/** Produce calls in flight at once: librdkafka's max.in.flight is 1,000,000 but it batches per partition; 4 keeps JS clients busy without unbounded memory. */
const IN_FLIGHT = 4;
/** Fetch sizes, the same for every client: 50 MiB per fetch (librdkafka's fetch.max.bytes), 10 MiB per partition. */
const FETCH_MAX_BYTES = 50 * 1024 * 1024;
const FETCH_PARTITION_BYTES = 10 * 1024 * 1024;

const { values: opts } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    brokers: { type: 'string', default: process.env.SPW_KAFKA_MAIN ?? '127.0.0.1:19092' },
    out: { type: 'string', default: 'bench/results/kafka-clients.json' },
    child: { type: 'string' },
    topic: { type: 'string' },
    data: { type: 'string' },
    'no-report': { type: 'boolean', default: false },
  },
});
const RECORDS = Number(opts.records);
const BROKERS = [opts.brokers!];

interface PhaseResult {
  seconds: number;
  records: number;
  recordsPerSec: number;
  mibPerSec: number;
  cpuSeconds?: number;
}
interface ClientResult {
  client: string;
  produce: PhaseResult;
  consume: PhaseResult;
}

const WORDS =
  'checkout payment cart user session order retry timeout cache upstream latency shard replica request'.split(' ');
const LEVELS = ['info', 'info', 'info', 'debug', 'warn', 'error'];

/** ~256-byte JSON log lines, distinct (sequence number, time, random words), so zstd sees realistic redundancy. */
function makeLines(n: number): string[] {
  const lines: string[] = new Array(n);
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const t0 = Date.UTC(2026, 10, 26);
  for (let i = 0; i < n; i++) {
    const words = Array.from({ length: 8 }, () => WORDS[rnd() % WORDS.length]).join(' ');
    const base = `{"time":${t0 + i},"level":"${LEVELS[rnd() % LEVELS.length]}","logId":"svc-${rnd() % 40}","host":"host-${rnd() % 16}","origin":"eu1.a.k8s.${rnd() % 9}","seq":${i},"msg":"${words}","traceId":"${rnd().toString(16)}${rnd().toString(16)}"`;
    lines[i] = `${base},"pad":"${'x'.repeat(Math.max(0, 254 - base.length - 9))}"}`;
  }
  return lines;
}

function phase(records: number, bytes: number, seconds: number, cpuSeconds?: number): PhaseResult {
  return {
    seconds: Number(seconds.toFixed(3)),
    records,
    recordsPerSec: Math.round(records / seconds),
    mibPerSec: Number((bytes / seconds / 1048576).toFixed(1)),
    ...(cpuSeconds === undefined ? {} : { cpuSeconds: Number(cpuSeconds.toFixed(2)) }),
  };
}

function progress(label: string, done: number, total: number): void {
  if (process.stderr.isTTY)
    process.stderr.write(`\r  ${label}: ${done}/${total} (${Math.round((100 * done) / total)}%)   `);
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Produces `values` in batches of BATCH with IN_FLIGHT calls at once through `send`
 * (start = index of the batch's first value); returns the produce phase's figures.
 */
async function produceAll(
  label: string,
  values: Buffer[],
  bytes: number,
  send: (batch: Buffer[], start: number) => Promise<unknown>,
): Promise<PhaseResult> {
  const cpu0 = cpuNow();
  const t0 = performance.now();
  let next = 0;
  let sent = 0;
  const worker = async () => {
    while (next < values.length) {
      const start = next;
      next = Math.min(values.length, next + BATCH);
      await send(values.slice(start, next), start);
      sent += next - start;
      progress(`${label} produce`, sent, values.length);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return phase(values.length, bytes, (performance.now() - t0) / 1000, cpuNow() - cpu0);
}

async function runKafkajs(topic: string, values: Buffer[], bytes: number): Promise<ClientResult> {
  // kafkajs is CommonJS: its named exports live on the default export under ESM.
  const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = (await import('kafkajs')).default;
  // kafkajs ships only gzip; zstd comes from Node's own zlib, the same codec platformatic uses.
  (CompressionCodecs as Record<number, unknown>)[CompressionTypes.ZSTD] = () => ({
    compress: async (encoder: { buffer: Buffer }) => zlib.zstdCompressSync(encoder.buffer),
    decompress: async (buf: Buffer) => zlib.zstdDecompressSync(buf),
  });
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 5 });
  await producer.connect();
  const produce = await produceAll('kafkajs', values, bytes, (batch) =>
    producer.send({ topic, messages: batch.map((value) => ({ value })), acks: -1, compression: CompressionTypes.ZSTD }),
  );
  await producer.disconnect();

  const consumer = kafka.consumer({
    groupId: `bench-kafkajs-${Date.now()}`,
    maxBytes: FETCH_MAX_BYTES,
    maxBytesPerPartition: FETCH_PARTITION_BYTES,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let got = 0;
  let gotBytes = 0;
  const cpu0 = cpuNow();
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) gotBytes += m.value?.length ?? 0;
        got += batch.messages.length;
        progress('kafkajs consume', got, values.length);
        if (got >= values.length) resolve();
      },
    });
  });
  const consume = phase(got, gotBytes, (performance.now() - t0) / 1000, cpuNow() - cpu0);
  await consumer.disconnect();
  return { client: 'kafkajs 2.2.4', produce, consume };
}

async function runPlatformatic(topic: string, values: Buffer[], bytes: number): Promise<ClientResult> {
  const { Producer, Consumer, ProduceAcks, MessagesStreamModes } = await import('@platformatic/kafka');
  const producer = new Producer({
    clientId: 'bench-platformatic',
    bootstrapBrokers: BROKERS,
    compression: 'zstd',
    acks: ProduceAcks.ALL,
    idempotent: true,
  });
  const produce = await produceAll('platformatic', values, bytes, (batch, start) =>
    producer.send({ messages: batch.map((value, i) => ({ topic, value, partition: (start + i) % PARTITIONS })) }),
  );
  await producer.close();

  const consumer = new Consumer({
    clientId: 'bench-platformatic',
    groupId: `bench-platformatic-${Date.now()}`,
    bootstrapBrokers: BROKERS,
    maxBytes: FETCH_MAX_BYTES,
    maxBytesPerPartition: FETCH_PARTITION_BYTES,
    maxWaitTime: 500,
  });
  let got = 0;
  let gotBytes = 0;
  const cpu0 = cpuNow();
  const t0 = performance.now();
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (m) => {
      gotBytes += m.value?.length ?? 0;
      got++;
      if (got % BATCH === 0) progress('platformatic consume', got, values.length);
      if (got === values.length) resolve();
    });
    stream.on('error', reject);
  });
  const consume = phase(got, gotBytes, (performance.now() - t0) / 1000, cpuNow() - cpu0);
  await stream.close();
  await consumer.close(true);
  return { client: '@platformatic/kafka 2.12.1', produce, consume };
}

/** What Spillway ships: core/kafka's idempotent producer and its own per-partition fetch loop (on @platformatic/kafka). */
async function runCore(topic: string, values: Buffer[], bytes: number): Promise<ClientResult> {
  const { KafkaProducer, KafkaConsumer } = await import('../core/kafka/index.ts');
  const producer = new KafkaProducer(BENCH_CLUSTER, { clientId: 'bench-core' });
  const produce = await produceAll('core', values, bytes, (batch, start) =>
    producer.send(
      batch.map((value, i) => ({ topic, value, partition: (start + i) % PARTITIONS })),
      30_000,
    ),
  );
  await producer.close();

  let got = 0;
  let gotBytes = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const cpu0 = cpuNow();
  const t0 = performance.now();
  const consumer = new KafkaConsumer(BENCH_CLUSTER, {
    clientId: 'bench-core',
    groupId: `bench-core-${Date.now()}`,
    topics: [topic],
    maxBytes: FETCH_MAX_BYTES,
    maxBytesPerPartition: FETCH_PARTITION_BYTES,
    onBatch: (b) => {
      for (const r of b.records) gotBytes += r.value?.length ?? 0;
      got += b.records.length;
      progress('core consume', got, values.length);
      if (got >= values.length) done();
    },
  });
  await consumer.start();
  await finished;
  const consume = phase(got, gotBytes, (performance.now() - t0) / 1000, cpuNow() - cpu0);
  await consumer.close();
  return { client: 'spillway core/kafka', produce, consume };
}

/** "kcat 1.7.1 (librdkafka 2.0.2)", from `kcat -V`. */
function kcatVersion(): string {
  const res = spawnSync('kcat', ['-V'], { encoding: 'utf8' });
  if (res.error)
    throw new Error('kcat not found: install it (Debian: apt-get install kcat); it is the native reference');
  const text = res.stdout + res.stderr;
  return `kcat ${/Version ([\d.]+)/.exec(text)?.[1] ?? '?'} (librdkafka ${/librdkafka ([\d.]+)/.exec(text)?.[1] ?? '?'})`;
}

function timed(cmd: string, args: string[], stdoutFile?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const out = stdoutFile ? fs.openSync(stdoutFile, 'w') : 'ignore';
    const child = spawn(cmd, args, { stdio: ['ignore', out, 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (typeof out === 'number') fs.closeSync(out);
      if (code !== 0) reject(new Error(`${cmd} exited with ${code}`));
      else resolve((performance.now() - t0) / 1000);
    });
  });
}

async function runKcat(topic: string, dataFile: string, bytes: number): Promise<ClientResult> {
  const version = kcatVersion();
  const common = ['-b', BROKERS[0]!, '-t', topic, '-q'];
  const produceSec = await timed('kcat', [
    '-P',
    ...common,
    '-l',
    '-z',
    'zstd',
    '-X',
    'acks=all',
    '-X',
    'enable.idempotence=true',
    '-X',
    `batch.num.messages=${BATCH}`,
    '-X',
    'linger.ms=5',
    dataFile,
  ]);
  const outFile = path.join(os.tmpdir(), `spw-kcat-${process.pid}.out`);
  const consumeSec = await timed(
    'kcat',
    [
      '-C',
      ...common,
      '-o',
      'beginning',
      '-c',
      String(RECORDS),
      '-X',
      `fetch.max.bytes=${FETCH_MAX_BYTES}`,
      '-X',
      `max.partition.fetch.bytes=${FETCH_PARTITION_BYTES}`,
      '-f',
      '%s\n',
    ],
    outFile,
  );
  const lines = fs.readFileSync(outFile, 'utf8').split('\n').length - 1;
  fs.rmSync(outFile);
  if (lines !== RECORDS) throw new Error(`kcat consumed ${lines} records, expected ${RECORDS}`);
  return { client: version, produce: phase(RECORDS, bytes, produceSec), consume: phase(lines, bytes, consumeSec) };
}

const BENCH_CLUSTER = { name: 'main', brokers: BROKERS };

async function createTopic(topic: string): Promise<void> {
  const { createTopics } = await import('../core/kafka/index.ts');
  await createTopics(BENCH_CLUSTER, [{ topic, partitions: PARTITIONS }]);
}

/** Each run writes ~250 MiB; deleting its topic keeps a 3-run bench from filling a small disk. */
async function deleteTopic(topic: string): Promise<void> {
  const { KafkaAdmin } = await import('../core/kafka/index.ts');
  const admin = new KafkaAdmin(BENCH_CLUSTER);
  try {
    await admin.deleteTopics([topic]);
  } finally {
    await admin.close();
  }
}

async function child(): Promise<void> {
  const lines = fs.readFileSync(opts.data!, 'utf8').split('\n').slice(0, RECORDS);
  const values = lines.map((l) => Buffer.from(l));
  const bytes = values.reduce((s, v) => s + v.length, 0);
  const run = { kafkajs: runKafkajs, platformatic: runPlatformatic, core: runCore }[
    opts.child as 'kafkajs' | 'platformatic' | 'core'
  ];
  const res = await run(opts.topic!, values, bytes);
  process.stdout.write(`${JSON.stringify(res)}\n`);
}

function runChild(client: string, topic: string, dataFile: string): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const c = spawn(
      process.execPath,
      [
        import.meta.filename,
        '--child',
        client,
        '--topic',
        topic,
        '--data',
        dataFile,
        '--records',
        String(RECORDS),
        '--brokers',
        BROKERS[0]!,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    c.stdout.on('data', (d) => {
      out += d;
    });
    c.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()!))
        : reject(new Error(`${client} run exited ${code}`)),
    );
  });
}

/** The run with the median produce rate stands for the client; the range shows the spread across runs. */
interface Summary {
  client: string;
  median: ClientResult;
  produceRange: [number, number];
  consumeRange: [number, number];
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

function summarise(runs: ClientResult[]): Summary {
  const p = runs.map((r) => r.produce.recordsPerSec);
  const c = runs.map((r) => r.consume.recordsPerSec);
  const pick = (phase: 'produce' | 'consume', v: number) => runs.find((r) => r[phase].recordsPerSec === v)![phase];
  return {
    client: runs[0]!.client,
    median: { client: runs[0]!.client, produce: pick('produce', median(p)), consume: pick('consume', median(c)) },
    produceRange: [Math.min(...p), Math.max(...p)],
    consumeRange: [Math.min(...c), Math.max(...c)],
  };
}

const k = (n: number) => `${Math.round(n / 1000)}k`;

function markdown(summaries: Summary[], machine: string, bytes: number, runs: number): string {
  const ref = summaries.find((r) => r.client.startsWith('kcat'))!.median;
  const row = ({ median: r, produceRange: pr, consumeRange: cr }: Summary) =>
    `| ${r.client} | ${r.produce.recordsPerSec.toLocaleString('en-US')} (${k(pr[0])}–${k(pr[1])}) | ${r.produce.mibPerSec} | ${(r.produce.recordsPerSec / ref.produce.recordsPerSec).toFixed(2)} | ${r.consume.recordsPerSec.toLocaleString('en-US')} (${k(cr[0])}–${k(cr[1])}) | ${r.consume.mibPerSec} | ${(r.consume.recordsPerSec / ref.consume.recordsPerSec).toFixed(2)} | ${r.produce.cpuSeconds ?? '–'} / ${r.consume.cpuSeconds ?? '–'} |`;
  return [
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`npm run bench:kafka\` (bench/kafka-clients.ts), ${runs} runs per client, interleaved.`,
    `Machine: ${machine}.`,
    `Data: ${RECORDS.toLocaleString('en-US')} distinct JSON log lines, ${(bytes / RECORDS).toFixed(0)} bytes on average (${(bytes / 1048576).toFixed(0)} MiB), zstd, acks=all, idempotent producers, one topic of ${PARTITIONS} partitions on the local single-node Kafka 4.1.1 (KRaft); batches of ${BATCH.toLocaleString('en-US')} records, ${IN_FLIGHT} produce calls in flight for the Node clients; fetches of up to 50 MiB / 10 MiB per partition for every client.`,
    '',
    '| client | produce rec/s, median (min–max) | MiB/s | × kcat | consume rec/s, median (min–max) | MiB/s | × kcat | CPU s (produce / consume) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...summaries.map(row),
    '',
    "Ratios are medians against kcat's median in the same run. CPU seconds are the Node process's own (user + system) in the median run; the broker runs on the same 2 cores and competes with every client alike. kcat's consume writes every record to a file (`-f '%s\\n'`), the Node consumers only count bytes.",
    '',
    '![Kafka client throughput](img/kafka-clients.svg)',
  ].join('\n');
}

async function orchestrate(): Promise<void> {
  const machine = machineDescription();
  const runs = Number(opts.runs);
  const dataFile = path.join(os.tmpdir(), `spw-bench-${RECORDS}.ndjson`);
  console.error(`generating ${RECORDS} lines -> ${dataFile}`);
  const lines = makeLines(RECORDS);
  fs.writeFileSync(dataFile, `${lines.join('\n')}\n`);
  const bytes = lines.reduce((s, l) => s + Buffer.byteLength(l), 0);
  const clients = ['kcat', 'kafkajs', 'platformatic', 'core'];
  const results = new Map<string, ClientResult[]>(clients.map((c) => [c, []]));
  const stamp = Date.now();
  // Interleaved (run 1 of every client, then run 2, ...) so a slow spell of the shared
  // machine hits every client alike instead of one client's whole series.
  for (let run = 1; run <= runs; run++) {
    for (const client of clients) {
      const topic = `bench.clients.${client}.${stamp}.${run}`;
      await createTopic(topic);
      console.error(`[run ${run}/${runs}] ${client}: producing and consuming ${RECORDS} records on ${topic}`);
      const r = client === 'kcat' ? await runKcat(topic, dataFile, bytes) : await runChild(client, topic, dataFile);
      if (process.stderr.isTTY) process.stderr.write('\n');
      console.error(
        `[run ${run}/${runs}] ${client}: produce ${r.produce.recordsPerSec} rec/s, consume ${r.consume.recordsPerSec} rec/s`,
      );
      results.get(client)!.push(r);
      await deleteTopic(topic);
    }
  }
  fs.rmSync(dataFile);
  const summaries = clients.map((c) => summarise(results.get(c)!));
  fs.mkdirSync(path.dirname(opts.out!), { recursive: true });
  fs.writeFileSync(
    opts.out!,
    `${JSON.stringify({ machine, records: RECORDS, bytes, runs: Object.fromEntries(results), summaries }, null, 2)}\n`,
  );
  const md = markdown(summaries, machine, bytes, runs);
  console.log(md);
  if (!opts['no-report']) {
    replaceSection('docs/benchmarks.md', 'kafka-clients', md);
    fs.mkdirSync('docs/img', { recursive: true });
    fs.writeFileSync(
      'docs/img/kafka-clients.svg',
      barChartSvg({
        title: `Kafka clients, ${RECORDS.toLocaleString('en-US')} × ~256 B records, zstd, acks=all, median of ${runs} (higher is better)`,
        unit: 'records/s',
        groups: ['produce', 'consume'],
        series: summaries.map((s) => ({
          name: s.client,
          values: [s.median.produce.recordsPerSec, s.median.consume.recordsPerSec],
        })),
      }),
    );
  }
}

await (opts.child ? child() : orchestrate());
process.exit(0);
