/**
 * The sink runtime against the real Kafka clusters, with an in-process destination whose
 * behaviour each test sets (the destination types have their own suite in
 * sink-types.test.ts): delivery and commits, one failing logId isolated through the
 * gutter into the dead-letter topic with exact counts, a whole destination down.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { kafkaClusterOf } from '../../config/cluster.ts';
import { KafkaAdmin } from '../../core/kafka/index.ts';
import type { Destination, SinkRecord, WriteResult } from '../../sinks/core/destination.ts';
import { type RunningSink, sinkGroupId, startSink } from '../../sinks/runtime/sink-service.ts';
import { HEADERS } from '../../sinks/runtime/spillway-writer.ts';
import { waitFor } from './helpers/kafka.ts';
import { newRun, pipelineConfig, produceRecords, readTopic } from './helpers/pipeline.ts';

/** A destination in the test's memory: delivers, or fails for chosen keys. */
class MemoryDestination implements Destination {
  readonly delivered = new Map<string, number[]>();
  failing = new Set<string>();
  down = false;
  writes = 0;
  keyOf(r: SinkRecord): string {
    return r.logId;
  }
  async write(key: string, records: readonly SinkRecord[]): Promise<WriteResult> {
    this.writes++;
    if (this.down) return { kind: 'retryable', reason: 'connect ECONNREFUSED' };
    if (this.failing.has(key)) return { kind: 'retryable', reason: `503 for ${key}` };
    const list = this.delivered.get(key) ?? [];
    for (const r of records) list.push((JSON.parse(r.value.toString()) as { seq: number }).seq);
    this.delivered.set(key, list);
    return { kind: 'ok' };
  }
  async healthCheck(): Promise<void> {}
  async close(): Promise<void> {}
  count(): number {
    let n = 0;
    for (const l of this.delivered.values()) n += l.length;
    return n;
  }
}

const running: RunningSink[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.close();
});

const sinkSection = (name: string, extra: Record<string, unknown> = {}) => ({
  type: 'blackhole',
  name,
  batch: { maxRecords: 200, lingerMs: 50 },
  requestTimeoutMs: 2_000,
  ...extra,
});

describe('sink runtime', () => {
  it('delivers every record of its logIds, skips others, and commits to the end', async () => {
    const run = newRun();
    const config = pipelineConfig({ run, logIds: [`a-${run}`, `b-${run}`], sinks: [sinkSection(`t-${run}`)] });
    const dest = new MemoryDestination();
    await produceRecords(
      config,
      Array.from({ length: 1000 }, (_, seq) => ({ logId: seq % 2 ? `a-${run}` : `b-${run}`, seq })),
    );
    const sink = await startSink(config, `t-${run}`, { destination: dest, maxWaitMs: 100, commitIntervalMs: 200 });
    running.push(sink);
    await waitFor('1000 deliveries', () => dest.count() >= 1000);
    expect(dest.delivered.get(`a-${run}`)!.sort((x, y) => x - y)).toEqual(
      Array.from({ length: 500 }, (_, i) => 2 * i + 1),
    );
    expect(dest.delivered.get(`b-${run}`)).toHaveLength(500);
    await sink.main.commit();
    const admin = new KafkaAdmin(kafkaClusterOf(config.clusters[0]!));
    try {
      const committed = await admin.committedOffsets(sinkGroupId(`t-${run}`));
      const total = [...committed.values()].flatMap((m) => [...m.values()]).reduce((s, o) => s + o, 0n);
      expect(total).toBe(1000n);
    } finally {
      await admin.close();
    }
  });

  it('isolates a failing logId: the others flow, its records go gutter -> dead letter with exact counts', async () => {
    const run = newRun();
    const name = `t-${run}`;
    const config = pipelineConfig({
      run,
      logIds: [`ok-${run}`, `bad-${run}`],
      sinks: [sinkSection(name, { deadLetter: { maxAttempts: 3 } })],
    });
    const dest = new MemoryDestination();
    dest.failing.add(`bad-${run}`);
    await produceRecords(
      config,
      Array.from({ length: 600 }, (_, seq) => ({ logId: seq % 3 === 0 ? `bad-${run}` : `ok-${run}`, seq })),
    );
    const sink = await startSink(config, name, {
      destination: dest,
      maxWaitMs: 100,
      commitIntervalMs: 200,
      gutterBackoff: { baseMs: 50, capMs: 200 },
    });
    running.push(sink);
    await waitFor('the 400 good records', () => (dest.delivered.get(`ok-${run}`)?.length ?? 0) >= 400);
    expect(dest.delivered.get(`ok-${run}`)).toHaveLength(400);
    // 200 bad records: main path -> gutter, then 3 drainer attempts -> dead letter.
    const dead = await readTopic(config, 'main', [`spw.dlq.${name}`], 200);
    expect(dead).toHaveLength(200);
    const h = new Map(dead[0]!.headers.map(([k, v]) => [k, v?.toString()]));
    expect(h.get(HEADERS.attempts)).toBe('3');
    expect(h.get(HEADERS.error)).toBe(`503 for bad-${run} (after 3 attempts)`);
    expect(h.get(HEADERS.originTopic)).toBe(`spw.a.info.d-bad-${run}`);
    expect(dead.map((r) => (JSON.parse(r.value!.toString()) as { seq: number }).seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 200 }, (_, i) => 3 * i),
    );
    expect(await sink.telemetry.value('spillway_dead_letters_total', { sink: name })).toBe(200);
    expect(
      await sink.telemetry.value('spillway_gutter_records_total', { sink: name, direction: 'in' }),
    ).toBeGreaterThanOrEqual(200);
    expect(dest.delivered.has(`bad-${run}`)).toBe(false);
  });

  it('pauses and probes when the whole destination is down, instead of spilling its input, then delivers everything', async () => {
    const run = newRun();
    const name = `t-${run}`;
    const config = pipelineConfig({ run, logIds: [`x-${run}`, `y-${run}`], sinks: [sinkSection(name)] });
    const dest = new MemoryDestination();
    dest.down = true;
    await produceRecords(
      config,
      Array.from({ length: 2000 }, (_, seq) => ({ logId: seq % 2 ? `x-${run}` : `y-${run}`, seq })),
    );
    const sink = await startSink(config, name, { destination: dest, maxWaitMs: 100, commitIntervalMs: 200 });
    running.push(sink);
    await waitFor('the breaker to open', () => sink.main.breaker !== 'closed');
    // A batch that failed just before the breaker opened may still be on its way to the
    // gutter (concurrency 2): let that spill land before taking the count.
    await new Promise((r) => setTimeout(r, 500));
    const spilled = await sink.telemetry.value('spillway_gutter_records_total', { sink: name, direction: 'in' });
    const writesWhenOpen = dest.writes;
    await new Promise((r) => setTimeout(r, 2_500));
    // Open: at most one probe per 2 s, and the input is not copied into the gutter.
    expect(dest.writes - writesWhenOpen).toBeLessThanOrEqual(2);
    expect(await sink.telemetry.value('spillway_gutter_records_total', { sink: name, direction: 'in' })).toBe(spilled);
    console.log(`destination down: ${spilled} of 2000 records spilled before the breaker opened`);
    expect(spilled).toBeLessThan(2000);
    dest.down = false;
    await waitFor('all 2000 delivered after recovery', () => dest.count() + spilled >= 2000, 60_000);
    await waitFor('the spilled ones drained too', () => dest.count() >= 2000, 60_000);
    expect(new Set([...dest.delivered.values()].flat()).size).toBe(2000);
  });

  it('stops at once while its destination is down, leaving the undelivered records uncommitted for the next start', async () => {
    const run = newRun();
    const name = `t-${run}`;
    // A 30 s request timeout: the old close() waited twice that per worker for a queue that could not drain.
    const config = pipelineConfig({
      run,
      logIds: [`d-${run}`],
      sinks: [sinkSection(name, { requestTimeoutMs: 30_000 })],
    });
    const dest = new MemoryDestination();
    dest.down = true;
    await produceRecords(
      config,
      Array.from({ length: 500 }, (_, seq) => ({ logId: `d-${run}`, seq })),
    );
    const sink = await startSink(config, name, { destination: dest, maxWaitMs: 100, commitIntervalMs: 200 });
    await waitFor('the breaker to open', () => sink.main.breaker !== 'closed');
    const began = Date.now();
    await sink.close();
    // Far below the 60 s grace it used to wait out.
    expect(Date.now() - began).toBeLessThan(15_000);
    // Nothing was delivered; what did not go to the gutter is uncommitted, and a new start delivers it all.
    expect(dest.count()).toBe(0);
    dest.down = false;
    const again = await startSink(config, name, { destination: dest, maxWaitMs: 100, commitIntervalMs: 200 });
    running.push(again);
    await waitFor('all 500 delivered after the restart', () => dest.count() >= 500, 60_000);
    expect(new Set([...dest.delivered.values()].flat()).size).toBe(500);
  }, 150_000);

  it('without a gutter, retries the items a bulk write failed until they land, spilling nothing', async () => {
    const run = newRun();
    const name = `t-${run}`;
    const config = pipelineConfig({
      run,
      logIds: [`a-${run}`],
      sinks: [sinkSection(name, { gutter: { enabled: false } })],
    });
    // Every odd record fails retryably on its first two attempts (a bulk item 429), then lands.
    const attempts = new Map<number, number>();
    const dest = new MemoryDestination();
    const write = dest.write.bind(dest);
    dest.write = async (key, records) => {
      const failed: { index: number; retryable: boolean; reason: string }[] = [];
      const ok: SinkRecord[] = [];
      records.forEach((r, index) => {
        const seq = (JSON.parse(r.value.toString()) as { seq: number }).seq;
        const n = (attempts.get(seq) ?? 0) + 1;
        attempts.set(seq, n);
        if (seq % 2 === 1 && n <= 2) failed.push({ index, retryable: true, reason: '429 es_rejected_execution' });
        else ok.push(r);
      });
      await write(key, ok);
      return failed.length === 0 ? { kind: 'ok' } : { kind: 'partial', failed };
    };
    await produceRecords(
      config,
      Array.from({ length: 300 }, (_, seq) => ({ logId: `a-${run}`, seq })),
    );
    const sink = await startSink(config, name, { destination: dest, maxWaitMs: 100, commitIntervalMs: 200 });
    running.push(sink);
    await waitFor('all 300 delivered', () => dest.count() >= 300, 60_000);
    expect([...dest.delivered.get(`a-${run}`)!].sort((x, y) => x - y)).toEqual(
      Array.from({ length: 300 }, (_, i) => i),
    );
    expect(attempts.get(1)).toBe(3);
    expect(attempts.get(0)).toBe(1);
    expect(await sink.telemetry.value('spillway_gutter_records_total', { sink: name, direction: 'in' })).toBe(0);
    expect(await sink.telemetry.value('spillway_dead_letters_total', { sink: name })).toBe(0);
  });
});
