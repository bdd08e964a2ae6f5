/**
 * Issue #5's isolation tests with real destinations: the real OpenSearch, real files, and
 * real HTTP servers started by the test.
 *  1. three sinks on the same topics, one of them hanging: the other two deliver everything
 *     and only the hanging one lags;
 *  2. one logId's index closed: the other logIds flow; its records go gutter -> dead letter
 *     with exact counts; reopened + `dlq replay`, all of them arrive;
 *  3. kill -9 of a sink worker under load, restart: every record id is at the destination,
 *     duplicates counted;
 *  4. gutter cluster down: spills land in the source cluster's gutter topic.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { kafkaClusterOf } from '../../config/cluster.ts';
import type { SpillwayConfig } from '../../config/schema.ts';
import { KafkaAdmin } from '../../core/kafka/index.ts';
import { deadLetterTopicName, gutterTopicName } from '../../router/placement-plan.ts';
import { replayDeadLetters } from '../../sinks/runtime/dlq-replay.ts';
import { type RunningSink, sinkGroupId, startSink } from '../../sinks/runtime/sink-service.ts';
import { HEADERS } from '../../sinks/runtime/spillway-writer.ts';
import { waitFor } from './helpers/kafka.ts';
import { newRun, pipelineConfig, produceRecords, readTopic } from './helpers/pipeline.ts';
import { startThrowawayKafka } from './helpers/throwaway-kafka.ts';

const running: RunningSink[] = [];
const servers: http.Server[] = [];
const tmpDirs: string[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

const search = () => new Client({ node: inject('stack').searchUrl });

async function countIndexed(pattern: string): Promise<number> {
  const c = search();
  try {
    await c.indices.refresh({ index: pattern, ignore_unavailable: true } as never);
    const r = await c.count({ index: pattern, ignore_unavailable: true } as never);
    return (r.body as { count: number }).count;
  } catch {
    return 0;
  } finally {
    await c.close();
  }
}

/** An HTTP server in the test: records what it receives, or hangs, or answers 503. */
async function httpServer(mode: 'ok' | 'hang'): Promise<{ url: string; received: () => number }> {
  let received = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (mode === 'hang') return; // never answers
      received += Buffer.concat(chunks).toString().split('\n').filter(Boolean).length;
      res.writeHead(200).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`, received: () => received };
}

function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'spw-it-files-'));
  tmpDirs.push(d);
  return d;
}

/** Sum over partitions of (end offset - committed offset) for a group on the sink's main topics. */
async function lag(config: SpillwayConfig, group: string, topics: string[]): Promise<number> {
  const admin = new KafkaAdmin(kafkaClusterOf(config.clusters[0]!));
  try {
    const ends = await admin.endOffsets(topics);
    const committed = await admin.committedOffsets(group);
    let total = 0n;
    for (const [t, offs] of ends) {
      offs.forEach((end, p) => {
        total += end - (committed.get(t)?.get(p) ?? 0n);
      });
    }
    return Number(total);
  } finally {
    await admin.close();
  }
}

const fast = { maxWaitMs: 100, commitIntervalMs: 200 };

describe('isolation between sinks', () => {
  it('a hanging sink lags alone; the search and file sinks on the same topics deliver everything', async () => {
    const run = newRun();
    const hang = await httpServer('hang');
    const dir = tmpDir();
    const names = { search: `os-${run}`, file: `file-${run}`, hang: `hang-${run}` };
    const config = pipelineConfig({
      run,
      logIds: [`a-${run}`, `b-${run}`],
      sinks: [
        {
          type: 'opensearch',
          name: names.search,
          nodes: [inject('stack').searchUrl],
          indexTemplate: `it-${run}-{logId}`,
          batch: { lingerMs: 100 },
        },
        { type: 'file', name: names.file, directory: dir, compression: 'none', batch: { lingerMs: 100 } },
        { type: 'http', name: names.hang, url: hang.url, requestTimeoutMs: 500, batch: { lingerMs: 100 } },
      ],
    });
    const n = 3000;
    await produceRecords(
      config,
      Array.from({ length: n }, (_, seq) => ({ logId: seq % 2 ? `a-${run}` : `b-${run}`, seq })),
    );
    for (const s of Object.values(names)) running.push(await startSink(config, s, fast));
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline && (await countIndexed(`it-${run}-*`)) < n)
      await new Promise((r) => setTimeout(r, 500));
    expect(await countIndexed(`it-${run}-*`)).toBe(n);
    const files = () =>
      fs
        .readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.ndjson'))
        .reduce((sum, f) => sum + fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).length, 0);
    await waitFor(`${n} lines in files`, () => files() >= n, 60_000);
    expect(files()).toBe(n);

    const topics = [`spw.a.info.d-a-${run}`, `spw.a.info.d-b-${run}`];
    for (const s of running) await s.main.commit();
    expect(await lag(config, sinkGroupId(names.search), topics)).toBe(0);
    expect(await lag(config, sinkGroupId(names.file), topics)).toBe(0);
    const hanging = running.find((s) => s.name === names.hang)!;
    await waitFor('the hanging sink to pause (breaker open)', () => hanging.main.breaker !== 'closed');
    expect(await lag(config, sinkGroupId(names.hang), topics)).toBeGreaterThan(0);
  });
});

describe('isolation inside a sink', () => {
  it("one logId's closed index: the others flow; its records go gutter -> dead letter; dlq replay delivers them after reopening", async () => {
    const run = newRun();
    const name = `os-${run}`;
    const config = pipelineConfig({
      run,
      logIds: [`good-${run}`, `bad-${run}`],
      sinks: [
        {
          type: 'opensearch',
          name,
          nodes: [inject('stack').searchUrl],
          indexTemplate: `it-${run}-{logId}`,
          batch: { lingerMs: 100 },
          deadLetter: { maxAttempts: 2 },
        },
      ],
    });
    const badIndex = `it-${run}-bad-${run}`;
    const admin = search();
    try {
      await admin.indices.create({ index: badIndex });
      await admin.indices.close({ index: badIndex });
      const n = 900;
      await produceRecords(
        config,
        Array.from({ length: n }, (_, seq) => ({ logId: seq % 3 === 0 ? `bad-${run}` : `good-${run}`, seq })),
      );
      const sink = await startSink(config, name, { ...fast, gutterBackoff: { baseMs: 100, capMs: 300 } });
      running.push(sink);
      const goodIndex = `it-${run}-good-${run}`;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && (await countIndexed(goodIndex)) < 600)
        await new Promise((r) => setTimeout(r, 500));
      expect(await countIndexed(goodIndex)).toBe(600);

      const dead = await readTopic(config, 'main', [deadLetterTopicName(name)], 300);
      expect(dead).toHaveLength(300);
      const h = new Map(dead[0]!.headers.map(([k, v]) => [k, v?.toString()]));
      expect(h.get(HEADERS.error)).toBe('400 index_closed_exception: closed (after 2 attempts)');
      expect(h.get(HEADERS.attempts)).toBe('2');
      expect(await sink.telemetry.value('spillway_gutter_records_total', { sink: name, direction: 'in' })).toBe(300);
      expect(await sink.telemetry.value('spillway_dead_letters_total', { sink: name })).toBe(300);

      await admin.indices.open({ index: badIndex });
      const replayed = await replayDeadLetters(config, name);
      expect(replayed).toEqual({ replayed: 300, perCluster: { main: 300 } });
      const until = Date.now() + 60_000;
      while (Date.now() < until && (await countIndexed(badIndex)) < 300) await new Promise((r) => setTimeout(r, 500));
      expect(await countIndexed(badIndex)).toBe(300);
      // A second replay finds nothing new.
      expect(await replayDeadLetters(config, name)).toEqual({ replayed: 0, perCluster: {} });
    } finally {
      await admin.close();
    }
  });
});

describe('crash safety', () => {
  it('kill -9 of a sink worker under load loses nothing; duplicates are counted', async () => {
    const run = newRun();
    const name = `h-${run}`;
    const dir = tmpDir();
    const cfgFile = path.join(dir, 'sink.json');
    const stack = inject('stack');
    const n = 30_000;
    // The destination: an HTTP server in this test process (it outlives the killed worker),
    // 20 ms per request, so the kill lands mid-stream.
    const seqs: number[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        for (const l of Buffer.concat(chunks).toString().split('\n'))
          if (l) seqs.push((JSON.parse(l) as { seq: number }).seq);
        setTimeout(() => res.writeHead(200).end(), 20);
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`;
    const sinksSection = [
      { type: 'http', name, url, format: 'ndjson', concurrency: 1, batch: { maxRecords: 100, lingerMs: 50 } },
    ];
    const config = pipelineConfig({ run, logIds: [`k-${run}`], sinks: sinksSection });
    fs.writeFileSync(
      cfgFile,
      JSON.stringify({
        clusters: [
          { name: 'main', brokers: [stack.kafkaMain] },
          { name: 'aux', brokers: [stack.kafkaAux] },
        ],
        pools: { S: ['main'], A: ['main'], B: ['main'], C: ['main'] },
        channels: { dedicatedPartitionsPerTopic: 2, partitionsPerTopic: 2 },
        logIds: [
          { id: `k-${run}`, name: 'k', owner: 'it', importance: 'A', sinks: [name], dedicated: true },
          { id: 'unknown', name: 'unknown', owner: 'it', importance: 'C', sinks: [name] },
        ],
        sinks: sinksSection,
      }),
    );
    await produceRecords(
      config,
      Array.from({ length: n }, (_, seq) => ({ logId: `k-${run}`, seq })),
    );
    const committed = async () => {
      const admin = new KafkaAdmin(kafkaClusterOf(config.clusters[0]!));
      try {
        let sum = 0n;
        for (const m of (await admin.committedOffsets(sinkGroupId(name))).values())
          for (const o of m.values()) sum += o;
        return Number(sum);
      } finally {
        await admin.close();
      }
    };
    const start = () =>
      spawn(process.execPath, ['bin/spillway.js', 'sink', '--config', cfgFile, '--name', name], {
        stdio: 'ignore',
        env: { ...process.env, SPW_LOG_LEVEL: 'warn' },
      });
    const first = start();
    // Kill it once it has committed at least once, mid-stream.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && (await committed()) < 2_000) await new Promise((r) => setTimeout(r, 50));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const committedAtKill = await committed();
    const atKill = seqs.length;
    expect(committedAtKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(n);
    const second = start();
    try {
      await waitFor('every record after the restart', () => new Set(seqs).size >= n, 120_000);
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
    const unique = new Set(seqs);
    expect(unique.size).toBe(n);
    const duplicates = seqs.length - unique.size;
    console.log(
      `kill -9 with ${atKill} records delivered and ${committedAtKill} committed: all ${n} delivered after the restart, ${duplicates} duplicates`,
    );
    // Only what was delivered after the last commit comes again: at-least-once, bounded.
    expect(duplicates).toBeLessThanOrEqual(atKill - committedAtKill);
  });
});

describe('spillway of the spillway', () => {
  it('a stopped gutter cluster sends spills to the source cluster gutter topic', async () => {
    const run = newRun();
    const gutterKafka = await startThrowawayKafka('gutter');
    try {
      const name = `g-${run}`;
      // One logId's index is closed (retryable: spills to the gutter), the other is fine, so
      // the breaker stays closed and the spills really happen.
      const config = pipelineConfig({
        run,
        logIds: [`x-${run}`, `y-${run}`],
        gutterCluster: 'aux',
        auxBrokers: gutterKafka.brokers,
        sinks: [
          {
            type: 'opensearch',
            name,
            nodes: [inject('stack').searchUrl],
            indexTemplate: `it-${run}-{logId}`,
            batch: { lingerMs: 50 },
            gutter: { drainSharePct: 1 },
          },
        ],
      });
      const admin = search();
      await admin.indices.create({ index: `it-${run}-x-${run}` });
      await admin.indices.close({ index: `it-${run}-x-${run}` });
      await admin.close();
      await gutterKafka.kill9();
      await produceRecords(
        config,
        Array.from({ length: 400 }, (_, seq) => ({ logId: seq % 2 ? `y-${run}` : `x-${run}`, seq })),
      );
      const sink = await startSink(config, name, fast);
      running.push(sink);
      const spilled = await readTopic(config, 'main', [gutterTopicName(name)], 200);
      expect(new Set(spilled.map((r) => (JSON.parse(r.value!.toString()) as { seq: number }).seq)).size).toBe(200);
      expect(spilled.every((r) => r.key?.toString() === `x-${run}`)).toBe(true);
      expect(spilled[0]!.headers.find(([k]) => k === HEADERS.originCluster)?.[1]?.toString()).toBe('main');
    } finally {
      await gutterKafka.cleanup();
    }
  });
});
