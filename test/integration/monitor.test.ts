/**
 * The monitor against the real Kafka stack: records produced on two dedicated logIds, the
 * sink group committed at a known offset, a few records in the gutter and the dead-letter
 * topic; /api/state, /metrics and `spillway lag --json` report exactly those numbers.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClusterOf } from '../../config/cluster.ts';
import { validateConfig } from '../../config/load.ts';
import type { SpillwayConfig } from '../../config/schema.ts';
import { KafkaAdmin, KafkaConsumer, KafkaProducer } from '../../core/kafka/index.ts';
import type { LagReport } from '../../monitor/lag.ts';
import { type RunningMonitor, startMonitor } from '../../monitor/service.ts';
import { place } from '../../router/placement.ts';
import { deadLetterTopicName, gutterTopicName } from '../../router/placement-plan.ts';
import { sinkGroupId } from '../../sinks/runtime/sink-service.ts';
import { clusters, waitFor } from './helpers/kafka.ts';
import { newRun, produceRecords } from './helpers/pipeline.ts';

const run = newRun();
const sink = `mon-${run}`;
const idA = `mon-a-${run}`;
const idB = `mon-b-${run}`;
const TOKEN = 'it-monitor-token-0123456789';
const N_A = 30;
const N_B = 20;
const DEAD = 3;
const GUTTER = 2;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spw-it-monitor-'));
const configFile = path.join(dir, 'monitor.json');

let config: SpillwayConfig;
let monitor: RunningMonitor;
/** Where the test committed the sink group: a partition of logId a's topic. */
let topicA: string;
let partitionA: number;
let endOfA: number;
let committedA: number;

const auth = { authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  const { main } = clusters();
  // Only dedicated logIds (the fallback is one of them), so every topic belongs to this run.
  const doc = {
    clusters: [{ name: 'main', brokers: main.brokers }],
    pools: { S: ['main'], A: ['main'], B: ['main'], C: ['main'] },
    channels: { dedicatedPartitionsPerTopic: 2, partitionsPerTopic: 2 },
    logIds: [idA, idB].map((id) => ({
      id,
      name: id,
      owner: 'it',
      importance: 'A',
      sinks: [sink],
      dedicated: true,
      lagThresholdSec: 5,
    })),
    sinks: [{ type: 'blackhole', name: sink }],
    router: { fallbackLogId: idA },
    monitor: { listen: { port: 0 }, intervalMs: 300, token: TOKEN },
  };
  fs.writeFileSync(configFile, JSON.stringify(doc));
  config = validateConfig(doc);
  await produceRecords(config, [
    ...Array.from({ length: N_A }, (_, seq) => ({ logId: idA, seq })),
    ...Array.from({ length: N_B }, (_, seq) => ({ logId: idB, seq })),
  ]);
  const cluster = kafkaClusterOf(config.clusters[0]!);
  const producer = new KafkaProducer(cluster, { clientId: 'it-monitor' });
  try {
    await producer.send(
      [
        ...Array.from({ length: DEAD }, (_, i) => ({ topic: deadLetterTopicName(sink), key: 'k', value: `dead ${i}` })),
        ...Array.from({ length: GUTTER }, (_, i) => ({ topic: gutterTopicName(sink), key: 'k', value: `gutter ${i}` })),
      ],
      15_000,
    );
  } finally {
    await producer.close();
  }

  // Commit the sink group at half of one partition of logId a's topic; nothing elsewhere.
  topicA = place({ logId: idA, level: 'info', host: 'h' }, config).topic;
  const admin = new KafkaAdmin(cluster);
  const endA = (await admin.endOffsets([topicA])).get(topicA)!;
  await admin.close();
  // The fuller partition, so the commit sits strictly inside it whatever the key hashing did.
  partitionA = endA[1]! > endA[0]! ? 1 : 0;
  endOfA = Number(endA[partitionA]!);
  committedA = Math.floor(endOfA / 2);
  expect(committedA).toBeGreaterThan(0);
  let assigned = false;
  const consumer = new KafkaConsumer(cluster, {
    clientId: 'it-monitor',
    groupId: sinkGroupId(sink),
    topics: [topicA],
    maxWaitMs: 100,
    onBatch: () => {},
    onAssign: (a) => {
      if (a.length > 0) assigned = true;
    },
  });
  await consumer.start();
  try {
    await waitFor('the test consumer to be assigned', () => assigned);
    await consumer.commit([{ topic: topicA, partition: partitionA, offset: BigInt(committedA) }]);
  } finally {
    await consumer.close();
  }

  monitor = await startMonitor(config);
  // Two samples without progress and lag > 0: the sink is stalled.
  await waitFor(
    'the monitor to see the sink stalled',
    () => monitor.sampler.latest()?.sinks[0]?.state === 'stalled',
    30_000,
  );
});

afterAll(async () => {
  await monitor?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function state(): Promise<LagReport> {
  const res = await fetch(`${monitor.url}/api/state`, { headers: auth });
  expect(res.status).toBe(200);
  return (await res.json()) as LagReport;
}

/** The parts of a report that do not depend on when it was sampled. */
function stable(r: LagReport) {
  return {
    clusters: r.clusters,
    sinks: r.sinks.map(({ reason: _reason, throughputPerSec: _t, partitions, ...s }) => ({
      ...s,
      partitions: partitions.map(({ consumed: _c, ...p }) => p),
    })),
    logIds: r.logIds,
    channels: r.channels,
    tiers: r.tiers.map(({ throughputPerSec: _t, lagSeconds: _s, ...t }) => t),
    breaches: r.breaches,
  };
}

describe('monitor', () => {
  it('/api/state reports the exact lag of the sink group, its drainer and its dead letters', async () => {
    const r = await state();
    expect(r.clusters).toEqual({ main: 'ok' });
    const s = r.sinks.find((x) => x.sink === sink)!;
    expect(s).toMatchObject({
      state: 'stalled',
      lagRecords: N_A + N_B - committedA,
      lagSeconds: null,
      throughputPerSec: 0,
      drainerLag: GUTTER,
      deadLetters: DEAD,
      breached: [idA, idB],
      errors: [],
    });
    expect(
      s.partitions.find((p) => p.group === 'sink' && p.topic === topicA && p.partition === partitionA),
    ).toMatchObject({
      committed: committedA,
      end: endOfA,
      lag: endOfA - committedA,
    });
    expect(s.partitions.filter((p) => p.group === 'sink' && p.committed !== null)).toHaveLength(1);
    expect(r.logIds.map((l) => [l.logId, l.lagRecords, l.shared, l.state, l.breached, l.thresholdSec])).toEqual([
      [idA, N_A - committedA, false, 'stalled', true, 5],
      [idB, N_B, false, 'stalled', true, 5],
    ]);
    expect(r.breaches.map((b) => b.logId)).toEqual([idA, idB]);
  });

  it('serves /metrics with the exact lag gauges, and needs the token for all but /healthz', async () => {
    const text = await (await fetch(`${monitor.url}/metrics`, { headers: auth })).text();
    expect(text).toContain(
      `spillway_consumer_lag_records{component="monitor",sink="${sink}"} ${N_A + N_B - committedA}`,
    );
    expect(text).toContain(
      `spillway_logid_lag_records{component="monitor",sink="${sink}",logid="${idA}"} ${N_A - committedA}`,
    );
    expect(text).toContain(`spillway_logid_lag_records{component="monitor",sink="${sink}",logid="${idB}"} ${N_B}`);
    expect(text).toContain(`spillway_consumer_lag_seconds{component="monitor",sink="${sink}"} +Inf`);
    expect(text).toContain(`spillway_gutter_lag_records{component="monitor",sink="${sink}"} ${GUTTER}`);
    expect(text).toContain(`spillway_dead_letter_records{component="monitor",sink="${sink}"} ${DEAD}`);
    expect(text).toContain(`spillway_lag_threshold_breached{component="monitor",sink="${sink}",logid="${idA}"} 1`);
    expect(text).toContain(`spillway_lag_state{component="monitor",sink="${sink}",state="stalled"} 1`);

    expect((await fetch(`${monitor.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${monitor.url}/api/state`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect(await (await fetch(`${monitor.url}/healthz`)).text()).toBe('ok\n');
    expect((await fetch(`${monitor.url}/api/state`, { method: 'POST', headers: auth })).status).toBe(405);
  });

  it('/api/history keeps bounded points with per-sink and per-logId lag', async () => {
    const res = await fetch(`${monitor.url}/api/history?seconds=60`, { headers: auth });
    const h = (await res.json()) as {
      intervalMs: number;
      points: {
        atMs: number;
        sinks: Record<string, { lagRecords: number }>;
        logIds: { logId: string; lagRecords: number }[];
      }[];
    };
    expect(h.intervalMs).toBe(300);
    expect(h.points.length).toBeGreaterThanOrEqual(2);
    const last = h.points.at(-1)!;
    expect(last.sinks[sink]!.lagRecords).toBe(N_A + N_B - committedA);
    expect(last.logIds.find((l) => l.logId === idB)!.lagRecords).toBe(N_B);
    expect((await fetch(`${monitor.url}/api/history?seconds=x`, { headers: auth })).status).toBe(400);
  });

  it('`spillway lag --json` prints the same report; the table shows the same numbers', async () => {
    const exec = promisify(execFile);
    const env = { ...process.env, SPW_LOG_LEVEL: 'warn' };
    const json = await exec(
      process.execPath,
      ['bin/spillway.js', 'lag', '--config', configFile, '--json', '--interval-ms', '300'],
      {
        env,
      },
    );
    const fromCli = JSON.parse(json.stdout) as LagReport;
    expect(stable(fromCli)).toEqual(stable(await state()));

    const table = await exec(
      process.execPath,
      ['bin/spillway.js', 'lag', '--config', configFile, '--interval-ms', '300'],
      { env },
    );
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SINK\s+LOGID\s+LAG RECORDS\s+LAG SECONDS\s+STATE$/);
    const behind = String(N_A + N_B - committedA);
    expect(lines.slice(1, 4).map((l) => l.split(/\s{2,}/))).toEqual([
      [sink, '*', behind, '-', 'stalled'],
      [sink, idA, String(N_A - committedA), '-', 'stalled'],
      [sink, idB, String(N_B), '-', 'stalled'],
    ]);
    // Then per tier: every record is INFO of importance A, so INFO carries the whole lag.
    expect(lines[4]).toBe('');
    expect(lines[5]).toMatch(/^SINK\s+TIER\s+LAG RECORDS\s+LAG SECONDS\s+RECORDS\/S$/);
    expect(lines.slice(6).map((l) => l.split(/\s{2,}/).slice(0, 3))).toEqual([
      [sink, 'level error', '0'],
      [sink, 'level warn', '0'],
      [sink, 'level info', behind],
      [sink, 'importance A', behind],
    ]);
  });
});
