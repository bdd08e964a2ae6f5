/**
 * Router benchmark: records/s and MiB/s through the gateway (HTTP, zstd NDJSON batches as an
 * agent sends them) into Kafka with acks=all, against kcat producing the same lines to the
 * same broker in the same run.
 *
 *   node bench/router.ts [--records 300000] [--batch 1000] [--concurrency 4] [--runs 3]
 *
 * The router runs as its own process (`spillway router`), as in production; this process
 * is the load generator. Both, the broker and kcat share the machine's cores: the
 * machine line in docs/benchmarks.md says how many.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import { KafkaAdmin } from '../core/kafka/index.ts';
import { barChartSvg } from './lib/chart.ts';
import { machineDescription } from './lib/machine.ts';
import { replaceSection } from './lib/report.ts';

const { values: opts } = parseArgs({
  options: {
    records: { type: 'string', default: '300000' },
    batch: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    runs: { type: 'string', default: '3' },
    brokers: { type: 'string', default: process.env.SPW_KAFKA_MAIN ?? '127.0.0.1:19092' },
    'no-report': { type: 'boolean', default: false },
  },
});
const RECORDS = Number(opts.records);
const BATCH = Number(opts.batch);
const CONCURRENCY = Number(opts.concurrency);
const RUNS = Number(opts.runs);
const BROKER = opts.brokers!;
const TOKEN = 'bench-router-token-0123456789';
const LOG_IDS = 20;
const PARTITIONS = 3;

interface Phase {
  seconds: number;
  recordsPerSec: number;
  mibPerSec: number;
}

function lines(run: string): string[] {
  const levels = ['info', 'info', 'info', 'debug', 'warn', 'error'];
  const words = 'checkout payment cart user session order retry timeout cache upstream latency shard'.split(' ');
  return Array.from({ length: RECORDS }, (_, i) => {
    const base = `{"time":${1_795_000_000_000 + i},"level":"${levels[i % 6]}","logId":"bench${i % LOG_IDS}","host":"host-${i % 8}","seq":${i},"run":"${run}","msg":"${words[i % 12]} ${words[(i * 7) % 12]} ${words[(i * 5) % 12]}"`;
    return `${base},"pad":"${'x'.repeat(Math.max(0, 250 - base.length))}"}`;
  });
}

function benchConfig(port: number): string {
  const logIds = Array.from(
    { length: LOG_IDS },
    (_, i) => `  - { id: bench${i}, name: bench ${i}, owner: bench, importance: ${'SABC'[i % 4]}, sinks: [drop] }`,
  );
  return [
    'clusters:',
    `  - { name: main, brokers: ["${BROKER}"] }`,
    'pools: { S: [main], A: [main], B: [main], C: [main] }',
    `channels: { hashBuckets: 2, partitionsPerTopic: ${PARTITIONS} }`,
    'logIds:',
    ...logIds,
    '  - { id: unknown, name: unknown, owner: bench, importance: C, sinks: [drop] }',
    'sinks:',
    '  - { type: blackhole, name: drop }',
    'router:',
    `  listen: { host: 127.0.0.1, port: ${port} }`,
    `  tokens: [{ agent: bench, token: "${TOKEN}" }]`,
    '',
  ].join('\n');
}

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('router did not become ready');
}

async function runRouter(all: string[], bytes: number): Promise<Phase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spw-bench-router-'));
  const port = 17_000 + Math.floor(Math.random() * 2000);
  fs.writeFileSync(path.join(dir, 'bench.yaml'), benchConfig(port));
  const child = spawn(
    process.execPath,
    [
      ...(process.env.SPW_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SPW_BENCH_PROFILE}`] : []),
      'bin/spillway.js',
      'router',
      '--config',
      path.join(dir, 'bench.yaml'),
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, SPW_LOG_LEVEL: 'warn' },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url);
    // Agents compress before sending; do it up front so the generator's CPU is not in the measurement.
    const bodies: Buffer[] = [];
    for (let i = 0; i < all.length; i += BATCH)
      bodies.push(zlib.zstdCompressSync(`${all.slice(i, i + BATCH).join('\n')}\n`));
    let next = 0;
    let done = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++]!;
          for (;;) {
            const res = await fetch(`${url}/v1/batches`, {
              method: 'POST',
              headers: { authorization: `Bearer ${TOKEN}`, 'content-encoding': 'zstd' },
              body,
            });
            const out = (await res.json()) as { accepted: number; retry: unknown[] };
            if (res.status === 200) {
              done += out.accepted;
              break;
            }
            // Overload or Kafka trouble: an agent would back off and resend; so do we.
            await new Promise((r) => setTimeout(r, 100));
          }
          if (process.stderr.isTTY) process.stderr.write(`\r  router: ${done}/${all.length}   `);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    if (done !== all.length) throw new Error(`router accepted ${done} of ${all.length}`);
    return {
      seconds,
      recordsPerSec: Math.round(all.length / seconds),
      mibPerSec: Number((bytes / seconds / 1048576).toFixed(1)),
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function runKcat(all: string[], bytes: number, topic: string): Promise<Phase> {
  const file = path.join(os.tmpdir(), `spw-bench-router-${process.pid}.ndjson`);
  // Same key as the router uses (logId|host), so partitioning work is comparable.
  fs.writeFileSync(
    file,
    `${all.map((l) => `${/"logId":"([^"]+)"/.exec(l)![1]}|${/"host":"([^"]+)"/.exec(l)![1]}\t${l}`).join('\n')}\n`,
  );
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const c = spawn(
      'kcat',
      [
        '-P',
        '-b',
        BROKER,
        '-t',
        topic,
        '-K',
        '\t',
        '-z',
        'zstd',
        '-X',
        'acks=all',
        '-X',
        'enable.idempotence=true',
        '-X',
        'linger.ms=5',
        '-l',
        file,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}`))));
  });
  const seconds = (performance.now() - t0) / 1000;
  fs.rmSync(file);
  return {
    seconds,
    recordsPerSec: Math.round(all.length / seconds),
    mibPerSec: Number((bytes / seconds / 1048576).toFixed(1)),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const machine = machineDescription();
  const admin = new KafkaAdmin({ name: 'main', brokers: [BROKER] });
  const router: Phase[] = [];
  const kcat: Phase[] = [];
  let bytes = 0;
  for (let run = 1; run <= RUNS; run++) {
    const all = lines(`r${run}-${Date.now()}`);
    bytes = all.reduce((s, l) => s + Buffer.byteLength(l), 0);
    const topic = `bench.router.kcat.${Date.now()}`;
    await admin.ensureTopics([{ topic, partitions: PARTITIONS }]);
    const k = await runKcat(all, bytes, topic);
    await admin.deleteTopics([topic]);
    const r = await runRouter(all, bytes);
    if (process.stderr.isTTY) process.stderr.write('\n');
    console.error(
      `[run ${run}/${RUNS}] kcat ${k.recordsPerSec} rec/s, router ${r.recordsPerSec} rec/s (${(r.recordsPerSec / k.recordsPerSec).toFixed(2)} x kcat)`,
    );
    kcat.push(k);
    router.push(r);
  }
  await admin.close();
  const mk = median(kcat.map((p) => p.recordsPerSec));
  const mr = median(router.map((p) => p.recordsPerSec));
  const range = (ps: Phase[]) =>
    `${Math.round(Math.min(...ps.map((p) => p.recordsPerSec)) / 1000)}k–${Math.round(Math.max(...ps.map((p) => p.recordsPerSec)) / 1000)}k`;
  const md = [
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`npm run bench:router\` (bench/router.ts), ${RUNS} runs, kcat and router alternating.`,
    `Machine: ${machine}.`,
    `Data: ${RECORDS.toLocaleString('en-US')} distinct ~256-byte JSON log lines over ${LOG_IDS} logIds (all four importances, all levels), ${(bytes / 1048576).toFixed(0)} MiB. Router: its own process, batches of ${BATCH} lines zstd-compressed as an agent sends them, ${CONCURRENCY} requests in flight, each answered after Kafka acks=all; records spread over the plan's ${LOG_IDS > 0 ? 'topics' : ''} (3 partitions each). kcat: the same lines with the same keys (logId|host), zstd, acks=all, idempotent, one topic of ${PARTITIONS} partitions.`,
    '',
    '| producer | records/s, median (min–max) | MiB/s | × kcat |',
    '|---|---:|---:|---:|',
    `| kcat (librdkafka) | ${mk.toLocaleString('en-US')} (${range(kcat)}) | ${kcat.find((p) => p.recordsPerSec === mk)!.mibPerSec} | 1.00 |`,
    `| spillway router (HTTP + parse + place + produce) | ${mr.toLocaleString('en-US')} (${range(router)}) | ${router.find((p) => p.recordsPerSec === mr)!.mibPerSec} | ${(mr / mk).toFixed(2)} |`,
    '',
    '![Router throughput](img/router.svg)',
  ].join('\n');
  console.log(md);
  if (!opts['no-report']) {
    replaceSection('docs/benchmarks.md', 'router', md);
    fs.writeFileSync(
      'docs/img/router.svg',
      barChartSvg({
        title: `Into Kafka: router vs kcat, ${RECORDS.toLocaleString('en-US')} × ~256 B records, median of ${RUNS}`,
        unit: 'records/s',
        groups: ['records/s'],
        series: [
          { name: 'kcat (librdkafka)', values: [mk] },
          { name: 'spillway router', values: [mr] },
        ],
      }),
    );
  }
}

await main();
process.exit(0);
